"""What the worker found when it checked the plan it stored, kept with the run.

The worker validates every plan it stores (a solver bug must never reach a planner). The
run page needs one result of that check: each operation's part of the objective, so that
a viewer's totals and change list add up theirs. Every web process validated each new
run's plan again for it, and the published plan against the run's scenario as well: on
the large board most of a run page's first view (py-spy under bench/load.py, issue 14).
The worker now stores those parts beside the plan; the run page uses them while they
belong to the plan it shows (the document's digest, the published plan's id), and
validates itself otherwise (runs stored before this, a plan stored by another path).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.solver.validate import ValidationReport

Parts = dict[str, tuple[int, int]]


def digest(document: dict[str, Any]) -> str:
    """The plan document's fingerprint: the same dict after a trip through the database
    gives the same text (sorted keys, JSON values only)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def checks(document: dict[str, Any], report: ValidationReport,
           published: tuple[int, Parts] | None) -> dict[str, Any]:
    """The `plan_checks` value stored with `document`: its parts of the objective, and
    the published plan's (`published`: its id and parts against the run's scenario)."""
    return {
        "digest": digest(document),
        "by_operation": {op_id: list(part) for op_id, part in report.by_operation.items()},
        "published": (None if published is None
                      else {"plan_id": published[0], "by_operation": {
                          op_id: list(part) for op_id, part in published[1].items()}}),
    }


def plan_report(stored: dict[str, Any] | None, document: dict[str, Any]) -> ValidationReport | None:
    """The objective parts of `document` as the worker checked them, or None when what is
    stored belongs to another plan (or nothing is)."""
    try:
        if not stored or stored.get("digest") != digest(document):
            return None
    except (TypeError, ValueError):  # not a JSON document: nothing stored can be its
        return None
    return _report(stored.get("by_operation"))


def published_report(stored: dict[str, Any] | None, plan_id: int | None) -> ValidationReport | None:
    """The published plan's objective parts against the run's scenario, as the worker
    checked them, if the plan published now is the one it checked."""
    published = (stored or {}).get("published")
    if not published or plan_id is None or published.get("plan_id") != plan_id:
        return None
    return _report(published.get("by_operation"))


def _report(by_operation: Any) -> ValidationReport | None:
    if not isinstance(by_operation, dict):
        return None
    parts = by_operation.items()
    report = ValidationReport(by_operation={
        str(op_id): (int(priority), int(travel)) for op_id, (priority, travel) in parts})
    whole = report.objective_of(set(report.by_operation))
    report.objective = whole  # every part of the objective is an operation's
    return report
