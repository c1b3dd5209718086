"""Taskings become events: times in UTC and local zones, TLP, cancellation grace period."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest

from app.feeds.events import (
    CANCEL_GRACE,
    describe,
    feed_events,
    format_local,
    to_event,
)
from app.feeds.ical import CANCELLED, CONFIRMED, render_calendar

from .samples import H_HOUR, tasking


def test_event_spans_departure_to_return_with_stable_uid() -> None:
    event = to_event(tasking(42, sequence=5))
    assert event.uid == "tasking-42@jointops"
    assert event.start == H_HOUR - timedelta(hours=3)
    assert event.end == H_HOUR + timedelta(hours=9)
    assert event.sequence == 5
    assert event.summary == "MEKONG DAWN 42"
    assert event.location == "Tachileik staging"
    assert event.status == CONFIRMED
    assert event.dtstamp == event.last_modified == H_HOUR - timedelta(days=3)


def test_myanmar_local_time_is_half_an_hour_off() -> None:
    assert format_local(H_HOUR, "Asia/Yangon") == "2026-12-01 09:30 Asia/Yangon (UTC+06:30)"
    assert format_local(H_HOUR, "Asia/Shanghai") == "2026-12-01 11:00 Asia/Shanghai (UTC+08:00)"


def test_description_gives_every_step_in_utc_and_local_time() -> None:
    lines = describe(tasking()).split("\n")
    assert lines == [
        "Operation MEKONG DAWN 1 (TLP:AMBER)",
        "Role: raid",
        "Depart: 2026-12-01 00:00 UTC / 2026-12-01 07:00 Asia/Bangkok (UTC+07:00)",
        "Crossing out (Mae Sai - Tachileik): 2026-12-01 01:00 UTC"
        " / 2026-12-01 08:00 Asia/Bangkok (UTC+07:00)",
        "H-hour: 2026-12-01 03:00 UTC / 2026-12-01 10:00 Asia/Bangkok (UTC+07:00)"
        " / 2026-12-01 09:30 Asia/Yangon (UTC+06:30)",
        "Rendezvous / staging: Tachileik staging, by 2026-12-01 02:15 UTC"
        " / 2026-12-01 08:45 Asia/Yangon (UTC+06:30)",
        "Crossing back (Mae Sai - Tachileik): 2026-12-01 10:00 UTC"
        " / 2026-12-01 17:00 Asia/Bangkok (UTC+07:00)",
        "Return: 2026-12-01 12:00 UTC / 2026-12-01 19:00 Asia/Bangkok (UTC+07:00)",
    ]


def test_only_a_feed_that_mixes_units_names_the_unit() -> None:
    assert "TH-BPP-31" not in describe(tasking())  # the officer's or unit's own feed
    assert "\nUnit: TH-BPP-31 - raid\n" in describe(tasking(show_unit=True))
    assert to_event(tasking(show_unit=True)).summary == "MEKONG DAWN 1 - TH-BPP-31"


def test_description_without_crossing_or_staging() -> None:
    text = describe(tasking(crossing=None, staging=None, operation_timezones=()))
    assert "Crossing" not in text
    assert "Rendezvous" not in text
    assert "H-hour: 2026-12-01 03:00 UTC / 2026-12-01 10:00 Asia/Bangkok (UTC+07:00)" in text


@pytest.mark.parametrize("label", ["RED", "TLP:RED", "red", "unknown"])
def test_tlp_red_shows_only_busy_and_times(label: str) -> None:
    event = to_event(tasking(tlp=label))
    assert event.summary == "Busy"
    assert event.description is None
    assert event.location is None
    assert event.categories == ()
    assert event.classification == "CONFIDENTIAL"
    data = render_calendar("x", [event])
    assert b"MEKONG" not in data
    assert b"Tachileik" not in data
    assert b"TH-BPP" not in data
    vevent = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert vevent["DTSTART"].dt == H_HOUR - timedelta(hours=3)


@pytest.mark.parametrize(("label", "klass"), [("AMBER", "PRIVATE"), ("CLEAR", "PUBLIC")])
def test_other_labels_show_content_and_carry_the_label(label: str, klass: str) -> None:
    event = to_event(tasking(tlp=label))
    assert event.categories == (f"TLP:{label}",)
    assert event.classification == klass
    assert event.description is not None and f"(TLP:{label})" in event.description


@pytest.mark.parametrize("state", ["aborted", "withdrawn", "ABORTED"])
def test_aborted_and_withdrawn_are_cancelled(state: str) -> None:
    event = to_event(tasking(state=state, sequence=4))
    assert event.status == CANCELLED
    assert event.summary.startswith("Cancelled: ")
    assert event.description is not None and "CANCELLED" in event.description


def test_cancelled_tasking_disappears_after_the_grace_period() -> None:
    cancelled_at = H_HOUR - timedelta(hours=10)
    items = [tasking(1), tasking(2, state="aborted", cancelled_at=cancelled_at)]

    def uids_at(now_offset: timedelta) -> list[str]:
        return [e.uid for e in feed_events(items, cancelled_at + now_offset)]

    assert uids_at(timedelta(0)) == ["tasking-1@jointops", "tasking-2@jointops"]
    assert uids_at(CANCEL_GRACE - timedelta(seconds=1)) == [
        "tasking-1@jointops",
        "tasking-2@jointops",
    ]
    assert uids_at(CANCEL_GRACE) == ["tasking-1@jointops"]
    assert uids_at(CANCEL_GRACE + timedelta(days=30)) == ["tasking-1@jointops"]


def test_grace_period_counts_from_last_change_when_no_cancel_time() -> None:
    changed = H_HOUR - timedelta(days=1)
    item = tasking(state="withdrawn", updated_at=changed)
    assert feed_events([item], changed + timedelta(hours=71))
    assert not feed_events([item], changed + timedelta(hours=72))


def test_rendezvous_at_h_hour_is_not_repeated() -> None:
    text = describe(tasking(rendezvous_at=H_HOUR))
    assert "Rendezvous / staging: Tachileik staging, by H-hour" in text
    assert text.count("2026-12-01 03:00 UTC") == 1
