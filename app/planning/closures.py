"""Crossing closures in the planning scenario.

An administrator closes a crossing on whole local days (a holiday, works, a security
closure). The scenario format (jointops-scenario/1) knows a crossing's hours only as
*daily* windows, the same every day: a closure on given dates has no exact place in it.
The mapping must still mean what the board means where it matters, that no unit is ever
routed through a closed crossing, so it is conservative:

* a closure counts only where it overlaps the planning horizon;
* the local times of day it covers there are taken out of the crossing's daily windows
  on *every* day of the horizon (the format cannot say "only on 5 December");
* a crossing left with no open time at all is removed from the scenario (an empty or
  absent `open` would mean open at every instant).

A whole-day closure inside the horizon therefore takes the crossing out of the whole
solve. The planning page lists each crossing a closure narrows or removes, with the
reason, so the planner sees it (app/planning/views.py). Exact dated closures need a
format with dated hours (a version 2); this module is where they would map.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.models import CrossingClosure
from app.solver.schema import parse_instant

DAY = 24 * 60


@dataclass(frozen=True)
class ClosureEffect:
    """What the closures in the horizon do to one crossing of the scenario."""

    crossing_id: str
    name: str
    reasons: list[str]
    removed: bool  # no open time left: the crossing is not in the scenario
    windows: list[dict[str, str]]  # the daily windows it keeps (when not removed)


def closure_interval(starts_on: date, ends_on: date, zone: str) -> tuple[datetime, datetime]:
    """Whole local days `starts_on` to `ends_on` (inclusive) as a half-open instant range."""
    tz = ZoneInfo(zone)
    return (datetime.combine(starts_on, time(0), tz),
            datetime.combine(ends_on + timedelta(days=1), time(0), tz))


def closed_times_of_day(
    intervals: list[tuple[datetime, datetime]], zone: str, horizon: tuple[datetime, datetime]
) -> list[tuple[int, int]]:
    """The local minutes of the day [from, to) that some closure covers on some day of the
    horizon, joined up."""
    tz = ZoneInfo(zone)
    spans: list[tuple[int, int]] = []
    for start, end in intervals:
        start, end = max(start, horizon[0]), min(end, horizon[1])
        if start >= end:
            continue
        if end - start >= timedelta(days=1):
            return [(0, DAY)]
        a, b = start.astimezone(tz), end.astimezone(tz)
        a_min, b_min = a.hour * 60 + a.minute, b.hour * 60 + b.minute
        if a.date() == b.date():
            spans.append((a_min, b_min))
        else:  # over local midnight (b may be midnight itself: then b_min is 0)
            spans.append((a_min, DAY))
            if b_min:
                spans.append((0, b_min))
    return _join(spans)


def narrowed_windows(
    windows: list[dict[str, str]] | None, closed: list[tuple[int, int]]
) -> list[dict[str, str]]:
    """The daily windows minus the closed times of day ([] : no open time left)."""
    open_spans = [(0, DAY)] if not windows else [
        (_minutes(w["from"]), _minutes(w["to"])) for w in windows]
    for c_start, c_end in closed:
        cut = []
        for start, end in open_spans:
            if c_end <= start or c_start >= end:
                cut.append((start, end))
                continue
            if start < c_start:
                cut.append((start, c_start))
            if c_end < end:
                cut.append((c_end, end))
        open_spans = cut
    return [{"from": _hhmm(a), "to": _hhmm(b)} for a, b in _join(open_spans) if a < b]


def apply_closures(session: Session, document: dict[str, Any]) -> list[ClosureEffect]:
    """Narrow (or remove) the crossings of a scenario document that have closures in its
    horizon; returns what was done to which crossing."""
    horizon = (parse_instant(document["horizon"]["start"]),
               parse_instant(document["horizon"]["end"]))
    closures: dict[str, list[CrossingClosure]] = {}
    for closure in session.exec(select(CrossingClosure).order_by(
            col(CrossingClosure.starts_on), col(CrossingClosure.id))):
        closures.setdefault(closure.crossing_id, []).append(closure)
    effects = []
    kept = []
    for crossing in document.get("crossings", []):
        mine = closures.get(crossing["id"], [])
        intervals = [closure_interval(c.starts_on, c.ends_on, crossing["timezone"])
                     for c in mine]
        in_horizon = [c for c, (a, b) in zip(mine, intervals, strict=True)
                      if a < horizon[1] and b > horizon[0]]
        closed = closed_times_of_day(intervals, crossing["timezone"], horizon)
        if not closed:
            kept.append(crossing)
            continue
        windows = narrowed_windows(crossing.get("open"), closed)
        reasons = [f"{_days(c)}: {c.reason}" for c in in_horizon]
        effects.append(ClosureEffect(crossing["id"], crossing["name"], reasons,
                                     not windows, windows))
        if windows:
            kept.append({**crossing, "open": windows})
    document["crossings"] = kept
    return effects


def _days(closure: CrossingClosure) -> str:
    if closure.starts_on == closure.ends_on:
        return closure.starts_on.isoformat()
    return f"{closure.starts_on.isoformat()} to {closure.ends_on.isoformat()}"


def _join(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def horizon_effects(session: Session, start: datetime, end: datetime) -> list[ClosureEffect]:
    """What the closures do to the board's crossings in the horizon [start, end) (the
    planning page's list), without building the whole scenario."""
    from app.models import Crossing

    document: dict[str, Any] = {
        "horizon": {"start": start.isoformat(), "end": end.isoformat()},
        "crossings": [{"id": c.id, "name": c.name, "timezone": c.timezone,
                       "open": c.open_windows}
                      for c in session.exec(select(Crossing).order_by(col(Crossing.id)))],
    }
    return apply_closures(session, document)
