"""Plan hand-overs: the solver's input from the database, runs, publishing, confirmation.

A plan covers one holding country: its agencies' cohorts, the hand-over points on its
soil and its escort units (escorts are sovereign: they drive inside their own country).
The solve runs as a `solver_runs` row of kind `repatriation` on the board's worker
(app/repatriation/jobs.py), never on a request.

The horizon starts tomorrow (local time of the holding country): today's batches are
under way or confirmed, and a new plan must not book today's capacity twice. Publishing
cancels the scheduled batches from tomorrow on and puts the new plan's in their place;
batches of today and before stay until the receiving agency confirms them.

Confirmation of a batch by the receiving agency is a compare-and-set on its `version`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.access import sees_whole_board
from app.config import get_settings
from app.errors import AppError, Conflict, Forbidden, NotFound
from app.i18n import N_, later
from app.models import (
    Agency,
    BatchState,
    Cohort,
    Country,
    EscortCapacity,
    EscortTrip,
    HandoverBatch,
    HandoverPoint,
    NoticeKind,
    PointAgency,
    Region,
    RepatriationPlan,
    Road,
    Role,
    RunKind,
    RunStatus,
    SolverRun,
    Unit,
    User,
    utcnow,
)
from app.notices.service import TripChange, describe_trip_change, notify_trips
from app.planning.publish import keyed_uid
from app.planning.queue import defer_solve
from app.repatriation.queries import country_of
from app.repatriation.service import ESCORT_CAPABILITY, audit
from app.solver.repatriation.load import RepatriationError, load_problem
from app.solver.repatriation.schema import PROBLEM_FORMAT

POINT_PREFIX = "P:"
COHORT_PREFIX = "C"
MAX_DAYS = 60


def point_key(point_id: str) -> str:
    # Point ids and region ids are both free text: the prefix keeps them apart.
    return POINT_PREFIX + point_id


def cohort_key(cohort_id: int) -> str:
    return f"{COHORT_PREFIX}{cohort_id}"


def local_today(session: Session, country: str) -> date:
    zone = ZoneInfo(_country(session, country).timezone)
    return utcnow().astimezone(zone).date()


def _country(session: Session, code: str) -> Country:
    found = session.get(Country, code)
    if found is None:
        raise NotFound(N_("No such country"))
    return found


# --- what is left to hand over ----------------------------------------------------------


def committed(session: Session, cohort_ids: list[int], *, before: date | None = None
              ) -> dict[int, int]:
    """Persons per cohort handed over, plus (with `before`) still scheduled before that day."""
    found: dict[int, int] = defaultdict(int)
    if not cohort_ids:
        return found
    rows = session.exec(select(HandoverBatch).where(
        col(HandoverBatch.cohort_id).in_(cohort_ids),
        col(HandoverBatch.state) != BatchState.cancelled))
    for batch in rows:
        if batch.state == BatchState.handed_over or (before is not None and batch.day < before):
            found[batch.cohort_id] += batch.persons
    return found


def held_cohorts(session: Session, country: str) -> list[Cohort]:
    agencies = select(Agency.id).where(Agency.country_code == country)
    return list(session.exec(select(Cohort).where(col(Cohort.holding_agency_id).in_(agencies))
                             .order_by(col(Cohort.id))))


# --- the solver's input -----------------------------------------------------------------


def build_problem(session: Session, *, country: str, days: int) -> tuple[dict[str, Any],
                                                                          dict[str, Any]]:
    """The jointops-repatriation/1 document of the holding country, and the basis it was
    built on (per cohort: version and persons already committed), which publishing checks."""
    home = _country(session, country)
    start = local_today(session, country) + timedelta(days=1)
    cohorts = held_cohorts(session, country)
    done = committed(session, [c.id for c in cohorts if c.id], before=start)
    waiting = [(c, c.count - done.get(c.id or 0, 0)) for c in cohorts]
    waiting = [(c, n) for c, n in waiting if n > 0]
    regions = list(session.exec(select(Region).where(Region.country_code == country)
                                .order_by(col(Region.id))))
    region_ids = {r.id for r in regions}
    sites = sorted({c.site_region_id for c, _ in waiting})
    points = list(session.exec(select(HandoverPoint).where(
        col(HandoverPoint.region_id).in_(region_ids)).order_by(col(HandoverPoint.id))))
    receiving: dict[str, list[dict[str, str]]] = defaultdict(list)
    for link, agency in session.exec(
            select(PointAgency, Agency).join(Agency, col(Agency.id) == col(PointAgency.agency_id))
            .order_by(col(Agency.country_code))):
        receiving[link.point_id].append({"country": agency.country_code, "name": agency.name})
    roads = [{"a": r.a_id, "b": r.b_id, "minutes": r.minutes}
             for r in session.exec(select(Road).order_by(col(Road.id)))
             if r.a_id in region_ids and r.b_id in region_ids and r.a_id != r.b_id]
    roads += [{"a": point_key(p.id), "b": p.region_id, "minutes": 0} for p in points]
    escorts = []
    for unit, capacity in session.exec(
            select(Unit, EscortCapacity).join(EscortCapacity,
                                              col(EscortCapacity.unit_id) == col(Unit.id))
            .join(Agency, col(Agency.id) == col(Unit.agency_id))
            .where(Agency.country_code == country).order_by(col(Unit.id))):
        if ESCORT_CAPABILITY in (unit.capabilities or []) and unit.base_region_id in region_ids:
            escorts.append({"id": unit.id, "base": unit.base_region_id,
                            "persons_per_trip": capacity.persons_per_trip,
                            **({"vehicle": capacity.vehicle} if capacity.vehicle else {})})
    document = {
        "format": PROBLEM_FORMAT,
        "name": f"Hand-overs from {home.name}",
        "timezone": home.timezone,
        "horizon": {"start": start.isoformat(), "days": days},
        "sites": [{"id": s, "name": s} for s in sites],
        "bases": [{"id": r.id, "name": r.name} for r in regions if r.id not in sites],
        "points": [{"id": point_key(p.id), "name": p.name, "kind": p.kind.value,
                    "capacity": p.capacity,
                    "screening": {"from": p.screening_from, "to": p.screening_to},
                    "handover_minutes": p.handover_minutes,
                    "agencies": receiving.get(p.id, [])} for p in points],
        "roads": roads,
        "cohorts": [{"id": cohort_key(c.id or 0), "nationality": c.nationality_code,
                     "count": n, "site": c.site_region_id,
                     "release": max(c.release_on, start).isoformat(),
                     "vulnerable": c.vulnerable} for c, n in waiting],
        "escorts": escorts,
    }
    waiting_ids = {c.id for c, _ in waiting}
    listed_escorts = {e["id"] for e in escorts}
    pins = [b for b in pinned_batches(session, [c.id for c in cohorts if c.id], start=start)
            if b.cohort_id in waiting_ids]
    if pins:
        document["pinned"] = [{"cohort": cohort_key(b.cohort_id), "point": point_key(b.point_id),
                               "day": b.day.isoformat(), "persons": b.persons,
                               "escort": b.escort_unit_id} for b in pins]
        missing = sorted({b.escort_unit_id for b in pins} - listed_escorts)
        if missing:
            raise Conflict(later("Pinned hand-overs need escort unit(s) %(units)s, which no "
                                 "longer escort in this country; unpin them or restore the "
                                 "unit", units=", ".join(missing)))
    basis = {str(c.id): [c.version, done.get(c.id or 0, 0)] for c in cohorts}
    basis["pins"] = sorted(b.id or 0 for b in pins)  # type: ignore[assignment]
    return document, basis


def pinned_batches(session: Session, cohort_ids: list[int | None], *, start: date
                   ) -> list[HandoverBatch]:
    """Scheduled batches from `start` on that a planner pinned."""
    return list(session.exec(select(HandoverBatch).where(
        col(HandoverBatch.cohort_id).in_(cohort_ids), col(HandoverBatch.day) >= start,
        col(HandoverBatch.state) == BatchState.scheduled,
        col(HandoverBatch.pinned).is_(True)).order_by(col(HandoverBatch.id))))


# --- runs -------------------------------------------------------------------------------


def holding_countries(session: Session, user: User) -> list[Country]:
    """Countries whose hand-overs this user may plan."""
    if sees_whole_board(user):
        return list(session.exec(select(Country).order_by(col(Country.code))))
    own = country_of(session, user)
    if user.role == Role.planner and own is not None:
        return [_country(session, own)]
    return []


def may_publish(user: User) -> bool:
    """Publishing commits escorts of the holding country: the coordination centre's call."""
    return user.role in (Role.admin, Role.coordinator)


