"""How admin pages show times and lists: crossing hours in local time and in UTC."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.i18n import gettext
from app.web import templates

DAILY_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def utc_offset(tz: str) -> timedelta | None:
    """The zone's fixed UTC offset (the board's zones have no daylight saving)."""
    try:
        return ZoneInfo(tz).utcoffset(datetime(2026, 1, 1))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def offset_label(tz: str) -> str:
    """`UTC+06:30`."""
    offset = utc_offset(tz)
    if offset is None:
        return gettext("unknown zone")
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _to_utc(hhmm: str, offset: timedelta) -> str:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    total = hours * 60 + minutes - int(offset.total_seconds() // 60)
    day, rest = divmod(total, 24 * 60)
    mark = {-1: " " + gettext("(day before)"), 1: " " + gettext("(next day)")}.get(day, "")
    return f"{rest // 60:02d}:{rest % 60:02d}{mark}"


def window_in_utc(window: dict[str, str], tz: str) -> str:
    """`23:30 (day before)–14:00 UTC` for a 06:30–21:00 window in Asia/Bangkok."""
    offset = utc_offset(tz)
    times = (window.get("from", ""), window.get("to", ""))
    if offset is None or not all(DAILY_TIME.match(t or "") for t in times):
        return ""
    try:
        return f"{_to_utc(window['from'], offset)}–{_to_utc(window['to'], offset)} UTC"
    except (KeyError, ValueError, TypeError, AttributeError):
        return ""


def crossing_hours(crossing: Any) -> str:
    """Every daily window in local time and in UTC, or `open at all times`."""
    if not crossing.open_windows:
        return gettext("open at all times")
    local = offset_label(crossing.timezone)
    return "; ".join(
        f"{w['from']}–{w['to']} {local} = {window_in_utc(w, crossing.timezone)}"
        for w in crossing.open_windows
    )


def short_list(values: list[str] | None, empty: str) -> str:
    """A comma list, or what NULL means for this column."""
    if values is None:
        return empty
    return ", ".join(values) if values else gettext("none")


templates.env.filters.update(window_in_utc=window_in_utc, offset_label=offset_label)
