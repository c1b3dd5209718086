"""Lookup-or-404 of a campaign under need-to-know, and the roles that see campaigns."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.campaigns import service
from app.db import SessionDep
from app.deps import RowId, require_role
from app.models import Campaign, Role, User

CAMPAIGN_ROLES = (Role.admin, Role.coordinator, Role.planner, Role.liaison)
CampaignUser = Annotated[User, Depends(require_role(*CAMPAIGN_ROLES))]


def get_visible_campaign(campaign_id: RowId, user: CampaignUser, session: SessionDep) -> Campaign:
    """The campaign of the path, if the user's agency takes part in it; 404 otherwise."""
    return service.get_visible_campaign(session, user=user, campaign_id=campaign_id)


VisibleCampaign = Annotated[Campaign, Depends(get_visible_campaign)]
