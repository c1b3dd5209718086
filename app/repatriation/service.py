"""Hand-over points, escort capacities and cohorts: who may change them, checks, saving.

| step                          | who may                                                 |
| ----------------------------- | ------------------------------------------------------- |
| manage points and escorts     | administrators                                          |
| create a cohort by hand       | administrators, coordinators; planners for their agency |
| cohorts from a report         | the same, for a confirmed report their country hosted   |

Every change is audited; edits of a point are a compare-and-set on its `version`.
Cohorts are counts by nationality; there is nowhere to put a name.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from app import audit as trail
from app.campaigns import reports
from app.campaigns.service import InvalidInput
from app.clock import utcnow
from app.errors import Conflict, Forbidden, NotFound
from app.i18n import N_, later
from app.models import (
    Agency,
    Cohort,
    CohortSource,
    Country,
    Crossing,
    Detention,
    EscortCapacity,
    HandoverPoint,
    Nationality,
    Operation,
    PointAgency,
    PointKind,
    Region,
    Report,
    ReportPart,
    ReportState,
    Role,
    Site,
    Unit,
    User,
)
from app.repatriation.queries import country_of

ESCORT_CAPABILITY = "escort"
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_POINT_ID = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
MAX_COHORT = 100_000


def audit(session: Session, actor: User | None, action: str, object_type: str,
          object_id: Any, **details: Any) -> None:
    trail.record(session, actor=actor, action=action, object_type=object_type,
                 object_id=object_id, details=details)


def _int(value: Any, field: str, errors: dict[str, str], *, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[field] = later("a whole number")
        return 0
    if not low <= number <= high:
        errors[field] = later("between %(low)s and %(high)s", low=low, high=high)
    return number


# --- hand-over points -------------------------------------------------------------------


def points(session: Session) -> list[HandoverPoint]:
    return list(session.exec(select(HandoverPoint).order_by(col(HandoverPoint.id))))


def point_agencies(session: Session) -> dict[str, list[Agency]]:
    """Receiving agencies per point id."""
    found: dict[str, list[Agency]] = {}
    rows = session.exec(select(PointAgency, Agency)
                        .join(Agency, col(Agency.id) == col(PointAgency.agency_id))
                        .order_by(col(Agency.country_code)))
    for link, agency in rows:
        found.setdefault(link.point_id, []).append(agency)
    return found


def blank_point() -> dict[str, Any]:
    return {"id": "", "name": "", "kind": "crossing", "region_id": "", "crossing_id": "",
            "capacity": "", "screening_from": "08:00", "screening_to": "17:00",
            "handover_minutes": "60", "agencies": []}


def point_as_input(session: Session, point: HandoverPoint) -> dict[str, Any]:
    return {"id": point.id, "name": point.name, "kind": point.kind.value,
            "region_id": point.region_id, "crossing_id": point.crossing_id or "",
            "capacity": str(point.capacity), "screening_from": point.screening_from,
            "screening_to": point.screening_to, "handover_minutes": str(point.handover_minutes),
            "agencies": [a.id for a in point_agencies(session).get(point.id, [])]}


def validate_point(session: Session, data: dict[str, Any], *, existing: str | None = None
                   ) -> dict[str, Any]:
    """The point's fields checked (every error at once, by field name) and normalised."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    point_id = existing or str(data.get("id", "")).strip()
    if existing is None:
        if not _POINT_ID.match(point_id):
            errors["id"] = later("1 to 32 capitals, digits and dashes, e.g. HP-MAESAI")
        elif session.get(HandoverPoint, point_id) is not None:
            errors["id"] = later("another hand-over point has this id")
    clean["id"] = point_id
    name = str(data.get("name", "")).strip()
    if not 1 <= len(name) <= 100:
        errors["name"] = later("a name of 1 to 100 characters")
    clean["name"] = name
    kind = str(data.get("kind", ""))
    if kind not in {k.value for k in PointKind}:
        errors["kind"] = later("crossing or airport")
    clean["kind"] = kind
    region = session.get(Region, str(data.get("region_id", "")))
    if region is None:
        errors["region_id"] = later("choose the region the escorts drive to")
    clean["region_id"] = region.id if region else ""
    crossing_id = str(data.get("crossing_id") or "").strip() or None
    if crossing_id is not None:
        crossing = session.get(Crossing, crossing_id)
        if crossing is None:
            errors["crossing_id"] = later("unknown crossing")
        elif kind == PointKind.airport.value:
            errors["crossing_id"] = later("an airport is not at a crossing")
        elif region is not None and region.id not in (crossing.a_id, crossing.b_id):
            errors["crossing_id"] = later("the crossing does not touch the chosen region")
    elif kind == PointKind.crossing.value:
        errors["crossing_id"] = later("choose the crossing")
    clean["crossing_id"] = crossing_id
    clean["capacity"] = _int(data.get("capacity"), "capacity", errors, low=1, high=100_000)
    for field in ("screening_from", "screening_to"):
        value = str(data.get(field, "")).strip()
        if not _HHMM.match(value):
            errors[field] = later("a time of day as HH:MM")
        clean[field] = value
    if ("screening_from" not in errors and "screening_to" not in errors
            and clean["screening_to"] <= clean["screening_from"]):
        errors["screening_to"] = later("screening must end after it starts (same day)")
    clean["handover_minutes"] = _int(data.get("handover_minutes", 60), "handover_minutes",
                                     errors, low=0, high=720)
    agencies = [str(a) for a in data.get("agencies") or []]
    known = {a.id: a for a in session.exec(select(Agency).where(col(Agency.id).in_(agencies)))}
    seen: dict[str, str] = {}
    for agency_id in agencies:
        agency = known.get(agency_id)
        if agency is None:
            errors["agencies"] = later("unknown agency %(agency)s", agency=repr(agency_id))
        elif agency.country_code in seen:
            errors["agencies"] = later(
                "one receiving agency per country: %(first)s and %(second)s are both of "
                "%(country)s", first=seen[agency.country_code], second=agency_id,
                country=agency.country_code)
        else:
            seen[agency.country_code] = agency_id
    clean["agencies"] = sorted(set(agencies))
    if errors:
        raise InvalidInput(errors)
    return clean


