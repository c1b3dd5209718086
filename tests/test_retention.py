"""Retention: feed polls folded into day summaries after the period, sessions purged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from app.feeds import tokens
from app.models import FeedPoll, FeedPollDay, Role, User, UserSession
from app.retention import apply_retention, summarise_feed_polls

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _token(session: Session, user: User) -> int:
    _, token = tokens.create_token(session, user=user, label="phone", choice_key="officer:")
    session.flush()
    assert token.id is not None
    return token.id


def _polls(session: Session, token_id: int, user: User, *instants: datetime) -> None:
    for at in instants:
        session.add(FeedPoll(token_id=token_id, user_id=user.id, at=at))
    session.flush()


def test_polls_past_retention_become_one_row_per_token_and_day(
    session: Session, world: object, make_user: Callable[..., User]
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    token_id = _token(session, officer)
    old_day = NOW - timedelta(days=40)
    _polls(session, token_id, officer,
           old_day.replace(hour=1), old_day.replace(hour=5), old_day.replace(hour=23),
           (old_day + timedelta(days=1)).replace(hour=2),
           NOW - timedelta(days=3), NOW - timedelta(minutes=5))

    report = apply_retention(session, now=NOW)

    assert (report.feed_polls_summarised, report.feed_poll_days) == (4, 2)
    days = session.exec(select(FeedPollDay).order_by(col(FeedPollDay.day))).all()
    assert [(d.day, d.polls, d.user_id) for d in days] == [
        (old_day.date(), 3, officer.id),
        ((old_day + timedelta(days=1)).date(), 1, officer.id),
    ]
    assert days[0].first_at == old_day.replace(hour=1)
    assert days[0].last_at == old_day.replace(hour=23)
    kept = session.exec(select(FeedPoll.at).order_by(col(FeedPoll.at))).all()
    assert kept == [NOW - timedelta(days=3), NOW - timedelta(minutes=5)]


def test_a_day_cut_by_the_boundary_is_added_to_not_replaced(
    session: Session, world: object, make_user: Callable[..., User]
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    token_id = _token(session, officer)
    day = datetime(2026, 10, 1, tzinfo=UTC)
    _polls(session, token_id, officer, day.replace(hour=6), day.replace(hour=18))
    assert summarise_feed_polls(session, before=day.replace(hour=12)) == (1, 1)
    assert summarise_feed_polls(session, before=day + timedelta(days=1)) == (1, 1)
    (row,) = session.exec(select(FeedPollDay)).all()
    assert (row.day, row.polls) == (date(2026, 10, 1), 2)
    assert (row.first_at.hour, row.last_at.hour) == (6, 18)
    assert session.exec(select(FeedPoll)).all() == []


def test_retention_purges_expired_sessions(
    session: Session, make_user: Callable[..., User]
) -> None:
    planner = make_user(session, role=Role.planner)
    session.add(UserSession(id="a" * 64, user_id=planner.id, csrf_token="c",
                            created_at=NOW - timedelta(days=3),
                            expires_at=NOW - timedelta(days=2)))
    session.flush()
    assert apply_retention(session, now=NOW).sessions >= 1
    assert session.exec(
        select(UserSession).where(UserSession.id == "a" * 64)
    ).first() is None
