"""Scenario import and export: the board's data in the `jointops-scenario/1` format."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app import audit as trail
from app.access import visible_operations_query
from app.errors import AppError
from app.i18n import N_, later
from app.models import (
    Agency,
    Agreement,
    Approval,
    ApprovalKind,
    BoardConfig,
    CordonCrossing,
    Country,
    Crossing,
    Decision,
    Operation,
    OperationCordon,
    OperationState,
    Region,
    Requirement,
    Road,
    Site,
    Unit,
    User,
    utcnow,
)
from app.solver import schema
from app.solver.loader import ScenarioError, load_scenario
from app.solver.schema import SCENARIO_FORMAT, format_instant


class ScenarioRejected(AppError):
    """The scenario breaks the spec or clashes with the board; nothing was imported."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        details = [{"path": path, "message": message} for path, message in problems]
        super().__init__(
            later("The scenario was not imported: %(count)s problem(s)", count=len(problems)),
            422, details=details
        )
        self.problems = problems


# The kinds of record an import counts, as the result page names them (translated there).
KINDS = (N_("countries"), N_("regions"), N_("agencies"), N_("crossings"), N_("roads"),
         N_("agreements"), N_("units"), N_("operations"))


@dataclass
class ImportResult:
    """How many records of each kind the import created or updated."""

    counts: dict[str, int] = field(default_factory=dict)
    # What became of the planning horizon, in words (an import never narrows it): English
    # for the CLI and the API, a `later(…)` the import page shows in the reader's language.
    horizon: str = ""


def import_scenario(
    session: Session, *, data: dict[str, Any] | str | bytes | Path, user: User | None = None
) -> ImportResult:
    """Import a whole scenario, or nothing: raises ScenarioRejected listing every problem.

    Reference data (countries ... units) is created or updated by id; operations must be
    new to the board. Imported operations are approved, with host consent recorded and,
    where the scenario says `foreign_support`, consent to foreign units too.
    """
    try:
        scenario = load_scenario(data)
    except ScenarioError as exc:
        raise ScenarioRejected([(p.path, p.message) for p in exc.problems]) from None
    clashes = _board_clashes(session, scenario)
    if clashes:
        raise ScenarioRejected(clashes)
    try:
        with session.begin_nested():
            result = _write(session, scenario, user)
    except IntegrityError as exc:
        raise ScenarioRejected([("", later("the database refused the data: %(problem)s",
                                           problem=str(exc.orig)))]) from None
    return result


def _board_clashes(session: Session, scenario: schema.Scenario) -> list[tuple[str, str]]:
    """Operations and sites whose ids the board already uses."""
    op_ids = [op.id for op in scenario.operations]
    site_ids = [s.id for op in scenario.operations for s in op.sites]
    taken_ops = set(session.exec(select(Operation.id).where(col(Operation.id).in_(op_ids))))
    taken_sites = set(session.exec(select(Site.id).where(col(Site.id).in_(site_ids))))
    problems: list[tuple[str, str]] = []
    for i, op in enumerate(scenario.operations):
        if op.id in taken_ops:
            problems.append((f"operations[{i}].id", later(
                "operation %(id)s is already on the board", id=repr(op.id))))
        for j, site in enumerate(op.sites):
            if site.id in taken_sites:
                problems.append(
                    (f"operations[{i}].sites[{j}].id",
                     later("site %(id)s is already on the board", id=repr(site.id)))
                )
    return problems


def _write(session: Session, sc: schema.Scenario, user: User | None) -> ImportResult:
    counts: dict[str, int] = {}
    horizon = _save_config(session, sc)
    counts["countries"] = _upsert_all(
        session,
        Country,
        "code",
        ({"code": c.code, "name": c.name, "timezone": c.timezone} for c in sc.countries),
    )
    counts["regions"] = _upsert_all(
        session,
        Region,
        "id",
        (
            {"id": r.id, "name": r.name, "country_code": r.country, "lat": r.lat, "lon": r.lon}
            for r in sc.regions
        ),
    )
    counts["agencies"] = _upsert_all(
        session,
        Agency,
        "id",
        ({"id": a.id, "name": a.name, "country_code": a.country} for a in sc.agencies),
    )
    counts["crossings"] = _upsert_all(session, Crossing, "id", map(_crossing_values, sc.crossings))
    counts["roads"] = _replace_roads(session, sc)
    counts["agreements"] = _add_agreements(session, sc)
    counts["units"] = _upsert_all(session, Unit, "id", map(_unit_values, sc.units))
    # The format keeps capabilities as strings; the board's managed list takes in any new.
    from app.admin.capabilities import register

    register(session, {c for u in sc.units for c in u.capabilities}
             | {r.capability for op in sc.operations for s in op.sites for r in s.requirements})
    counts["operations"] = 0
    for op in sc.operations:
        _add_operation(session, op, user)
        counts["operations"] += 1
    session.flush()
    # One row per operation, as if each were created on the board: the operation's own
    # history then starts with its import, and who imported it.
    trail.record_many(session, [
        {"actor_id": user.id if user else None, "action": "import",
         "object_type": "operation", "object_id": op.id,
         "details": {"scenario": sc.name, "code_name": op.name, "sites": len(op.sites)}}
        for op in sc.operations
    ])
    trail.record(session, actor=user, action="scenario.import", object_type="scenario",
                 object_id=sc.name, details=counts)
    return ImportResult(counts, horizon)