def start_run(session: Session, *, user: User, country: str, days: int = 30,
              time_limit: float = 10.0, seed: int = 0) -> SolverRun:
    """Queue a solve of the holding country's hand-overs (the worker solves it)."""
    if country not in {c.code for c in holding_countries(session, user)}:
        raise Forbidden(N_("You may plan the hand-overs of your own country only"))
    limit = get_settings().max_time_limit_seconds
    if not 1 <= time_limit <= limit:
        raise AppError(later("The time limit must be between 1 and %(limit)s seconds",
                             limit=limit), 422)
    if not 1 <= days <= MAX_DAYS:
        raise AppError(later("The horizon must be between 1 and %(days)s days", days=MAX_DAYS),
                       422)
    document, basis = build_problem(session, country=country, days=days)
    if not document["cohorts"]:
        raise Conflict(later("Nobody held in %(country)s is waiting for a hand-over",
                             country=country))
    try:
        load_problem(document)
    except RepatriationError as exc:
        # Only pins can make the board's own document unsolvable: say which, in words.
        raise Conflict(later("A pinned hand-over cannot be kept in this plan: %(problems)s. "
                             "Unpin it on the receiving country's board, or plan a longer "
                             "horizon", problems="; ".join(p.message for p in exc.problems[:3]))
                       ) from None
    run = SolverRun(kind=RunKind.repatriation, status=RunStatus.queued,
                    params={"country": country, "days": days, "time_limit": time_limit,
                            "seed": seed, "workers": 2, "basis": basis},
                    scenario=document, created_by_id=user.id)
    session.add(run)
    session.flush()
    defer_solve(session, int(run.id or 0))
    audit(session, user, "repatriation_run.start", "solver_run", run.id, country=country,
          days=days, time_limit=time_limit)
    session.flush()
    return run


