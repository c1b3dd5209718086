"""Host confirmation of the actual foreign units a plan sends in (issue 11, "consent with
eyes open").

Host approval comes before planning: the host sees sites, headcount and which countries'
units may come. Only a solve says which units actually come, of which agency, and when.
So a plan that sends units of another country's agency to a host country's sites for an
operation can be published only once that host has confirmed exactly those units: one
UnitConfirmation per (operation, host country, unit set). A confirmation of another unit
set never counts; one of the same set keeps counting for later plans, so an unchanged
assignment that was published and confirmed needs no new one.

A host confirms what it was shown: each unit with its site, the operation's H-hour and
when the unit leaves its base and is back, all kept in the request's `units`. A later
plan that sends the same units to other sites or at other times (the operation moved)
needs a new confirmation: the old one is "changed", no longer "confirmed".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.config import get_settings
from app.errors import AppError, Conflict, Forbidden, NotFound
from app.i18n import N_, Deferred, later
from app.models import (
    TLP,
    Agency,
    Country,
    Decision,
    Notice,
    NoticeKind,
    Operation,
    Plan,
    Region,
    Role,
    Site,
    Unit,
    UnitConfirmation,
    User,
    utcnow,
)
from app.notices.service import write_copies
from app.planning.service import audit
from app.planning.visibility import visible_ids
from app.solver.loader import load_plan
from app.solver.schema import Plan as PlanDocument
from app.web import fmt_local

# Who asks the hosts and who sees every host's confirmations of an operation.
PLANNING_ROLES = (Role.admin, Role.coordinator, Role.planner)
# Where a host's liaison confirms or declines (the approvals inbox lists every request
# of the country; the notice asking them links there).
CONFIRM_PAGE = "/approvals"
# Where the planner told of a host's decision publishes the plan (or solves again).
PUBLISH_PAGE = "/planning"
# A notice naming several operations carries the strictest of their TLPs.
_TLP_RANK = {TLP.CLEAR: 0, TLP.GREEN: 1, TLP.AMBER: 2, TLP.RED: 3}


@dataclass(frozen=True)
class HostUnits:
    """The foreign units a plan sends into one host country's sites for one operation."""

    operation_id: str
    operation_name: str
    country: str
    units: list[dict[str, Any]]  # unit, callsign, agency, site, start, end (ISO, UTC)

    @property
    def key(self) -> str:
        return unit_key(self.units)

    @property
    def shown(self) -> frozenset[tuple[Any, ...]]:
        return shown_key(self.units)


def unit_key(units: list[dict[str, Any]]) -> str:
    """What a confirmation is matched on first: the sorted ids of its units."""
    return ",".join(sorted({u["unit"] for u in units}))


# The times of each unit that the host is shown (templates/operations/_unit_confirmations
# .html): the operation's H-hour, and when the unit leaves its base and is back.
SHOWN_TIMES = ("start", "depart", "return")


def shown_key(units: list[dict[str, Any]]) -> frozenset[tuple[Any, ...]]:
    """What else a confirmation is matched on: each unit's site and times as the host was
    shown them. Times are compared as instants, not as text, so the same time written
    another way (another offset) is still the same."""
    return frozenset((u.get("unit"), u.get("site"), *(
        datetime.fromisoformat(u[name]) if u.get(name) else None for name in SHOWN_TIMES))
        for u in units)


# Ids past this many are not sent as an IN list: the table's few columns are read whole
# and looked up. Converting a query with a thousand parameters (psycopg splits the text
# at each placeholder) was 85 % of this list's time on the large board for those who see
# all of it (ad hoc py-spy profile of the run page on PostgreSQL).
_LIST_AT_MOST = 200


def _among(column: Any, values: Collection[str]) -> ColumnElement[bool]:
    """`column IN values`, or no condition when the list is long (see _LIST_AT_MOST)."""
    return true() if len(values) > _LIST_AT_MOST else column.in_(values)


