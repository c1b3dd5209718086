"""Turn taskings into calendar events: pure functions over plain data, no database.

The content is kept minimal on purpose (code name, role, rendezvous, crossings, times;
the unit only in feeds that mix units): calendar clouds cache whatever we publish, and
a TLP:RED operation shows only "Busy". The TLP label stays: it is the handling rule
that travels with the information.

The words are in the current language (`app.i18n.speaking`, set by the feed service to
the feed owner's); times stay numeric and 24-hour, UIDs and SEQUENCEs never depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from app.feeds.ical import (
    CANCELLED,
    CONFIRMED,
    TWO_DIGITS,
    FeedEvent,
    event_block,
    to_utc,
)
from app.i18n import N_, gettext

CANCEL_GRACE = timedelta(hours=72)
# Tasking states that end a deployment; the feed shows them as STATUS:CANCELLED.
# A tasking UID that was replaced (see retired_event): its old entry is cancelled.
REPLACED = "replaced"
CANCELLED_STATES = frozenset({"aborted", "withdrawn", "cancelled", REPLACED})
TLP_LABELS = ("RED", "AMBER", "GREEN", "CLEAR")
# RFC 5545 CLASS per label: CONFIDENTIAL says "only the times" to apps that honour it.
_CLASS_OF_TLP = {"RED": "CONFIDENTIAL", "AMBER": "PRIVATE", "GREEN": "PRIVATE", "CLEAR": "PUBLIC"}


# Named tuples rather than frozen dataclasses: a feed builds one view per tasking, and
# creating a 19-field frozen dataclass took 5.6 us against 0.9 us (hashing it, as the
# block cache does, is a C tuple hash too). Immutable plain data either way.
class Place(NamedTuple):
    """A named place (crossing, staging region) with the time zone it keeps."""

    name: str
    timezone: str


class CrossingPassage(NamedTuple):
    """The unit's passage through a border crossing, out and back."""

    crossing: Place
    out: datetime | None = None
    back: datetime | None = None


class TaskingView(NamedTuple):
    """What the feed needs to know of one published tasking."""

    uid: str
    code_name: str
    tlp: str
    state: str
    sequence: int
    updated_at: datetime
    depart: datetime
    return_at: datetime
    h_hour: datetime
    home_timezone: str
    unit_callsign: str = ""
    role: str = ""
    staging: Place | None = None
    rendezvous_at: datetime | None = None
    crossing: CrossingPassage | None = None
    # Every zone the operation touches; H-hour is shown in each of them.
    operation_timezones: tuple[str, ...] = ()
    cancelled_at: datetime | None = None
    # Feeds that mix units (the agency feed) name the unit in the summary.
    show_unit: bool = False
    # A cordon post (docs/cordon-format.md): the seal runs from `h_hour` to this.
    seal_end: datetime | None = None
    # An escort trip of a hand-over plan (app.repatriation.tasking): the places it
    # drives through, and how many persons it carries; h_hour is the hand-over.
    route: tuple[str, ...] = ()
    persons: int = 0

    @property
    def is_escort(self) -> bool:
        return bool(self.route)
    # The reversible uuid5 UID the order was issued with before issue 10, and when it
    # was replaced (migration retired_uids_0900): see retired_event.
    retired_uid: str | None = None
    uid_retired_at: datetime | None = None

    @property
    def is_cancelled(self) -> bool:
        """True when the tasking was aborted or withdrawn."""
        return self.state.lower() in CANCELLED_STATES

    @property
    def tlp_label(self) -> str:
        """The TLP label in its canonical spelling; unknown labels are treated as RED."""
        label = self.tlp.upper().removeprefix("TLP:")
        return label if label in TLP_LABELS else "RED"


def tasking_uid(tasking_id: object, domain: str = "jointops") -> str:
    """A stable UID for a tasking: derived from its id, never regenerated."""
    return f"tasking-{tasking_id}@{domain}"


def _minutes_text(value: datetime) -> str:
    """`2026-12-01 09:30`: the value's own wall time, to the minute."""
    v, two = value, TWO_DIGITS
    return f"{v.year:04d}-{two[v.month]}-{two[v.day]} {two[v.hour]}:{two[v.minute]}"


