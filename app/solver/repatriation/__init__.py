"""Repatriation planning: hand detained foreign nationals over to their countries.

A second model beside the raid planner, with its own documents
(`jointops-repatriation/1` in, `jointops-repatriation-plan/1` out; docs/repatriation-format.md),
loader, validator (the test oracle), CP-SAT model, first-come greedy and diagnosis.
Pure like the rest of `app.solver`: no database or web imports.
"""
