"""The iCalendar writer: three independent parsers agree, and the bytes follow RFC 5545."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream

from app.feeds.events import feed_events
from app.feeds.ical import (
    CANCELLED,
    FeedEvent,
    escape_text,
    fold_line,
    render_calendar,
)

from .samples import BURMESE, CHINESE, H_HOUR, LAO, THAI, tasking

NAMES = [THAI, LAO, BURMESE, CHINESE]


def event(**changes: object) -> FeedEvent:
    """A plain event; keyword arguments override fields."""
    base = FeedEvent(
        uid="tasking-1@jointops",
        sequence=3,
        summary="MEKONG DAWN",
        description="Depart 01:00 UTC\nH-hour 03:00 UTC",
        location="Tachileik staging",
        start=H_HOUR - timedelta(hours=2),
        end=H_HOUR + timedelta(hours=8),
        dtstamp=H_HOUR - timedelta(days=2),
        last_modified=H_HOUR - timedelta(days=2),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def unfold(data: bytes) -> list[str]:
    """Content lines after undoing the folding (RFC 5545 3.1)."""
    text = data.decode("utf-8").replace("\r\n ", "")
    return text.split("\r\n")[:-1]


def long_feed() -> bytes:
    """A feed whose names and descriptions in four scripts need folding."""
    taskings = [
        tasking(n, code_name=f"{name} {name} {name} ({n})", staging=None)
        for n, name in enumerate(NAMES, start=1)
    ]
    return render_calendar(f"{THAI} {LAO} {BURMESE} {CHINESE}", feed_events(taskings, H_HOUR))


def test_icalendar_reads_every_field() -> None:
    data = render_calendar("Unit TH-BPP-31", [event()])
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar["VERSION"] == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "Unit TH-BPP-31"
    assert "METHOD" not in calendar
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == "tasking-1@jointops"
    assert int(vevent["SEQUENCE"]) == 3
    assert vevent["DTSTART"].dt == H_HOUR - timedelta(hours=2)
    assert vevent["DTEND"].dt == H_HOUR + timedelta(hours=8)
    assert vevent["DTSTAMP"].dt == H_HOUR - timedelta(days=2)
    assert vevent["LAST-MODIFIED"].dt == H_HOUR - timedelta(days=2)
    assert str(vevent["DESCRIPTION"]) == "Depart 01:00 UTC\nH-hour 03:00 UTC"
    assert str(vevent["STATUS"]) == "CONFIRMED"


def test_ical_library_reads_every_field() -> None:
    data = render_calendar("Unit TH-BPP-31", [event(status=CANCELLED)])
    calendar = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    (vevent,) = calendar.events
    assert vevent.uid == "tasking-1@jointops"
    assert vevent.sequence == 3
    assert vevent.dtstart == H_HOUR - timedelta(hours=2)
    assert vevent.dtend == H_HOUR + timedelta(hours=8)
    assert vevent.location == "Tachileik staging"
    assert vevent.status is not None and vevent.status.value == "CANCELLED"


def test_vobject_reads_every_field() -> None:
    data = render_calendar("Unit TH-BPP-31", [event()])
    calendar = vobject.readOne(data.decode("utf-8"))
    assert calendar.prodid.value.startswith("-//JointOps//")
    vevent = calendar.vevent
    assert vevent.summary.value == "MEKONG DAWN"
    assert vevent.dtstart.value == H_HOUR - timedelta(hours=2)
    assert vevent.description.value == "Depart 01:00 UTC\nH-hour 03:00 UTC"


def test_calendar_header_follows_rfc_7986() -> None:
    lines = unfold(render_calendar("Unit; one, two", [], refresh_minutes=30))
    assert lines[:8] == [
        "BEGIN:VCALENDAR",
        "PRODID:-//JointOps//Tasking Feed 1.0//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "NAME:Unit\\; one\\, two",
        "X-WR-CALNAME:Unit\\; one\\, two",
        "REFRESH-INTERVAL;VALUE=DURATION:PT30M",
        "X-PUBLISHED-TTL:PT30M",
    ]
    assert lines[-1] == "END:VCALENDAR"
    assert not any(line.startswith("METHOD") for line in lines)


def test_times_are_utc_with_z_even_from_other_zones() -> None:
    from zoneinfo import ZoneInfo

    yangon = H_HOUR.astimezone(ZoneInfo("Asia/Yangon"))
    data = render_calendar("x", [event(start=yangon, end=yangon + timedelta(hours=1))])
    lines = unfold(data)
    assert "DTSTART:20261201T030000Z" in lines
    assert "DTEND:20261201T040000Z" in lines
    assert not any("TZID" in line for line in lines)


def test_crlf_only() -> None:
    data = long_feed()
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n")
    assert data.count(b"\r") == data.count(b"\r\n")


@pytest.mark.parametrize("name", NAMES)
def test_folding_keeps_every_line_within_75_octets_and_valid_utf8(name: str) -> None:
    summary = f"{name} " * 12
    data = render_calendar(name * 10, [event(summary=summary, description=summary * 3)])
    physical = data.split(b"\r\n")[:-1]
    assert any(line.startswith(b" ") for line in physical), "the test must force folds"
    for line in physical:
        assert len(line) <= 75
        line.decode("utf-8")  # raises when a fold split a multi-byte sequence
    vevent = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == summary
    assert str(vevent["DESCRIPTION"]) == summary * 3


def test_all_three_parsers_read_the_four_scripts() -> None:
    data = long_feed()
    expected = [f"{name} {name} {name} ({n})" for n, name in enumerate(NAMES, start=1)]
    by_icalendar = [str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(data).walk("VEVENT")]
    text = data.decode("utf-8")
    by_ical = [e.summary for e in IcsCalendarStream.calendar_from_ics(text).events]
    by_vobject = [e.summary.value for e in vobject.readOne(text).vevent_list]
    assert sorted(by_icalendar) == sorted(by_ical) == sorted(by_vobject) == sorted(expected)


def test_fold_never_splits_an_escape_pair() -> None:
    line = "SUMMARY:" + "a" * 66 + "\\;" + "b" * 20
    folded = fold_line(line)
    assert folded.split("\r\n")[0].endswith("a")
    assert folded.split("\r\n")[1].startswith(" \\;")


@given(st.text(min_size=1, max_size=400))
def test_folding_round_trips_any_text(text: str) -> None:
    line = "DESCRIPTION:" + escape_text(text)
    folded = fold_line(line)
    for physical in folded.split("\r\n"):
        assert len(physical.encode("utf-8")) <= 75
    assert folded.replace("\r\n ", "") == line


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a;b", "a\\;b"),
        ("a,b", "a\\,b"),
        ("a\\b", "a\\\\b"),
        ("line one\nline two", "line one\\nline two"),
        ("windows\r\nbreak", "windows\\nbreak"),
        ("bell\x07gone", "bellgone"),
        ("colon: kept", "colon: kept"),
    ],
)
def test_text_escaping(raw: str, escaped: str) -> None:
    assert escape_text(raw) == escaped


def _escape_one_by_one(text: str) -> str:
    """RFC 5545 3.3.11 spelled out a character at a time: the reference for escape_text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR are line breaks too; C1 controls go.
    mapped = {"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n", "\t": "\t",
              "\x85": "\\n", "\u2028": "\\n", "\u2029": "\\n"}
    return "".join(mapped.get(c, "" if c < " " or "\x7f" <= c <= "\x9f" else c) for c in text)


