"""The block cache: rendered events kept by content key, in memory and in the database."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.admin.geo import update_crossing, update_region
from app.admin.org import update_unit
from app.feeds import blocks, service, views
from app.feeds.blocks import BlockCache, block_key
from app.feeds.views import feed_uses, warm_up_thread
from app.main import create_app
from app.models import Crossing, FeedEventBlock, OperationState, Region, Role, Unit, utcnow

from .samples import BOARD_H_HOUR as H_HOUR
from .test_feed_cache import three_taskings  # noqa: F401  (fixture)


def _stored(session: Session) -> dict[str, bytes]:
    return {row.key: row.block for row in session.exec(select(FeedEventBlock))}


def test_the_key_changes_with_every_input() -> None:
    row, zones = ("tasking-1@jointops", "OP-1", "2026-12-01 03:00:00"), ("Asia/Bangkok",)
    key = block_key(False, row, zones)
    assert key == block_key(False, row, zones)
    assert key != block_key(True, row, zones)  # the agency feed names the unit
    assert key != block_key(False, (*row[:2], "2026-12-01 03:05:00"), zones)
    assert key != block_key(False, row, ("Asia/Bangkok", "Asia/Yangon"))


def test_the_key_changes_with_the_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    row = ("tasking-1@jointops",)
    before = block_key(False, row, ())
    monkeypatch.setattr(blocks, "RENDERER", "another release")
    assert block_key(False, row, ()) != before


def _get_counting_renders(client: TestClient, path: str) -> tuple[bytes, int]:
    """The feed's bytes, and how many of its events were rendered for it."""
    rendered: list[object] = []
    real = service.tasking_block
    with pytest.MonkeyPatch.context() as monkey:
        monkey.setattr(service, "tasking_block", lambda view: rendered.append(view) or real(view))
        body = client.get(path).content
    return body, len(rendered)


def _served_from_storage(client: TestClient, path: str) -> bytes:
    """The feed (unfolded) as a web process with nothing in memory serves it: every
    event must come from the block table, none rendered on the request."""
    service.clear_caches()  # only the table is shared between web processes
    body, rendered = _get_counting_renders(client, path)
    assert rendered == 0, f"{rendered} events rendered on the request"
    return body.replace(b"\r\n ", b"")


def test_a_restart_reads_the_blocks_back_from_the_database(
    session: Session,
    client: TestClient,
    clock,
    three_taskings,  # noqa: F811
) -> None:
    _, path = three_taskings
    first = client.get(path)
    assert blocks.block_cache.pending() >= 3
    feed_uses(client.app).flush()  # type: ignore[arg-type]
    assert len(_stored(session)) >= 3 and blocks.block_cache.pending() == 0
    service.clear_caches()  # what a restart forgets
    again, rendered = _get_counting_renders(client, path)
    assert again == first.content
    assert rendered == 0, "every event should have come from the database"


def test_prerendered_events_are_served_without_rendering(
    session: Session,
    client: TestClient,
    clock,
    three_taskings,  # noqa: F811
) -> None:
    taskings, path = three_taskings
    operations = {t.operation_id for t in taskings}
    assert service.prerender(session, operation_ids=operations, now=clock.now) == 6
    assert len(_stored(session)) == 6  # each event for unit feeds and for agency feeds
    assert _served_from_storage(client, path).count(b"BEGIN:VEVENT") == 3


def test_warm_up_renders_every_listed_event_once(
    session: Session,
    client: TestClient,
    clock,
    three_taskings,  # noqa: F811
) -> None:
    _, path = three_taskings
    # What a web process does when it starts: every event, in both feed variants.
    assert service.warm_up(session, now=clock.now) >= 6
    blocks.block_cache.write_pending(session, clock.now)
    assert len(_stored(session)) >= 6
    assert _served_from_storage(client, path).count(b"BEGIN:VEVENT") == 3
    # A second start finds them all stored and renders nothing.
    service.clear_caches()
    with pytest.MonkeyPatch.context() as monkey:
        monkey.setattr(service, "tasking_block", lambda view: pytest.fail("rendered again"))
        service.warm_up(session, now=clock.now)


def _start_and_stop(monkeypatch: pytest.MonkeyPatch, session: Session) -> TestClient:
    """Start an app as a server does (its background threads run, on `session`), let
    its warm-up finish, check it serves, and stop it."""
    monkeypatch.setattr(views, "_feed_session", lambda app, writer=False: nullcontext(session))
    application = create_app()  # no test session in place of get_session
    with TestClient(application) as client:
        thread = warm_up_thread(application)
        assert thread is not None
        thread.join(timeout=10)
        assert client.get("/feeds/not-a-token.ics").status_code == 404  # serving
    return client


def test_the_app_warms_up_the_feed_events_when_it_starts(
    monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    warmed: list[Session] = []
    monkeypatch.setattr(service, "warm_up", lambda s: warmed.append(s) or 0)
    _start_and_stop(monkeypatch, session)
    assert warmed == [session]


def test_a_failed_warm_up_only_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, session: Session
) -> None:
    def broken(_: Session) -> int:
        raise ConnectionError("database restarting")

    monkeypatch.setattr(service, "warm_up", broken)
    _start_and_stop(monkeypatch, session)
    assert "warming up the feed events failed" in caplog.text


