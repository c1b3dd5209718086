"""Planning fixtures: the tiny sample scenario imported into the test board."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import pytest
from sample_data import TINY
from sqlmodel import Session

from app.config import get_settings
from app.models import Role, User
from app.transfer.service import import_scenario


@pytest.fixture(autouse=True)
def _fast_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Heartbeats every 0.2 s so tests see progress quickly; no worker spawned by the app."""
    monkeypatch.setenv("JOINTOPS_HEARTBEAT_SECONDS", "0.2")
    monkeypatch.setenv("JOINTOPS_SPAWN_WORKER", "false")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def tiny_board(session: Session, set_clock: Callable[[datetime], object]) -> Session:
    """The board with tiny.json imported (5 approved operations, 24 units).

    The clock stands at the start of its horizon, so its plans lie ahead on any date.
    """
    data = TINY.read_bytes()
    set_clock(datetime.fromisoformat(json.loads(data)["horizon"]["start"]))
    import_scenario(session, data=data)
    session.flush()
    return session


@pytest.fixture
def planner(session: Session, make_user: Callable[..., User]) -> User:
    """The coordination centre's planner: plans, and may publish, the whole board (an
    agency's planner sees and publishes only its part: tests/test_need_to_know_matrix.py)."""
    return make_user(session, Role.coordinator)


@pytest.fixture
def admin(session: Session, make_user: Callable[..., User]) -> User:
    """An administrator: sees every operation (a planner sees only those of need-to-know)."""
    return make_user(session, Role.admin)
