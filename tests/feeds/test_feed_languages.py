"""A feed speaks its owner's language: the same events, the same UIDs and SEQUENCEs, the
words of each subscriber's language, whatever the caches hold (issue 11)."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.feeds import blocks, service
from app.models import TLP, FeedEventBlock, OperationState, Role

from .parsing import read_feed
from .samples import PUBLISHED

# The Thai words of lines every description of these taskings carries (app/translations/th.po).
THAI_DEPART = "ออกเดินทาง: "
THAI_HOUR = "เวลา H: "
THAI_BUSY = "ไม่ว่าง"


@pytest.fixture
def two_officers(session, world, make_user, make_operation, make_tasking, subscribe):  # type: ignore[no-untyped-def]
    """`two_officers(**operation_fields)`: see _two_officers."""
    return functools.partial(_two_officers, session, make_user, make_operation, make_tasking,
                             subscribe)


def _two_officers(session, make_user, make_operation, make_tasking, subscribe, **op):  # type: ignore[no-untyped-def]
    """One tasking of U-TH-2, and the officer feeds of two of its officers: one reads
    Thai, one English. Both feeds render the same rows (the same block keys)."""
    operation = make_operation(
        session, "TH-RTP", {"MM-TAC": {"border_patrol": 1}}, op_id="OP-DAWN",
        code_name="Mekong Dawn", state=OperationState.scheduled,
        created_at=PUBLISHED, updated_at=PUBLISHED, **op,
    )
    tasking = make_tasking(session, operation, "U-TH-2", capability="border_patrol")
    thai = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-2")
    thai.language = "th"
    english = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-2")
    session.add(thai)
    session.flush()
    thai_path = subscribe(session, thai, "officer:")
    return tasking, thai, thai_path, subscribe(session, english, "officer:")


def _event(client: TestClient, path: str):  # type: ignore[no-untyped-def]
    (event,) = read_feed(client.get(path).content)
    return event


def test_each_subscriber_reads_the_events_in_their_language(
    session: Session, client: TestClient, clock, two_officers,
) -> None:
    tasking, _, thai_path, english_path = two_officers()
    english = _event(client, english_path)
    # The Thai feed is rendered after the English one filled both caches.
    thai = _event(client, thai_path)
    assert THAI_DEPART in str(thai["DESCRIPTION"]) and THAI_HOUR in str(thai["DESCRIPTION"])
    assert "Depart: " not in str(thai["DESCRIPTION"])
    assert "Depart: " in str(english["DESCRIPTION"])
    assert THAI_DEPART not in str(english["DESCRIPTION"])
    # A language changes the words, never the event: same UID, SEQUENCE, times.
    for name in ("UID", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "LOCATION"):
        assert str(thai[name]) == str(english[name]), name
    assert str(thai["UID"]) == tasking.uid
    # Served again, now from the feed cache: each still in its own words.
    assert THAI_DEPART in str(_event(client, thai_path)["DESCRIPTION"])
    assert "Depart: " in str(_event(client, english_path)["DESCRIPTION"])


def test_the_block_cache_keeps_one_block_per_language(
    session: Session, client: TestClient, clock, two_officers,
) -> None:
    _, _, thai_path, english_path = two_officers()
    client.get(english_path)
    # Only the rendered feeds forgotten: the English block is still in memory, and the
    # Thai feed must not be served it.
    service.feed_cache.clear()
    assert THAI_DEPART in str(_event(client, thai_path)["DESCRIPTION"])
    service.feed_cache.clear()
    assert "Depart: " in str(_event(client, english_path)["DESCRIPTION"])
    # English keeps the content key itself (blocks stored before languages stay valid).
    assert blocks.in_language("k" * 32, "en") == "k" * 32
    assert len({blocks.in_language("k" * 32, code) for code in ("en", "th", "lo")}) == 3


def test_red_event_says_busy_in_the_owners_language(
    session: Session, client: TestClient, clock, two_officers,
) -> None:
    _, _, thai_path, english_path = two_officers(tlp=TLP.RED)
    assert str(_event(client, english_path)["SUMMARY"]) == "Busy"
    assert str(_event(client, thai_path)["SUMMARY"]) == THAI_BUSY


def test_a_language_change_rewords_the_same_events(
    session: Session, client: TestClient, clock, two_officers,
) -> None:
    _, thai, thai_path, _ = two_officers()
    before = client.get(thai_path)
    held = {"If-None-Match": before.headers["etag"]}
    assert client.get(thai_path, headers=held).status_code == 304
    thai.language = "en"
    session.add(thai)
    session.flush()
    clock.now += timedelta(minutes=1)
    after = client.get(thai_path)
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    (old,), (new,) = read_feed(before.content), read_feed(after.content)
    assert "Depart: " in str(new["DESCRIPTION"])
    assert (str(new["UID"]), int(new["SEQUENCE"])) == (str(old["UID"]), int(old["SEQUENCE"]))
    # The new words have their own validators, and a client holding them gets a 304.
    held = {"If-None-Match": after.headers["etag"]}
    assert client.get(thai_path, headers=held).status_code == 304


def test_publication_prerenders_the_languages_feeds_are_read_in(
    session: Session, client: TestClient, clock, two_officers,
) -> None:
    tasking, _, thai_path, _ = two_officers()
    assert service.languages_read(session) == ["en", "th"]
    service.prerender(session, operation_ids={tasking.operation_id}, now=clock.now)
    # Each event in each feed variant, in English and in Thai; no Lao nobody reads.
    assert session.exec(select(func.count()).select_from(FeedEventBlock)).one() == 4
    service.clear_caches()  # a web process with nothing in memory
    rendered: list[object] = []
    with pytest.MonkeyPatch.context() as monkey:
        monkey.setattr(service, "tasking_block", lambda view: rendered.append(view) or b"")
        body = client.get(thai_path).content
    assert rendered == [] and THAI_DEPART.encode() in body.replace(b"\r\n ", b"")
