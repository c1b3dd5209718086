"""Admin use cases for regions, roads, border crossings and deployment agreements."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, col, or_, select

from app.admin.common import (
    FieldErrors,
    Page,
    apply,
    audit,
    check,
    count,
    find_country,
    find_region,
    paginate,
    refuse_if_used,
    region_label,
)
from app.admin.display import offset_label
from app.admin.schemas import (
    AgreementIn,
    CrossingCreateIn,
    CrossingUpdateIn,
    RegionCreateIn,
    RegionUpdateIn,
    RoadIn,
)
from app.errors import Conflict
from app.feeds.service import prerender_where
from app.i18n import N_, later
from app.models import (
    Agreement,
    Country,
    Crossing,
    CrossingClosure,
    Region,
    Road,
    Site,
    Tasking,
    Unit,
    User,
)

# The IANA zones of the Lancang-Mekong region (none has daylight saving): a crossing's
# zone is chosen from these, with any zone a country of the board already uses.
REGION_ZONES = ("Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Phnom_Penh", "Asia/Shanghai",
                "Asia/Vientiane", "Asia/Yangon")

# --- regions ------------------------------------------------------------------------


def list_regions(
    session: Session, *, q: str = "", page: int = 1, per_page: int = 50
) -> Page[Region]:
    """Regions by country and id, filtered by id, name or country."""
    query = select(Region).order_by(col(Region.country_code), col(Region.id))
    search = (Region.id, Region.name, Region.country_code)
    return paginate(session, query, q=q, search=search, page=page, per_page=per_page)


def create_region(session: Session, *, data: Mapping[str, Any], actor: User) -> Region:
    """Add a province or state of an existing country."""
    region_in = check(RegionCreateIn, data)
    find_country(session, region_in.country_code, "country_code")
    if session.get(Region, region_in.id) is not None:
        raise FieldErrors({"id": later("region %(id)s exists already", id=region_in.id)})
    region = Region.model_validate(region_in)
    session.add(region)
    audit(session, actor=actor, action="created", obj_type="region", obj_id=region.id,
          values=region_in.model_dump())
    session.flush()
    return region


def update_region(
    session: Session, *, region: Region, data: Mapping[str, Any], actor: User
) -> Region:
    """Rename or move a region (its country stays)."""
    changes = apply(region, check(RegionUpdateIn, data).model_dump())
    session.add(region)
    audit(session, actor=actor, action="updated", obj_type="region", obj_id=region.id,
          changes=changes)
    session.flush()
    if changes:  # calendar events name the region of their site
        prerender_where(session, col(Site.region_id) == region.id)
    return region


def delete_region(session: Session, *, region: Region, actor: User) -> None:
    """Delete a region nothing refers to; otherwise 409 naming what does."""
    rid = region.id
    same_country = select(Unit).join(Region, col(Region.id) == col(Unit.base_region_id))
    same_country = same_country.where(Region.country_code == region.country_code)
    operating = sum(rid in (u.operating_regions or []) for u in session.exec(same_country))
    refuse_if_used(later("region %(id)s", id=rid), [
        (count(session, select(Unit).where(Unit.base_region_id == rid)),
         N_("%(count)s based unit"), N_("%(count)s based units")),
        (operating, N_("%(count)s unit operating there"), N_("%(count)s units operating there")),
        (count(session, select(Site).where(Site.region_id == rid)),
         N_("%(count)s operation site"), N_("%(count)s operation sites")),
        (count(session, select(Road).where(or_(Road.a_id == rid, Road.b_id == rid))),
         N_("%(count)s road"), N_("%(count)s roads")),
        (count(session, select(Crossing).where(or_(Crossing.a_id == rid, Crossing.b_id == rid))),
         N_("%(count)s crossing"), N_("%(count)s crossings")),
    ])
    session.delete(region)
    audit(session, actor=actor, action="deleted", obj_type="region", obj_id=rid)
    session.flush()


# --- roads --------------------------------------------------------------------------


def list_roads(session: Session, *, q: str = "", page: int = 1, per_page: int = 50) -> Page[Road]:
    """Roads by their ends, filtered by either end."""
    query = select(Road).order_by(col(Road.a_id), col(Road.b_id), col(Road.id))
    return paginate(session, query, q=q, search=(Road.a_id, Road.b_id), page=page,
                    per_page=per_page)


def _checked_road(session: Session, data: Mapping[str, Any]) -> RoadIn:
    road_in = check(RoadIn, data)
    a = find_region(session, road_in.a_id, "a_id")
    b = find_region(session, road_in.b_id, "b_id")
    if a.country_code != b.country_code:
        raise FieldErrors({"b_id": later(
            "road joins %(a)s and %(b)s: roads join regions of one country; use a crossing",
            a=region_label(session, a), b=region_label(session, b))})
    return road_in


def create_road(session: Session, *, data: Mapping[str, Any], actor: User) -> Road:
    """Add an undirected road between two regions of one country."""
    road = Road.model_validate(_checked_road(session, data))
    session.add(road)
    session.flush()
    audit(session, actor=actor, action="created", obj_type="road", obj_id=str(road.id),
          a=road.a_id, b=road.b_id, minutes=road.minutes)
    session.flush()
    return road


def update_road(session: Session, *, road: Road, data: Mapping[str, Any], actor: User) -> Road:
    """Change a road's ends or driving time."""
    changes = apply(road, _checked_road(session, data).model_dump())
    session.add(road)
    audit(session, actor=actor, action="updated", obj_type="road", obj_id=str(road.id),
          changes=changes)
    session.flush()
    return road


