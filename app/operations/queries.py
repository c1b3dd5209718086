"""Read models of operations: board cards, detail, deconfliction, approvals inbox, units.

Every list starts from `visible_operations_query(user)`: what the user may not see is
never counted, searched or shown.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, func, or_
from sqlalchemy.orm import defer, lazyload, selectinload
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.access import visible_operations_query
from app.config import get_settings
from app.models import (
    Agency,
    Approval,
    ApprovalKind,
    AuditEvent,
    Country,
    Crossing,
    Decision,
    Operation,
    OperationState,
    Region,
    Role,
    Site,
    SolverRun,
    Tasking,
    TaskingStatus,
    Unit,
    User,
)
from app.operations import cordons
from app.operations import permissions as perm
from app.planning.dwell import foreign_dwell
from app.solver.solve import BEST_SO_FAR

S = OperationState
# Board columns, in workflow order; "declined" only shows when it holds something.
COLUMNS = [S.draft, S.proposed, S.approved, S.scheduled, S.executing, S.completed, S.aborted]
KIND_LABELS = {ApprovalKind.host: "host approval", ApprovalKind.foreign_support: "foreign units"}
# A board of hundreds of operations stays readable (and its 15 s refresh light): each
# column shows its first cards and a link to the whole column (the state filter).
CARDS_PER_COLUMN = 40
# Operation columns a board card never shows: left unread by the board's query.
_NOT_ON_CARDS = (Operation.description, Operation.commander, Operation.commander_phone,
                 Operation.radio_net, Operation.decline_reason)


@dataclass
class BoardFilters:
    country: str | None = None
    agency: str | None = None
    state: OperationState | None = None
    day: date | None = None
    q: str | None = None

    def query_string(self) -> str:
        """The filters as a URL query (for hx-push-url and the polling URL)."""
        from urllib.parse import urlencode

        pairs = {"country": self.country, "agency": self.agency,
                 "state": self.state.value if self.state else None,
                 "date": self.day.isoformat() if self.day else None, "q": self.q}
        return urlencode({k: v for k, v in pairs.items() if v})

    def with_state(self, state: OperationState) -> str:
        """The query of these filters narrowed to one column."""
        return replace(self, state=state).query_string()


@dataclass
class Card:
    operation: Operation
    h_hour: datetime
    published: bool
    zones: list[tuple[str, str]]
    countries: list[str]
    sites_count: int
    missing: list[str] = field(default_factory=list)


def _filtered(user: User, filters: BoardFilters) -> SelectOfScalar[Operation]:
    query = visible_operations_query(user)
    if filters.country:
        query = query.where(exists().where(
            col(Site.operation_id) == col(Operation.id), col(Region.id) == col(Site.region_id),
            col(Region.country_code) == filters.country))
    if filters.agency:
        query = query.where(Operation.lead_agency_id == filters.agency)
    if filters.state:
        query = query.where(Operation.state == filters.state)
    if filters.day:
        start = datetime.combine(filters.day, time(0), tzinfo=UTC)
        query = query.where(col(Operation.earliest_start) < start + timedelta(days=1),
                            col(Operation.latest_end) > start)
    if filters.q:
        # autoescape: a typed % or _ is a character, not a wildcard (ASVS 5.0 1.2.9).
        typed = filters.q.strip().lower()
        query = query.where(or_(
            func.lower(col(Operation.code_name)).contains(typed, autoescape=True),
            func.lower(col(Operation.id)).contains(typed, autoescape=True)))
    return query


def board(
    session: Session,
    *,
    user: User,
    filters: BoardFilters,
    capped: bool = True,
) -> dict[str, Any]:
    """Columns of cards per state, with counts, for the visible operations that match:
    at most CARDS_PER_COLUMN cards a column if `capped`, unless the state filter picks
    one column."""
    # A card shows none of the long texts, and its operation's cordon (loaded with every
    # Operation otherwise, `lazy="selectin"`) is another statement the board never reads.
    ops = list(session.exec(_filtered(user, filters).options(
        lazyload(Operation.cordon),  # type: ignore[arg-type]
        *(defer(c) for c in _NOT_ON_CARDS)).order_by(  # type: ignore[arg-type]
        col(Operation.earliest_start), col(Operation.id))))
    cards = _cards(session, ops)
    columns = {state: [c for c in cards if c.operation.state == state] for state in COLUMNS}
    declined = [c for c in cards if c.operation.state == S.declined]
    if declined:
        columns[S.declined] = declined
    # How many cards each column holds, shown or not.
    counts = {state: len(column) for state, column in columns.items()}
    if capped and filters.state is None:
        columns = {state: column[:CARDS_PER_COLUMN] for state, column in columns.items()}
    return {"columns": columns, "counts": counts, "total": len(cards)}


def _cards(session: Session, ops: list[Operation]) -> list[Card]:
    ids = [op.id for op in ops]
    if not ids:
        return []
    site_rows = session.exec(
        select(Site.operation_id, Country.code, Country.timezone)
        .join(Region, col(Region.id) == col(Site.region_id))
        .join(Country, col(Country.code) == col(Region.country_code))
        .where(col(Site.operation_id).in_(ids))).all()
    countries: dict[str, set[tuple[str, str]]] = defaultdict(set)
    sites: dict[str, int] = defaultdict(int)
    for op_id, code, tz in site_rows:
        countries[op_id].add((code, tz))
        sites[op_id] += 1
    starts = dict(session.exec(
        select(Tasking.operation_id, func.min(Tasking.start))
        .where(col(Tasking.operation_id).in_(ids), Tasking.status == TaskingStatus.active)
        .group_by(col(Tasking.operation_id))).all())
    # The approvals proposed cards wait for, in one statement for the whole board (asked
    # card by card, a board of proposed operations sent two statements per card).
    proposed = [op.id for op in ops if op.state == S.proposed]
    approved: set[tuple[str, str, ApprovalKind]] = set()
    if proposed:
        approved = {(op_id, country, ApprovalKind(kind)) for op_id, country, kind in session.exec(
            select(Approval.operation_id, Approval.country_code, Approval.kind)
            .where(col(Approval.operation_id).in_(proposed),
                   Approval.decision == Decision.approved))}
    return [_card(op, sorted(countries[op.id]), sites[op.id], starts.get(op.id), approved)
            for op in ops]


def _card(op: Operation, countries: list[tuple[str, str]], sites: int,
          start: datetime | None, approved: set[tuple[str, str, ApprovalKind]]) -> Card:
    missing = []
    if op.state == S.proposed:
        # perm.missing_approvals' rule: every host country (its sites' countries, sorted)
        # and every required kind without an approving decision.
        hosts = sorted({code for code, _ in countries})
        missing = [f"{country} {KIND_LABELS[kind]}" for country in hosts
                   for kind in perm.required_kinds(op) if (op.id, country, kind) not in approved]
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return Card(op, start or op.fixed_start or op.earliest_start, start is not None,
                zones=sorted({(code, tz) for code, tz in countries}, key=lambda z: z[1]),
                countries=[code for code, _ in countries], sites_count=sites, missing=missing)


def filter_choices(session: Session, *, user: User) -> dict[str, Any]:
    """Options of the board's filter form."""
    return {
        "countries": session.exec(select(Country).order_by(col(Country.code))).all(),
        "agencies": session.exec(select(Agency).order_by(col(Agency.id))).all(),
        "states": [*COLUMNS, S.declined],
    }


