"""Retention: what the board keeps, and for how long (settings in app/config.py).

- Sessions: expired and idle ones are deleted (app/accounts/service.py), with old
  sign-in counters.
- Feed polls: each poll is kept `feed_poll_retention_days`, then the polls of a token
  on one UTC day become one `feed_poll_days` row (count, first and last poll). Who read
  their calendar on which day stays answerable; the single polls go.
- The audit trail is never pruned: it is hash-chained (app/audit.py), and its rows are
  the decisions and refusals, not the polls.

Run by `jointops retention`, and hourly by the solver worker (either backend).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.accounts import throttle
from app.accounts.service import purge_expired_sessions
from app.clock import utcnow
from app.config import get_settings
from app.models import FeedPoll, FeedPollDay

# The solver worker applies retention this often.
EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class RetentionReport:
    sessions: int
    sign_in_counters: int
    feed_polls_summarised: int
    feed_poll_days: int


def summarise_feed_polls(session: Session, *, before: datetime) -> tuple[int, int]:
    """Fold the polls before `before` into per-token, per-day rows; returns (polls, days)."""
    day = func.date(FeedPoll.at)
    groups = session.execute(
        sa.select(
            col(FeedPoll.token_id),
            func.min(FeedPoll.user_id),
            day,
            func.count(),
            func.min(FeedPoll.at),
            func.max(FeedPoll.at),
        )
        .where(col(FeedPoll.at) < before)
        .group_by(col(FeedPoll.token_id), day)
    ).all()
    folded = 0
    for token_id, user_id, on, polls, first_at, last_at in groups:
        on = on if isinstance(on, date) else date.fromisoformat(str(on))
        row = session.exec(
            select(FeedPollDay).where(FeedPollDay.token_id == token_id, FeedPollDay.day == on)
        ).first()
        if row is None:
            row = FeedPollDay(token_id=token_id, user_id=user_id, day=on, polls=0,
                              first_at=first_at, last_at=last_at)
        # A day cut by the boundary is folded in two passes: add, never replace.
        row.polls += int(polls)
        row.first_at, row.last_at = min(row.first_at, first_at), max(row.last_at, last_at)
        session.add(row)
        folded += int(polls)
    session.exec(delete(FeedPoll).where(col(FeedPoll.at) < before))  # type: ignore[call-overload]
    session.flush()
    return folded, len(groups)


def apply_retention(session: Session, *, now: datetime | None = None) -> RetentionReport:
    """Everything past its retention, in one transaction (the caller commits)."""
    now = now or utcnow()
    settings = get_settings()
    sessions = purge_expired_sessions(session, now=now)
    counters = throttle.purge(session, now)
    before = now - timedelta(days=settings.feed_poll_retention_days)
    polls, days = summarise_feed_polls(session, before=before)
    return RetentionReport(sessions, counters, polls, days)