def _require_admin(user: User) -> None:
    if user.role != Role.admin:
        raise Forbidden(N_("Only administrators manage hand-over points and escorts"))


def create_point(session: Session, *, data: dict[str, Any], actor: User) -> HandoverPoint:
    _require_admin(actor)
    clean = validate_point(session, data)
    agencies = clean.pop("agencies")
    point = HandoverPoint(**{**clean, "kind": PointKind(clean["kind"])})
    session.add(point)
    session.flush()
    session.add_all(PointAgency(point_id=point.id, agency_id=a) for a in agencies)
    audit(session, actor, "create", "handover_point", point.id, agencies=agencies)
    session.flush()
    return point


def update_point(session: Session, *, point: HandoverPoint, data: dict[str, Any],
                 version: int, actor: User) -> HandoverPoint:
    """Save an edit if nobody changed the point since `version` was read (else 409)."""
    _require_admin(actor)
    clean = validate_point(session, data, existing=point.id)
    agencies = clean.pop("agencies")
    clean.pop("id")
    result = session.execute(
        update(HandoverPoint).where(col(HandoverPoint.id) == point.id,
                                    col(HandoverPoint.version) == version)
        .values(version=version + 1, **{**clean, "kind": PointKind(clean["kind"])})
        .execution_options(synchronize_session=False))
    session.expire(point)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(N_("This hand-over point was changed by someone else since you opened "
                          "it; reload to see their changes"))
    for link in session.exec(select(PointAgency).where(PointAgency.point_id == point.id)):
        session.delete(link)
    session.flush()
    session.add_all(PointAgency(point_id=point.id, agency_id=a) for a in agencies)
    audit(session, actor, "edit", "handover_point", point.id, agencies=agencies)
    session.flush()
    return point


def get_point(session: Session, point_id: str) -> HandoverPoint:
    point = session.get(HandoverPoint, point_id)
    if point is None:
        raise NotFound(N_("No such hand-over point"))
    return point


# --- escorts ----------------------------------------------------------------------------


def escort_units(session: Session) -> list[tuple[Unit, EscortCapacity | None]]:
    """Units with the escort capability, with their capacity per trip if set."""
    units = [u for u in session.exec(select(Unit).order_by(col(Unit.id)))
             if ESCORT_CAPABILITY in (u.capabilities or [])]
    capacities = {c.unit_id: c for c in session.exec(select(EscortCapacity))}
    return [(u, capacities.get(u.id)) for u in units]


def set_escort_capacity(session: Session, *, unit_id: str, persons: Any, vehicle: Any,
                        actor: User) -> EscortCapacity:
    _require_admin(actor)
    unit = session.get(Unit, unit_id)
    if unit is None or ESCORT_CAPABILITY not in (unit.capabilities or []):
        raise NotFound(N_("No such escort unit"))
    errors: dict[str, str] = {}
    count = _int(persons, "persons_per_trip", errors, low=1, high=500)
    vehicle_text = str(vehicle or "").strip()[:64] or None
    if errors:
        raise InvalidInput(errors)
    row = session.get(EscortCapacity, unit_id) or EscortCapacity(unit_id=unit_id,
                                                                   persons_per_trip=count)
    row.persons_per_trip, row.vehicle = count, vehicle_text
    session.add(row)
    audit(session, actor, "set_capacity", "escort_unit", unit_id, persons_per_trip=count,
          vehicle=vehicle_text)
    session.flush()
    return row