def delete_road(session: Session, *, road: Road, actor: User) -> None:
    """Delete a road (nothing refers to roads)."""
    audit(session, actor=actor, action="deleted", obj_type="road", obj_id=str(road.id),
          a=road.a_id, b=road.b_id, minutes=road.minutes)
    session.delete(road)
    session.flush()


# --- crossings ----------------------------------------------------------------------


def list_crossings(
    session: Session, *, q: str = "", page: int = 1, per_page: int = 50
) -> Page[Crossing]:
    """Crossings by id, filtered by id, name or either end."""
    query = select(Crossing).order_by(col(Crossing.id))
    search = (Crossing.id, Crossing.name, Crossing.a_id, Crossing.b_id)
    return paginate(session, query, q=q, search=search, page=page, per_page=per_page)


def crossing_zones(session: Session) -> list[tuple[str, str]]:
    """The zones a crossing may be in, as (zone, "Asia/Yangon (UTC+06:30)") choices."""
    zones = set(REGION_ZONES) | set(session.exec(select(Country.timezone)))
    zones |= set(session.exec(select(Crossing.timezone)))  # an older crossing keeps its own
    return [(zone, f"{zone} ({offset_label(zone)})") for zone in sorted(zones)]


def _check_zone(session: Session, zone: str) -> None:
    if zone not in {z for z, _ in crossing_zones(session)}:
        raise FieldErrors({"timezone": later(
            "%(zone)s is not a zone of the region: choose the crossing's time zone from "
            "the list", zone=repr(zone))})


def create_crossing(session: Session, *, data: Mapping[str, Any], actor: User) -> Crossing:
    """Add a border crossing between regions of two countries."""
    crossing_in = check(CrossingCreateIn, data)
    _check_zone(session, crossing_in.timezone)
    a = find_region(session, crossing_in.a_id, "a_id")
    b = find_region(session, crossing_in.b_id, "b_id")
    if a.country_code == b.country_code:
        raise FieldErrors({"b_id": later(
            "crossing joins %(a)s and %(b)s: a crossing joins two countries; use a road",
            a=region_label(session, a), b=region_label(session, b))})
    if session.get(Crossing, crossing_in.id) is not None:
        raise FieldErrors({"id": later("crossing %(id)s exists already", id=crossing_in.id)})
    values = crossing_in.model_dump(exclude={"open_windows"})
    crossing = Crossing(**values, open_windows=crossing_in.stored_windows())
    session.add(crossing)
    audit(session, actor=actor, action="created", obj_type="crossing", obj_id=crossing.id,
          values={**values, "open_windows": crossing.open_windows})
    session.flush()
    return crossing


def update_crossing(
    session: Session, *, crossing: Crossing, data: Mapping[str, Any], actor: User
) -> Crossing:
    """Change a crossing's name, hours, lanes, transit time or zone (its ends stay)."""
    crossing_in = check(CrossingUpdateIn, data)
    _check_zone(session, crossing_in.timezone)
    values = crossing_in.model_dump(exclude={"open_windows"})
    changes = apply(crossing, {**values, "open_windows": crossing_in.stored_windows()})
    session.add(crossing)
    audit(session, actor=actor, action="updated", obj_type="crossing", obj_id=crossing.id,
          changes=changes)
    session.flush()
    if changes:  # calendar events give the crossing's name and local times
        prerender_where(session, col(Tasking.crossing_id) == crossing.id)
    return crossing


def delete_crossing(session: Session, *, crossing: Crossing, actor: User) -> None:
    """Delete a crossing no published tasking passes through."""
    used = count(session, select(Tasking).where(Tasking.crossing_id == crossing.id))
    refuse_if_used(later("crossing %(id)s", id=crossing.id), [
        (used, N_("%(count)s published tasking"), N_("%(count)s published taskings"))])
    audit(session, actor=actor, action="deleted", obj_type="crossing", obj_id=crossing.id)
    session.delete(crossing)
    session.flush()