def get_run(session: Session, *, user: User, run_id: int) -> SolverRun:
    """A repatriation run of a country the user may plan, or 404."""
    run = session.get(SolverRun, run_id)
    if (run is None or run.kind != RunKind.repatriation
            or run.params.get("country") not in {c.code for c in holding_countries(session, user)}):
        raise NotFound(N_("No such repatriation run"))
    return run


def list_runs(session: Session, *, user: User, limit: int = 10) -> list[SolverRun]:
    codes = [c.code for c in holding_countries(session, user)]
    runs = session.exec(select(SolverRun).where(SolverRun.kind == RunKind.repatriation)
                        .order_by(col(SolverRun.id).desc()).limit(50))
    return [r for r in runs if r.params.get("country") in codes][:limit]


def plan_of_run(session: Session, run: SolverRun) -> RepatriationPlan | None:
    return session.exec(select(RepatriationPlan)
                        .where(RepatriationPlan.solver_run_id == run.id)).first()


def get_plan(session: Session, *, user: User, plan_id: int) -> RepatriationPlan:
    plan = session.get(RepatriationPlan, plan_id)
    if plan is None or plan.holding_country not in {
            c.code for c in holding_countries(session, user)}:
        raise NotFound(N_("No such repatriation plan"))
    return plan


# --- publishing -------------------------------------------------------------------------


def _instant(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)


