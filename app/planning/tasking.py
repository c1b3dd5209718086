"""My tasking: a unit's upcoming deployments, in its local time and UTC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from app.errors import NotFound
from app.i18n import N_
from app.models import (
    Agency,
    Country,
    Crossing,
    Operation,
    Region,
    Role,
    Site,
    Tasking,
    TaskingKind,
    TaskingStatus,
    Unit,
    User,
    utcnow,
)
from app.planning.visibility import keep, visible_ids
from app.repatriation.tasking import ESCORT_TLP, EscortDuty, duties, may_see_trips

# Cancelled orders stay listed this long, so an officer sees that a deployment was withdrawn.
CANCELLED_SHOWN = timedelta(days=7)


@dataclass
class Deployment:
    """One tasking order as its unit reads it."""

    tasking: Tasking
    unit: Unit
    timezone: str
    operation: str
    code_name: str
    site_region: str
    crossing: str | None
    # (country code, time zone) of every country the operation's sites are in.
    zones: list[tuple[str, str]] = field(default_factory=list)
    # What the officer needs in the field; None for a cancelled order (it grants nothing).
    brief: Brief | None = None

    @property
    def post(self) -> bool:
        """A cordon post: `crossing` is the crossing it seals, `site_region` its side."""
        return self.tasking.kind == TaskingKind.cordon_post


@dataclass
class Contact:
    """Someone a tasked unit may need to reach: what they are, their name, their phone."""

    role: str
    name: str
    phone: str

    @property
    def given(self) -> bool:
        return bool(self.name or self.phone)

    @property
    def tel(self) -> str:
        """The phone as a tel: URI (digits and a leading +), or "" when there is none."""
        digits = "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")
        return f"tel:{digits}" if digits.strip("+") else ""


@dataclass
class Brief:
    """What one live tasking needs to know of its operation, and no more.

    Its own site only (objective, where, the rendezvous), the other units ordered to the
    same site, who leads and commands, the radio net, and whom to call: the duty
    officers, a liaison officer per host country and the checkpoint of its crossing.
    Never the approvals, the history, the other sites or any agency's private notes.
    """

    objective: str
    place: str
    rendezvous: str
    rendezvous_at: datetime
    lead: str
    commander: str
    commander_phone: str
    radio_net: str
    others: list[tuple[str, Unit]]
    contacts: list[Contact]


def viewable_units(session: Session, *, user: User, unit_id: str | None) -> list[Unit]:
    """The units whose tasking this user asked for and may see (404 for any other)."""
    if unit_id is None:
        own = session.get(Unit, user.unit_id) if user.unit_id else None
        return [own] if own else []
    unit = session.get(Unit, unit_id)
    allowed = unit is not None and (
        user.role in (Role.admin, Role.coordinator, Role.planner)
        or (user.role == Role.liaison and unit.agency_id == user.agency_id)
        or unit.id == user.unit_id
    )
    if unit is None or not allowed:
        raise NotFound(N_("No such unit"))
    return [unit]


def upcoming(
    session: Session, *, units: list[Unit], user: User, now: datetime | None = None
) -> list[Deployment]:
    """Deployments not yet over (and recently cancelled ones) of operations the user may see."""
    if not units:
        return []
    ids = visible_ids(session, user=user)
    now = now or utcnow()
    query = (
        select(Tasking, Operation, Region, Crossing)
        .join(Operation, col(Operation.id) == Tasking.operation_id)
        .outerjoin(Site, col(Site.id) == Tasking.site_id)
        # A raid order is at its site's region, a cordon post at its side's region.
        .join(Region, col(Region.id) == func.coalesce(Site.region_id, Tasking.post_region_id))
        .outerjoin(Crossing, col(Crossing.id) == Tasking.crossing_id)
        .where(col(Tasking.unit_id).in_([u.id for u in units]), Tasking.return_at >= now)
        .order_by(col(Tasking.depart), col(Tasking.id))
    )
    zones = _unit_zones(session, units)
    by_id = {u.id: u for u in units}
    result = []
    rows = session.exec(query).all()
    touched = _operation_zones(session, {op.id for _, op, _, _ in rows})
    for tasking, op, region, crossing in rows:
        if not keep(ids, op.id):
            continue
        if tasking.status == TaskingStatus.cancelled and (
            tasking.cancelled_at is None or tasking.cancelled_at < now - CANCELLED_SHOWN
        ):
            continue
        result.append(Deployment(
            tasking, by_id[tasking.unit_id], zones[tasking.unit_id], op.id, op.code_name,
            f"{region.name} ({region.country_code})", crossing.name if crossing else None,
            touched.get(op.id, []),
            brief(session, tasking=tasking, operation=op)
            if tasking.status == TaskingStatus.active else None,
        ))
    return result


def escort_duties(
    session: Session, *, units: list[Unit], user: User, now: datetime | None = None
) -> list[EscortDuty]:
    """The units' escort trips of published hand-over plans not yet over (and recently
    cancelled ones), for a user who may know of them (app.repatriation.tasking)."""
    now = now or utcnow()
    shown = [u.id for u in units if may_see_trips(session, user, u)]
    return duties(session, unit_ids=shown, cancelled_since=now - CANCELLED_SHOWN,
                  ending_after=now)


def escort_order(session: Session, *, user: User, unit_id: str | None) -> dict[str, Any]:
    """A unit's escort trips as they print (404 as My tasking for a unit not viewable;
    none listed for a reader who may not know of them)."""
    units = viewable_units(session, user=user, unit_id=unit_id)
    if not units:
        raise NotFound(N_("You are not assigned to a unit: name one to print its escort trips"))
    return {"unit": units[0], "escorts": escort_duties(session, units=units, user=user),
            "tlp": ESCORT_TLP}


def units_alongside(session: Session, tasking: Tasking) -> list[tuple[str, Unit]]:
    """The other units ordered to the same place, with their capability: the same site,
    or for a cordon post the same side of the same crossing in the same operation."""
    same_place = (Tasking.site_id == tasking.site_id) if tasking.site_id else (
        (Tasking.crossing_id == tasking.crossing_id) & (Tasking.side == tasking.side)
        & (Tasking.operation_id == tasking.operation_id))
    rows = session.exec(
        select(Tasking, Unit).join(Unit, col(Unit.id) == col(Tasking.unit_id))
        .where(same_place, Tasking.unit_id != tasking.unit_id,
               Tasking.status == TaskingStatus.active)
        .order_by(col(Unit.callsign))).all()
    return [(t.capability, u) for t, u in rows]


def brief(session: Session, *, tasking: Tasking, operation: Operation) -> Brief:
    """The field brief of one tasking (the caller checked the reader may see it)."""
    # A cordon post (no site) is at its side of the crossing it seals.
    site = session.get(Site, tasking.site_id) if tasking.site_id else None
    crossing = session.get(Crossing, tasking.crossing_id) if tasking.crossing_id else None
    region_id = site.region_id if site else tasking.post_region_id or ""
    region = session.get(Region, region_id)
    country = session.get(Country, region.country_code) if region else None
    place = (f"{region.name}, {country.name if country else region.country_code}"
             if region else region_id)
    spot = site if site is not None else crossing
    point = (f" · {spot.lat:.5f}, {spot.lon:.5f}" if spot is not None and spot.lat is not None
             and spot.lon is not None else " (region centre: no point given)")
    others = units_alongside(session, tasking)
    lead = session.get(Agency, operation.lead_agency_id)
    unit = session.get(Unit, tasking.unit_id)
    own = session.get(Agency, unit.agency_id) if unit else None
    contacts = [Contact("Commander on the ground", operation.commander,
                        operation.commander_phone)]
    for agency, label in ((lead, "lead agency"), (own, "your agency")):
        if agency is not None and (label == "lead agency" or agency.id != operation.lead_agency_id):
            contacts.append(Contact(f"Duty officer, {agency.id} ({label})",
                                    agency.duty_officer, agency.duty_phone))
    hosts = session.exec(
        select(Country).join(Region, col(Region.country_code) == col(Country.code))
        .join(Site, col(Site.region_id) == col(Region.id))
        .where(Site.operation_id == operation.id).distinct()
        .order_by(col(Country.code))).all()
    for host in hosts:
        liaisons = [a for a in session.exec(
            select(Agency).where(Agency.country_code == host.code).order_by(col(Agency.id)))
            if a.liaison_name or a.liaison_phone]
        contacts += [Contact(f"Liaison in {host.name}, {a.id}", a.liaison_name,
                             a.liaison_phone) for a in liaisons]
        if not liaisons:
            contacts.append(Contact(f"Liaison in {host.name}", "", ""))
    if crossing is not None:
        contacts.append(Contact(f"Checkpoint, {crossing.name}", crossing.checkpoint_contact,
                                crossing.checkpoint_phone))
    return Brief(
        objective=(site.objective or f"site {site.id}") if site else
        f"cordon post: let no one cross at {crossing.name if crossing else tasking.crossing_id}"
        f", side {tasking.side}", place=place,
        rendezvous=f"{place}{point}", rendezvous_at=tasking.start,
        lead=f"{lead.name} ({lead.id})" if lead else operation.lead_agency_id,
        commander=operation.commander, commander_phone=operation.commander_phone,
        radio_net=operation.radio_net, others=others,
        contacts=contacts,
    )


def _unit_zones(session: Session, units: list[Unit]) -> dict[str, str]:
    """Each unit's local zone: the time zone of its agency's country."""
    query = (
        select(Unit.id, Country.timezone)
        .join(Agency, col(Agency.id) == Unit.agency_id)
        .join(Country, col(Country.code) == Agency.country_code)
        .where(col(Unit.id).in_([u.id for u in units]))
    )
    return {unit_id: zone for unit_id, zone in session.exec(query).all()}


def operation_zones(session: Session, operation_id: str) -> list[tuple[str, str]]:
    """The (country, zone) pairs one operation touches through its sites."""
    return _operation_zones(session, {operation_id}).get(operation_id, [])


def _operation_zones(session: Session, operation_ids: set[str]) -> dict[str, list[tuple[str, str]]]:
    """The (country, zone) pairs each operation touches through its sites, by country."""
    if not operation_ids:
        return {}
    query = (
        select(Site.operation_id, Country.code, Country.timezone).distinct()
        .join(Region, col(Region.id) == Site.region_id)
        .join(Country, col(Country.code) == Region.country_code)
        .where(col(Site.operation_id).in_(sorted(operation_ids)))
    )
    found: dict[str, list[tuple[str, str]]] = {}
    for op_id, code, zone in session.exec(query).all():
        found.setdefault(op_id, []).append((code, zone))
    return {op_id: sorted(pairs) for op_id, pairs in found.items()}


def tasking_order(session: Session, *, user: User, uid: str) -> dict[str, Any]:
    """One unit's tasking order as it prints: what the officer needs to know, and no more.

    404 unless the user may see the unit's tasking (viewable_units) and the operation.
    """
    tasking = session.exec(select(Tasking).where(Tasking.uid == uid)).first()
    if tasking is None:
        raise NotFound(N_("No such tasking order"))
    (unit,) = viewable_units(session, user=user, unit_id=tasking.unit_id)
    if not keep(visible_ids(session, user=user), tasking.operation_id):
        raise NotFound(N_("No such tasking order"))
    op = session.get(Operation, tasking.operation_id)
    site = session.get(Site, tasking.site_id) if tasking.site_id else None
    assert op is not None and (site is not None or tasking.post_region_id is not None)
    region = session.get(Region, site.region_id if site else tasking.post_region_id)
    country = session.get(Country, region.country_code) if region else None
    lead = session.get(Agency, op.lead_agency_id)
    author = session.get(User, op.created_by_id) if op.created_by_id else None
    return {
        "brief": brief(session, tasking=tasking, operation=op)
        if tasking.status == TaskingStatus.active else None,
        "t": tasking, "unit": unit, "op": op, "site": site, "region": region,
        "country": country, "zone": _unit_zones(session, [unit]).get(unit.id, "UTC"),
        "zones": _operation_zones(session, {op.id}).get(op.id, []),
        "crossing": session.get(Crossing, tasking.crossing_id) if tasking.crossing_id else None,
        "others": units_alongside(session, tasking),
        "lead": lead.name if lead else op.lead_agency_id,
        "author": (author.full_name or author.username) if author else None,
    }
