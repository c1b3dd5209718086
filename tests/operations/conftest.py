"""Shared helpers for the operations tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def people(session, world, make_user):  # type: ignore[no-untyped-def]
    """Liaisons of the three agencies, a planner of the Thai police, an admin."""
    return {
        "th": make_user(session, role="liaison", agency="TH-RTP", username="th-liaison"),
        # A second Thai liaison: approval comes from another person than the proposer.
        "th2": make_user(session, role="liaison", agency="TH-RTP", username="th-liaison-2"),
        "mm": make_user(session, role="liaison", agency="MM-MPF", username="mm-liaison"),
        "la": make_user(session, role="liaison", agency="LA-MPS", username="la-liaison"),
        "planner": make_user(session, role="planner", agency="TH-RTP", username="th-planner"),
        "admin": make_user(session, role="admin", username="boss"),
    }
