"""Mutual-support offers: an agency offers units to another country for a campaign phase.

| step     | who may                                                                   |
| -------- | ------------------------------------------------------------------------- |
| see      | whoever sees the campaign                                                 |
| offer    | admins; planners of a participating agency, of their own agency's units   |
| accept / decline | admins; planners of a participating agency of the receiving country |
| withdraw | admins; planners of the offering agency (offered or accepted)             |

Each change is a compare-and-set on `version` (409 when someone changed it since it was
read) and is audited.

What acceptance does for the solver: the spec's agreements are directional country pairs
(`units of from may be deployed into to`), with no dates and no unit list. So an accepted
offer adds the agreement {offering country → receiving country} to the planning scenario
of a solve (app/planning/scenario.py) only when that solve has an operation of the offer's
phase with a site in the receiving country; the operation still needs the host's consent
to foreign units (`foreign_support`), as the spec says. A solve of other operations never
sees it. The format cannot name the units, so while the agreement is in, any unit of the
offering country could be chosen: the offer's units are what the page and the analysis
speak of (the capacity page counts only them as able to serve, capacity.py).

Why no scenario narrows it to the offer's units and dates (scenario-format.md, version 1):
- `agreements` are `{from, to}` country codes only: no units, no dates;
- `units[].operating_regions` restricts a unit in its own country only ("never restricts
  work abroad", rule 6), so it cannot keep the units left out of the offer at home;
- `units[].available` is the unit's whole time, at home and abroad: cutting an offered
  unit's windows to the phase's dates would also bar its work at home outside them, and
  it keeps no other unit of the country at home;
- `operations[].foreign_support` is one consent for every foreign country: clearing it
  on the operations outside the offer would also take away the units of the standing
  agreements;
- a unit's country is its agency's, its base a region of that country: moving the units
  left out to a made-up agency or country would change the board's register, and the
  plan would no longer be checked against the board's own scenario.
What is narrowed: the agreement goes only into solves with an operation of the offer's
phase (its dates) in the receiving country; a solve of other operations never sees it.
Narrower would take a unit list handed to the solver beside the scenario, outside the
exchange format: not done. tests/campaigns/test_capacity.py shows the limit (a unit of
the offering country that was not offered is sent).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from app import audit as trail
from app.errors import AppError, Conflict, Forbidden, NotFound
from app.i18n import N_, later
from app.models import (
    Agency,
    Campaign,
    CampaignAgency,
    Country,
    OfferState,
    OperationPhase,
    Phase,
    Role,
    SupportOffer,
    Unit,
    User,
    utcnow,
)


class InvalidOffer(AppError):
    """An offer that breaks a rule; `errors` maps a field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("The offer is not valid; see the fields marked", 422,
                         details=[{"path": k, "message": v} for k, v in errors.items()])
        self.errors = errors


def _participants(session: Session, campaign_id: int) -> set[str]:
    return set(session.exec(select(CampaignAgency.agency_id)
                            .where(CampaignAgency.campaign_id == campaign_id)))


def offers_of(session: Session, campaign_id: int) -> list[SupportOffer]:
    """The campaign's offers, newest first."""
    phases = select(Phase.id).where(Phase.campaign_id == campaign_id)
    return list(session.exec(select(SupportOffer)
                             .where(col(SupportOffer.phase_id).in_(phases))
                             .order_by(col(SupportOffer.id).desc())))


def get_offer(session: Session, *, campaign: Campaign, offer_id: int) -> SupportOffer:
    """The offer of this campaign, or 404."""
    offer = session.get(SupportOffer, offer_id)
    phase = session.get(Phase, offer.phase_id) if offer else None
    if offer is None or phase is None or phase.campaign_id != campaign.id:
        raise NotFound(N_("No such offer"))
    return offer


def agency_country(session: Session, agency_id: str) -> str:
    agency = session.get(Agency, agency_id)
    return agency.country_code if agency else ""


def may_offer(session: Session, user: User, campaign: Campaign) -> bool:
    if user.role == Role.admin:
        return True
    return (user.role == Role.planner
            and user.agency_id in _participants(session, campaign.id or 0))