def publish(session: Session, *, plan: RepatriationPlan, actor: User) -> RepatriationPlan:
    """Make the plan the holding country's published one: its batches and trips replace
    the scheduled ones from its first day on. Refused (409) when a cohort changed or a
    hand-over was confirmed after the plan was made: the plan would count persons twice."""
    if not may_publish(actor):
        raise Forbidden(N_("Only the coordination centre publishes hand-over plans"))
    if plan.is_published:
        raise Conflict(N_("This plan is already published"))
    run = session.get(SolverRun, plan.solver_run_id) if plan.solver_run_id else None
    if run is None or run.scenario is None:
        raise Conflict(N_("This plan has no solver run to publish from"))
    country = plan.holding_country
    start = date.fromisoformat(run.scenario["horizon"]["start"])
    cohorts = held_cohorts(session, country)
    done = committed(session, [c.id for c in cohorts if c.id], before=start)
    basis = run.params.get("basis", {})
    pins = pinned_batches(session, [c.id for c in cohorts if c.id], start=start)
    if sorted(b.id or 0 for b in pins) != basis.get("pins", []):
        raise Conflict(N_("Hand-overs were pinned or unpinned since this plan was made; "
                          "plan again"))
    for cohort in cohorts:
        version, persons = basis.get(str(cohort.id), [cohort.version, 0])
        if [cohort.version, done.get(cohort.id or 0, 0)] != [version, persons]:
            raise Conflict(later("Cohort %(cohort)s changed or had hand-overs confirmed since "
                                 "this plan was made; plan again", cohort=cohort.id))
    known = {cohort_key(c.id or 0): c for c in cohorts}
    for key in {b["cohort"] for b in plan.document.get("batches", [])}:
        if key not in known:
            raise Conflict(later("Cohort %(cohort)s of this plan no longer exists; plan again",
                                 cohort=key))
    now = utcnow()
    previous = session.exec(select(RepatriationPlan).where(
        RepatriationPlan.holding_country == country,
        col(RepatriationPlan.is_published).is_(True))).first()
    if previous is not None:
        session.execute(sa.update(RepatriationPlan)
                        .where(col(RepatriationPlan.id) == previous.id)
                        .values(is_published=False).execution_options(synchronize_session=False))
    cohort_ids = [c.id for c in cohorts]
    session.execute(sa.update(HandoverBatch).where(
        col(HandoverBatch.cohort_id).in_(cohort_ids), col(HandoverBatch.day) >= start,
        col(HandoverBatch.state) == BatchState.scheduled)
        .values(state=BatchState.cancelled, version=HandoverBatch.version + 1)
        .execution_options(synchronize_session=False))
    # Compare-and-set: of two publishers of plans of one country only one gets here.
    flipped = session.execute(sa.update(RepatriationPlan).where(
        col(RepatriationPlan.id) == plan.id, col(RepatriationPlan.is_published).is_(False))
        .values(is_published=True, published_at=now, published_by_id=actor.id)
        .execution_options(synchronize_session=False))
    if flipped.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(N_("This plan was published by someone else meanwhile"))
    session.flush()
    zone = ZoneInfo(_country(session, country).timezone)
    # The plan kept each pinned batch (the solver's rule 6): its copy stays pinned.
    still_pinned = {(b.cohort_id, b.point_id, b.day, b.escort_unit_id) for b in pins}
    for batch in plan.document.get("batches", []):
        day = date.fromisoformat(batch["day"])
        new = HandoverBatch(
            plan_id=plan.id or 0, cohort_id=known[batch["cohort"]].id or 0,
            point_id=batch["point"].removeprefix(POINT_PREFIX), day=day, time=batch["time"],
            at=_instant(day, batch["time"], zone), persons=batch["persons"],
            escort_unit_id=batch["escort"])
        new.pinned = (new.cohort_id, new.point_id, day, new.escort_unit_id) in still_pinned
        session.add(new)
    trips = publish_trips(session, plan=plan, start=start, now=now)
    audit(session, actor, "repatriation_plan.publish", "repatriation_plan", plan.id,
          country=country, batches=len(plan.document.get("batches", [])),
          replaced=previous.id if previous else None, trips=trips)
    session.flush()
    session.refresh(plan)
    return plan


def trip_uid(unit_id: str, day: date) -> str:
    """The calendar UID of a unit's escort trip on a day (one trip a day, for good)."""
    return keyed_uid(f"jointops/escort/{unit_id}/{day.isoformat()}")


_TRIP_FIELDS = ("site_region_id", "point_id", "depart", "handover", "duty_minutes", "route",
                "persons", "cancelled")


