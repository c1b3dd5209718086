"""What a calendar feed token shows, and the feed's Last-Modified high-water mark."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, enum_type


class FeedKind(StrEnum):
    officer = "officer"
    unit = "unit"
    agency = "agency"


class FeedSubscription(SQLModel, table=True):
    """One row per feed token: its kind and target, and what it last served."""

    __tablename__ = "feed_subscriptions"
    token_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("feed_tokens.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    kind: FeedKind = Field(sa_type=enum_type(FeedKind, "feed_kind"))
    # A unit id (unit feed) or an agency id (agency feed); NULL for the officer feed,
    # which follows the user's current unit on every request.
    target_id: str | None = Field(default=None, max_length=32)
    # Last-Modified never moves backwards: the feed keeps the newest value it served.
    last_modified: datetime = Field(sa_type=UTCDateTime)
    etag: str | None = Field(default=None, max_length=64)


class FeedEventBlock(SQLModel, table=True):
    """A rendered VEVENT, keyed by a hash of everything it was rendered from.

    A cache shared by every web process and kept across restarts, so a feed is not
    rendered from scratch after a deploy (app/feeds/blocks.py). Content-addressed: a
    changed tasking, name or renderer gives a new key, never a stale block.
    """

    __tablename__ = "feed_event_blocks"
    key: str = Field(primary_key=True, max_length=32)
    block: bytes = Field(sa_type=sa.LargeBinary)
    # Old blocks are pruned by age (most belong to taskings that changed since).
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class FeedPoll(SQLModel, table=True):
    """One served request of a feed token: who read their calendar, when.

    Phones poll every few minutes, so these rows are many: they are kept apart from the
    hash-chained audit trail and summarised per token and day after a retention period
    (app/retention.py).
    """

    __tablename__ = "feed_polls"
    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("feed_tokens.id", ondelete="CASCADE"), nullable=False,
            index=True,
        )
    )
    user_id: int | None = Field(default=None, foreign_key="users.id")
    at: datetime = Field(sa_type=UTCDateTime, index=True)


class FeedPollDay(SQLModel, table=True):
    """Feed polls of one token on one UTC day, once the single polls are past retention."""

    __tablename__ = "feed_poll_days"
    __table_args__ = (sa.UniqueConstraint("token_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("feed_tokens.id", ondelete="CASCADE"), nullable=False,
        )
    )
    user_id: int | None = Field(default=None, foreign_key="users.id")
    day: date
    polls: int
    first_at: datetime = Field(sa_type=UTCDateTime)
    last_at: datetime = Field(sa_type=UTCDateTime)