@given(st.text(alphabet=st.sampled_from("ab ;,\\\r\n\t\x07\x7f\x85\x90\u2028\u2029ก语"),
               max_size=60) | st.text())
def test_escaping_matches_the_character_by_character_rule(text: str) -> None:
    assert escape_text(text) == _escape_one_by_one(text)


def test_escaping_round_trips_through_the_parsers() -> None:
    nasty = "Mae Sai; Tachileik, TH\\MM\nline two"
    data = render_calendar("x", [event(summary=nasty, location=nasty, description=nasty)])
    assert b"SUMMARY:Mae Sai\\; Tachileik\\, TH\\\\MM\\nline two\r\n" in data
    vevent = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(vevent["LOCATION"]) == nasty
    calendar = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    assert calendar.events[0].summary == nasty


def test_same_input_gives_same_bytes_in_any_order() -> None:
    events = [
        event(
            uid=f"tasking-{n}@jointops",
            start=H_HOUR + timedelta(hours=n),
            end=H_HOUR + timedelta(hours=n + 1),
        )
        for n in range(5)
    ]
    first = render_calendar("x", events)
    assert render_calendar("x", list(reversed(events))) == first
    assert render_calendar("x", events) == first
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(first).walk("VEVENT")]
    assert uids == [f"tasking-{n}@jointops" for n in range(5)]


def test_no_clock_reads_dtstamp_is_the_last_change() -> None:
    changed = datetime(2026, 11, 20, 8, 15, 42, 123456, tzinfo=UTC)
    lines = unfold(render_calendar("x", [event(dtstamp=changed, last_modified=changed)]))
    assert "DTSTAMP:20261120T081542Z" in lines
    assert "LAST-MODIFIED:20261120T081542Z" in lines


def test_cancelled_event_does_not_block_time() -> None:
    lines = unfold(render_calendar("x", [event(status=CANCELLED)]))
    assert "STATUS:CANCELLED" in lines
    assert "TRANSP:TRANSPARENT" in lines


def test_events_that_end_before_they_start_are_refused() -> None:
    with pytest.raises(ValueError, match="ends before"):
        event(end=H_HOUR - timedelta(hours=3))


# Text as calendar users type it: any script, punctuation and line breaks, no controls.
_TYPED = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029")
    | st.sampled_from(["\n", ";", ",", "\\", ":", '"']),
    min_size=1,
    max_size=120,
)


@settings(max_examples=60, deadline=None)
@given(summary=_TYPED, location=_TYPED)
def test_parsers_read_back_any_typed_text(summary: str, location: str) -> None:
    data = render_calendar(summary, [event(summary=summary, location=location)])
    vevent = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert (str(vevent["SUMMARY"]), str(vevent["LOCATION"])) == (summary, location)
    parsed = IcsCalendarStream.calendar_from_ics(data.decode("utf-8")).events[0]
    assert (parsed.summary, parsed.location) == (summary, location)


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85"])
def test_unicode_line_breaks_are_escaped_not_passed_on(brk: str) -> None:
    """Issue 10, finding 11: parsers that split lines like str.splitlines() ended the
    SUMMARY at U+2028, U+2029 or U+0085 and read what followed as a property."""
    assert escape_text(f"Night{brk}DESCRIPTION:forged") == "Night\\nDESCRIPTION:forged"
    name = f"Night Heron{brk}LOCATION:Fake"
    data = render_calendar("t", feed_events([tasking(1, code_name=name)], H_HOUR))
    assert brk.encode() not in data
    assert all(len(line.splitlines()) <= 1 for line in data.decode().split("\r\n"))
    (event,) = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("Night Heron\nLOCATION:Fake")
    assert str(event.get("LOCATION")) != "Fake"
