"""The block cache: rendered events kept by content key, in memory and in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.feeds import blocks, service
from app.feeds.blocks import BlockCache, block_key
from app.feeds.views import feed_uses
from app.models import FeedEventBlock, Region, utcnow

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
    service.clear_caches()
    body, rendered = _get_counting_renders(client, path)
    assert body.count(b"BEGIN:VEVENT") == 3 and rendered == 0


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
