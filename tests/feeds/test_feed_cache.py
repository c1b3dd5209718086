"""The in-process cache of rendered feeds: fingerprint match, time limit, size limit,
and an amended feed re-reading only the taskings that changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.feeds import service
from app.feeds.service import _FeedCache, _Rendered
from app.models import OperationState, Region, Role, TaskingStatus

from .parsing import read_feed, summaries
from .samples import BOARD_H_HOUR as H_HOUR


def _entry(fingerprint: tuple[int, ...], made_at: float) -> _Rendered:
    return _Rendered(fingerprint, b"BEGIN:VCALENDAR", "etag", made_at)


def test_entry_served_only_for_the_same_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service.time, "monotonic", lambda: 1000.0)
    cache = _FeedCache()
    cache.put(("k",), _entry((1, 2), 1000.0))
    assert cache.get(("k",), (1, 2)) is not None
    assert cache.get(("k",), (1, 3)) is None
    assert cache.get(("other",), (1, 2)) is None


def test_entry_expires_after_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _FeedCache()
    cache.put(("k",), _entry((1,), 1000.0))
    monkeypatch.setattr(service.time, "monotonic", lambda: 1000.0 + service.CACHE_SECONDS)
    assert cache.get(("k",), (1,)) is not None
    monkeypatch.setattr(service.time, "monotonic", lambda: 1001.0 + service.CACHE_SECONDS)
    assert cache.get(("k",), (1,)) is None


def test_least_recently_used_entry_goes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "CACHE_ENTRIES", 2)
    monkeypatch.setattr(service.time, "monotonic", lambda: 0.0)
    cache = _FeedCache()
    cache.put(("a",), _entry((1,), 0.0))
    cache.put(("b",), _entry((1,), 0.0))
    assert cache.get(("a",), (1,)) is not None  # "a" is now the most recent
    cache.put(("c",), _entry((1,), 0.0))
    assert cache.get(("b",), (1,)) is None
    assert cache.get(("a",), (1,)) is not None
    assert cache.get(("c",), (1,)) is not None


# --- an amended feed re-reads only the taskings that changed -----------------------------


@pytest.fixture
def three_taskings(session: Session, world, make_user, make_operation, make_tasking, subscribe):  # type: ignore[no-untyped-def]
    """Three operations tasking U-TH-1, and its officer's feed path."""
    taskings = []
    for n in range(3):
        operation = make_operation(
            session,
            "TH-RTP",
            {"TH-MSI": {"tactical": 1}},
            code_name=f"Op {n}",
            state=OperationState.scheduled,
            start=H_HOUR + timedelta(days=n),
        )
        taskings.append(
            make_tasking(session, operation, "U-TH-1", start=H_HOUR + timedelta(days=n))
        )
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    return taskings, subscribe(session, officer, "officer:")


def test_amended_feed_reloads_only_the_changed_tasking(
    session: Session,
    client: TestClient,
    clock,
    three_taskings,
    make_operation,
    make_tasking,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taskings, path = three_taskings
    assert summaries(client.get(path).content) == ["Op 0", "Op 1", "Op 2"]
    loads: list[object] = []
    real_load = service.load_taskings

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        loads.append(kwargs.get("uids"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(service, "load_taskings", spy)
    # Amend one, withdraw one for good (72 h later it drops out), add a new one.
    amended, withdrawn = taskings[0], taskings[1]
    amended.depart -= timedelta(minutes=30)
    amended.sequence += 1
    amended.updated_at = clock.now
    withdrawn.status = TaskingStatus.cancelled
    withdrawn.cancelled_at = withdrawn.updated_at = clock.now - timedelta(hours=80)
    session.add_all([amended, withdrawn])
    extra = make_operation(
        session,
        "TH-RTP",
        {"TH-MSI": {"tactical": 1}},
        code_name="Op 3",
        state=OperationState.scheduled,
        start=H_HOUR + timedelta(days=3),
    )
    # A day after the others: a unit's active orders may not overlap.
    added = make_tasking(session, extra, "U-TH-1", updated_at=clock.now,
                         start=H_HOUR + timedelta(days=3))
    body = client.get(path).content
    assert summaries(body) == ["Op 0", "Op 2", "Op 3"]
    (event,) = [e for e in read_feed(body) if str(e["UID"]) == amended.uid]
    assert event["DTSTART"].dt == amended.depart and int(event["SEQUENCE"]) == 1
    assert loads == [[amended.uid, added.uid]] or loads == [[added.uid, amended.uid]]


def test_names_not_in_the_version_are_read_again_at_the_time_limit(
    session: Session, client: TestClient, clock, three_taskings, monkeypatch: pytest.MonkeyPatch
) -> None:
    taskings, path = three_taskings
    monkeypatch.setattr(service.time, "monotonic", lambda: 1000.0)
    assert b"Mae Sai (TH)" in client.get(path).content
    region = session.get(Region, "TH-MSI")
    assert region is not None
    region.name = "Mae Sai District"
    session.add(region)
    # An amendment of another tasking re-reads that tasking only...
    taskings[2].sequence += 1
    taskings[2].updated_at = clock.now
    session.add(taskings[2])
    session.flush()
    body = client.get(path).content
    assert b"Mae Sai (TH)" in body and b"Mae Sai District (TH)" in body
    # ...and once the time limit has passed, everything is read again.
    monkeypatch.setattr(service.time, "monotonic", lambda: 1001.0 + service.CACHE_SECONDS)
    body = client.get(path).content
    assert (
        b"Mae Sai (TH)" not in body and body.count(b"Mae Sai District (TH)") == 6
    )  # place and description
