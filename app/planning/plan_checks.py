"""What the worker found when it checked the plan it stored, kept with the run.

The worker validates every plan it stores (a solver bug must never reach a planner). The
run page needs one result of that check: each operation's part of the objective, so that
a viewer's totals and change list add up theirs. Every web process validated each new
run's plan again for it: with the published plan's check against the run's scenario,
most of a run page's first view on the large board (py-spy under bench/load.py, issue
14). The worker now stores those parts beside the plan; the run page uses them while
they belong to the plan it shows (the document's digest), and validates itself otherwise
(runs stored before this, a plan stored by another path). The published plan's check
stays the run page's: the worker's database role may not read plans' documents
(app/db_roles.py); a run carries only what it solves.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.solver.validate import ValidationReport


def digest(document: dict[str, Any]) -> str:
    """The plan document's fingerprint: the same dict after a trip through the database
    gives the same text (sorted keys, JSON values only)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def checks(document: dict[str, Any], report: ValidationReport) -> dict[str, Any]:
    """The `plan_checks` value stored with `document`: its parts of the objective."""
    return {
        "digest": digest(document),
        "by_operation": {op_id: list(part) for op_id, part in report.by_operation.items()},
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


def _report(by_operation: Any) -> ValidationReport | None:
    if not isinstance(by_operation, dict):
        return None
    parts = by_operation.items()
    report = ValidationReport(by_operation={
        str(op_id): (int(priority), int(travel)) for op_id, (priority, travel) in parts})
    whole = report.objective_of(set(report.by_operation))
    report.objective = whole  # every part of the objective is an operation's
    return report
