"""The plan as a timeline: grouped by operation (a heading row, then a row per unit it
uses), then a row per lane of each crossing used.

Rendered server side as inline SVG (no inline script or style: the CSP allows neither);
this module computes positions in the SVG's coordinate space for the first paint and
without JavaScript. Every bar also carries its instants, so static/js/timeline.js can
zoom and pan (buttons, + / - and the arrow keys) by placing them again, and shows each
bar's tooltip on keyboard focus and on touch. The same facts are a table too
(`table_rows`), the timeline's text alternative.

Its words (bar titles and labels, lane rows, the table's passages) are in the request's
language (`gettext`): the run review keeps a timeline per language.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from app.i18n import fmt_day_month, fmt_month_year, gettext
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
    start: datetime | None = None
    end: datetime | None = None

    @property
    def epochs(self) -> tuple[int, int]:
        """Its instants as Unix seconds (for the script that zooms)."""
        return (int(self.start.timestamp()) if self.start else 0,
                int(self.end.timestamp()) if self.end else 0)


@dataclass
class Row:
    label: str
    kind: str  # operation | unit | lane
    bars: list[Bar] = field(default_factory=list)
    y: int = 0
    key: str = ""  # the unit's or crossing's id, or the operation's


@dataclass
class Timeline:
    start: datetime
    end: datetime
    rows: list[Row]
    ticks: list[tuple[float, str]]
    height: int
    width: int = WIDTH
    label_width: int = LABEL
    now: datetime | None = None
    now_x: float | None = None  # where "now" is, when inside the window
    table: list[dict[str, str]] = field(default_factory=list)

    @property
    def months(self) -> str:
        """The month(s) the window spans: "December 2026", "December 2026 – January 2027",
        in the reader's language (read when the page is rendered)."""
        first, last = fmt_month_year(self.start), fmt_month_year(self.end)
        return first if first == last else f"{first} – {last}"

    def at(self, now: datetime) -> Timeline:
        """This timeline with its "now" line at `now` (drawn only inside the window): the
        bars are kept between page views, the line moves."""
        inside = self.start <= now <= self.end
        return replace(self, now=now.astimezone(UTC),
                       now_x=_Scale(self.start, self.end).x(now) if inside else None)

    @property
    def epochs(self) -> tuple[int, int, int]:
        return (int(self.start.timestamp()), int(self.end.timestamp()),
                int(self.now.timestamp()) if self.now else 0)


class _Scale:
    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.span = start, max((end - start).total_seconds(), 60.0)

    def x(self, at: datetime) -> float:
        share = (at - self.start).total_seconds() / self.span
        return round(LABEL + (WIDTH - LABEL) * min(max(share, 0.0), 1.0), 1)

    def bar(self, a: datetime, b: datetime, kind: str, label: str, title: str,
            start: datetime | None = None, end: datetime | None = None) -> Bar:
        x = self.x(a)
        return Bar(x, max(round(self.x(b) - x, 1), 0.8), kind, label, title, start or a,
                   end or b)


def _hm(at: datetime) -> str:
    """`03 Dec 14:00Z`, the day and month in the reader's words, the time 24-hour."""
    return f"{fmt_day_month(at)} {at:%H:%M}Z"


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
        ticks.append((scale.x(at), at.strftime("%H:%M") if at.hour or at.minute else
                      fmt_day_month(at)))
        at += timedelta(hours=step)
    return ticks


# Operations a page of the run review draws (timeline, its table and the map): the
# large sample's 250 operations made one 4.7 MB page, 2 s to render, with a 47,000
# pixel tall timeline no planner scrolls through.
OPERATIONS_PER_PAGE = 25


@dataclass(frozen=True)
class OperationPage:
    """Which operations of a plan, by H-hour, one page of the review shows."""

    first: int  # 0-based index of the page's first operation
    count: int  # how many it shows
    total: int  # operations the plan schedules (that the reader may see)

    @property
    def previous(self) -> int | None:
        return max(self.first - OPERATIONS_PER_PAGE, 0) if self.first > 0 else None

    @property
    def next(self) -> int | None:
        after = self.first + self.count
        return after if after < self.total else None


