"""A small, dependency-free iCalendar writer (RFC 5545 with the RFC 7986 additions).

Written by hand rather than with a library so that the bytes are fully under our
control: identical input gives identical output (strong ETags depend on it), lines are
folded at 75 octets without ever splitting a UTF-8 sequence, and nothing "helpful"
such as a METHOD or a DTSTAMP of "now" slips in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//JointOps//Tasking Feed 1.0//EN"
CRLF = "\r\n"
MAX_OCTETS = 75

CONFIRMED = "CONFIRMED"
CANCELLED = "CANCELLED"
_STATUSES = (CONFIRMED, CANCELLED)
_CLASSES = ("PUBLIC", "PRIVATE", "CONFIDENTIAL")

# RFC 5545 3.3.11: TEXT may hold any character except the controls (HTAB aside).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Folding units: one character, or an escape pair that some parsers cannot read split.
_UNITS = re.compile(r"\\.|.", re.DOTALL)


@dataclass(frozen=True)
class FeedEvent:
    """One VEVENT: times are instants (naive values are taken as UTC)."""

    uid: str
    sequence: int
    summary: str
    start: datetime
    end: datetime
    dtstamp: datetime
    last_modified: datetime
    description: str | None = None
    location: str | None = None
    status: str = CONFIRMED
    categories: tuple[str, ...] = ()
    classification: str | None = None

    def __post_init__(self) -> None:
        if not self.uid:
            raise ValueError("an event needs a UID")
        if self.sequence < 0:
            raise ValueError("SEQUENCE cannot be negative")
        if self.status not in _STATUSES:
            raise ValueError(f"STATUS must be one of {_STATUSES}, not {self.status!r}")
        if self.classification is not None and self.classification not in _CLASSES:
            raise ValueError(f"CLASS must be one of {_CLASSES}, not {self.classification!r}")
        if to_utc(self.end) <= to_utc(self.start):
            raise ValueError(f"event {self.uid} ends before it starts")


def to_utc(value: datetime) -> datetime:
    """The instant in UTC; naive values are already UTC (that is how we store them)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """An RFC 5545 DATE-TIME in UTC form (`20261201T013000Z`), seconds precision."""
    return to_utc(value).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks (RFC 5545 3.3.11)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def fold_line(line: str) -> str:
    """Fold one line at 75 octets, never inside a UTF-8 sequence or an escape (RFC 5545 3.1)."""
    if len(line.encode("utf-8")) <= MAX_OCTETS:
        return line
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for unit in _UNITS.findall(line):
        size = len(unit.encode("utf-8"))
        if used + size > MAX_OCTETS:
            pieces.append("".join(current))
            # A continuation line starts with one space, which counts towards its 75.
            current, used = [" "], 1
        current.append(unit)
        used += size
    pieces.append("".join(current))
    return CRLF.join(pieces)


def _text(name: str, value: str) -> str:
    return f"{name}:{escape_text(value)}"


def _event_lines(event: FeedEvent) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        _text("UID", event.uid),
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{format_utc(event.dtstamp)}",
        f"LAST-MODIFIED:{format_utc(event.last_modified)}",
        f"DTSTART:{format_utc(event.start)}",
        f"DTEND:{format_utc(event.end)}",
        _text("SUMMARY", event.summary),
    ]
    if event.description:
        lines.append(_text("DESCRIPTION", event.description))
    if event.location:
        lines.append(_text("LOCATION", event.location))
    if event.categories:
        lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in event.categories))
    if event.classification:
        lines.append(f"CLASS:{event.classification}")
    lines.append(f"STATUS:{event.status}")
    # A cancelled deployment no longer blocks the officer's time.
    lines.append("TRANSP:" + ("TRANSPARENT" if event.status == CANCELLED else "OPAQUE"))
    lines.append("END:VEVENT")
    return lines


def _event_order(event: FeedEvent) -> tuple[datetime, datetime, str]:
    return (to_utc(event.start), to_utc(event.end), event.uid)


def render_calendar(name: str, events: list[FeedEvent], refresh_minutes: int = 15) -> bytes:
    """The whole VCALENDAR as UTF-8 bytes with CRLF line ends, events in a stable order."""
    if refresh_minutes < 1:
        raise ValueError("the refresh interval must be at least one minute")
    interval = f"PT{refresh_minutes}M"
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        _text("NAME", name),
        _text("X-WR-CALNAME", name),
        f"REFRESH-INTERVAL;VALUE=DURATION:{interval}",
        # The older spelling that Outlook and some Android sync adapters still read.
        f"X-PUBLISHED-TTL:{interval}",
    ]
    for event in sorted(events, key=_event_order):
        lines.extend(_event_lines(event))
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + CRLF for line in lines).encode("utf-8")