def may_decide(session: Session, user: User, campaign: Campaign, offer: SupportOffer) -> bool:
    """Admins, or a planner of a participating agency of the receiving country."""
    if user.role == Role.admin:
        return True
    return (user.role == Role.planner and user.agency_id is not None
            and user.agency_id in _participants(session, campaign.id or 0)
            and agency_country(session, user.agency_id) == offer.to_country)


def may_withdraw(user: User, offer: SupportOffer) -> bool:
    return user.role == Role.admin or (user.role == Role.planner
                                       and user.agency_id == offer.from_agency_id)


def validate(session: Session, *, campaign: Campaign, user: User, data: dict[str, Any]
             ) -> dict[str, Any]:
    """The offer's fields checked: phase of this campaign, a participating agency (the
    planner's own), another country, units of that agency. Errors name each field."""
    errors: dict[str, str] = {}
    phases = {p.id: p for p in session.exec(select(Phase)
                                            .where(Phase.campaign_id == campaign.id))}
    phase_id = _int(data.get("phase_id"))
    if phase_id not in phases:
        errors["phase_id"] = later("choose a phase of this campaign")
    agency_id = str(data.get("from_agency_id") or (user.agency_id or "")).strip()
    if user.role != Role.admin and agency_id != user.agency_id:
        errors["from_agency_id"] = later("a planner offers the units of their own agency")
    elif agency_id not in _participants(session, campaign.id or 0):
        errors["from_agency_id"] = later(
            "agency %(agency)s does not take part in this campaign", agency=repr(agency_id))
    home = agency_country(session, agency_id)
    to_country = str(data.get("to_country") or "").strip().upper()
    if session.get(Country, to_country) is None:
        errors["to_country"] = later("unknown country %(country)s",
                                       country=repr(to_country))
    elif to_country == home:
        errors["to_country"] = later(
            "offer units to another country than the agency's own")
    raw = data.get("unit_ids")
    unit_ids = ([u.strip() for u in raw.split(",")] if isinstance(raw, str)
                else [str(u).strip() for u in raw] if isinstance(raw, list) else [])
    unit_ids = sorted({u for u in unit_ids if u})
    if not unit_ids:
        errors["unit_ids"] = later("offer at least one unit")
    else:
        owned = set(session.exec(select(Unit.id).where(col(Unit.id).in_(unit_ids),
                                                       Unit.agency_id == agency_id)))
        foreign = [u for u in unit_ids if u not in owned]
        if foreign:
            errors["unit_ids"] = later("not units of %(agency)s: %(units)s",
                                           agency=agency_id, units=", ".join(foreign))
    note = str(data.get("note") or "")
    if len(note) > 2000:
        errors["note"] = later("at most 2,000 characters")
    if errors:
        raise InvalidOffer(errors)
    return {"phase_id": phase_id, "from_agency_id": agency_id, "to_country": to_country,
            "unit_ids": unit_ids, "note": note}


def create(session: Session, *, campaign: Campaign, user: User, data: dict[str, Any]
           ) -> SupportOffer:
    """Record a new offer (state offered, version 1)."""
    if not may_offer(session, user, campaign):
        raise Forbidden(N_("Only planners of a participating agency make offers"))
    fields = validate(session, campaign=campaign, user=user, data=data)
    offer = SupportOffer(**fields, created_by_id=user.id)
    session.add(offer)
    session.flush()
    trail.record(session, actor=user, action="support_offer.create",
                 object_type="support_offer", object_id=offer.id,
                 details={"campaign_id": campaign.id, **fields, "note": None})
    return offer


# Which states each decision may leave.
_FROM = {OfferState.accepted: (OfferState.offered,),
         OfferState.declined: (OfferState.offered,),
         OfferState.withdrawn: (OfferState.offered, OfferState.accepted)}


