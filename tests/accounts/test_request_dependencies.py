"""The dependencies every request solves: which of them cost a thread-pool hop."""

from __future__ import annotations

from typing import Any

import fastapi.dependencies.utils as solving
import pytest

from app.models import Role


def test_counting_a_read_takes_no_thread_pool_hop(  # type: ignore[no-untyped-def]
    client, session, world, make_user, login, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops: list[str] = []
    hop = solving.run_in_threadpool

    async def counted(call: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(call, "__name__", repr(call)))
        return await hop(call, *args, **kwargs)

    monkeypatch.setattr(solving, "run_in_threadpool", counted)
    browser = login(client, make_user(session, role=Role.planner, agency="TH-RTP"))
    assert browser.get("/approvals").status_code == 200
    # The session lookup reads the database in a thread; the read counter
    # (app/deps.py `limit_requests`, in memory) runs on the event loop.
    assert "get_auth" in hops
    assert "limit_requests" not in hops