def deconflicts(session: Session, *, user: User, operation: Operation) -> list[dict[str, Any]]:
    """Other visible, live operations sharing a region and overlapping in time window."""
    return deconflicts_of(session, user=user, operations=[operation])[operation.id]


def deconflicts_of(
    session: Session, *, user: User, operations: list[Operation]
) -> dict[str, list[dict[str, Any]]]:
    """deconflicts() of several operations, by id, from one query of the candidates (an
    approvals inbox lists dozens of operations)."""
    regions_of = {op.id: {site.region_id for site in op.sites} for op in operations}
    found: dict[str, list[dict[str, Any]]] = {op.id: [] for op in operations}
    every_region = set().union(*regions_of.values())
    if not every_region:
        return found
    query = visible_operations_query(user).where(
        col(Operation.state).not_in([S.aborted, S.completed]),
        col(Operation.earliest_start) < max(op.latest_end for op in operations),
        col(Operation.latest_end) > min(op.earliest_start for op in operations),
        exists().where(col(Site.operation_id) == col(Operation.id),
                       col(Site.region_id).in_(every_region)),
    ).options(selectinload(Operation.sites), lazyload(Operation.cordon)).order_by(  # type: ignore[arg-type]
        col(Operation.earliest_start), col(Operation.id))
    candidates = list(session.exec(query))
    for op in operations:
        for other in candidates:
            if other.id == op.id or not (other.earliest_start < op.latest_end
                                         and other.latest_end > op.earliest_start):
                continue
            shared = regions_of[op.id] & {s.region_id for s in other.sites}
            if shared:
                found[op.id].append({"operation": other, "regions": sorted(shared)})
    return found


