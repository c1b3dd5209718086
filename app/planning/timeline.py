"""The plan as a timeline: a row per unit, and a row per lane of each crossing used.

Rendered server side as inline SVG (no script, no inline styles: the CSP allows
neither); this module only computes positions in the SVG's coordinate space.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.solver.instance import crossing_open_exact
from app.solver.schema import Crossing, Plan, Scenario

WIDTH = 1000
LABEL = 170
ROW = 24
HEAD = 22
STEPS_HOURS = (1, 2, 3, 6, 12, 24, 48)


@dataclass
class Bar:
    x: float
    width: float
    kind: str  # travel | op | post | passage | closed | sealed
    label: str
    title: str


@dataclass
class Row:
    label: str
    kind: str  # unit | lane
    bars: list[Bar] = field(default_factory=list)
    y: int = 0


@dataclass
class Timeline:
    start: datetime
    end: datetime
    rows: list[Row]
    ticks: list[tuple[float, str]]
    height: int
    width: int = WIDTH
    label_width: int = LABEL


class _Scale:
    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.span = start, max((end - start).total_seconds(), 60.0)

    def x(self, at: datetime) -> float:
        share = (at - self.start).total_seconds() / self.span
        return round(LABEL + (WIDTH - LABEL) * min(max(share, 0.0), 1.0), 1)

    def bar(self, a: datetime, b: datetime, kind: str, label: str, title: str) -> Bar:
        x = self.x(a)
        return Bar(x, max(round(self.x(b) - x, 1), 0.8), kind, label, title)


def _hm(at: datetime) -> str:
    return at.strftime("%d %H:%MZ")


def _window(scenario: Scenario, plan: Plan) -> tuple[datetime, datetime]:
    times = [t for op in plan.operations for a in op.assignments for t in (a.depart, a.return_)]
    times += [t for op in plan.operations for p in op.cordon or [] for t in (p.depart, p.return_)]
    if not times:
        return scenario.horizon.start, scenario.horizon.end
    start = min(times).replace(minute=0, second=0, microsecond=0)
    end = max(times).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return start, end


def _ticks(scale: _Scale, start: datetime, end: datetime) -> list[tuple[float, str]]:
    hours = (end - start).total_seconds() / 3600
    step = next((s for s in STEPS_HOURS if hours / s <= 12), STEPS_HOURS[-1])
    at = start
    ticks = []
    while at <= end:
        ticks.append((scale.x(at), at.strftime("%d %H:%M") if at.hour or step < 24 else
                      at.strftime("%d %b")))
        at += timedelta(hours=step)
    return ticks


def build_timeline(scenario: Scenario, plan: Plan) -> Timeline:
    """Positions of every trip, operation, crossing passage and closed crossing hour."""
    start, end = _window(scenario, plan)
    scale = _Scale(start, end)
    rows = _unit_rows(scenario, plan, scale) + _crossing_rows(scenario, plan, scale, start, end)
    for i, row in enumerate(rows):
        row.y = HEAD + i * ROW
    return Timeline(start, end, rows, _ticks(scale, start, end), HEAD + len(rows) * ROW + 4)


def _unit_rows(scenario: Scenario, plan: Plan, scale: _Scale) -> list[Row]:
    units = {u.id: u for u in scenario.units}
    durations = {op.id: op.duration_minutes for op in scenario.operations}
    rows: dict[str, Row] = {}
    for op in plan.operations:
        end = op.start + timedelta(minutes=durations.get(op.id, 0))
        for a in op.assignments:
            unit = units.get(a.unit)
            row = rows.setdefault(a.unit, Row(f"{a.unit} {unit.callsign if unit else ''}", "unit"))
            via = f" via {a.crossing}" if a.crossing else ""
            row.bars += [
                scale.bar(a.depart, op.start, "travel", "",
                          f"{a.unit} out to {a.site}{via}: {_hm(a.depart)}–{_hm(op.start)}"),
                scale.bar(op.start, end, "op", op.id,
                          f"{op.id} at {a.site} as {a.capability}: {_hm(op.start)}–{_hm(end)}"),
                scale.bar(end, a.return_, "travel", "",
                          f"{a.unit} back to base{via}: {_hm(end)}–{_hm(a.return_)}"),
            ]
        for p in op.cordon or []:
            unit = units.get(p.unit)
            row = rows.setdefault(p.unit, Row(f"{p.unit} {unit.callsign if unit else ''}", "unit"))
            where = f"cordon post at {p.crossing}, side {p.side}"
            row.bars += [
                scale.bar(p.depart, p.start, "travel", "",
                          f"{p.unit} out to its {where}: {_hm(p.depart)}–{_hm(p.start)}"),
                scale.bar(p.start, p.end, "post", op.id,
                          f"{op.id}: {where}: {_hm(p.start)}–{_hm(p.end)}"),
                scale.bar(p.end, p.return_, "travel", "",
                          f"{p.unit} back to base: {_hm(p.end)}–{_hm(p.return_)}"),
            ]
    return [rows[key] for key in sorted(rows)]


def _crossing_rows(
    scenario: Scenario, plan: Plan, scale: _Scale, start: datetime, end: datetime
) -> list[Row]:
    crossings = {c.id: c for c in scenario.crossings}
    passages: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for op in plan.operations:
        for a in op.assignments:
            crossing = crossings.get(a.crossing or "")
            if crossing is None or a.cross_out is None or a.cross_back is None:
                continue
            transit = timedelta(minutes=crossing.transit_minutes)
            for at, way in ((a.cross_out, "out"), (a.cross_back, "back")):
                passages.setdefault(crossing.id, []).append((at, at + transit,
                                                             f"{a.unit} {way} ({op.id})"))
    # A sealed crossing (a cordon) is shaded on its lanes for the seal.
    seals: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for op in plan.operations:
        for p in op.cordon or []:
            seal = (p.start, p.end, op.id)
            if seal not in seals.setdefault(p.crossing, []):
                seals[p.crossing].append(seal)
    rows: list[Row] = []
    for crossing_id in sorted(set(passages) | set(seals)):
        if crossing_id not in crossings:
            continue
        lanes = _lane_rows(crossings[crossing_id], passages.get(crossing_id, []), scale, start,
                           end)
        for row in lanes:
            row.bars += [scale.bar(a, b, "sealed", "",
                                   f"{crossings[crossing_id].name} sealed by {op_id}'s cordon: "
                                   f"{_hm(a)}–{_hm(b)}")
                         for a, b, op_id in seals.get(crossing_id, [])]
        rows += lanes
    return rows


def _lane_rows(
    crossing: Crossing, passages: list[tuple[datetime, datetime, str]], scale: _Scale,
    start: datetime, end: datetime,
) -> list[Row]:
    """One row per lane; passages packed into lanes, closed hours shaded on each."""
    closed = _closed(crossing, start, end)
    rows = [Row(f"{crossing.name} · lane {i + 1}", "lane") for i in range(crossing.lanes)]
    free_at = [start - timedelta(days=1)] * crossing.lanes
    for row in rows:
        row.bars += [scale.bar(a, b, "closed", "", f"{crossing.name} closed: {_hm(a)}–{_hm(b)}")
                     for a, b in closed]
    for a, b, who in sorted(passages):
        lane = next((i for i, t in enumerate(free_at) if t <= a), 0)
        free_at[lane] = b
        rows[lane].bars.append(scale.bar(a, b, "passage", "", f"{who}: {_hm(a)}–{_hm(b)}"))
    return rows


def _closed(crossing: Crossing, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The complement of the crossing's open time within [start, end]."""
    gaps, at = [], start
    for opens, closes in crossing_open_exact(crossing, start, end):
        if opens > at:
            gaps.append((at, opens))
        at = max(at, closes)
    if at < end:
        gaps.append((at, end))
    return gaps
