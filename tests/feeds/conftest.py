"""Fixtures for the feed tests: published taskings, feed tokens and a settable clock."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.clock import SettableClock
from app.feeds import tokens
from app.models import Operation, Tasking, User

from .samples import BOARD_H_HOUR as H_HOUR
from .samples import PUBLISHED


@pytest.fixture
def clock(set_clock: Callable[[datetime], SettableClock]) -> SettableClock:
    """The board's clock, one day after publication; tests move it across grace periods."""
    return set_clock(PUBLISHED + timedelta(days=1))


def _make_tasking(session: Session, operation: Operation, unit_id: str, **fields: Any) -> Tasking:
    """A published tasking of `unit_id` at the operation's first site, H-hour 03:00Z."""
    start = fields.pop("start", H_HOUR)
    tasking = Tasking(
        uid=f"tasking-{uuid.uuid4().hex}@jointops",
        operation_id=operation.id,
        unit_id=unit_id,
        site_id=operation.sites[0].id,
        capability=fields.pop("capability", "tactical"),
        start=start,
        end=start + timedelta(hours=4),
        depart=fields.pop("depart", start - timedelta(hours=3)),
        return_at=fields.pop("return_at", start + timedelta(hours=7)),
        updated_at=fields.pop("updated_at", PUBLISHED),
        **fields,
    )
    session.add(tasking)
    session.flush()
    return tasking


@pytest.fixture
def make_tasking() -> Callable[..., Tasking]:
    """`make_tasking(session, operation, unit_id, **fields)`."""
    return _make_tasking


def _subscribe(session: Session, user: User, choice: str, label: str | None = None) -> str:
    """Issue a token for `user` (choice like `officer:` or `unit:U-TH-1`); returns the path."""
    secret, _ = tokens.create_token(
        session,
        user=user,
        label=label or f"device-{uuid.uuid4().hex[:6]}",
        choice_key=choice,
        now=PUBLISHED,
    )
    session.flush()
    return f"/feeds/{secret}.ics"


@pytest.fixture
def subscribe() -> Callable[..., str]:
    """`subscribe(session, user, "officer:")` -> the feed path with its secret."""
    return _subscribe
