"""Nothing is scheduled in the past: a solve's horizon starts at now plus the notice.

The board's horizon may have started days ago; the solve of a run starts no earlier than
now + `planning_notice_minutes`, moved in whole slots so the slot grid (and every pinned
start on it) stays where it was. Pinned published operations keep their times, so the
start never passes the earliest departure among them. An H-hour closer to the solve than
`short_notice_hours` is flagged on the run page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.config import get_settings
from app.errors import Conflict
from app.i18n import later
from app.solver.schema import ScheduledOperation, format_instant, parse_instant


def earliest_start(now: datetime) -> datetime:
    """The earliest instant a new solve may schedule anything (now + the notice)."""
    return now + timedelta(minutes=get_settings().planning_notice_minutes)


def start_no_earlier_than(
    document: dict[str, Any], *, now: datetime, fixed: list[ScheduledOperation]
) -> datetime:
    """Move the document's horizon start to now + notice (on its slot grid); returns it.

    Raises a 409 when the horizon ends before that: the planner has to widen it.
    """
    start = parse_instant(document["horizon"]["start"])
    end = parse_instant(document["horizon"]["end"])
    slot = timedelta(minutes=int(document.get("slot_minutes") or 15))
    wanted = earliest_start(now)
    if wanted <= start:
        return start
    # Whole slots up to `wanted`, but never past a pinned operation's first departure.
    steps = -((start - wanted) // slot)  # ceil
    pinned = [a.depart for op in fixed for a in op.assignments] + [op.start for op in fixed]
    if pinned:
        steps = min(steps, (min(pinned) - start) // slot)
    moved = start + steps * slot
    if moved >= end:
        raise Conflict(later("The planning horizon ends at %(end)s, before now plus the notice "
                             "(%(wanted)s): widen it on the planning page",
                             end=format_instant(end), wanted=format_instant(wanted)))
    document["horizon"]["start"] = format_instant(moved)
    return moved


def short_notice(h_hour: datetime, solved_at: datetime) -> bool:
    """Whether an H-hour leaves less than the short-notice margin after the solve."""
    return h_hour - solved_at < timedelta(hours=get_settings().short_notice_hours)
