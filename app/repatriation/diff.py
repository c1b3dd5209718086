"""What publishing a hand-over plan would change, against the published one.

Publishing replaces the holding country's scheduled batches from the plan's first day on
(app.repatriation.planning.publish) and re-issues the escort trips: the review shows,
per cohort and point, which batches it adds, moves (same cohort and point, another day,
time or count) and drops, and which escort trips it adds and drops, with names. Batches
already confirmed, and those due within 24 hours, are flagged: receiving agencies and
escorts are already working on them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.models import (
    Agency,
    BatchState,
    Cohort,
    Country,
    EscortTrip,
    HandoverBatch,
    HandoverPoint,
    Nationality,
    Region,
    RepatriationPlan,
    SolverRun,
    Unit,
    utcnow,
)
from app.repatriation.planning import POINT_PREFIX, cohort_key, held_cohorts
from app.repatriation.tasking import at_local

SOON = timedelta(hours=24)

# (day, time, persons, escort unit) of one batch.
Slot = tuple[date, str, int, str]


@dataclass
class BatchChange:
    cohort_id: int
    cohort: str  # "C12: 30 Myanmar nationals held by TH-RTP at Chiang Rai"
    point: str
    kind: str  # added, moved, dropped
    before: Slot | None = None
    after: Slot | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class TripChange:
    unit: str
    day: date
    kind: str  # added, changed, dropped
    before: str | None = None  # "06:00 -> Mae Sai bridge 09:00, 20 persons"
    after: str | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class PlanDiff:
    published_id: int | None
    start: date | None
    batches: list[BatchChange]
    trips: list[TripChange]
    # Confirmed hand-overs from the plan's first day on (publishing leaves them as they are).
    confirmed: list[BatchChange]

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(c.kind for c in self.batches)
        return {kind: found.get(kind, 0) for kind in ("added", "moved", "dropped")}

    @property
    def trip_counts(self) -> dict[str, int]:
        found = Counter(c.kind for c in self.trips)
        return {kind: found.get(kind, 0) for kind in ("added", "changed", "dropped")}

    @property
    def empty(self) -> bool:
        return not (self.batches or self.trips)


def _trip_text(depart: str, point: str, handover: str, persons: int) -> str:
    return f"leaves {depart}, hands over at {point} {handover}, {persons} persons"


def plan_diff(session: Session, *, plan: RepatriationPlan, now: datetime | None = None
              ) -> PlanDiff:
    """The changes publishing `plan` would make (need-to-know: the caller has the plan,
    so it may plan the holding country, whose cohorts and escorts these all are)."""
    now = now or utcnow()
    run = session.get(SolverRun, plan.solver_run_id) if plan.solver_run_id else None
    start = (date.fromisoformat(run.scenario["horizon"]["start"])
             if run is not None and run.scenario else None)
    country = plan.holding_country
    cohorts = {c.id: c for c in held_cohorts(session, country)}
    by_key = {cohort_key(i or 0): c for i, c in cohorts.items()}
    nationalities = {n.code: n.name for n in session.exec(select(Nationality))}
    regions = {r.id: r.name for r in session.exec(select(Region))}
    points = {p.id: p.name for p in session.exec(select(HandoverPoint))}
    agencies = {a.id: a.name for a in session.exec(select(Agency))}
    callsigns = {u.id: f"{u.callsign} ({u.id})" for u in session.exec(select(Unit))}

    def label(cohort: Cohort) -> str:
        return (f"C{cohort.id}: {cohort.count} "
                f"{nationalities.get(cohort.nationality_code, cohort.nationality_code)} "
                f"nationals held by {agencies.get(cohort.holding_agency_id, '')} at "
                f"{regions.get(cohort.site_region_id, cohort.site_region_id)}"
                + (" (vulnerable)" if cohort.vulnerable else ""))

    published = session.exec(select(RepatriationPlan).where(
        RepatriationPlan.holding_country == country,
        col(RepatriationPlan.is_published).is_(True))).first()
    live: list[HandoverBatch] = []
    confirmed: list[BatchChange] = []
    if cohorts and start is not None:
        for batch in session.exec(select(HandoverBatch).where(
                col(HandoverBatch.cohort_id).in_(list(cohorts)), col(HandoverBatch.day) >= start,
                col(HandoverBatch.state) != BatchState.cancelled)
                .order_by(col(HandoverBatch.at), col(HandoverBatch.id))):
            if batch.state == BatchState.handed_over:
                cohort = cohorts[batch.cohort_id]
                confirmed.append(BatchChange(
                    batch.cohort_id, label(cohort), points.get(batch.point_id, batch.point_id),
                    "confirmed", before=(batch.day, batch.time, batch.persons,
                                         callsigns.get(batch.escort_unit_id, "")),
                    flags=["already confirmed: stays handed over"]))
            else:
                live.append(batch)
    # Exact matches are unchanged; what is left on both sides of a cohort and point pairs
    # up as moves, the rest is added or dropped.
    old: dict[tuple[int, str], list[tuple[Slot, HandoverBatch]]] = defaultdict(list)
    for batch in live:
        old[(batch.cohort_id, batch.point_id)].append(
            ((batch.day, batch.time, batch.persons, callsigns.get(batch.escort_unit_id,
                                                                  batch.escort_unit_id)), batch))
    new: dict[tuple[int, str], list[Slot]] = defaultdict(list)
    for item in plan.document.get("batches", []):
        of = by_key.get(item["cohort"])
        if of is None:
            continue
        new[(of.id or 0, item["point"].removeprefix(POINT_PREFIX))].append(
            (date.fromisoformat(item["day"]), item["time"], item["persons"],
             callsigns.get(item["escort"], item["escort"])))
    changes: list[BatchChange] = []
    for key in sorted(set(old) | set(new)):
        cohort_id, point_id = key
        before = sorted(old.get(key, []), key=lambda pair: pair[0])
        after = sorted(new.get(key, []))
        matched = Counter(after)
        gone = []
        for slot, batch in before:
            if matched[slot]:
                matched[slot] -= 1
            else:
                gone.append((slot, batch))
        came = sorted(matched.elements())
        name, place = label(cohorts[cohort_id]), points.get(point_id, point_id)
        for index in range(max(len(gone), len(came))):
            was = gone[index] if index < len(gone) else None
            comes = came[index] if index < len(came) else None
            kind = "moved" if was and comes else "dropped" if was else "added"
            flags = []
            if was is not None and was[1].at - now < SOON:
                flags.append("due within 24 h")
            changes.append(BatchChange(cohort_id, name, place, kind,
                                       before=was[0] if was else None, after=comes,
                                       flags=flags))
    changes.sort(key=lambda c: (c.cohort_id, c.point, (c.after or c.before or ())[:2]))
    trips = _trip_changes(session, plan=plan, start=start, now=now, points=points,
                          callsigns=callsigns)
    return PlanDiff(published.id if published else None, start, changes, trips, confirmed)


def _trip_changes(session: Session, *, plan: RepatriationPlan, start: date | None,
                  now: datetime, points: dict[str, str], callsigns: dict[str, str]
                  ) -> list[TripChange]:
    if start is None:
        return []
    current: dict[tuple[str, date], EscortTrip] = {}
    for trip in session.exec(
            select(EscortTrip).join(RepatriationPlan,
                                    col(RepatriationPlan.id) == col(EscortTrip.plan_id))
            .where(RepatriationPlan.holding_country == plan.holding_country,
                   col(EscortTrip.day) >= start, col(EscortTrip.cancelled).is_(False))
            .order_by(col(EscortTrip.id))):
        current[(trip.unit_id, trip.day)] = trip
    home = session.get(Country, plan.holding_country)
    zone = ZoneInfo(home.timezone if home else "UTC")
    planned: dict[tuple[str, date], str] = {}
    for item in plan.document.get("taskings", []):
        point = item["point"].removeprefix(POINT_PREFIX)
        planned[(item["unit"], date.fromisoformat(item["day"]))] = _trip_text(
            item["depart"], points.get(point, point), item["handover"], item["persons"])
    changes = []
    for key in sorted(set(current) | set(planned)):
        unit, day = key
        was = current.get(key)
        before = (_trip_text(was.depart, points.get(was.point_id, was.point_id), was.handover,
                             was.persons) if was else None)
        after = planned.get(key)
        if before == after:
            continue
        kind = "changed" if before and after else "dropped" if before else "added"
        flags = []
        if was is not None and at_local(day, was.depart, zone) - now < SOON:
            flags.append("due within 24 h")
        changes.append(TripChange(callsigns.get(unit, unit), day, kind, before, after, flags))
    return changes
