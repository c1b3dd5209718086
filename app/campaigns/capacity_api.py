"""JSON API under /api/v1: a campaign's capacity gap, its offers and its analyses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from app.campaigns import capacity, offers
from app.campaigns.deps import CampaignUser, VisibleCampaign
from app.db import SessionDep
from app.deps import RowId
from app.models import OfferState
from app.operations.api import NOT_FOUND

router = APIRouter(prefix="/api/v1", tags=["campaigns"])


@router.get("/campaigns/{campaign_id}/capacity",
            summary="The capacity gap, from the operations I may see", responses=NOT_FOUND)
def capacity_gap(session: SessionDep, user: CampaignUser,
                 campaign: VisibleCampaign) -> dict[str, Any]:
    """Demand, supply and operations short per phase, region and capability, and per
    country; only operations the caller may see are counted."""
    return capacity.compute(session, campaign=campaign, viewer=user).as_json()


@router.get("/campaigns/{campaign_id}/offers", summary="List the campaign's support offers",
            responses=NOT_FOUND)
def list_offers(session: SessionDep, user: CampaignUser,
                campaign: VisibleCampaign) -> list[dict[str, Any]]:
    return [offers.as_json(o) for o in offers.offers_of(session, campaign.id or 0)]


@router.post("/campaigns/{campaign_id}/offers", status_code=201,
             summary="Offer units to another country for a phase", responses=NOT_FOUND)
def create_offer(session: SessionDep, user: CampaignUser, campaign: VisibleCampaign,
                 body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """`{phase_id, from_agency_id, to_country, unit_ids: [...], note}`; errors name each
    field."""
    offer = offers.create(session, campaign=campaign, user=user, data=body)
    session.commit()
    return offers.as_json(offer)


@router.post("/campaigns/{campaign_id}/offers/{offer_id}/decision",
             summary="Accept, decline or withdraw an offer (with the version read)",
             responses=NOT_FOUND)
def decide_offer(session: SessionDep, user: CampaignUser, campaign: VisibleCampaign,
                 offer_id: RowId,
                 body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """`{state: accepted|declined|withdrawn, version, reason}`; 409 if the offer changed."""
    try:
        state = OfferState(str(body.get("state")))
    except ValueError:
        raise offers.InvalidOffer({"state": "accepted, declined or withdrawn"}) from None
    offer = offers.get_offer(session, campaign=campaign, offer_id=offer_id)
    version = body.get("version")
    offers.decide(session, campaign=campaign, offer=offer, user=user, state=state,
                  version=version if isinstance(version, int) else None,
                  reason=str(body.get("reason") or ""))
    session.commit()
    return offers.as_json(offer)


@router.post("/campaigns/{campaign_id}/capacity/analyses", status_code=202,
             summary="Queue a 'what would help most' analysis", responses=NOT_FOUND)
def start_analysis(session: SessionDep, user: CampaignUser,
                   campaign: VisibleCampaign) -> dict[str, Any]:
    """Runs in the background; poll `.../capacity/analyses/latest`."""
    analysis = capacity.start_analysis(session, campaign=campaign, user=user)
    session.commit()
    return {"id": analysis.id, "status": "queued"}


@router.get("/campaigns/{campaign_id}/capacity/analyses/latest",
            summary="Progress and ranking of the latest analysis", responses=NOT_FOUND)
def latest_analysis(session: SessionDep, user: CampaignUser,
                    campaign: VisibleCampaign) -> dict[str, Any]:
    """Status and progress (status null: none yet); once finished, the changes ranked by
    the priority they would unlock among the operations the caller may see."""
    found = capacity.latest_analysis(session, campaign)
    if found is None:
        return {"id": None, "status": None, "ranking": []}
    return capacity.analysis_json(session, analysis=found[0], run=found[1], viewer=user)
