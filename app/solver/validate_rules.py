"""The ten rules of a valid plan, checked on exact instants (see `app.solver.validate`).

Per operation and per assignment rules run in one pass that also collects every
crossing passage and every busy interval; lanes (rule 9) and one-place-at-a-time
(rule 10) are then sweep lines per crossing and per unit, so the check stays
O(n log n) on the largest plans.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.solver.instance import Instance, merge_exact
from app.solver.schema import Assignment, Operation, Plan, Scenario, ScheduledOperation, Site, Unit
from app.solver.validate import Violation, describe
from app.solver.validate_cordons import check_cordon, check_seals
from app.solver.validate_travel import (
    CrossingHours,
    Passage,
    check_abroad,
    plus,
    show,
    show_local,
)

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Busy:
    """One assignment's busy interval `[depart, return)`."""

    depart: datetime
    ret: datetime
    operation: str
    site: str


class PlanChecker:
    """Collects the violations, the objective, passages and busy intervals of a plan."""

    def __init__(
        self,
        scenario: Scenario,
        instance: Instance | None = None,
        hours: CrossingHours | None = None,
    ) -> None:
        self.scenario = scenario
        # Both are read only while checking: replanning passes the same ones to hundreds
        # of checkers (app.solver.validate.OperationsChecker).
        self.instance = instance or Instance(scenario)
        self.hours = hours or CrossingHours(scenario)
        self.violations: list[Violation] = []
        self.priority = 0
        self.travel = 0
        # Each checked operation's (priority, travel minutes): its part of the objective
        # (each depends on the operation alone, so a part of the plan sums its own).
        self.by_operation: dict[str, tuple[int, int]] = {}
        # Minutes foreign units wait in the host country beyond travel (issue 9).
        self.dwell = 0
        self.passages: dict[str, list[Passage]] = defaultdict(list)
        self.busy: dict[str, list[Busy]] = defaultdict(list)

    def add(
        self,
        rule: int,
        text: str,
        op: str | None,
        site: str | None = None,
        unit: str | None = None,
        label: str | None = None,
    ) -> None:
        """Record a violation of `rule`; `label` overrides the rule's name in the message."""
        self.violations.append(describe(rule, text, op, site, unit, label))

    def check(self, plan: Plan, *, complete: bool = True) -> None:
        """Run every rule over the plan; `complete=False` leaves out rule 0's demand that
        every operation be either scheduled or listed unscheduled (a set of operations
        checked on its own)."""
        once = self._scheduled_once(plan)
        for scheduled in once:
            operation = self.instance.operations[scheduled.id]
            travel = self.travel
            self.priority += operation.priority
            self._check_operation(operation, scheduled)
            check_cordon(self, operation, scheduled)
            self.by_operation[scheduled.id] = (operation.priority, self.travel - travel)
        if complete:
            self._check_unscheduled(plan)
        check_seals(self, once)
        for crossing_id, passages in self.passages.items():
            self._check_lanes(crossing_id, passages)
        for unit_id, intervals in self.busy.items():
            self._check_unit_time(self.instance.units[unit_id], intervals)

    # ---- structure -----------------------------------------------------------------

    def _scheduled_once(self, plan: Plan) -> list[ScheduledOperation]:
        """The known operations of the plan, each once; unknown and repeated ones reported."""
        seen: set[str] = set()
        result = []
        for scheduled in plan.operations:
            if scheduled.id not in self.instance.operations:
                self.add(0, "unknown operation id", scheduled.id)
            elif scheduled.id in seen:
                self.add(2, "the operation appears more than once", scheduled.id)
            else:
                seen.add(scheduled.id)
                result.append(scheduled)
        return result

    def _check_unscheduled(self, plan: Plan) -> None:
        scheduled = {op.id for op in plan.operations}
        listed = Counter(entry.id for entry in plan.unscheduled)
        for op_id, times in listed.items():
            if op_id not in self.instance.operations:
                self.add(0, "unscheduled lists an unknown operation id", op_id)
            elif op_id in scheduled:
                self.add(0, "the operation is both scheduled and listed unscheduled", op_id)
            elif times > 1:
                self.add(0, f"unscheduled lists the operation {times} times", op_id)
        for op_id in self.instance.operations:
            if op_id not in scheduled and op_id not in listed:
                self.add(0, "the operation is neither scheduled nor listed unscheduled", op_id)

    # ---- per operation -------------------------------------------------------------

    def _check_operation(self, operation: Operation, scheduled: ScheduledOperation) -> None:
        self._check_window(operation, scheduled.start)
        by_site: dict[str, list[tuple[Assignment, Unit]]] = {s.id: [] for s in operation.sites}
        units_seen: set[str] = set()
        for assignment in scheduled.assignments:
            unit = self._known_assignment(operation, assignment)
            if unit is None:
                continue
            if unit.id in units_seen:
                self.add(
                    3,
                    "the unit appears more than once in the operation",
                    operation.id,
                    assignment.site,
                    unit.id,
                )
            units_seen.add(unit.id)
            by_site[assignment.site].append((assignment, unit))
        for site in operation.sites:
            self._check_site(operation, site, by_site[site.id], scheduled.start)

    def _known_assignment(self, operation: Operation, assignment: Assignment) -> Unit | None:
        """The assignment's unit when its site and unit ids resolve; else report (rule 0)."""
        known_site = self.instance.sites.get(assignment.site)
        unit = self.instance.units.get(assignment.unit)
        if known_site is None:
            self.add(0, "unknown site id", operation.id, assignment.site, assignment.unit)
        elif known_site[0].id != operation.id:
            self.add(
                0,
                f"the site belongs to {known_site[0].id}, not to this operation",
                operation.id,
                assignment.site,
                assignment.unit,
            )
        elif unit is None:
            self.add(0, "unknown unit id", operation.id, assignment.site, assignment.unit)
        else:
            return unit
        return None

    def _check_window(self, operation: Operation, start: datetime) -> None:
        end = plus(start, operation.duration_minutes)
        problems = []
        if start < operation.earliest_start:
            problems.append(
                f"starts {show(start)}, before earliest_start {show(operation.earliest_start)}"
            )
        if end > operation.latest_end:
            problems.append(f"ends {show(end)}, after latest_end {show(operation.latest_end)}")
        slot = self.scenario.slot_minutes * MINUTE
        if (start - self.scenario.horizon.start) % slot:
            problems.append(
                f"start {show(start)} is off the {self.scenario.slot_minutes}-minute slot grid"
            )
        if operation.fixed_start is not None and start != operation.fixed_start:
            problems.append(
                f"start {show(start)} is not the fixed start {show(operation.fixed_start)}"
            )
        for text in problems:
            self.add(1, text, operation.id)

    # ---- per site ------------------------------------------------------------------

    def _check_site(
        self,
        operation: Operation,
        site: Site,
        staff: list[tuple[Assignment, Unit]],
        start: datetime,
    ) -> None:
        if not staff:
            self.add(2, "the site is not staffed", operation.id, site.id)
            return
        self._check_requirements(operation, site, staff)
        personnel = sum(unit.personnel for _, unit in staff)
        if personnel < site.required_personnel:
            self.add(
                4,
                f"{personnel} personnel assigned, at least {site.required_personnel} needed",
                operation.id,
                site.id,
            )
        country = self.instance.site_country(site)
        if all(self.instance.unit_country(unit) != country for _, unit in staff):
            self.add(5, f"no assigned unit is of the host country {country}", operation.id, site.id)
        for assignment, unit in staff:
            self._check_assignment(operation, site, assignment, unit, start)

    def _check_requirements(
        self, operation: Operation, site: Site, staff: list[tuple[Assignment, Unit]]
    ) -> None:
        required = {r.capability: r.count for r in site.requirements}
        named = Counter(assignment.capability for assignment, _ in staff)
        for assignment, unit in staff:
            if assignment.capability not in required:
                self.add(
                    3,
                    f"capability {assignment.capability!r} is not a requirement of the site",
                    operation.id,
                    site.id,
                    unit.id,
                )
            if assignment.capability not in unit.capabilities:
                self.add(
                    3,
                    f"the unit does not have capability {assignment.capability!r}",
                    operation.id,
                    site.id,
                    unit.id,
                )
        for capability, count in required.items():
            if named[capability] != count:
                self.add(
                    3,
                    f"requirement {capability!r} needs exactly {count} unit(s), "
                    f"{named[capability]} assigned",
                    operation.id,
                    site.id,
                )

    # ---- per assignment ------------------------------------------------------------

    def _check_assignment(
        self, operation: Operation, site: Site, assignment: Assignment, unit: Unit, start: datetime
    ) -> None:
        problem = self.instance.jurisdiction_problem(unit, operation, site)
        if problem is not None:
            self.add(6, problem, operation.id, site.id, unit.id)
        end = plus(start, operation.duration_minutes)
        if self.instance.unit_country(unit) == self.instance.site_country(site):
            self._check_domestic(operation, site, assignment, unit, (start, end))
        else:
            self._check_abroad(operation, site, assignment, unit, (start, end))
        self.busy[unit.id].append(
            Busy(assignment.depart, assignment.return_, operation.id, site.id)
        )

    def _check_domestic(
        self,
        operation: Operation,
        site: Site,
        assignment: Assignment,
        unit: Unit,
        strike: tuple[datetime, datetime],
    ) -> None:
        where = (operation.id, site.id, unit.id)
        if any(
            x is not None
            for x in (assignment.crossing, assignment.cross_out, assignment.cross_back)
        ):
            self.add(
                8, "a domestic assignment must not give crossing, cross_out or cross_back", *where
            )
        distance = self.instance.distance(unit.base, site.region)
        if distance is None:
            self.add(7, f"no road from base {unit.base} to {site.region}", *where)
            return
        self.travel += 2 * distance
        start, end = strike
        if plus(assignment.depart, distance) > start:
            self.add(
                7,
                f"departs {show(assignment.depart)}, {distance} min from the site, "
                f"cannot arrive by the start {show(start)}",
                *where,
            )
        if plus(end, distance) > assignment.return_:
            self.add(
                7,
                f"returns {show(assignment.return_)}, but the strike ends {show(end)} "
                f"and the way back takes {distance} min",
                *where,
            )

    def _check_abroad(
        self,
        operation: Operation,
        site: Site,
        assignment: Assignment,
        unit: Unit,
        strike: tuple[datetime, datetime],
    ) -> None:
        check_abroad(self, operation, site, assignment, unit, strike)

    # ---- sweeps --------------------------------------------------------------------

    def _check_lanes(self, crossing_id: str, passages: list[Passage]) -> None:
        """Rule 9: a sweep over passage starts and ends; ends first at equal instants."""
        lanes = self.instance.crossings[crossing_id].lanes
        events = sorted(
            [(p.end, 0, i) for i, p in enumerate(passages)]
            + [(p.start, 1, i) for i, p in enumerate(passages)]
        )
        active: dict[int, Passage] = {}
        for _, is_start, index in events:
            passage = passages[index]
            if not is_start:
                active.pop(index, None)
                continue
            if len(active) >= lanes:
                others = ", ".join(f"{p.unit} ({p.operation})" for p in list(active.values())[:3])
                self.add(
                    9,
                    f"{passage.direction} passage through {crossing_id} at "
                    f"{show_local(passage.start, self.hours.zone(crossing_id))} local "
                    f"starts while {len(active)} passage(s) are in progress ({others}) "
                    f"on {lanes} lane(s)",
                    passage.operation,
                    passage.site,
                    passage.unit,
                )
            active[index] = passage

    def _check_unit_time(self, unit: Unit, intervals: list[Busy]) -> None:
        """Rule 10: busy intervals inside horizon and availability, never overlapping."""
        horizon = self.scenario.horizon
        available = (
            None
            if unit.available is None
            else merge_exact([(w.start, w.end) for w in unit.available])
        )
        latest: Busy | None = None
        for busy in sorted(intervals, key=lambda b: (b.depart, b.ret)):
            where = (busy.operation, busy.site, unit.id)
            span = f"[{show(busy.depart)}, {show(busy.ret)})"
            if busy.depart < horizon.start or busy.ret > horizon.end:
                self.add(10, f"busy interval {span} is not inside the horizon", *where)
            if available is not None and not any(
                s <= busy.depart and busy.ret <= e for s, e in available
            ):
                self.add(
                    10, f"busy interval {span} is not inside the unit's available time", *where
                )
            if latest is not None and busy.depart < latest.ret:
                self.add(
                    10,
                    f"busy interval {span} overlaps its assignment to "
                    f"{latest.operation} site {latest.site} until {show(latest.ret)}",
                    *where,
                )
            if latest is None or busy.ret > latest.ret:
                latest = busy