# --- cohorts ----------------------------------------------------------------------------


def may_create_cohorts(user: User) -> bool:
    return user.role in (Role.admin, Role.coordinator) or (
        user.role == Role.planner and user.agency_id is not None)


def holding_choices(session: Session, user: User) -> list[Agency]:
    """Agencies the user may record cohorts for (their own, unless they see the board)."""
    query = select(Agency).order_by(col(Agency.id))
    if user.role not in (Role.admin, Role.coordinator):
        query = query.where(Agency.id == (user.agency_id or ""))
    return list(session.exec(query))


def blank_cohort(user: User, today: date) -> dict[str, Any]:
    return {"nationality_code": "", "count": "", "holding_agency_id": user.agency_id or "",
            "site_region_id": "", "release_on": today.isoformat(), "vulnerable": False}


def validate_cohort(session: Session, data: dict[str, Any], *, user: User) -> dict[str, Any]:
    """A cohort's fields checked (every error at once, by field name) and normalised."""
    errors: dict[str, str] = {}
    unknown = set(data) - {"nationality_code", "count", "holding_agency_id", "site_region_id",
                           "release_on", "vulnerable"}
    for field in sorted(unknown):
        # Names or other personal details have no place here (issue 13, privacy).
        errors[field] = later("not a field of a cohort (cohorts are counts, never lists of people)")
    nationality = str(data.get("nationality_code") or "").strip().upper()
    if session.get(Nationality, nationality) is None:
        errors["nationality_code"] = later("choose a nationality from the list")
    count = _int(data.get("count"), "count", errors, low=1, high=MAX_COHORT)
    agency_id = str(data.get("holding_agency_id") or "").strip()
    allowed = {a.id: a for a in holding_choices(session, user)}
    agency = allowed.get(agency_id)
    if agency is None:
        errors["holding_agency_id"] = (later("choose your own agency")
                                       if user.role == Role.planner
                                       else later("choose the holding agency"))
    region = session.get(Region, str(data.get("site_region_id") or ""))
    if region is None:
        errors["site_region_id"] = later("choose where the persons are held")
    elif agency is not None and region.country_code != agency.country_code:
        errors["site_region_id"] = later("the holding site must be in the holding agency's country")
    release: date | None = None
    raw_release = data.get("release_on")
    try:
        release = raw_release if isinstance(raw_release, date) else date.fromisoformat(
            str(raw_release or ""))
    except ValueError:
        errors["release_on"] = later("a date as YYYY-MM-DD")
    vulnerable = data.get("vulnerable", False)
    if isinstance(vulnerable, str):
        vulnerable = vulnerable.lower() in ("1", "true", "on", "yes")
    if not isinstance(vulnerable, bool):
        errors["vulnerable"] = later("true or false")
    if errors:
        raise InvalidInput(errors)
    return {"nationality_code": nationality, "count": count, "holding_agency_id": agency_id,
            "site_region_id": region.id if region else "", "release_on": release,
            "vulnerable": bool(vulnerable)}


def create_cohort(session: Session, *, data: dict[str, Any], actor: User) -> Cohort:
    if not may_create_cohorts(actor):
        raise Forbidden(N_("Only planners, coordinators and administrators record cohorts"))
    clean = validate_cohort(session, data, user=actor)
    cohort = Cohort(**clean, source=CohortSource.manual, created_by_id=actor.id)
    session.add(cohort)
    session.flush()
    audit(session, actor, "create", "cohort", cohort.id, nationality=cohort.nationality_code,
          count=cohort.count, holding_agency=cohort.holding_agency_id)
    return cohort


def may_edit_cohort(user: User, cohort: Cohort) -> bool:
    """Whoever may record cohorts for its holding agency (planners: their own)."""
    return may_create_cohorts(user) and (
        user.role in (Role.admin, Role.coordinator) or user.agency_id == cohort.holding_agency_id)


def cohort_as_input(cohort: Cohort) -> dict[str, Any]:
    return {"nationality_code": cohort.nationality_code, "count": str(cohort.count),
            "holding_agency_id": cohort.holding_agency_id,
            "site_region_id": cohort.site_region_id,
            "release_on": cohort.release_on.isoformat(), "vulnerable": cohort.vulnerable}


EDITABLE = ("count", "site_region_id", "release_on", "vulnerable")