def page_of(plan: Plan, first: int) -> tuple[Plan, OperationPage]:
    """The plan cut to one page of its operations by H-hour (the timeline's order); a
    `first` past the end shows the last page."""
    ordered = sorted(plan.operations, key=lambda o: (o.start, o.id))
    if first >= len(ordered):
        first = max((len(ordered) - 1) // OPERATIONS_PER_PAGE * OPERATIONS_PER_PAGE, 0)
    shown = ordered[first:first + OPERATIONS_PER_PAGE]
    return (plan.model_copy(update={"operations": shown}),
            OperationPage(first, len(shown), len(ordered)))


def build_timeline(scenario: Scenario, plan: Plan, *, now: datetime | None = None) -> Timeline:
    """Positions of every trip, operation, crossing passage and closed crossing hour,
    grouped by operation; `now` is drawn as a line when it falls inside the window."""
    start, end = _window(scenario, plan)
    scale = _Scale(start, end)
    rows = _operation_rows(scenario, plan, scale) + _crossing_rows(scenario, plan, scale,
                                                                  start, end)
    for i, row in enumerate(rows):
        row.y = HEAD + i * ROW
    now_x = scale.x(now) if now is not None and start <= now <= end else None
    return Timeline(start, end, rows, _ticks(scale, start, end), HEAD + len(rows) * ROW + 4,
                    now=now.astimezone(UTC) if now else None, now_x=now_x,
                    table=table_rows(scenario, plan))


def _operation_rows(scenario: Scenario, plan: Plan, scale: _Scale) -> list[Row]:
    """Per operation (by H-hour): its heading row with the operation's bar, then one row
    per unit with its trip out, the operation and its trip back."""
    units = {u.id: u for u in scenario.units}
    operations = {op.id: op for op in scenario.operations}
    regions = {r.id: r.name for r in scenario.regions}
    sites = {s.id: regions.get(s.region, s.region) for op in scenario.operations
             for s in op.sites}
    crossings = {c.id: c.name for c in scenario.crossings}
    rows: list[Row] = []
    for op in sorted(plan.operations, key=lambda o: (o.start, o.id)):
        known = operations.get(op.id)
        name = known.name if known else op.id
        end = op.start + timedelta(minutes=known.duration_minutes if known else 0)
        rows.append(Row(f"{name} ({op.id})", "operation", [scale.bar(
            op.start, end, "op", name,
            gettext("%(operation)s (%(id)s): H-hour %(start)s to %(end)s") % {
                "operation": name, "id": op.id, "start": _hm(op.start), "end": _hm(end)},
            op.start, end)], key=op.id))
        for a in sorted(op.assignments, key=lambda a: (a.depart, a.unit)):
            unit = units.get(a.unit)
            callsign = unit.callsign if unit else a.unit
            site = sites.get(a.site, a.site)
            values = {"unit": callsign, "site": site, "operation": name,
                      "capability": a.capability,
                      "crossing": crossings.get(a.crossing, a.crossing) if a.crossing else ""}
            if a.crossing:
                out = gettext("%(unit)s out to %(site)s via %(crossing)s: %(start)s to %(end)s")
                back = gettext("%(unit)s back to base via %(crossing)s: %(start)s to %(end)s")
            else:
                out = gettext("%(unit)s out to %(site)s: %(start)s to %(end)s")
                back = gettext("%(unit)s back to base: %(start)s to %(end)s")
            rows.append(Row(callsign, "unit", _trips([
                scale.bar(a.depart, op.start, "travel", gettext("to %(site)s") % values,
                          out % (values | {"start": _hm(a.depart), "end": _hm(op.start)}),
                          a.depart, op.start),
                scale.bar(op.start, end, "op", name, gettext(
                    "%(unit)s in %(operation)s at %(site)s as %(capability)s: %(start)s to "
                    "%(end)s") % (values | {"start": _hm(op.start), "end": _hm(end)}),
                          op.start, end),
                scale.bar(end, a.return_, "travel", gettext("back"),
                          back % (values | {"start": _hm(end), "end": _hm(a.return_)}),
                          end, a.return_),
            ]), key=a.unit))
        for p in op.cordon or []:
            unit = units.get(p.unit)
            callsign = unit.callsign if unit else p.unit
            post = {"unit": callsign, "operation": name, "side": p.side,
                    "crossing": crossings.get(p.crossing, p.crossing)}
            rows.append(Row(callsign, "unit", _trips([
                scale.bar(p.depart, p.start, "travel", gettext("to post"), gettext(
                    "%(unit)s out to its cordon post at %(crossing)s, side %(side)s: "
                    "%(start)s to %(end)s") % (post | {"start": _hm(p.depart),
                                                     "end": _hm(p.start)}),
                          p.depart, p.start),
                scale.bar(p.start, p.end, "post", name, gettext(
                    "%(unit)s in %(operation)s: cordon post at %(crossing)s, side %(side)s: "
                    "%(start)s to %(end)s") % (post | {"start": _hm(p.start),
                                                     "end": _hm(p.end)}),
                          p.start, p.end),
                scale.bar(p.end, p.return_, "travel", gettext("back"),
                          gettext("%(unit)s back to base: %(start)s to %(end)s") % (
                              post | {"start": _hm(p.end), "end": _hm(p.return_)}),
                          p.end, p.return_),
            ]), key=p.unit))
    return rows


def _trips(bars: list[Bar]) -> list[Bar]:
    """A unit's bars without trips that take no time (a unit based at its site does not
    travel): two empty bars per such unit were a third of a large plan's timeline."""
    return [bar for bar in bars if bar.kind != "travel" or bar.start != bar.end]


def table_rows(scenario: Scenario, plan: Plan) -> list[dict[str, str]]:
    """The timeline's text alternative: one row per unit of each operation, in UTC."""
    units = {u.id: u.callsign for u in scenario.units}
    operations = {op.id: op for op in scenario.operations}
    regions = {r.id: r.name for r in scenario.regions}
    sites = {s.id: regions.get(s.region, s.region) for op in scenario.operations
             for s in op.sites}
    crossings = {c.id: c.name for c in scenario.crossings}
    rows = []
    for op in sorted(plan.operations, key=lambda o: (o.start, o.id)):
        known = operations.get(op.id)
        end = op.start + timedelta(minutes=known.duration_minutes if known else 0)
        for a in sorted(op.assignments, key=lambda a: (a.depart, a.unit)):
            crossing = ""
            if a.crossing and a.cross_out and a.cross_back:
                crossing = gettext("%(crossing)s: out %(out)s, back %(back)s") % {
                    "crossing": crossings.get(a.crossing, a.crossing),
                    "out": _hm(a.cross_out), "back": _hm(a.cross_back)}
            rows.append({
                "operation": f"{known.name if known else op.id} ({op.id})",
                "unit": units.get(a.unit, a.unit), "site": sites.get(a.site, a.site),
                "depart": _hm(a.depart), "h_hour": _hm(op.start), "end": _hm(end),
                "return": _hm(a.return_), "crossing": crossing,
            })
    return rows


def _crossing_rows(
    scenario: Scenario, plan: Plan, scale: _Scale, start: datetime, end: datetime
) -> list[Row]:
    crossings = {c.id: c for c in scenario.crossings}
    units = {u.id: u.callsign for u in scenario.units}
    names = {op.id: op.name for op in scenario.operations}
    # (start, end, order among passages at one time (the same in every language), the
    # bar's label, its title)
    passages: dict[str, list[tuple[datetime, datetime, str, str, str]]] = {}
    for op in plan.operations:
        for a in op.assignments:
            crossing = crossings.get(a.crossing or "")
            if crossing is None or a.cross_out is None or a.cross_back is None:
                continue
            transit = timedelta(minutes=crossing.transit_minutes)
            callsign = units.get(a.unit, a.unit)
            name = names.get(op.id, op.id)
            for at, way, label, title in (
                (a.cross_out, "out", gettext("%(unit)s out"),
                 gettext("%(crossing)s: %(unit)s out (%(operation)s): %(start)s to %(end)s")),
                (a.cross_back, "back", gettext("%(unit)s back"),
                 gettext("%(crossing)s: %(unit)s back (%(operation)s): %(start)s to %(end)s")),
            ):
                values = {"unit": callsign, "operation": name, "crossing": crossing.name,
                          "start": _hm(at), "end": _hm(at + transit)}
                passages.setdefault(crossing.id, []).append(
                    (at, at + transit, f"{callsign} {way} ({name})", label % values,
                     title % values))
    # A sealed crossing (a cordon) is shaded on its lanes for the seal.
    seals: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for op in plan.operations:
        for p in op.cordon or []:
            seal = (p.start, p.end, names.get(op.id, op.id))
            if seal not in seals.setdefault(p.crossing, []):
                seals[p.crossing].append(seal)
    rows: list[Row] = []
    for crossing_id in sorted(set(passages) | set(seals)):
        if crossing_id not in crossings:
            continue
        lanes = _lane_rows(crossings[crossing_id], passages.get(crossing_id, []), scale, start,
                           end)
        for row in lanes:
            row.bars += [scale.bar(a, b, "sealed", gettext("sealed"), gettext(
                "%(crossing)s sealed by %(operation)s's cordon: %(start)s to %(end)s") % {
                    "crossing": crossings[crossing_id].name, "operation": name,
                    "start": _hm(a), "end": _hm(b)}, a, b)
                         for a, b, name in seals.get(crossing_id, [])]
        rows += lanes
    return rows


def _lane_rows(
    crossing: Crossing, passages: list[tuple[datetime, datetime, str, str, str]],
    scale: _Scale, start: datetime, end: datetime,
) -> list[Row]:
    """One row per lane; passages packed into lanes, closed hours shaded on each."""
    closed = _closed(crossing, start, end)
    rows = [Row(gettext("%(crossing)s · lane %(lane)s") % {"crossing": crossing.name,
                                                           "lane": i + 1},
                "lane", key=crossing.id)
            for i in range(crossing.lanes)]
    free_at = [start - timedelta(days=1)] * crossing.lanes
    for row in rows:
        row.bars += [scale.bar(a, b, "closed", gettext("closed"), gettext(
            "%(crossing)s closed: %(start)s to %(end)s") % {
                "crossing": crossing.name, "start": _hm(a), "end": _hm(b)}, a, b)
                     for a, b in closed]
    for a, b, _order, label, title in sorted(passages):
        lane = next((i for i, t in enumerate(free_at) if t <= a), 0)
        free_at[lane] = b
        rows[lane].bars.append(scale.bar(a, b, "passage", label, title, a, b))
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
