"""Every feed a test fetches is read by three independent parsers, which must agree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream


def _key(
    uid: Any, sequence: Any, status: Any, start: Any, end: Any, summary: Any
) -> tuple[str, int, str, datetime, datetime, str]:
    def instant(value: Any) -> datetime:
        assert isinstance(value, datetime) and value.tzinfo is not None, value  # never floating
        return value

    status_text = str(status).upper()
    return (str(uid), int(sequence), status_text, instant(start), instant(end), str(summary))


def read_feed(body: bytes) -> list[icalendar.Event]:
    """The feed's events as icalendar reads them, once the `ical` and `vobject` parsers
    have read the same events (UID, SEQUENCE, STATUS, times, summary)."""
    by_icalendar = list(icalendar.Calendar.from_ical(body).walk("VEVENT"))
    text = body.decode("utf-8")
    by_ical = IcsCalendarStream.calendar_from_ics(text).events
    by_vobject = getattr(vobject.readOne(text), "vevent_list", [])
    seen = [
        sorted(
            _key(
                e["UID"],
                e["SEQUENCE"],
                e["STATUS"],
                e["DTSTART"].dt,
                e["DTEND"].dt,
                str(e["SUMMARY"]),
            )
            for e in by_icalendar
        ),
        sorted(
            _key(
                e.uid,
                e.sequence,
                e.status.value if e.status else None,
                e.dtstart,
                e.dtend,
                e.summary,
            )
            for e in by_ical
        ),
        sorted(
            _key(
                e.uid.value,
                e.sequence.value,
                e.status.value,
                e.dtstart.value,
                e.dtend.value,
                e.summary.value,
            )
            for e in by_vobject
        ),
    ]
    assert seen[0] == seen[1] == seen[2], seen
    return by_icalendar


def summaries(body: bytes) -> list[str]:
    """The events' summaries in order, read by all three parsers."""
    return sorted(str(event["SUMMARY"]) for event in read_feed(body))
