"""HTML pages of a campaign's capacity gap: the gap, mutual-support offers, and the
"what would help most" analysis (queued, polled, ranked)."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from app.campaigns import capacity, offers, service
from app.campaigns.deps import CampaignUser, VisibleCampaign
from app.campaigns.figures import neutralise
from app.campaigns.views import Posted
from app.db import SessionDep
from app.deps import RowId
from app.errors import Conflict
from app.i18n import N_, later, shown
from app.models import Agency, Campaign, Country, OfferState, Unit, User
from app.web import redirect, render

router = APIRouter(tags=["campaigns"])

DECISIONS = {"accept": OfferState.accepted, "decline": OfferState.declined,
             "withdraw": OfferState.withdrawn}


def _context(session: Session, user: User, campaign: Campaign) -> dict[str, Any]:
    assert campaign.id is not None
    found = capacity.latest_analysis(session, campaign)
    rows = offers.offers_of(session, campaign.id)
    participants = service.agencies_of(session, campaign.id)
    return {
        "campaign": campaign, "gap": capacity.compute(session, campaign=campaign, viewer=user),
        "phases": service.phases_of(session, campaign.id),
        "offers": [(o, offers.may_decide(session, user, campaign, o),
                    offers.may_withdraw(user, o)) for o in rows],
        "may_offer": offers.may_offer(session, user, campaign),
        "may_analyse": capacity.may_analyse(session, user, campaign),
        "agencies": participants if user.role.value == "admin" else [user.agency_id],
        "countries": session.exec(select(Country).order_by(col(Country.code))).all(),
        "units": session.exec(select(Unit).where(col(Unit.agency_id).in_(participants))
                              .order_by(col(Unit.id))).all(),
        "agency_names": dict(session.exec(select(Agency.id, Agency.name)).all()),
        "analysis": capacity.analysis_json(session, analysis=found[0], run=found[1],
                                           viewer=user) if found else None,
        "offer_data": {}, "offer_errors": {}, "conflict": None,
    }


@router.get("/campaigns/{campaign_id}/capacity")
def capacity_page(request: Request, session: SessionDep, user: CampaignUser,
                  campaign: VisibleCampaign) -> Response:
    """Demand, supply and operations short per phase, region and capability; offers;
    what would help most."""
    return render(request, "campaigns/capacity.html", _context(session, user, campaign))


@router.get("/campaigns/{campaign_id}/capacity/help")
def help_fragment(request: Request, session: SessionDep, user: CampaignUser,
                  campaign: VisibleCampaign) -> Response:
    """The analysis's progress, then its ranking (the block the page polls)."""
    return render(request, "campaigns/capacity.html", _context(session, user, campaign),
                  block="help")


@router.get("/campaigns/{campaign_id}/capacity.csv")
def capacity_csv(session: SessionDep, user: CampaignUser, campaign: VisibleCampaign) -> Response:
    """The capacity gap as CSV (formula cells neutralised)."""
    gap = capacity.compute(session, campaign=campaign, viewer=user)
    out = io.StringIO()
    rows = [r.as_json() for r in gap.rows]
    fields = list(rows[0]) if rows else ["phase", "country", "region", "capability", "short"]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise(v) for k, v in row.items()})
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="capacity-{campaign.id}.csv"'})


@router.post("/campaigns/{campaign_id}/offers")
def offer_create(request: Request, session: SessionDep, user: CampaignUser,
                 campaign: VisibleCampaign, form: Posted) -> Response:
    """Record an offer of units; errors re-render the form with the input kept."""
    data = {"phase_id": form.get("phase_id"), "from_agency_id": form.get("from_agency_id"),
            "to_country": form.get("to_country"), "unit_ids": form.getlist("unit_ids"),
            "note": form.get("note")}
    try:
        offers.create(session, campaign=campaign, user=user, data=data)
    except offers.InvalidOffer as exc:
        ctx = _context(session, user, campaign)
        ctx.update(offer_data=data, offer_errors=shown(exc.errors))
        return render(request, "campaigns/capacity.html", ctx, block="offers", status_code=422)
    session.commit()
    return redirect(request, f"/campaigns/{campaign.id}/capacity", flash=N_("Offer recorded."))


@router.post("/campaigns/{campaign_id}/offers/{offer_id}/{decision}")
def offer_decide(request: Request, session: SessionDep, user: CampaignUser,
                 campaign: VisibleCampaign, offer_id: RowId, decision: str,
                 form: Posted) -> Response:
    """Accept, decline or withdraw the offer at the version shown (409 if it changed)."""
    if decision not in DECISIONS:
        raise offers.InvalidOffer({"decision": "accept, decline or withdraw"})
    offer = offers.get_offer(session, campaign=campaign, offer_id=offer_id)
    version = offers._int(form.get("version"))
    try:
        offers.decide(session, campaign=campaign, offer=offer, user=user,
                      state=DECISIONS[decision], version=version,
                      reason=str(form.get("reason") or ""))
    except Conflict as exc:  # nothing was written: the compare-and-set refused it
        ctx = _context(session, user, campaign)
        ctx["conflict"] = exc.message
        return render(request, "campaigns/capacity.html", ctx, block="offers", status_code=409)
    session.commit()
    return redirect(request, f"/campaigns/{campaign.id}/capacity",
                    flash=later("Offer %(offer)s accepted.", offer=offer.id)
                    if decision == "accept"
                    else later("Offer %(offer)s declined.", offer=offer.id))


@router.post("/campaigns/{campaign_id}/capacity/help")
def help_start(request: Request, session: SessionDep, user: CampaignUser,
               campaign: VisibleCampaign) -> Response:
    """Queue a "what would help most" analysis; the page polls its progress."""
    capacity.start_analysis(session, campaign=campaign, user=user)
    session.commit()
    return redirect(request, f"/campaigns/{campaign.id}/capacity#help",
                    flash=N_("Analysis queued: it runs in the background."))


@router.post("/campaigns/{campaign_id}/capacity/help/stop")
def help_stop(request: Request, session: SessionDep, user: CampaignUser,
              campaign: VisibleCampaign) -> Response:
    """Stop the analysis under way; the changes solved so far are still ranked."""
    capacity.stop_analysis(session, campaign=campaign, user=user)
    session.commit()
    return redirect(request, f"/campaigns/{campaign.id}/capacity#help",
                    flash=N_("Stop asked: the analysis ends after its current solve."))