def decide(session: Session, *, campaign: Campaign, offer: SupportOffer, user: User,
           state: OfferState, version: int | None, reason: str = "") -> SupportOffer:
    """Accept, decline or withdraw the offer read at `version` (409 if it changed since)."""
    if state in (OfferState.accepted, OfferState.declined):
        if not may_decide(session, user, campaign, offer):
            raise Forbidden(later("Only planners of %(country)s, the receiving country, "
                                  "accept or decline this offer", country=offer.to_country))
    elif state == OfferState.withdrawn:
        if not may_withdraw(user, offer):
            raise Forbidden(N_("Only planners of the offering agency withdraw this offer"))
    else:
        raise InvalidOffer({"state": later("accept, decline or withdraw")})
    if not isinstance(version, int) or isinstance(version, bool) \
            or not 0 <= version < 2**31:  # the column's range: beyond it no row matches
        raise InvalidOffer({"version": later("give the version you read")})
    if len(reason) > 2000:
        raise InvalidOffer({"reason": later("at most 2,000 characters")})
    if offer.state not in _FROM[state]:
        raise Conflict(later("This offer is %(state)s; it cannot be %(new_state)s now",
                             state=offer.state.value, new_state=state.value))
    now = utcnow()
    done = session.execute(
        update(SupportOffer)
        .where(col(SupportOffer.id) == offer.id, col(SupportOffer.version) == version,
               col(SupportOffer.state).in_(_FROM[state]))
        .values(state=state, version=SupportOffer.version + 1, decided_by_id=user.id,
                decided_at=now, updated_at=now, decision_reason=reason)
        .execution_options(synchronize_session=False))
    if not done.rowcount:  # type: ignore[attr-defined]
        session.refresh(offer)
        raise Conflict(later("This offer changed since you read it (now version %(version)s, "
                             "%(state)s); reload and decide again", version=offer.version,
                             state=offer.state.value))
    session.refresh(offer)
    trail.record(session, actor=user, action=f"support_offer.{state.value}",
                 object_type="support_offer", object_id=offer.id,
                 details={"campaign_id": campaign.id, "version": offer.version,
                          "to_country": offer.to_country, "from_agency_id":
                          offer.from_agency_id})
    return offer


def as_json(offer: SupportOffer) -> dict[str, Any]:
    return {"id": offer.id, "phase_id": offer.phase_id, "from_agency_id": offer.from_agency_id,
            "to_country": offer.to_country, "unit_ids": list(offer.unit_ids),
            "note": offer.note, "state": offer.state.value, "version": offer.version,
            "decision_reason": offer.decision_reason,
            "decided_at": offer.decided_at.isoformat() if offer.decided_at else None}


# --- what acceptance gives the solver -----------------------------------------------------


def offer_agreements(session: Session, document: dict[str, Any],
                     states: tuple[OfferState, ...] = (OfferState.accepted,)
                     ) -> list[dict[str, Any]]:
    """The offers (in `states`) that bear on this scenario document: one of its operations
    is in the offer's phase and has a site in the receiving country. Each as
    {offer, from, to, units}."""
    op_ids = [op["id"] for op in document.get("operations", [])]
    if not op_ids:
        return []
    region_country = {r["id"]: r["country"] for r in document.get("regions", [])}
    hosts = {op["id"]: {region_country.get(s["region"]) for s in op.get("sites", [])}
             for op in document.get("operations", [])}
    agency_home = {a["id"]: a["country"] for a in document.get("agencies", [])}
    phase_ops: dict[int, set[str]] = {}
    for op_id, phase_id in session.exec(select(OperationPhase.operation_id,
                                               OperationPhase.phase_id)
                                        .where(col(OperationPhase.operation_id).in_(op_ids))):
        phase_ops.setdefault(phase_id, set()).add(op_id)
    found = []
    for offer in session.exec(select(SupportOffer)
                              .where(col(SupportOffer.state).in_(states),
                                     col(SupportOffer.phase_id).in_(list(phase_ops)))
                              .order_by(col(SupportOffer.id))):
        home = agency_home.get(offer.from_agency_id)
        if home is None or home == offer.to_country:
            continue
        if any(offer.to_country in hosts[op] for op in phase_ops[offer.phase_id]):
            found.append({"offer": offer.id, "from": home, "to": offer.to_country,
                          "units": list(offer.unit_ids)})
    return found


def add_offer_agreements(session: Session, document: dict[str, Any]) -> list[int]:
    """Add to the document the agreements its accepted offers bring (once per country
    pair); the ids of the offers that bore on it."""
    agreements = document.setdefault("agreements", [])
    have = {(a["from"], a["to"]) for a in agreements}
    used = []
    for found in offer_agreements(session, document):
        used.append(found["offer"])
        pair = (found["from"], found["to"])
        if pair not in have:
            have.add(pair)
            agreements.append({"from": pair[0], "to": pair[1]})
    return used


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
