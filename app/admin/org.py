"""Admin use cases for agencies and their units."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from app.admin.capabilities import known_capabilities
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
from app.admin.schemas import AgencyCreateIn, AgencyUpdateIn, UnitCreateIn, UnitUpdateIn
from app.feeds.service import prerender_where
from app.i18n import N_, later
from app.models import Agency, Country, Operation, Region, Tasking, Unit, User

# --- agencies -----------------------------------------------------------------------


def list_agencies(
    session: Session, *, q: str = "", page: int = 1, per_page: int = 50
) -> Page[Agency]:
    """Agencies by country and id, filtered by id, name or country."""
    query = select(Agency).order_by(col(Agency.country_code), col(Agency.id))
    search = (Agency.id, Agency.name, Agency.country_code)
    return paginate(session, query, q=q, search=search, page=page, per_page=per_page)


def create_agency(session: Session, *, data: Mapping[str, Any], actor: User) -> Agency:
    """Add a police or security agency of an existing country."""
    agency_in = check(AgencyCreateIn, data)
    find_country(session, agency_in.country_code, "country_code")
    if session.get(Agency, agency_in.id) is not None:
        raise FieldErrors({"id": later("agency %(id)s exists already", id=agency_in.id)})
    agency = Agency.model_validate(agency_in)
    session.add(agency)
    audit(session, actor=actor, action="created", obj_type="agency", obj_id=agency.id,
          values=agency_in.model_dump())
    session.flush()
    return agency


def update_agency(
    session: Session, *, agency: Agency, data: Mapping[str, Any], actor: User
) -> Agency:
    """Rename an agency (its country stays: its units are based there)."""
    changes = apply(agency, check(AgencyUpdateIn, data).model_dump())
    session.add(agency)
    audit(session, actor=actor, action="updated", obj_type="agency", obj_id=agency.id,
          changes=changes)
    session.flush()
    return agency


def delete_agency(session: Session, *, agency: Agency, actor: User) -> None:
    """Delete an agency with no units, users or operations; otherwise 409."""
    aid = agency.id
    refuse_if_used(later("agency %(id)s", id=aid), [
        (count(session, select(Unit).where(Unit.agency_id == aid)),
         N_("%(count)s unit"), N_("%(count)s units")),
        (count(session, select(User).where(User.agency_id == aid)),
         N_("%(count)s user account"), N_("%(count)s user accounts")),
        (count(session, select(Operation).where(Operation.lead_agency_id == aid)),
         N_("%(count)s operation it leads"), N_("%(count)s operations it leads")),
    ])
    audit(session, actor=actor, action="deleted", obj_type="agency", obj_id=aid)
    session.delete(agency)
    session.flush()


# --- units --------------------------------------------------------------------------


def list_units(
    session: Session, *, q: str = "", page: int = 1, per_page: int = 50
) -> Page[Unit]:
    """Units by agency and id, filtered by id, callsign, agency or base."""
    query = select(Unit).order_by(col(Unit.agency_id), col(Unit.id))
    search = (Unit.id, Unit.callsign, Unit.agency_id, Unit.base_region_id)
    return paginate(session, query, q=q, search=search, page=page, per_page=per_page)


def _check_places(session: Session, *, unit_in: UnitUpdateIn, agency: Agency) -> None:
    """The base and operating regions lie in the agency's country."""
    country = session.get(Country, agency.country_code)
    country_name = country.name if country else agency.country_code
    base = find_region(session, unit_in.base_region_id, "base_region_id")
    if base.country_code != agency.country_code:
        raise FieldErrors({"base_region_id": later(
            "base %(region)s is not in %(country)s, the country of agency %(agency)s: a "
            "unit's base must be in its agency's country",
            region=region_label(session, base), country=country_name, agency=agency.id)})
    for rid in unit_in.operating_regions or []:
        region = session.get(Region, rid)
        if region is None:
            raise FieldErrors({"operating_regions": later("unknown region %(region)s",
                                                               region=repr(rid))})
        if region.country_code != agency.country_code:
            raise FieldErrors({"operating_regions": later(
                "%(region)s is not in %(country)s: operating regions lie in the unit's own "
                "country (work abroad needs an agreement)",
                region=region_label(session, region), country=country_name)})


def _check_capabilities(session: Session, *, unit_in: UnitUpdateIn) -> None:
    """Every capability is on the managed list (Admin › Capabilities), as the operation
    form requires of requirements: a typo would make a unit no requirement can use."""
    known = set(known_capabilities(session))
    unknown = [name for name in unit_in.capabilities if name not in known]
    if unknown:
        raise FieldErrors({"capabilities": (
            f"{', '.join(repr(n) for n in unknown)} not on the list of capabilities: choose "
            "from the list, or add it under Admin › Capabilities first")})


def create_unit(session: Session, *, data: Mapping[str, Any], actor: User) -> Unit:
    """Add a unit of an agency, based in the agency's country."""
    unit_in = check(UnitCreateIn, data)
    agency = session.get(Agency, unit_in.agency_id)
    if agency is None:
        raise FieldErrors({"agency_id": later("unknown agency %(agency)s",
                                                       agency=repr(unit_in.agency_id))})
    _check_places(session, unit_in=unit_in, agency=agency)
    _check_capabilities(session, unit_in=unit_in)
    if session.get(Unit, unit_in.id) is not None:
        raise FieldErrors({"id": later("unit %(id)s exists already", id=unit_in.id)})
    values = {**unit_in.stored(), "id": unit_in.id, "agency_id": agency.id}
    unit = Unit(**values)
    session.add(unit)
    audit(session, actor=actor, action="created", obj_type="unit", obj_id=unit.id, values=values)
    session.flush()
    return unit


def update_unit(session: Session, *, unit: Unit, data: Mapping[str, Any], actor: User) -> Unit:
    """Change a unit's callsign, capabilities, strength, base, regions or availability."""
    unit_in = check(UnitUpdateIn, data)
    agency = session.get(Agency, unit.agency_id)
    assert agency is not None  # a foreign key
    _check_places(session, unit_in=unit_in, agency=agency)
    _check_capabilities(session, unit_in=unit_in)
    changes = apply(unit, unit_in.stored())
    session.add(unit)
    audit(session, actor=actor, action="updated", obj_type="unit", obj_id=unit.id,
          changes=changes)
    session.flush()
    if changes:  # calendar events give the callsign and times in the home zone
        prerender_where(session, col(Tasking.unit_id) == unit.id)
    return unit


def delete_unit(session: Session, *, unit: Unit, actor: User) -> None:
    """Delete a unit with no published taskings and no attached users; otherwise 409."""
    refuse_if_used(later("unit %(id)s", id=unit.id), [
        (count(session, select(Tasking).where(Tasking.unit_id == unit.id)),
         N_("%(count)s published tasking"), N_("%(count)s published taskings")),
        (count(session, select(User).where(User.unit_id == unit.id)),
         N_("%(count)s attached user"), N_("%(count)s attached users")),
    ])
    audit(session, actor=actor, action="deleted", obj_type="unit", obj_id=unit.id)
    session.delete(unit)
    session.flush()