# --- crossing closures ---------------------------------------------------------------


def list_closures(session: Session, crossing: Crossing) -> list[CrossingClosure]:
    """The crossing's closures, the earliest first."""
    return list(session.exec(
        select(CrossingClosure).where(CrossingClosure.crossing_id == crossing.id)
        .order_by(col(CrossingClosure.starts_on), col(CrossingClosure.id))))


def add_closure(
    session: Session, *, crossing: Crossing, data: Mapping[str, str], actor: User
) -> CrossingClosure:
    """Close a crossing on whole local days, first to last (inclusive), for a reason.

    Fields: closure_starts_on, closure_ends_on (YYYY-MM-DD), closure_reason.
    """
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for name, label in (("closure_starts_on", N_("first day")),
                        ("closure_ends_on", N_("last day"))):
        text = (data.get(name) or "").strip()
        try:
            days[name] = date.fromisoformat(text)
        except ValueError:
            errors[name] = later(
                "give the %(day)s closed as YYYY-MM-DD (%(text)s is not a date)", day=label,
                text=repr(text)) if text else later("give the %(day)s closed as YYYY-MM-DD",
                                                    day=label)
    if not errors and days["closure_ends_on"] < days["closure_starts_on"]:
        errors["closure_ends_on"] = later("the last day closed is before the first")
    reason = (data.get("closure_reason") or "").strip()
    if not reason:
        errors["closure_reason"] = later("say why the crossing is closed (shown to planners)")
    elif len(reason) > 500:
        errors["closure_reason"] = later("at most 500 characters (this is %(count)s)",
                                         count=len(reason))
    if errors:
        raise FieldErrors(errors)
    closure = CrossingClosure(crossing_id=crossing.id, starts_on=days["closure_starts_on"],
                              ends_on=days["closure_ends_on"], reason=reason,
                              created_by_id=actor.id)
    session.add(closure)
    session.flush()
    audit(session, actor=actor, action="closed", obj_type="crossing", obj_id=crossing.id,
          values={"closure": closure.id, "starts_on": closure.starts_on.isoformat(),
                  "ends_on": closure.ends_on.isoformat(), "reason": reason})
    session.flush()
    return closure


def delete_closure(
    session: Session, *, crossing: Crossing, closure_id: int, actor: User
) -> CrossingClosure:
    """Lift one closure of the crossing."""
    closure = session.get(CrossingClosure, closure_id)
    if closure is None or closure.crossing_id != crossing.id:
        raise Conflict(later("crossing %(crossing)s has no closure %(closure)s (lifted already?)",
                             crossing=crossing.id, closure=closure_id))
    audit(session, actor=actor, action="reopened", obj_type="crossing", obj_id=crossing.id,
          values={"closure": closure.id, "starts_on": closure.starts_on.isoformat(),
                  "ends_on": closure.ends_on.isoformat(), "reason": closure.reason})
    session.delete(closure)
    session.flush()
    return closure


# --- agreements ---------------------------------------------------------------------


def list_agreements(
    session: Session, *, q: str = "", page: int = 1, per_page: int = 50
) -> Page[Agreement]:
    """Agreements by source then destination country."""
    query = select(Agreement).order_by(col(Agreement.from_country), col(Agreement.to_country))
    search = (Agreement.from_country, Agreement.to_country)
    return paginate(session, query, q=q, search=search, page=page, per_page=per_page)


def agreement_key(agreement: Agreement) -> str:
    """`TH-MM`: the URL key of an agreement."""
    return f"{agreement.from_country}-{agreement.to_country}"


def get_agreement(session: Session, key: str) -> Agreement | None:
    """The agreement of a `TH-MM` key, or None."""
    source, _, target = key.partition("-")
    return session.get(Agreement, (source, target))


def create_agreement(session: Session, *, data: Mapping[str, Any], actor: User) -> Agreement:
    """Let units of one country deploy into another (one direction only)."""
    agreement_in = check(AgreementIn, data)
    find_country(session, agreement_in.from_country, "from_country")
    find_country(session, agreement_in.to_country, "to_country")
    agreement = Agreement.model_validate(agreement_in)
    if get_agreement(session, agreement_key(agreement)) is not None:
        raise Conflict(later("agreement %(source)s → %(target)s exists already",
                             source=agreement.from_country, target=agreement.to_country))
    session.add(agreement)
    audit(session, actor=actor, action="created", obj_type="agreement",
          obj_id=agreement_key(agreement))
    session.flush()
    return agreement


def delete_agreement(session: Session, *, agreement: Agreement, actor: User) -> None:
    """Withdraw a deployment agreement (published taskings stay as they are)."""
    audit(session, actor=actor, action="deleted", obj_type="agreement",
          obj_id=agreement_key(agreement))
    session.delete(agreement)
    session.flush()
