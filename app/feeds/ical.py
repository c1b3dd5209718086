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
_CRLF = b"\r\n"
MAX_OCTETS = 75

CONFIRMED = "CONFIRMED"
CANCELLED = "CANCELLED"
_STATUSES = (CONFIRMED, CANCELLED)
_CLASSES = ("PUBLIC", "PRIVATE", "CONFIDENTIAL")

# RFC 5545 3.3.11: TEXT may hold any character except the controls (HTAB aside).
# The C1 controls go too: no calendar shows them, and some parsers act on them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Line breaks besides CR and LF: NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR. Parsers that
# split lines as Python's str.splitlines() does would end a content line there, so a
# code name holding one could add properties of its own: each becomes an escaped \n.
_OTHER_BREAKS = ("\x85", "\u2028", "\u2029")
# Everything escape_text changes: those controls, line breaks and the escaped characters.
_SPECIAL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\;,]")
# The backslash first, so the backslashes the others add are not doubled.
_ESCAPES = (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n"))


# Not frozen: a feed builds one event per tasking, renders it and drops it (nothing keeps
# or hashes events), and creating a frozen one took three times as long (4.5 us).
@dataclass(slots=True)
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
    zone = value.tzinfo
    if zone is UTC:  # the common case, called many times per event: no new object
        return value
    if zone is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# "00" to "99": indexing this table is twice as fast as %02d for the many instants of a feed.
TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))


def format_utc(value: datetime) -> str:
    """An RFC 5545 DATE-TIME in UTC form (`20261201T013000Z`), seconds precision."""
    v, two = to_utc(value), TWO_DIGITS
    return f"{v.year:04d}{two[v.month]}{two[v.day]}T{two[v.hour]}{two[v.minute]}{two[v.second]}Z"


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks (RFC 5545 3.3.11)."""
    if not _SPECIAL.search(value):
        return value  # most names and places: one scan instead of six
    # Each replace copies the whole text (0.4 us for a description) while a test for the
    # character is a fast scan: a description has line breaks, rarely anything else.
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    for brk in _OTHER_BREAKS:
        if brk in value:
            value = value.replace(brk, "\n")
    for character, escaped in _ESCAPES:
        if character in value:
            value = value.replace(character, escaped)
    # Controls are dropped last (escaping maps each character on its own, so the order
    # does not matter): isprintable() rules them out in one fast scan, and only text
    # with a tab or another invisible character pays for the regex (4 us a description).
    return value if value.isprintable() else _CONTROL.sub("", value)


def fold_line(line: str) -> str:
    """Fold one line at 75 octets, never inside a UTF-8 sequence or an escape (RFC 5545 3.1)."""
    if len(line) <= MAX_OCTETS and line.isascii():
        return line  # most lines: one octet a character, nothing to fold
    return _fold(line.encode("utf-8")).decode("utf-8")


def _fold(data: bytes) -> bytes:
    """fold_line on the UTF-8 bytes of a line."""
    if len(data) <= MAX_OCTETS:
        return data
    pieces: list[bytes] = []
    start, room = 0, MAX_OCTETS
    while len(data) - start > room:
        cut = start + room
        # Back off to the first byte of a UTF-8 sequence (continuation bytes are 10xxxxxx).
        while data[cut] & 0xC0 == 0x80:
            cut -= 1
        if data[cut - 1] == 0x5C and _ends_inside_escape(data, start, cut):
            cut -= 1
        pieces.append(data[start:cut])
        # A continuation line starts with one space, which counts towards its 75.
        start, room = cut, MAX_OCTETS - 1
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


def _ends_inside_escape(data: bytes, start: int, cut: int) -> bool:
    """True when data[start:cut] ends with the backslash of an escape pair."""
    # 0x5C never occurs inside a multi-byte UTF-8 sequence, so counting bytes is safe.
    run = 0
    while cut - run - 1 >= start and data[cut - run - 1] == 0x5C:
        run += 1
    return run % 2 == 1


def _text(name: str, value: str) -> str:
    return f"{name}:{escape_text(value)}"


def event_block(event: FeedEvent) -> bytes:
    """One folded VEVENT in UTF-8, CRLF line ends included."""
    # Only text properties can pass 75 octets; the others are short ASCII by construction
    # and skip folding (folding every line was a third of the rendering time). Built as
    # bytes: folding works on bytes, and the feed is sent as bytes.
    stamp = format_utc(event.dtstamp)
    changed = stamp if event.last_modified == event.dtstamp else format_utc(event.last_modified)
    parts = [
        _folded("UID", event.uid),
        f"SEQUENCE:{event.sequence}{CRLF}DTSTAMP:{stamp}{CRLF}LAST-MODIFIED:{changed}{CRLF}"
        f"DTSTART:{format_utc(event.start)}{CRLF}DTEND:{format_utc(event.end)}{CRLF}".encode(),
        _folded("SUMMARY", event.summary),
    ]
    if event.description:
        parts.append(_folded("DESCRIPTION", event.description))
    if event.location:
        parts.append(_folded("LOCATION", event.location))
    if event.categories:
        categories = ",".join(escape_text(c) for c in event.categories)
        parts.append(_fold(f"CATEGORIES:{categories}".encode()) + _CRLF)
    if event.classification:
        parts.append(f"CLASS:{event.classification}{CRLF}".encode())
    # A cancelled deployment no longer blocks the officer's time.
    transparency = "TRANSPARENT" if event.status == CANCELLED else "OPAQUE"
    parts.append(f"STATUS:{event.status}{CRLF}TRANSP:{transparency}{CRLF}".encode())
    return b"".join([b"BEGIN:VEVENT\r\n", *parts, b"END:VEVENT\r\n"])


def _folded(name: str, value: str) -> bytes:
    return _fold(f"{name}:{escape_text(value)}".encode()) + _CRLF


def _event_order(event: FeedEvent) -> tuple[datetime, datetime, str]:
    return (to_utc(event.start), to_utc(event.end), event.uid)


def render_calendar(name: str, events: list[FeedEvent], refresh_minutes: int = 15) -> bytes:
    """The whole VCALENDAR as UTF-8 bytes with CRLF line ends, events in a stable order."""
    blocks = [event_block(event) for event in sorted(events, key=_event_order)]
    return calendar_bytes(name, blocks, refresh_minutes)


def calendar_bytes(name: str, blocks: list[bytes], refresh_minutes: int = 15) -> bytes:
    """The VCALENDAR around VEVENT blocks already folded, encoded and in feed order."""
    if refresh_minutes < 1:
        raise ValueError("the refresh interval must be at least one minute")
    interval = f"PT{refresh_minutes}M"
    header = [
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
    head = "".join(fold_line(line) + CRLF for line in header).encode("utf-8")
    return b"".join([head, *blocks, b"END:VCALENDAR" + _CRLF])