def foreign_units(
    session: Session, document: PlanDocument, *, ids: set[str] | None = None
) -> list[HostUnits]:
    """Per (operation, host country), the plan's raid assignments of units whose agency is
    of another country than the site's region (cordon posts are always the host's own);
    only of the operations in `ids` when given (an agency's planner sees a third of the
    board: the rest was read and sorted on every view of the run page, then dropped)."""
    operations = [op for op in document.operations if ids is None or op.id in ids]
    site_ids = {a.site for op in operations for a in op.assignments}
    unit_ids = {a.unit for op in operations for a in op.assignments}
    # Columns, not objects: the run review asks this on every view, and building the
    # plan's 1,000 Unit objects (JSON columns and all) took 0.2 s of it on the large board.
    sites = {site_id: (objective, region, country) for site_id, objective, region, country
             in session.execute(
                 sa_select(col(Site.id), col(Site.objective), col(Region.name),
                           col(Region.country_code))
                 .join(Region, col(Region.id) == col(Site.region_id))
                 .where(_among(col(Site.id), site_ids)))}
    units = {unit_id: (callsign, agency, country) for unit_id, callsign, agency, country
             in session.execute(
                 sa_select(col(Unit.id), col(Unit.callsign), col(Unit.agency_id),
                           col(Agency.country_code))
                 .join(Agency, col(Agency.id) == col(Unit.agency_id))
                 .where(_among(col(Unit.id), unit_ids)))}
    op_ids = [o.id for o in operations]
    names = dict(session.exec(select(Operation.id, Operation.code_name)
                              .where(col(Operation.id).in_(op_ids))).all())
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for scheduled in operations:
        for a in scheduled.assignments:
            objective, region, host = sites.get(a.site, ("", a.site, ""))
            callsign, agency, home = units.get(a.unit, (a.unit, "", ""))
            if not host or home == host:
                continue
            found.setdefault((scheduled.id, host), []).append({
                "unit": a.unit, "callsign": callsign, "agency": agency, "agency_country": home,
                "site": a.site, "site_name": f"{objective}, {region}" if objective else region,
                "capability": a.capability, "start": scheduled.start.isoformat(),
                "depart": a.depart.isoformat(), "return": a.return_.isoformat()})
    return [HostUnits(op_id, names.get(op_id, op_id), host,
                      sorted(rows, key=lambda r: (r["site"], r["callsign"])))
            for (op_id, host), rows in sorted(found.items())]


def _rows(
    session: Session, needs: list[HostUnits]
) -> dict[tuple[str, str], list[UnitConfirmation]]:
    op_ids = {n.operation_id for n in needs}
    rows: dict[tuple[str, str], list[UnitConfirmation]] = {}
    for row in session.exec(select(UnitConfirmation)
                            .where(col(UnitConfirmation.operation_id).in_(op_ids))
                            .order_by(col(UnitConfirmation.id))):
        rows.setdefault((row.operation_id, row.country_code), []).append(row)
    return rows


def status_of(need: HostUnits, rows: list[UnitConfirmation]) -> tuple[str, UnitConfirmation | None]:
    """"confirmed", "pending", "declined", "changed" (these units were confirmed for other
    sites or times: the plan moved them) or "not asked", with the row that says so (the
    newest of this unit set)."""
    units = [r for r in rows if r.unit_key == need.key]
    same = [r for r in units if shown_key(r.units) == need.shown]
    if any(r.decision == Decision.approved for r in same):
        return "confirmed", next(r for r in same if r.decision == Decision.approved)
    if same:
        newest = same[-1]
        return ("pending" if newest.decision is None else "declined"), newest
    moved = [r for r in units if r.decision == Decision.approved]
    if moved:
        return "changed", moved[-1]
    return "not asked", None


def plan_status(
    session: Session, document: PlanDocument, *, ids: set[str] | None,
    needs: list[HostUnits] | None = None,
) -> list[dict[str, Any]]:
    """The run page's list: each (operation, host) of the plan the viewer may see, with
    its foreign units and whether the host confirmed them; `needs`: foreign_units(session,
    document, ids=ids) as the caller kept it (the confirmations are read here)."""
    if needs is None:
        needs = foreign_units(session, document, ids=ids)
    rows = _rows(session, needs)
    zones = _zones(session)
    result = []
    for need in needs:
        state, row = status_of(need, rows.get((need.operation_id, need.country), []))
        result.append({"need": need, "state": state, "row": row,
                       "units": local_units(need.units, zones.get(need.country, "UTC"))})
    return result