def publish_trips(session: Session, *, plan: RepatriationPlan, start: date,
                  now: datetime) -> dict[str, int]:
    """The plan's escort trips as the units' standing orders, like raid taskings
    (app.planning.publish): one row per unit and day keeps its uid; a change of time,
    place, load or status raises its sequence; a trip from `start` on that the plan
    drops is cancelled (its sequence raised too), never deleted."""
    existing: dict[tuple[str, date], EscortTrip] = {}
    for row in session.exec(
            select(EscortTrip).join(RepatriationPlan,
                                    col(RepatriationPlan.id) == col(EscortTrip.plan_id))
            .where(RepatriationPlan.holding_country == plan.holding_country,
                   col(EscortTrip.day) >= start).order_by(col(EscortTrip.id))):
        existing[(row.unit_id, row.day)] = row  # the newest row of a (unit, day)
    counts = {"issued": 0, "amended": 0, "unchanged": 0, "cancelled": 0}
    planned: set[tuple[str, date]] = set()
    # The officers of a unit whose trip moves or goes get a notice, as for raid orders.
    changes: list[TripChange] = []
    names = _place_names(session)
    for item in plan.document.get("taskings", []):
        key = (item["unit"], date.fromisoformat(item["day"]))
        planned.add(key)
        values: dict[str, Any] = {
            "site_region_id": item["site"],
            "point_id": item["point"].removeprefix(POINT_PREFIX),
            "depart": item["depart"], "handover": item["handover"],
            "duty_minutes": item["duty_minutes"],
            "route": [p.removeprefix(POINT_PREFIX) for p in item["route"]],
            "persons": item["persons"], "cancelled": False}
        trip = existing.get(key)
        if trip is None:
            session.add(EscortTrip(plan_id=plan.id or 0, unit_id=key[0], day=key[1],
                                   uid=trip_uid(*key), updated_at=now, **values))
            counts["issued"] += 1
            continue
        trip.plan_id = plan.id or 0
        if all(getattr(trip, name) == values[name] for name in _TRIP_FIELDS):
            counts["unchanged"] += 1
        else:
            if not trip.cancelled:  # read before the trip changes: what the notice says
                changes.append(TripChange(trip, NoticeKind.amended,
                                          describe_trip_change(trip, values, names)))
            for name, value in values.items():
                setattr(trip, name, value)
            trip.sequence += 1
            trip.updated_at, trip.cancelled_at = now, None
            counts["amended"] += 1
        session.add(trip)
    for key, trip in existing.items():
        if key in planned or trip.cancelled:
            continue
        trip.cancelled, trip.cancelled_at = True, now
        trip.sequence, trip.updated_at = trip.sequence + 1, now
        session.add(trip)
        counts["cancelled"] += 1
        changes.append(TripChange(trip, NoticeKind.cancelled, later(
            "New hand-over plan published: the trip of %(day)s is no longer needed (its "
            "persons go with another trip, or later); do not drive it",
            day=trip.day.isoformat())))
    session.flush()
    notify_trips(session, changes, point_names=names, now=now)
    return counts


def _place_names(session: Session) -> dict[str, str]:
    """Hand-over points and regions by id, as a notice names them."""
    names = {r.id: f"{r.name} ({r.country_code})" for r in session.exec(select(Region))}
    names.update({p.id: p.name for p in session.exec(select(HandoverPoint))})
    return names


# --- pins ------------------------------------------------------------------------------


def _state(batch: HandoverBatch) -> str:
    """The hand-over's state in words ("handed over"), which the catalogues translate."""
    return batch.state.value.replace("_", " ")


def may_pin(session: Session, user: User, cohort: Cohort) -> bool:
    """Those who plan the holding country's hand-overs (its planners, the centre)."""
    holder = session.get(Agency, cohort.holding_agency_id)
    return holder is not None and holder.country_code in {
        c.code for c in holding_countries(session, user)}


def set_pinned(session: Session, *, batch: HandoverBatch, pinned: bool, version: int,
               actor: User) -> HandoverBatch:
    """Pin a published, scheduled batch so the next solve keeps it (or unpin it); a
    compare-and-set on its `version`, like confirmation."""
    cohort = session.get(Cohort, batch.cohort_id)
    assert cohort is not None
    if not may_pin(session, actor, cohort):
        raise Forbidden(N_("Only planners of the holding country pin its hand-overs"))
    if batch.state != BatchState.scheduled:
        raise Conflict(later("This hand-over is %(state)s: only scheduled hand-overs are "
                             "pinned or unpinned", state=_state(batch)))
    if batch.pinned == pinned:
        raise Conflict(N_("This hand-over is already pinned") if pinned
                       else N_("This hand-over is already not pinned"))
    result = session.execute(sa.update(HandoverBatch).where(
        col(HandoverBatch.id) == batch.id, col(HandoverBatch.version) == version,
        col(HandoverBatch.state) == BatchState.scheduled)
        .values(pinned=pinned, version=version + 1)
        .execution_options(synchronize_session=False))
    session.expire(batch)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(N_("This hand-over was changed since you opened it (confirmed, "
                          "re-planned or pinned); reload to see it as it is"))
    audit(session, actor, "pin" if pinned else "unpin", "handover_batch", batch.id,
          point=batch.point_id, day=batch.day.isoformat(), persons=batch.persons)
    session.flush()
    return batch


# --- confirmation by the receiving agency -----------------------------------------------


