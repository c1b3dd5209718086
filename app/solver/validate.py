"""The solver-free plan checker: is a `jointops-plan/1` valid for its scenario?

This is the oracle of the spec's ten rules: every test and every solver result goes
through it. It works on exact instants (datetime arithmetic), never on the rounded
minutes of `Instance`, and reports every violation with its rule number, operation,
site and unit. Unknown ids are violations (rule 0, structure), never crashes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.solver.schema import Objective, Plan, Scenario, ScheduledOperation

if TYPE_CHECKING:
    from app.solver.instance import Instance

RULE_NAMES = {
    0: "structure",
    1: "window",
    2: "coordinated strike",
    3: "requirements",
    4: "headcount",
    5: "host-nation presence",
    6: "jurisdiction",
    7: "domestic travel",
    8: "cross-border travel",
    9: "lanes",
    10: "one place at a time",
    # The cordon extension (docs/cordon-format.md, app.solver.validate_cordons).
    11: "cordon staff",
    12: "sealed crossing",
}


@dataclass(frozen=True)
class Violation:
    """One broken rule (0 = structure: unknown ids, the unscheduled list), with its place."""

    rule: int
    message: str
    operation: str | None = None
    site: str | None = None
    unit: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class ValidationReport:
    """The violations of a plan and its recomputed objective."""

    violations: list[Violation] = field(default_factory=list)
    objective: Objective = field(default_factory=lambda: Objective(priority=0, travel_minutes=0))
    stated_objective: Objective | None = None
    # Minutes foreign units wait in the host country beyond travel: the third level of
    # the objective, after priority and travel (not a validity rule).
    dwell_minutes: int = 0
    # Each scheduled operation's (priority, travel minutes) in the objective.
    by_operation: dict[str, tuple[int, int]] = field(default_factory=dict)

    def objective_of(self, ids: Collection[str] | None) -> Objective:
        """The objective of the plan's operations in `ids` (None: all): what validating
        the plan cut to them against the scenario cut to them recomputes."""
        if ids is None:
            return self.objective
        parts = [part for op_id, part in self.by_operation.items() if op_id in ids]
        return Objective(priority=sum(p for p, _ in parts),
                         travel_minutes=sum(t for _, t in parts))

    @property
    def valid(self) -> bool:
        return not self.violations

    def by_rule(self) -> dict[int, int]:
        """How many violations each rule has."""
        return dict(sorted(Counter(v.rule for v in self.violations).items()))


def describe(
    rule: int,
    text: str,
    operation: str | None = None,
    site: str | None = None,
    unit: str | None = None,
    label: str | None = None,
) -> Violation:
    """A violation whose message names the rule, operation, site and unit, then `text`."""
    where = " ".join(
        part
        for part in (
            operation or "",
            f"site {site}" if site else "",
            f"unit {unit}" if unit else "",
        )
        if part
    )
    prefix = f"rule {rule} ({label or RULE_NAMES[rule]})"
    message = f"{prefix}: {where}: {text}" if where else f"{prefix}: {text}"
    return Violation(rule, message, operation, site, unit)


def validate_plan(scenario: Scenario, plan: Plan) -> ValidationReport:
    """Check a plan against every rule of the spec; never raises on bad ids."""
    from app.solver.validate_rules import PlanChecker

    checker = PlanChecker(scenario)
    checker.check(plan)
    return ValidationReport(
        violations=checker.violations,
        objective=Objective(priority=checker.priority, travel_minutes=checker.travel),
        stated_objective=plan.objective,
        dwell_minutes=checker.dwell,
        by_operation=checker.by_operation,
    )


class OperationsChecker:
    """The rules of a valid plan for sets of scheduled operations of one scenario.

    Replanning asks, for each of hundreds of earlier operations, whether it is still
    valid alone, then whether the survivors are valid together. A whole plan per question
    (every other operation listed unscheduled) and a new instance each time made that
    quadratic: seconds of a web request on the large board. Here the instance and the
    crossing hours are built once, and the completeness rule, which only the plan
    document can break, is left out.
    """

    def __init__(self, scenario: Scenario, instance: Instance | None = None) -> None:
        from app.solver.instance import Instance
        from app.solver.validate_travel import CrossingHours

        self.scenario = scenario
        self.instance = instance or Instance(scenario)
        self.hours = CrossingHours(scenario)

    def violations(self, operations: list[ScheduledOperation]) -> list[Violation]:
        """What breaks the rules when exactly these operations are scheduled."""
        from app.solver.validate_rules import PlanChecker

        checker = PlanChecker(self.scenario, self.instance, self.hours)
        plan = Plan.model_construct(
            format="jointops-plan/1", scenario=self.scenario.name,
            operations=list(operations), unscheduled=[],
        )
        checker.check(plan, complete=False)
        return checker.violations

    def valid(self, operations: list[ScheduledOperation]) -> bool:
        return not self.violations(operations)


def format_report(report: ValidationReport) -> str:
    """The report as text for people: a verdict line, then one line per violation."""
    objective = report.objective
    score = f"priority {objective.priority}, travel {objective.travel_minutes} minutes"
    lines = []
    if report.valid:
        lines.append(f"VALID plan: {score}")
    else:
        counts = ", ".join(f"rule {rule}: {n}" for rule, n in report.by_rule().items())
        lines.append(f"INVALID plan: {len(report.violations)} violation(s) ({counts})")
        lines.append(f"recomputed objective: {score}")
        lines.extend(f"- {v.message}" for v in report.violations)
    lines.append(
        f"dwell: foreign units wait {report.dwell_minutes} minutes in the host country "
        "beyond travel"
    )
    stated = report.stated_objective
    if stated is not None and stated != objective:
        lines.append(
            f"note: the plan states priority {stated.priority}, travel "
            f"{stated.travel_minutes} minutes (informational; the recomputed one counts)"
        )
    return "\n".join(lines)


def report_to_json(report: ValidationReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {
        "valid": report.valid,
        "objective": report.objective.model_dump(),
        "dwell_minutes": report.dwell_minutes,
        "stated_objective": (
            report.stated_objective.model_dump() if report.stated_objective else None
        ),
        "violation_counts": {str(rule): n for rule, n in report.by_rule().items()},
        "violations": [
            {
                "rule": v.rule,
                "operation": v.operation,
                "site": v.site,
                "unit": v.unit,
                "message": v.message,
            }
            for v in report.violations
        ],
    }