def check_host_confirmations(session: Session, document: PlanDocument, *, user: User) -> None:
    """Publishing's gate: every host country the plan sends foreign units into has
    confirmed exactly those units, per operation; refuses (409) naming the ones left."""
    needs = foreign_units(session, document)
    rows = _rows(session, needs)
    states = {(n.operation_id, n.country): status_of(
        n, rows.get((n.operation_id, n.country), []))[0] for n in needs}
    missing = [n for n in needs if states[(n.operation_id, n.country)] != "confirmed"]
    if not missing:
        return
    ids = visible_ids(session, user=user)
    shown = [n for n in missing if ids is None or n.operation_id in ids]
    details: list[dict[str, str]] = [
        {"path": n.operation_id, "message": _unconfirmed(n, states[(n.operation_id, n.country)])}
        for n in shown]
    if len(shown) < len(missing):
        details.append({"path": "", "message": N_(
            "operations you may not see also wait for a host's confirmation: only the "
            "coordination centre may publish")})
    named = "; ".join(f"{n.operation_id} {n.operation_name} ({n.country})" for n in shown)
    raise AppError(later(
        "Not published: host countries still have to confirm the foreign units this plan "
        "sends into their sites: %(operations)s. Ask the hosts to confirm, then publish",
        operations=named or N_("operations you may not see")), 409, details=details)


def _unconfirmed(need: HostUnits, state: str) -> str:
    """Why publishing waits for this host, in words a page shows in the reader's language."""
    values = {"operation": need.operation_id, "name": need.operation_name,
              "country": need.country, "units": ", ".join(u["callsign"] for u in need.units)}
    if state == "changed":
        return later("%(operation)s %(name)s: %(country)s confirmed the units for other sites "
                     "or times, and this plan moves them: %(units)s", **values)
    return later("%(operation)s %(name)s: %(country)s has not confirmed the units %(units)s",
                 **values)


def request_confirmations(session: Session, *, plan: Plan, user: User) -> int:
    """Ask each host to confirm the plan's foreign units where no confirmation of that unit
    set is given or pending; a pending request of another set is withdrawn. Each host
    country's liaison officers get a notice of the new requests (none when nothing new
    was asked: asking twice for an unchanged set notifies once). Returns the number of
    new requests."""
    if plan.is_published:
        raise Conflict(N_("This plan is already the published plan"))
    ids = visible_ids(session, user=user)
    needs = [n for n in foreign_units(session, load_plan(plan.document))
             if ids is None or n.operation_id in ids]
    rows = _rows(session, needs)
    asked: list[HostUnits] = []
    for need in needs:
        known = rows.get((need.operation_id, need.country), [])
        if status_of(need, known)[0] in ("confirmed", "pending"):
            continue
        for stale in known:
            if stale.decision is None:
                session.delete(stale)
        session.add(UnitConfirmation(operation_id=need.operation_id, country_code=need.country,
                                     unit_key=need.key, units=need.units,
                                     requested_by_id=user.id, requested_at=utcnow()))
        audit(session, actor=user, action="unit_confirmation.request",
              object_type="operation", object_id=need.operation_id, country=need.country,
              units=need.key, plan=plan.id)
        asked.append(need)
    session.flush()
    notify_hosts(session, asked, plan=plan)
    return len(asked)


def host_liaisons(session: Session, country: str) -> list[User]:
    """The active liaison officers of a country's agencies: the users who confirm for it."""
    return list(session.exec(
        select(User).join(Agency, col(Agency.id) == col(User.agency_id))
        .where(User.role == Role.liaison, Agency.country_code == country,
               col(User.is_active).is_(True))
        .order_by(col(User.id))))