def may_confirm(session: Session, user: User, batch: HandoverBatch, cohort: Cohort) -> bool:
    """Planners and liaisons of the receiving agency at the batch's point, for their own
    nationals. Nobody else speaks for the receiving country, administrators included."""
    if user.role not in (Role.planner, Role.liaison) or user.agency_id is None:
        return False
    if batch.state != BatchState.scheduled:
        return False
    agency = session.get(Agency, user.agency_id)
    if agency is None or agency.country_code != cohort.nationality_code:
        return False
    return session.get(PointAgency, (batch.point_id, agency.id)) is not None


def handover_today(session: Session, cohort: Cohort) -> date:
    """Today where the cohort's hand-overs happen (the holding country: points are on
    its soil, and batch days are its local days)."""
    holder = session.get(Agency, cohort.holding_agency_id)
    return local_today(session, holder.country_code) if holder else utcnow().date()


def confirm(session: Session, *, batch: HandoverBatch, version: int, actor: User
            ) -> HandoverBatch:
    """The receiving agency confirms it took the batch's persons over."""
    cohort = session.get(Cohort, batch.cohort_id)
    assert cohort is not None
    if batch.state != BatchState.scheduled:
        raise Conflict(later("This hand-over is %(state)s, not scheduled",
                             state=_state(batch)))
    if not may_confirm(session, actor, batch, cohort):
        raise Forbidden(N_("Only the receiving agency at this point confirms this hand-over"))
    today = handover_today(session, cohort)
    if batch.day > today:
        raise Conflict(later("This hand-over is due on %(day)s (today is %(today)s where it "
                             "happens): it can be confirmed from that day on, once the "
                             "persons are taken over", day=batch.day.isoformat(),
                             today=today.isoformat()))
    now = utcnow()
    result = session.execute(sa.update(HandoverBatch).where(
        col(HandoverBatch.id) == batch.id, col(HandoverBatch.version) == version,
        col(HandoverBatch.state) == BatchState.scheduled)
        .values(state=BatchState.handed_over, version=version + 1, confirmed_by_id=actor.id,
                confirmed_at=now).execution_options(synchronize_session=False))
    session.expire(batch)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(N_("This hand-over was changed since you opened it (confirmed or "
                          "re-planned); reload to see it as it is"))
    audit(session, actor, "confirm", "handover_batch", batch.id, persons=batch.persons,
          point=batch.point_id, nationality=cohort.nationality_code)
    session.flush()
    return batch


# --- the board of a receiving country ---------------------------------------------------


@dataclass
class CohortLine:
    cohort: Cohort
    waiting: int  # neither scheduled nor handed over
    scheduled: int
    handed_over: int


def cohort_lines(session: Session, cohorts: list[Cohort]) -> list[CohortLine]:
    ids = [c.id for c in cohorts if c.id is not None]
    scheduled: dict[int, int] = defaultdict(int)
    handed: dict[int, int] = defaultdict(int)
    for batch in session.exec(select(HandoverBatch).where(
            col(HandoverBatch.cohort_id).in_(ids),
            col(HandoverBatch.state) != BatchState.cancelled)):
        target = handed if batch.state == BatchState.handed_over else scheduled
        target[batch.cohort_id] += batch.persons
    return [CohortLine(c, max(0, c.count - scheduled[c.id or 0] - handed[c.id or 0]),
                       scheduled[c.id or 0], handed[c.id or 0]) for c in cohorts]


def backlog(session: Session, cohorts: list[Cohort], *, until: date
            ) -> dict[str, list[tuple[date, int]]]:
    """Persons not yet handed over, per nationality, on each day a count changed: a cohort
    adds its count on the day it was recorded, a confirmed batch takes its persons off on
    the day of its confirmation (UTC days)."""
    changes: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    by_id = {c.id: c for c in cohorts}
    for cohort in cohorts:
        changes[cohort.nationality_code][cohort.created_at.date()] += cohort.count
    for batch in session.exec(select(HandoverBatch).where(
            col(HandoverBatch.cohort_id).in_(list(by_id)),
            col(HandoverBatch.state) == BatchState.handed_over)):
        when = (batch.confirmed_at or batch.at).date()
        changes[by_id[batch.cohort_id].nationality_code][min(when, until)] -= batch.persons
    series: dict[str, list[tuple[date, int]]] = {}
    for nationality, per_day in sorted(changes.items()):
        total, points = 0, []
        for day in sorted(per_day):
            total += per_day[day]
            points.append((day, total))
        series[nationality] = points
    return series