def _save_config(session: Session, sc: schema.Scenario) -> str:
    """Take the file's name and slot; widen the horizon to cover the file's, never narrow it.

    A narrower horizon in the file would silently make the next solve drop published
    operations outside it (issue 11); the planner narrows it on the planning page, where
    published operations are checked. Returns what happened to the horizon, in words.
    """
    config = session.get(BoardConfig, 1)
    file_span = f"{format_instant(sc.horizon.start)} – {format_instant(sc.horizon.end)}"
    note: str
    if config is None:
        config = BoardConfig(id=1, horizon_start=sc.horizon.start, horizon_end=sc.horizon.end)
        note = later("Planning horizon set to %(span)s.", span=file_span)
    else:
        before = (config.horizon_start, config.horizon_end)
        config.horizon_start = min(config.horizon_start, sc.horizon.start)
        config.horizon_end = max(config.horizon_end, sc.horizon.end)
        span = f"{format_instant(config.horizon_start)} – {format_instant(config.horizon_end)}"
        if (config.horizon_start, config.horizon_end) == (sc.horizon.start, sc.horizon.end):
            note = (later("Planning horizon unchanged: %(span)s.", span=span)
                    if before == (sc.horizon.start, sc.horizon.end)
                    else later("Planning horizon widened to the file's: %(span)s.", span=span))
        else:
            note = later("Planning horizon kept at %(span)s: the file's %(file_span)s is "
                         "narrower, and an import never narrows it (change it on the planning "
                         "page).", span=span, file_span=file_span)
    config.name = sc.name
    config.slot_minutes = sc.slot_minutes
    session.add(config)
    session.flush()
    return note