def notify_hosts(session: Session, asked: list[HostUnits], *, plan: Plan) -> int:
    """One notice to each liaison officer of each host country newly asked, naming the
    operations of its own country's requests that the officer may see (never another
    host's), the plan, and where to confirm; in the officer's language, with an email
    when SMTP is configured. Returns how many notices were written."""
    if not asked:
        return 0
    operations = {op.id: op for op in session.exec(
        select(Operation).where(col(Operation.id).in_({n.operation_id for n in asked})))}
    by_country: dict[str, list[Operation]] = {}
    for need in asked:
        by_country.setdefault(need.country, []).append(operations[need.operation_id])
    written = 0
    for country, asked_ops in sorted(by_country.items()):
        for liaison in host_liaisons(session, country):
            ids = visible_ids(session, user=liaison)
            shown = [op for op in asked_ops if ids is None or op.id in ids]
            if shown:
                notice, title, body = _host_notice(shown, plan=plan)
                written += write_copies(session, [liaison], notice, title=title, body=body)
    session.flush()
    return written


def _host_notice(
    operations: list[Operation], *, plan: Plan
) -> tuple[Notice, Deferred, Deferred]:
    """The notice asking a liaison officer to confirm, with its title and body: written
    in each officer's language by write_copies (a notice is stored as text)."""
    names = ", ".join(f"{op.code_name} ({op.id})" for op in operations)
    public = get_settings().public_url
    link = f"{public.rstrip('/')}{CONFIRM_PAGE}" if public else CONFIRM_PAGE
    title = later("Foreign units to confirm: %(operations)s", operations=names)
    body = later(
        "Plan %(plan)s would send units of other countries into your country's sites "
        "for %(operations)s. It is published only once your country confirms exactly "
        "these units, at the times shown. Confirm or decline them here: %(link)s",
        plan=plan.id, operations=names, link=link)
    tlp = max((op.tlp for op in operations), key=lambda t: _TLP_RANK[t])
    notice = Notice(user_id=0, operation_id=operations[0].id if len(operations) == 1 else None,
                    unit_id="", kind=NoticeKind.confirm_units, title="", body="", tlp=tlp,
                    created_at=utcnow())
    return notice, title, body


def may_confirm_for(session: Session, user: User) -> str | None:
    """The host country this user confirms for ("*": any, administrators)."""
    if user.role == Role.admin:
        return "*"
    if user.role != Role.liaison or user.agency_id is None:
        return None
    agency = session.get(Agency, user.agency_id)
    return agency.country_code if agency else None


def pending_for(session: Session, *, user: User, operation_id: str | None = None
                ) -> list[dict[str, Any]]:
    """Pending confirmations this user may give, with the units in the host's local time
    (a host sees only its own country's requests: its sites, the units sent there)."""
    country = may_confirm_for(session, user)
    if country is None:
        return []
    query = (select(UnitConfirmation, Operation)
             .join(Operation, col(Operation.id) == col(UnitConfirmation.operation_id))
             .where(col(UnitConfirmation.decision).is_(None))
             .order_by(col(UnitConfirmation.requested_at), col(UnitConfirmation.id)))
    if country != "*":
        query = query.where(UnitConfirmation.country_code == country)
    if operation_id is not None:
        query = query.where(UnitConfirmation.operation_id == operation_id)
    found = session.exec(query).all()
    # The countries only when there is something to show (most views: nothing pending).
    zones = _zones(session) if found else {}
    return [{"row": row, "op": op,
             "units": local_units(row.units, zones.get(row.country_code, "UTC"))}
            for row, op in found]


def for_operation(session: Session, *, user: User, operation: Operation) -> list[dict[str, Any]]:
    """The operation page's confirmations: all for planners, administrators and the lead
    agency's liaison; a host's liaison sees its own country's only."""
    query = (select(UnitConfirmation).where(UnitConfirmation.operation_id == operation.id)
             .order_by(col(UnitConfirmation.id)))
    if user.role not in PLANNING_ROLES and not (
            user.role == Role.liaison and user.agency_id == operation.lead_agency_id):
        country = may_confirm_for(session, user)
        query = query.where(UnitConfirmation.country_code == (country or ""))
    found = session.exec(query).all()
    zones = _zones(session) if found else {}
    return [{"row": row, "units": local_units(row.units, zones.get(row.country_code, "UTC"))}
            for row in found]