def test_a_renamed_region_gives_new_blocks_never_stale_ones(
    session: Session,
    client: TestClient,
    clock,
    three_taskings,  # noqa: F811
) -> None:
    _, path = three_taskings
    assert b"Mae Sai (TH)" in client.get(path).content
    feed_uses(client.app).flush()  # type: ignore[arg-type]
    region = session.get(Region, "TH-MSI")
    assert region is not None
    region.name = "Mae Sai District"
    session.add(region)
    session.flush()
    service.clear_caches()
    body = client.get(path).content.replace(b"\r\n ", b"")  # unfolded
    assert b"Mae Sai District (TH)" in body and b"Mae Sai (TH)" not in body


def test_renaming_a_region_renders_its_events_in_the_admin_save(
    session: Session,
    client: TestClient,
    clock,
    three_taskings,  # noqa: F811
    make_user,
) -> None:
    _, path = three_taskings
    client.get(path)
    admin = make_user(session, role=Role.admin, username="geo-admin")
    region = session.get(Region, "TH-MSI")
    assert region is not None
    data = {"name": "Mae Sai District", "lat": str(region.lat), "lon": str(region.lon)}
    update_region(session, region=region, data=data, actor=admin)
    assert b"Mae Sai District (TH)" in _served_from_storage(client, path)


def test_renaming_a_unit_renders_its_events_in_the_admin_save(
    session: Session,
    client: TestClient,
    clock,
    three_taskings,  # noqa: F811
    make_user,
    subscribe,
) -> None:
    # The agency feed names the unit of each event (the officer's own feed does not).
    liaison = make_user(session, role=Role.liaison, agency="TH-RTP")
    path = subscribe(session, liaison, "agency:TH-RTP")
    client.get(path)
    admin = make_user(session, role=Role.admin, username="org-admin")
    unit = session.get(Unit, "U-TH-1")
    assert unit is not None
    data = {
        "callsign": "Cobra 1",
        "capabilities": unit.capabilities,
        "personnel": unit.personnel,
        "base_region_id": unit.base_region_id,
        "operating_regions": unit.operating_regions,
        "availability": unit.availability,
    }
    update_unit(session, unit=unit, data=data, actor=admin)
    assert _served_from_storage(client, path).count(b"Unit: Cobra 1 - tactical") == 3


def test_changing_a_crossing_renders_its_events_in_the_admin_save(
    session: Session,
    client: TestClient,
    clock,
    world,
    make_operation,
    make_tasking,
    make_user,
    subscribe,
) -> None:
    operation = make_operation(
        session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, state=OperationState.scheduled
    )
    make_tasking(
        session,
        operation,
        "U-TH-1",
        crossing_id="X-MSI-TAC",
        cross_out=H_HOUR - timedelta(hours=1),
        cross_back=H_HOUR + timedelta(hours=5),
    )
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    path = subscribe(session, officer, "officer:")
    client.get(path)
    crossing = session.get(Crossing, "X-MSI-TAC")
    assert crossing is not None
    data = {
        "name": crossing.name,
        "transit_minutes": crossing.transit_minutes,
        "lanes": crossing.lanes,
        "timezone": "Asia/Yangon",  # the crossing now keeps Myanmar's time
        "open_windows": crossing.open_windows,
    }
    admin = make_user(session, role=Role.admin, username="geo-admin")
    update_crossing(session, crossing=crossing, data=data, actor=admin)
    passage = b"Crossing out (Mae Sai - Tachileik): 2026-12-02 02:00 UTC / 2026-12-02 08:30"
    assert passage + b" Asia/Yangon" in _served_from_storage(client, path)


def test_a_block_another_process_wrote_first_is_kept(session: Session) -> None:
    cache = BlockCache()
    now = utcnow()
    session.add(FeedEventBlock(key="a" * 32, block=b"BEGIN:VEVENT", created_at=now))
    session.flush()
    cache.add({"a" * 32: b"BEGIN:VEVENT", "b" * 32: b"OTHER"})
    assert cache.write_pending(session, now) == 2
    assert _stored(session) == {"a" * 32: b"BEGIN:VEVENT", "b" * 32: b"OTHER"}


def test_blocks_are_pruned_by_age_at_most_hourly(session: Session) -> None:
    cache = BlockCache()
    now = utcnow()
    old = now - blocks.KEEP - timedelta(minutes=1)
    session.add(FeedEventBlock(key="o" * 32, block=b"old", created_at=old))
    session.add(FeedEventBlock(key="n" * 32, block=b"new", created_at=now))
    session.flush()
    cache.write_pending(session, now)
    assert set(_stored(session)) == {"n" * 32}
    session.add(FeedEventBlock(key="p" * 32, block=b"old", created_at=old))
    session.flush()
    cache.write_pending(session, now + timedelta(minutes=5))  # pruned a moment ago
    assert set(_stored(session)) == {"n" * 32, "p" * 32}
    cache.write_pending(session, now + blocks.PRUNE_EVERY)
    assert set(_stored(session)) == {"n" * 32}


def test_memory_keeps_the_most_recent_blocks(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blocks, "MEMORY_ENTRIES", 2)
    cache = BlockCache()
    cache.add({"1": b"one", "2": b"two", "3": b"three"})
    cache.write_pending(session)
    cache.clear()
    assert cache.get_many(session, ["1", "3"]) == {"1": b"one", "3": b"three"}
