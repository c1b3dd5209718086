"""Crossing closures in the planning scenario.

An administrator closes a crossing on whole local days (a holiday, works, a security
closure). The scenario carries each closure exactly, as a dated interval of the crossing
(`crossings[].closed`, docs/closures-format.md): no passage may overlap it, and on the
other days the crossing keeps its daily hours. The planning page lists each crossing a
closure touches in the horizon, with the reason (app/planning/views.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.i18n import later
from app.models import CrossingClosure
from app.solver.schema import format_instant, parse_instant


@dataclass(frozen=True)
class ClosureEffect:
    """The closures of one crossing of the scenario that fall in the horizon."""

    crossing_id: str
    name: str
    reasons: list[str]  # "2031-05-05 to 2031-05-06: bridge repairs", one per closure
    removed: bool  # closed over the whole horizon: no unit crosses there in this solve


def closure_interval(starts_on: date, ends_on: date, zone: str) -> tuple[datetime, datetime]:
    """Whole local days `starts_on` to `ends_on` (inclusive) as a half-open instant range."""
    tz = ZoneInfo(zone)
    return (datetime.combine(starts_on, time(0), tz),
            datetime.combine(ends_on + timedelta(days=1), time(0), tz))


def apply_closures(session: Session, document: dict[str, Any]) -> list[ClosureEffect]:
    """Give each crossing of a scenario document its closures that overlap the horizon
    (`closed`, exact instants); returns which crossings they touch, and why."""
    horizon = (parse_instant(document["horizon"]["start"]),
               parse_instant(document["horizon"]["end"]))
    closures: dict[str, list[CrossingClosure]] = {}
    for closure in session.exec(select(CrossingClosure).order_by(
            col(CrossingClosure.starts_on), col(CrossingClosure.id))):
        closures.setdefault(closure.crossing_id, []).append(closure)
    effects = []
    for crossing in document.get("crossings", []):
        touching = []
        for closure in closures.get(crossing["id"], []):
            start, end = closure_interval(closure.starts_on, closure.ends_on,
                                          crossing["timezone"])
            if start < horizon[1] and end > horizon[0]:
                touching.append((closure, start, end))
        if not touching:
            continue
        crossing["closed"] = [{"start": format_instant(a), "end": format_instant(b)}
                              for _, a, b in touching]
        effects.append(ClosureEffect(
            crossing["id"], crossing["name"],
            [later("%(days)s: %(reason)s", days=_days(c), reason=c.reason)
             for c, _, _ in touching],
            _covers(horizon, [(a, b) for _, a, b in touching])))
    return effects


def _covers(horizon: tuple[datetime, datetime], spans: list[tuple[datetime, datetime]]) -> bool:
    """Whether the spans leave no instant of the horizon uncovered."""
    reached = horizon[0]
    for start, end in sorted(spans):
        if start > reached:
            return False
        reached = max(reached, end)
    return reached >= horizon[1]


def _days(closure: CrossingClosure) -> str:
    if closure.starts_on == closure.ends_on:
        return closure.starts_on.isoformat()
    return later("%(first)s to %(last)s", first=closure.starts_on.isoformat(),
                 last=closure.ends_on.isoformat())


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
