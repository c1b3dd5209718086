"""Escort trips of hand-over plans in the feeds, beside the raid taskings.

An escort unit's published trips (app.repatriation.tasking) reach the same feeds as its
raid taskings: the officer feed of its officers, the unit feed and its agency's feed.
They are rendered by the taskings' code (`TaskingView`, the block cache), keep their
UID for good, raise SEQUENCE on every change and stay listed as CANCELLED for the
grace period once a new plan drops them. There are few of them, so they are loaded in
full whenever their fingerprint moves, not amended by UID like taskings.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.feeds.blocks import block_key
from app.feeds.events import CANCEL_GRACE
from app.feeds.queries import Loaded
from app.models import Unit, User
from app.models.feeds import FeedKind, FeedSubscription
from app.repatriation.tasking import duties, feed_row, view


def unit_ids(session: Session, *, sub: FeedSubscription, user: User) -> list[str]:
    """The units whose trips this feed shows (access is checked by tokens.may_hold)."""
    if sub.kind == FeedKind.officer:
        return [user.unit_id] if user.unit_id else []
    if sub.kind == FeedKind.unit:
        return [sub.target_id] if sub.target_id else []
    ids = session.connection().execute(
        sa_select(col(Unit.id)).where(col(Unit.agency_id) == sub.target_id)).scalars()
    return list(ids)


def load(session: Session, units: list[str], *, now: datetime, show_unit: bool) -> list[Loaded]:
    """The trips of these units worth showing at `now`, as the feed loads taskings."""
    found = duties(session, unit_ids=units, cancelled_since=now - CANCEL_GRACE)
    loaded = []
    for duty in found:
        row = feed_row(duty)
        loaded.append(Loaded(row, view(duty, show_unit=show_unit),
                             block_key(show_unit, row, (duty.timezone,))))
    return loaded