def _upsert_all(session: Session, model: Any, key: str, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    for values in rows:
        existing = session.get(model, values[key])
        if existing is None:
            session.add(model(**values))
        else:
            for name, value in values.items():
                setattr(existing, name, value)
        count += 1
    session.flush()
    return count


def _crossing_values(c: schema.Crossing) -> dict[str, Any]:
    windows = None if c.open is None else [{"from": w.from_, "to": w.to} for w in c.open]
    # A file without a point (one written by a tool that knows only version 1) keeps the
    # point the board has; a file with one replaces it.
    return {
        "id": c.id,
        "name": c.name,
        "a_id": c.a,
        "b_id": c.b,
        "timezone": c.timezone,
        "transit_minutes": c.transit_minutes,
        "lanes": c.lanes,
        "open_windows": windows,
    } | _point_doc(c.lat, c.lon)


def _unit_values(u: schema.Unit) -> dict[str, Any]:
    available = None
    if u.available is not None:
        available = [
            {"start": format_instant(w.start), "end": format_instant(w.end)} for w in u.available
        ]
    return {
        "id": u.id,
        "agency_id": u.agency,
        "callsign": u.callsign,
        "capabilities": list(u.capabilities),
        "personnel": u.personnel,
        "base_region_id": u.base,
        "operating_regions": None if u.operating_regions is None else list(u.operating_regions),
        "availability": available,
    }


def _replace_roads(session: Session, sc: schema.Scenario) -> int:
    # The scenario is the truth for roads among its own regions.
    region_ids = [r.id for r in sc.regions]
    session.exec(delete(Road).where(col(Road.a_id).in_(region_ids), col(Road.b_id).in_(region_ids)))
    session.add_all(Road(a_id=r.a, b_id=r.b, minutes=r.minutes) for r in sc.roads)
    session.flush()
    return len(sc.roads)


def _add_agreements(session: Session, sc: schema.Scenario) -> int:
    existing = {(a.from_country, a.to_country) for a in session.exec(select(Agreement))}
    for a in sc.agreements:
        if (a.from_, a.to) not in existing:
            session.add(Agreement(from_country=a.from_, to_country=a.to))
            existing.add((a.from_, a.to))
    session.flush()
    return len(sc.agreements)


def _add_operation(session: Session, op: schema.Operation, user: User | None) -> None:
    session.add(
        Operation(
            id=op.id,
            code_name=op.name,
            lead_agency_id=op.lead_agency,
            priority=op.priority,
            earliest_start=op.earliest_start,
            latest_end=op.latest_end,
            duration_minutes=op.duration_minutes,
            fixed_start=op.fixed_start,
            foreign_support_requested=op.foreign_support,
            state=OperationState.approved,
            created_by_id=user.id if user else None,
        )
    )
    session.flush()
    for site in op.sites:
        session.add(
            Site(
                id=site.id,
                operation_id=op.id,
                region_id=site.region,
                min_personnel=site.min_personnel,
                lat=site.lat,
                lon=site.lon,
            )
        )
        session.flush()
        session.add_all(
            Requirement(site_id=site.id, capability=r.capability, count=r.count)
            for r in site.requirements
        )
    if op.cordon is not None:
        _add_cordon(session, op.id, op.cordon)
    hosts = _host_countries(session, op.id)
    kinds = [ApprovalKind.host] + ([ApprovalKind.foreign_support] if op.foreign_support else [])
    session.add_all(
        Approval(
            operation_id=op.id,
            country_code=country,
            kind=kind,
            decision=Decision.approved,
            user_id=user.id if user else None,
            reason="imported with the scenario",
        )
        for country in hosts
        for kind in kinds
    )
    session.flush()


def _add_cordon(session: Session, operation_id: str, cordon: schema.Cordon) -> None:
    """The operation's cordon (docs/cordon-format.md), kept as the scenario gives it."""
    session.add(OperationCordon(
        operation_id=operation_id, within_km=cordon.within_km,
        lead_minutes=cordon.lead_minutes, tail_minutes=cordon.tail_minutes,
        units_per_side=cordon.units_per_side, allow_own_passages=cordon.allow_own_passages))
    session.flush()
    session.add_all(CordonCrossing(operation_id=operation_id, crossing_id=crossing)
                    for crossing in cordon.crossings or [])
    session.flush()


def _host_countries(session: Session, operation_id: str) -> set[str]:
    query = (
        select(Region.country_code)
        .join(Site, col(Site.region_id) == col(Region.id))
        .where(Site.operation_id == operation_id)
    )
    return set(session.exec(query))


# --- export -----------------------------------------------------------------------------


# The operations a plan may schedule, so the scenario of the board: approved ones and
# scheduled ones (already in the published plan). Proposed ones are not cleared yet;
# executing, completed and aborted ones are no longer for a plan to place.
SCENARIO_STATES = (OperationState.approved, OperationState.scheduled)


def export_scenario(session: Session, *, user: User | None = None) -> dict[str, Any]:
    """The board's current state as a jointops-scenario/1 document.

    Its operations are those of SCENARIO_STATES (approved and scheduled), the ones the
    planning scenario solves and the published plan is checked against; resources are
    all there. With a `user`, only the operations that user has a need to know are
    included.
    """
    query = visible_operations_query(user) if user is not None else select(Operation)
    query = query.where(col(Operation.state).in_(SCENARIO_STATES))
    # Rows of their columns, not Operation objects, and sites, requirements and cordons
    # in one query each: the run review, every publish and every solve started export
    # the whole board (250 operations: 0.7 s of lazy loads once; building the objects
    # was then half of the export).
    operations = _rows(session, Operation, query, Operation.id)
    granted = _foreign_support_granted(session, operations)
    config = session.get(BoardConfig, 1) or _default_config(operations)
    return {
        "format": SCENARIO_FORMAT,
        "name": config.name,
        "horizon": {
            "start": format_instant(config.horizon_start),
            "end": format_instant(config.horizon_end),
        },
        "slot_minutes": config.slot_minutes,
        "countries": [
            {"code": c.code, "name": c.name, "timezone": c.timezone}
            for c in _all(session, Country, Country.code)
        ],
        "regions": [
            {"id": r.id, "name": r.name, "country": r.country_code, "lat": r.lat, "lon": r.lon}
            for r in _all(session, Region, Region.id)
        ],
        "roads": [
            {"a": r.a_id, "b": r.b_id, "minutes": r.minutes} for r in _all(session, Road, Road.id)
        ],
        "crossings": [_crossing_doc(c) for c in _all(session, Crossing, Crossing.id)],
        "agreements": [
            {"from": a.from_country, "to": a.to_country}
            for a in _all(session, Agreement, Agreement.from_country, Agreement.to_country)
        ],
        "agencies": [
            {"id": a.id, "name": a.name, "country": a.country_code}
            for a in _all(session, Agency, Agency.id)
        ],
        "units": [_unit_doc(u) for u in _all(session, Unit, Unit.id)],
        "operations": _operation_docs(session, query, operations, granted),
    }


def _rows(session: Session, model: Any, chosen: Any, *order: Any) -> list[Any]:
    """The rows of `model`'s columns whose operation `chosen` selects (a SELECT of
    operations), in `order`."""
    columns = _columns(model)
    ids = chosen.with_only_columns(col(Operation.id)).scalar_subquery()
    operation_id = columns["id" if model is Operation else "operation_id"]
    return list(session.execute(sa_select(*columns).where(operation_id.in_(ids))
                                .order_by(*(col(o) for o in order))).all())


def _columns(model: Any) -> Any:
    return model.__table__.columns


def _operation_docs(
    session: Session, chosen: Any, operations: list[Any], granted: set[str]
) -> list[dict[str, Any]]:
    """operation_document of each row of `operations` (chosen by the SELECT `chosen`)."""
    requirements: dict[str, list[Any]] = {}
    sites_of = select(Site.id).where(col(Site.operation_id).in_(
        chosen.with_only_columns(col(Operation.id)).scalar_subquery()))
    for row in session.execute(sa_select(*_columns(Requirement))
                               .where(col(Requirement.site_id).in_(sites_of.scalar_subquery()))
                               .order_by(col(Requirement.id))):
        requirements.setdefault(row.site_id, []).append(row)
    sites: dict[str, list[dict[str, Any]]] = {}
    for site in _rows(session, Site, chosen, Site.id):
        sites.setdefault(site.operation_id, []).append(
            _site_doc(site, requirements.get(site.id, [])))
    crossings: dict[str, list[str]] = {}
    for crossing in _rows(session, CordonCrossing, chosen, CordonCrossing.crossing_id):
        crossings.setdefault(crossing.operation_id, []).append(crossing.crossing_id)
    cordons = {cordon.operation_id: _cordon_doc(cordon, crossings.get(cordon.operation_id, []))
               for cordon in _rows(session, OperationCordon, chosen, OperationCordon.operation_id)}
    return [_operation_doc(op, op.id in granted, sites.get(op.id, []), cordons.get(op.id))
            for op in operations]


def _all(session: Session, model: Any, *order: Any) -> list[Any]:
    """Every row of `model`'s table as a row of its columns, which reads like the model's
    objects: the export only reads, and building 1,000 Unit objects was a third of it."""
    columns = model.__table__.columns
    return list(session.execute(sa_select(*columns).order_by(*(col(o) for o in order))).all())


def _default_config(operations: Iterable[Operation]) -> BoardConfig:
    """A horizon covering every operation when none was ever set (or today + a week)."""
    ops = list(operations)
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    start = min((op.earliest_start for op in ops), default=today)
    end = max((op.latest_end for op in ops), default=today + timedelta(days=7))
    start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    return BoardConfig(id=1, horizon_start=start, horizon_end=end, slot_minutes=15)


def _crossing_doc(c: Crossing) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "a": c.a_id,
        "b": c.b_id,
        "transit_minutes": c.transit_minutes,
        "lanes": c.lanes,
        "timezone": c.timezone,
    }
    if c.open_windows is not None:
        doc["open"] = [{"from": w["from"], "to": w["to"]} for w in c.open_windows]
    doc.update(_point_doc(c.lat, c.lon))
    return doc