def update_cohort(session: Session, *, cohort: Cohort, data: dict[str, Any], version: int,
                  actor: User) -> Cohort:
    """Save an edit of count, holding site, release date and vulnerable flag if nobody
    changed the cohort since `version` was read (else 409). The count may not drop below
    the persons already scheduled or handed over: those batches are real."""
    if not may_edit_cohort(actor, cohort):
        raise Forbidden(N_("Only planners of the holding agency, coordinators and "
                           "administrators edit a cohort"))
    fixed = {"nationality_code": cohort.nationality_code,
             "holding_agency_id": cohort.holding_agency_id}
    clean = validate_cohort(session, {**{k: data.get(k) for k in EDITABLE}, **fixed},
                            user=actor)
    from app.repatriation.planning import cohort_lines

    line = cohort_lines(session, [cohort])[0]
    taken = line.scheduled + line.handed_over
    if clean["count"] < taken:
        raise InvalidInput({"count": later(
            "at least %(taken)s: %(scheduled)s persons are scheduled and %(handed)s handed "
            "over already (re-plan or cancel those first)", taken=taken,
            scheduled=line.scheduled, handed=line.handed_over)})
    values = {k: clean[k] for k in EDITABLE}
    result = session.execute(
        update(Cohort).where(col(Cohort.id) == cohort.id, col(Cohort.version) == version)
        .values(version=version + 1, **values).execution_options(synchronize_session=False))
    session.expire(cohort)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(N_("This cohort was changed by someone else since you opened it; "
                          "reload to see their changes"))
    audit(session, actor, "edit", "cohort", cohort.id,
          **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()})
    session.flush()
    return cohort


def report_cohort_preview(session: Session, *, operation: Operation, user: User
                          ) -> list[tuple[str, int, str]]:
    """(nationality, count, holding site) the one click would make for the user's agency:
    the detentions of its country's confirmed part; [] when there is nothing to make."""
    report = reports.report_of(session, operation.id)
    country = country_of(session, user)
    if (report is None or report.state != ReportState.confirmed or country is None
            or not may_create_cohorts(user) or user.agency_id is None):
        return []
    part = session.exec(select(ReportPart).where(ReportPart.report_id == report.id,
                                                 ReportPart.country_code == country)).first()
    if part is None:
        return []
    site = _holding_site(session, operation, country)
    if site is None:
        return []
    made = set(session.exec(select(Cohort.nationality_code).where(
        Cohort.report_id == report.id, Cohort.holding_agency_id == user.agency_id)))
    rows = session.exec(select(Detention).where(Detention.part_id == part.id)
                        .order_by(col(Detention.nationality_code)))
    return [(d.nationality_code, d.count, site) for d in rows
            if d.count > 0 and d.nationality_code not in made]


def _holding_site(session: Session, operation: Operation, country: str) -> str | None:
    """The operation's first site region in the country (where the detained are held)."""
    rows = session.exec(select(Region.id).join(Site, col(Site.region_id) == col(Region.id))
                        .where(Site.operation_id == operation.id, Region.country_code == country)
                        .order_by(col(Site.id)))
    return rows.first()


def cohorts_from_report(session: Session, *, operation: Operation, actor: User
                        ) -> list[Cohort]:
    """One cohort per nationality detained in the actor's country's confirmed part, held
    by the actor's agency at the operation's site there, released today. Nationalities
    already made from this report are skipped, so a second click makes nothing twice."""
    if not may_create_cohorts(actor) or actor.agency_id is None:
        raise Forbidden(N_("Only planners of the holding agency make cohorts from a report"))
    report = reports.report_of(session, operation.id)
    if report is None or report.state != ReportState.confirmed:
        raise Conflict(N_("Only a confirmed after-action report makes cohorts"))
    preview = report_cohort_preview(session, operation=operation, user=actor)
    if not preview:
        raise Conflict(N_("This report has no detained persons your agency holds that are not "
                          "already in a cohort"))
    today = utcnow().date()
    made = []
    for nationality, count, site in preview:
        cohort = Cohort(nationality_code=nationality, count=count,
                        holding_agency_id=actor.agency_id, site_region_id=site,
                        release_on=today, source=CohortSource.report, report_id=report.id,
                        created_by_id=actor.id)
        session.add(cohort)
        made.append(cohort)
    session.flush()
    audit(session, actor, "from_report", "after_action_report", report.id,
          cohorts=[c.id for c in made], nationalities=[c.nationality_code for c in made])
    return made


def report_of_id(session: Session, report_id: int) -> Report | None:
    return session.get(Report, report_id)


def countries(session: Session) -> list[Country]:
    return list(session.exec(select(Country).order_by(col(Country.code))))
