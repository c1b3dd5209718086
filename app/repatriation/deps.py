"""Lookup-or-404 of cohorts and batches under need-to-know, and who uses these pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.db import SessionDep
from app.deps import RowId, require_role
from app.models import HandoverBatch, User
from app.repatriation import queries
from app.repatriation.queries import REPATRIATION_ROLES

RepatriationUser = Annotated[User, Depends(require_role(*REPATRIATION_ROLES))]


def get_visible_batch(batch_id: RowId, user: RepatriationUser, session: SessionDep
                      ) -> HandoverBatch:
    """The batch of the path if its cohort is the user's to know of; 404 otherwise."""
    return queries.get_visible_batch(session, user=user, batch_id=batch_id)


VisibleBatch = Annotated[HandoverBatch, Depends(get_visible_batch)]