def _point_doc(lat: float | None, lon: float | None) -> dict[str, float]:
    """A site's or crossing's map point (docs/points-format.md), when the board has one."""
    return {} if lat is None or lon is None else {"lat": lat, "lon": lon}


def _unit_doc(u: Unit) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": u.id,
        "agency": u.agency_id,
        "callsign": u.callsign,
        "capabilities": list(u.capabilities),
        "personnel": u.personnel,
        "base": u.base_region_id,
    }
    if u.operating_regions is not None:
        doc["operating_regions"] = list(u.operating_regions)
    if u.availability is not None:
        doc["available"] = [{"start": w["start"], "end": w["end"]} for w in u.availability]
    return doc


def operation_document(
    session: Session, op: Operation, *, foreign_support: bool | None = None
) -> dict[str, Any]:
    """One operation as a scenario's `operations[]` entry (foreign support as granted;
    `foreign_support`: already known, as export_scenario finds it for all at once)."""
    if foreign_support is None:
        foreign_support = foreign_support_granted(session, op)
    return _operation_doc(op, foreign_support,
                          [_site_doc(site, site.requirements) for site in op.sites],
                          None if op.cordon is None else cordon_document(op.cordon))


def _operation_doc(
    op: Any, foreign_support: bool, sites: list[dict[str, Any]],
    cordon: dict[str, Any] | None,
) -> dict[str, Any]:
    """An operation (its object, or a row of its columns) as an `operations[]` entry."""
    doc: dict[str, Any] = {
        "id": op.id,
        "name": op.code_name,
        "lead_agency": op.lead_agency_id,
        "priority": op.priority,
        "earliest_start": format_instant(op.earliest_start),
        "latest_end": format_instant(op.latest_end),
        "duration_minutes": op.duration_minutes,
        "foreign_support": foreign_support,
        "sites": sites,
    }
    if op.fixed_start is not None:
        doc["fixed_start"] = format_instant(op.fixed_start)
    if cordon is not None:
        doc["cordon"] = cordon
    return doc