@lru_cache(maxsize=256)
def zone_label(timezone: str, offset: timedelta | None) -> str:
    """` Asia/Yangon (UTC+06:30)`, computed once per zone and offset."""
    offset = offset or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    hours, minutes = divmod(abs(offset) // timedelta(minutes=1), 60)
    return f" {timezone} (UTC{sign}{hours:02d}:{minutes:02d})"


def format_local(instant: datetime, timezone: str) -> str:
    """An instant as `2026-12-01 09:30 Asia/Yangon (UTC+06:30)`."""
    return _local_text(to_utc(instant), timezone)


def _local_text(utc: datetime, timezone: str) -> str:
    # Not memoised: every instant of a feed is its own, so a cache only cost hashing.
    local = utc.astimezone(ZoneInfo(timezone))
    return _minutes_text(local) + zone_label(timezone, local.utcoffset())


def format_both(instant: datetime, *zones: str) -> str:
    """An instant in UTC, then in each distinct local zone given."""
    utc = to_utc(instant)
    text = _minutes_text(utc) + " UTC"
    for zone in dict.fromkeys(zones) if len(zones) > 1 else zones:
        if zone and zone != "UTC":
            text += " / " + _local_text(utc, zone)
    return text


def describe(tasking: TaskingView) -> str:
    """The event description: each step of the deployment in UTC and local time, in the
    language of the feed's owner (the caller's `speaking`); times stay numeric, 24-hour."""
    t, home, both, _ = tasking, tasking.home_timezone, format_both, gettext
    if t.is_escort:
        return _describe_escort(t)
    state = t.state.lower()
    lines = [_("Operation %(code)s (TLP:%(tlp)s)") % {"code": t.code_name, "tlp": t.tlp_label}]
    if state == REPLACED:
        lines.append(_("CANCELLED: this entry is replaced by a new one for the same order."))
    elif state in CANCELLED_STATES:
        lines.append(_(_CANCELLED_LINES.get(state, _CANCELLED_LINES["cancelled"])))
    # Minimal content: an officer's or a unit's own feed needs the role, not the unit's
    # name; a feed that mixes units (the agency feed) must say whose deployment it is.
    if t.show_unit and t.unit_callsign:
        unit = " - ".join(p for p in (t.unit_callsign, t.role) if p)
        lines.append(_("Unit: %(unit)s") % {"unit": unit})
    elif t.role:
        lines.append(_("Role: %(role)s") % {"role": t.role})
    lines.append(_("Depart: %(when)s") % {"when": both(t.depart, home)})
    passage = t.crossing
    if passage and passage.out:
        where = passage.crossing
        lines.append(_("Crossing out (%(crossing)s): %(when)s") % {
            "crossing": where.name, "when": both(passage.out, where.timezone)})
    zones = t.operation_timezones or (home,)
    if t.seal_end is not None:
        post = t.staging.name if t.staging else _("the crossing")
        post_zone = t.staging.timezone if t.staging else home
        lines.append(_("Cordon post: %(post)s; let no one cross") % {"post": post})
        lines.append(_("Seal from: %(when)s") % {"when": both(t.h_hour, post_zone, *zones)})
        lines.append(_("Seal until: %(when)s") % {"when": both(t.seal_end, post_zone, *zones)})
        lines.append(_("Return: %(when)s") % {"when": both(t.return_at, home)})
        return "\n".join(lines)
    lines.append(_("H-hour: %(when)s") % {"when": both(t.h_hour, *zones)})
    if t.staging:
        lines.append(_rendezvous(t, t.staging.name))
    if passage and passage.back:
        where = passage.crossing
        lines.append(_("Crossing back (%(crossing)s): %(when)s") % {
            "crossing": where.name, "when": both(passage.back, where.timezone)})
    lines.append(_("Return: %(when)s") % {"when": both(t.return_at, home)})
    return "\n".join(lines)


# Whole sentences per state, so that each language words them its own way.
_CANCELLED_LINES = {
    "aborted": N_("CANCELLED: this tasking was aborted."),
    "withdrawn": N_("CANCELLED: this tasking was withdrawn."),
    "cancelled": N_("CANCELLED: this tasking was cancelled."),
}


def _describe_escort(t: TaskingView) -> str:
    """An escort trip: its route, leaving base, the hand-over, the load, back at base."""
    home, both, _ = t.home_timezone, format_both, gettext
    lines = [f"{t.code_name} (TLP:{t.tlp_label})"]
    if t.state.lower() in CANCELLED_STATES:
        lines.append(_("CANCELLED: a new hand-over plan dropped this trip."))
    if t.show_unit and t.unit_callsign:
        lines.append(_("Unit: %(unit)s") % {"unit": t.unit_callsign})
    lines.append(_("Route: %(route)s") % {"route": " -> ".join(t.route)})
    lines.append(_("Depart: %(when)s") % {"when": both(t.depart, home)})
    place = t.staging.name if t.staging else _("the hand-over point")
    lines.append(_("Hand-over at %(place)s: %(when)s") % {
        "place": place, "when": both(t.h_hour, home)})
    lines.append(_("Persons: %(count)s") % {"count": t.persons})
    lines.append(_("Return: %(when)s") % {"when": both(t.return_at, home)})
    return "\n".join(lines)


def _rendezvous(tasking: TaskingView, place: str) -> str:
    when, _ = tasking.rendezvous_at, gettext
    if when is None:
        return _("Rendezvous / staging: %(place)s") % {"place": place}
    if when == tasking.h_hour:
        # Already given above in every zone; repeating it would only add noise.
        return _("Rendezvous / staging: %(place)s, by H-hour") % {"place": place}
    zone = tasking.staging.timezone if tasking.staging else tasking.home_timezone
    return _("Rendezvous / staging: %(place)s, by %(when)s") % {
        "place": place, "when": format_both(when, zone)}


def to_event(tasking: TaskingView) -> FeedEvent:
    """One calendar event for one tasking, spanning departure to return."""
    label, cancelled = tasking.tlp_label, tasking.is_cancelled
    # Need-to-know: a TLP:RED operation leaves only its times in the calendar cloud.
    red = label == "RED"
    # Apps that ignore STATUS (some Android sync adapters) still show the word.
    suffix = f" - {tasking.unit_callsign}" if tasking.show_unit and tasking.unit_callsign else ""
    summary = f"{tasking.code_name}{suffix}"
    if red:
        summary = gettext("Busy")
    elif cancelled:
        replaced = tasking.state == REPLACED
        word = N_("Replaced: %(event)s") if replaced else N_("Cancelled: %(event)s")
        summary = gettext(word) % {"event": summary}
    # UID and SEQUENCE never depend on the language: a subscriber who changes language
    # sees the same events reworded, not new ones.
    return FeedEvent(
        uid=tasking.uid,
        sequence=tasking.sequence,
        summary=summary,
        start=tasking.depart,
        end=tasking.return_at,
        dtstamp=tasking.updated_at,
        last_modified=tasking.updated_at,
        description=None if red else describe(tasking),
        location=None if red or tasking.staging is None else tasking.staging.name,
        status=CANCELLED if cancelled else CONFIRMED,
        categories=() if red else (f"TLP:{label}",),
        classification=_CLASS_OF_TLP[label],
    )


def shows_retired(
    tasking: TaskingView, now: datetime, token_created: datetime,
    grace: timedelta = CANCEL_GRACE,
) -> bool:
    """Whether a feed token made at `token_created` carries the CANCELLED event of the
    tasking's retired UID at `now`.

    Only tokens that existed when the UID was replaced (a calendar that may hold the old
    entry) and only for the grace period of any cancellation: the old UID is reversible,
    so it is handed to nobody who never had it, and to nobody for longer than needed.
    """
    retired_at = tasking.uid_retired_at
    if not tasking.retired_uid or retired_at is None:
        return False
    return to_utc(token_created) < to_utc(retired_at) and to_utc(now) < to_utc(retired_at) + grace


def retired_event(tasking: TaskingView) -> FeedEvent:
    """The CANCELLED event under the tasking's retired UID: a calendar holding the entry
    issued under the old UID drops it (SEQUENCE above any it was sent) instead of
    keeping a stale duplicate beside the entry under the new UID."""
    assert tasking.retired_uid and tasking.uid_retired_at  # noqa: S101 (see shows_retired)
    return to_event(tasking._replace(
        uid=tasking.retired_uid,
        state=REPLACED,
        sequence=tasking.sequence + 1,
        updated_at=max(to_utc(tasking.updated_at), to_utc(tasking.uid_retired_at)),
        cancelled_at=tasking.uid_retired_at,
    ))


def cancelled_since(tasking: TaskingView) -> datetime:
    """When the tasking was cancelled; its last change when no time was recorded."""
    return to_utc(tasking.cancelled_at or tasking.updated_at)


def still_listed(tasking: TaskingView, now: datetime, grace: timedelta = CANCEL_GRACE) -> bool:
    """Live taskings always; cancelled ones only within the grace period."""
    if not tasking.is_cancelled:
        return True
    return to_utc(now) < cancelled_since(tasking) + grace


def feed_events(
    taskings: Iterable[TaskingView], now: datetime, grace: timedelta = CANCEL_GRACE
) -> list[FeedEvent]:
    """The events of a feed at `now`: cancelled taskings drop out after the grace period."""
    return [to_event(t) for t in taskings if still_listed(t, now, grace)]


def event_order(tasking: TaskingView) -> tuple[datetime, datetime, str]:
    """The order render_calendar gives the events these taskings become."""
    return (to_utc(tasking.depart), to_utc(tasking.return_at), tasking.uid)


def tasking_block(tasking: TaskingView) -> bytes:
    """One tasking's VEVENT, folded and encoded (app.feeds.blocks caches it by content)."""
    return event_block(to_event(tasking))