def decide(
    session: Session, *, operation: Operation, confirmation_id: int, user: User,
    decision: Decision, reason: str,
) -> UnitConfirmation:
    """The host's confirmation or decline (with a reason) of one pending request."""
    row = session.get(UnitConfirmation, confirmation_id)
    if row is None or row.operation_id != operation.id:
        raise NotFound(N_("No such confirmation request"))
    country = may_confirm_for(session, user)
    if country is None or country not in ("*", row.country_code):
        raise Forbidden(later("Only a liaison officer of %(country)s confirms its units",
                              country=row.country_code))
    if row.decision is not None:
        raise Conflict(later("Already %(decision)s: this request was decided",
                             decision=row.decision.value))
    reason = reason.strip()
    if decision == Decision.declined and not reason:
        raise AppError(N_("Not declined: give the reason"), 422,
                       details=[{"path": "reason", "message": N_("needed to decline")}])
    if decision == Decision.approved and reason:
        raise AppError(N_("Not recorded: a confirmation carried a reason. To decline, press "
                          "Decline"), 422, details=[{"path": "reason",
                                                 "message": N_("a confirmation has no reason")}])
    row.decision, row.reason = decision, reason or None
    row.decided_by_id, row.decided_at = user.id, utcnow()
    session.add(row)
    audit(session, actor=user, action=f"unit_confirmation.{decision.value}",
          object_type="operation", object_id=operation.id, country=row.country_code,
          units=row.unit_key, reason=reason or None)
    session.flush()
    notify_publishers(session, row, operation=operation, actor=user)
    return row


def publishers(session: Session, row: UnitConfirmation, *, actor: User) -> list[User]:
    """Who is told of a host's decision: the planner who asked the hosts, while active;
    when nobody active is known to have asked, every active administrator (publishing
    waits on them). Never the officer who decided."""
    asker = session.get(User, row.requested_by_id) if row.requested_by_id else None
    told = [asker] if asker is not None and asker.is_active else list(session.exec(
        select(User).where(User.role == Role.admin, col(User.is_active).is_(True))
        .order_by(col(User.id))))
    return [u for u in told if u.id != actor.id]


def notify_publishers(session: Session, row: UnitConfirmation, *, operation: Operation,
                      actor: User) -> int:
    """A notice, in each reader's language, that a host confirmed or declined the foreign
    units of an operation, with where to publish (or change the plan); an email too when
    SMTP is configured. Returns how many notices were written."""
    readers = publishers(session, row, actor=actor)
    if not readers:
        return 0
    country = session.get(Country, row.country_code)
    public = get_settings().public_url
    values = {"country": country.name if country else row.country_code,
              "operation": f"{operation.code_name} ({operation.id})",
              "units": ", ".join(str(u.get("callsign") or u.get("unit")) for u in row.units),
              "link": f"{public.rstrip('/')}{PUBLISH_PAGE}" if public else PUBLISH_PAGE}
    if row.decision == Decision.approved:
        title = later("%(country)s confirmed the foreign units for %(operation)s", **values)
        body = later("%(country)s confirmed the units %(units)s for %(operation)s. The plan "
                     "is published once every host has confirmed its units: %(link)s",
                     **values)
    else:
        title = later("%(country)s declined the foreign units for %(operation)s", **values)
        body = later("%(country)s declined the units %(units)s for %(operation)s, saying: "
                     "%(reason)s. Change the plan and ask again: %(link)s",
                     reason=row.reason or "", **values)
    notice = Notice(user_id=0, operation_id=operation.id, unit_id="",
                    kind=NoticeKind.units_decided, title="", body="", tlp=operation.tlp,
                    created_at=utcnow())
    written = write_copies(session, readers, notice, title=title, body=body)
    session.flush()
    return written


def local_units(units: list[dict[str, Any]], zone: str) -> list[dict[str, Any]]:
    """The stored units with their times as text in the host's local time."""
    return [{**u, **{f"{name}_local": fmt_local(datetime.fromisoformat(u[name]), zone)
                     for name in ("start", "depart", "return")}} for u in units]


def _zones(session: Session) -> dict[str, str]:
    return {c.code: c.timezone for c in session.exec(select(Country))}