def cordon_document(cordon: OperationCordon) -> dict[str, Any]:
    """A stored cordon as the scenario's `operations[].cordon` (docs/cordon-format.md)."""
    return _cordon_doc(cordon, [c.crossing_id for c in cordon.crossings])


def _cordon_doc(cordon: Any, crossings: list[str]) -> dict[str, Any]:
    """A cordon (its object, or a row of its columns) and its listed crossings' ids."""
    doc: dict[str, Any] = (
        {"within_km": cordon.within_km} if cordon.within_km is not None
        else {"crossings": crossings})
    doc.update(lead_minutes=cordon.lead_minutes, tail_minutes=cordon.tail_minutes,
               units_per_side=cordon.units_per_side)
    if cordon.allow_own_passages:
        doc["allow_own_passages"] = True
    return doc


def _site_doc(site: Any, requirements: Iterable[Any]) -> dict[str, Any]:
    """A site (its object, or a row of its columns) and its requirements."""
    doc: dict[str, Any] = {
        "id": site.id,
        "region": site.region_id,
        "requirements": [{"capability": r.capability, "count": r.count} for r in requirements],
    }
    if site.min_personnel is not None:
        doc["min_personnel"] = site.min_personnel
    doc.update(_point_doc(site.lat, site.lon))
    return doc


def _foreign_support_granted(session: Session, operations: Iterable[Operation]) -> set[str]:
    """The ids of `operations` whose foreign support is granted, in two queries: the same
    rule as foreign_support_granted (requested, and consented by every host country)."""
    requested = [op.id for op in operations if op.foreign_support_requested]
    if not requested:
        return set()
    consenting: dict[str, set[str]] = {}
    for operation_id, country in session.exec(
        select(Approval.operation_id, Approval.country_code).where(
            col(Approval.operation_id).in_(requested),
            Approval.kind == ApprovalKind.foreign_support,
            Approval.decision == Decision.approved,
        )
    ):
        consenting.setdefault(operation_id, set()).add(country)
    hosts: dict[str, set[str]] = {}
    for operation_id, country in session.exec(
        select(Site.operation_id, Region.country_code)
        .join(Region, col(Site.region_id) == col(Region.id))
        .where(col(Site.operation_id).in_(requested))
    ):
        hosts.setdefault(operation_id, set()).add(country)
    return {op_id for op_id in requested
            if hosts.get(op_id) and hosts[op_id] <= consenting.get(op_id, set())}


def foreign_support_granted(session: Session, op: Operation) -> bool:
    """Foreign units are allowed: requested, and consented by every host country."""
    if not op.foreign_support_requested:
        return False
    consenting = set(
        session.exec(
            select(Approval.country_code).where(
                Approval.operation_id == op.id,
                Approval.kind == ApprovalKind.foreign_support,
                Approval.decision == Decision.approved,
            )
        )
    )
    hosts = _host_countries(session, op.id)
    return bool(hosts) and hosts <= consenting