def detail(session: Session, *, user: User, operation: Operation) -> dict[str, Any]:
    """Everything the operation page shows (the caller passed need-to-know)."""
    region_rows = session.exec(
        select(Region, Country).join(Country, col(Country.code) == col(Region.country_code))
        .where(col(Region.id).in_([s.region_id for s in operation.sites]))).all()
    regions = {region.id: (region, country) for region, country in region_rows}
    hosts = perm.host_countries(session, operation.id)
    done = perm.decided(session, operation.id)
    approvals: list[dict[str, Any]] = [
        {"country": c, "kind": kind, "label": KIND_LABELS[kind], "row": done.get((c, kind))}
        for c in hosts for kind in perm.required_kinds(operation)
    ]
    zones = sorted({(country.code, country.timezone) for _, country in regions.values()},
                   key=lambda z: z[1])
    return {
        "op": operation, "regions": regions, "hosts": hosts, "approvals": approvals,
        "zones": zones, "taskings": taskings(session, operation_id=operation.id),
        "dwell_limit_hours": get_settings().foreign_dwell_limit_hours,
        "history": history(session, operation_id=operation.id),
        "conflicts": deconflicts(session, user=user, operation=operation),
        "users": names(session, [a["row"].user_id for a in approvals if a["row"]]),
        "cordon": cordons.summary(session, operation),
    }


def taskings(session: Session, *, operation_id: str) -> list[dict[str, Any]]:
    """Published orders of the operation: unit, site, times, route and crossing times."""
    rows = session.exec(
        select(Tasking, Unit, Site).join(Unit, col(Unit.id) == col(Tasking.unit_id))
        .outerjoin(Site, col(Site.id) == col(Tasking.site_id))
        .where(Tasking.operation_id == operation_id)
        .order_by(col(Tasking.kind), col(Tasking.start))).all()
    crossings = {c.id: c for c in session.exec(select(Crossing).where(
        col(Crossing.id).in_([t.crossing_id for t, _, _ in rows if t.crossing_id])))}
    limit = timedelta(hours=get_settings().foreign_dwell_limit_hours)
    items = []
    for t, unit, site in rows:
        crossing = crossings.get(t.crossing_id or "")
        # A cordon post (site None) is at its side of the crossing it seals: its unit
        # never crosses, so it has no dwell abroad.
        post = site is None
        dwell = None if crossing is None or post else foreign_dwell(
            cross_out=t.cross_out, cross_back=t.cross_back,
            transit_minutes=crossing.transit_minutes, start=t.start, end=t.end, limit=limit)
        items.append({"t": t, "unit": unit, "to_region": t.post_region_id if post else
                      site.region_id, "post": post, "crossing": crossing, "dwell": dwell})
    return items


def history(session: Session, *, operation_id: str) -> list[dict[str, Any]]:
    """The operation's audit events, newest first, with the actor's name."""
    events = session.exec(
        select(AuditEvent).where(AuditEvent.object_type == "operation",
                                 AuditEvent.object_id == operation_id)
        .order_by(col(AuditEvent.id).desc())).all()
    who = names(session, [e.actor_id for e in events])
    return [{"event": e, "who": who.get(e.actor_id or -1, "system")} for e in events]


def names(session: Session, ids: list[int | None]) -> dict[int, str]:
    """Display names of users by id."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    users = session.exec(select(User).where(col(User.id).in_(wanted)))
    return {u.id: u.full_name or u.username for u in users if u.id is not None}


def pending_for(session: Session, *, user: User) -> list[dict[str, Any]]:
    """Decisions waiting for this user's country (all host countries for administrators)."""
    query = visible_operations_query(user).where(Operation.state == S.proposed).options(
        selectinload(Operation.sites), lazyload(Operation.cordon))  # type: ignore[arg-type]
    proposed = list(session.exec(query.order_by(col(Operation.earliest_start))))
    # What each operation's check needs, read for all of them at once: the inbox lists
    # dozens, and reading it operation by operation took seven queries each.
    ids = [op.id for op in proposed]
    hosts = perm.host_countries_by_operation(session, ids)
    decisions = perm.decided_by_operation(session, ids)
    proposers = perm.proposers_by_operation(session, ids)
    country = perm.user_country(session, user)
    waiting: list[tuple[Operation, list[tuple[str, ApprovalKind]]]] = []
    for op in proposed:
        if user.id in (op.created_by_id, proposers.get(op.id)):
            continue  # approval is another person's: not in the author's inbox
        countries = set(perm.deciding_for(user, country, hosts[op.id]))
        missing = [(c, kind) for c, kind in perm.still_missing(op, hosts[op.id], decisions[op.id])
                   if c in countries]
        if missing:
            waiting.append((op, missing))
    # Deconfliction before approval: the host sees what else is planned there and then.
    conflicts = deconflicts_of(session, user=user, operations=[op for op, _ in waiting])
    return [{"op": op, "country": host, "kind": kind, "label": KIND_LABELS[kind],
             "conflicts": conflicts[op.id]} for op, missing in waiting for host, kind in missing]


def units_for(session: Session, *, user: User) -> list[Unit]:
    """Units the caller may see: every unit for planners and admins, else their agency's."""
    query = select(Unit).order_by(col(Unit.id))
    if user.role not in (Role.admin, Role.coordinator, Role.planner):
        if user.agency_id is None:
            return []
        query = query.where(Unit.agency_id == user.agency_id)
    return list(session.exec(query))


def order(session: Session, *, user: User, operation: Operation) -> dict[str, Any]:
    """The printable operation order: the operation page's facts arranged as a five-
    paragraph order, and one tasking order per unit with active orders."""
    ctx = detail(session, user=user, operation=operation)
    active = [item for item in ctx["taskings"] if item["t"].status == TaskingStatus.active]
    starts = sorted({item["t"].start for item in active})
    lead = session.get(Agency, operation.lead_agency_id)
    author = session.get(User, operation.created_by_id) if operation.created_by_id else None
    by_site: dict[str, list[dict[str, Any]]] = {}
    for item in active:
        by_site.setdefault(item["t"].site_id, []).append(item)
    zones_of_units = {
        unit_id: zone for unit_id, zone in session.exec(
            select(Unit.id, Country.timezone)
            .join(Agency, col(Agency.id) == col(Unit.agency_id))
            .join(Country, col(Country.code) == col(Agency.country_code))
            .where(col(Unit.id).in_([item["unit"].id for item in active])))
    }
    return {**ctx, "active": active, "h_hour": starts[0] if starts else operation.fixed_start,
            "lead": lead, "author": author.full_name or author.username if author else None,
            "by_site": by_site, "unit_zones": zones_of_units}


# What a liaison officer can change, by what the solver's reason talks about.
_HINTS = (
    (re.compile(r"window|horizon|start|H-hour", re.I),
     "Widen the window (earliest start to latest end), or ask the planner to widen the "
     "planning horizon."),
    (re.compile(r"agreement|may not act|jurisdiction", re.I),
     "Ask for an agreement that lets foreign units act in the host country, or request "
     "foreign support on the operation."),
    (re.compile(r"crossing", re.I),
     "Fit the window to the border crossing's opening hours (shown in its local time)."),
    (re.compile(r"available|busy", re.I),
     "Choose another time: the units that could go are committed or away then."),
    (re.compile(r"headcount|min_personnel|personnel", re.I),
     "Lower the minimum personnel of the site, or ask for more units."),
)


def not_scheduled(
    session: Session, *, operation: Operation, user: User
) -> dict[str, Any] | None:
    """Why the latest solve left this operation out, in names, and what to change.

    None when the latest solve with a plan scheduled it (or there is none). The reasons
    are the reader's cut of the plan (app.planning.visibility.plan_for): one naming an
    operation the reader may not see says so instead of naming it.
    """
    from app.planning.visibility import hidden_busy_units, plan_for, visible_ids

    # The newest run that has a plan (runs still queued or failed have none).
    runs = session.exec(
        select(SolverRun).options(defer(SolverRun.scenario))  # type: ignore[arg-type]
        .order_by(col(SolverRun.id).desc()).limit(5)).all()
    # A best plan so far gives only generic reasons: the last finished plan's are meant.
    run = next((r for r in runs
                if r.plan and (r.plan.get("solver") or {}).get("status") != BEST_SO_FAR), None)
    if run is None or run.plan is None:
        return None
    ids = visible_ids(session, user=user)
    plan = plan_for(ids, run.plan, hidden_busy_units(session, ids)) or {}
    reasons = next((u.get("reasons", []) for u in plan.get("unscheduled", [])
                    if u.get("id") == operation.id), None)
    if reasons is None:
        return None
    names = _names_for_reasons(session, operation)
    alternatives = "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])") if names else None
    plain = [pattern.sub(lambda m: names[m.group(0)], r) if pattern else r for r in reasons]
    hints = [hint for rule, hint in _HINTS if any(rule.search(r) for r in reasons)]
    capabilities = sorted({r.capability for site in operation.sites for r in site.requirements
                           if any(r.capability in reason for reason in reasons)})
    hints += [f"Ask a partner agency for a unit with the capability '{c}'."
              for c in capabilities]
    return {"run_id": run.id, "reasons": plain, "hints": hints}


def _names_for_reasons(session: Session, operation: Operation) -> dict[str, str]:
    """Ids the solver's reasons use, mapped to the names people know."""
    names: dict[str, str] = {}
    regions = {r.id: r for r in session.exec(select(Region))}
    for number, site in enumerate(operation.sites, 1):
        region = regions.get(site.region_id)
        where = region.name if region else site.region_id
        names[site.id] = f"site {number} ({site.objective or 'no objective'}, {where})"
    names.update({rid: f"{r.name} ({r.country_code})" for rid, r in regions.items()})
    names.update({c.id: c.name for c in session.exec(select(Crossing))})
    names.update({u.id: f"{u.callsign} ({u.agency_id})" for u in session.exec(select(Unit))})
    return names
