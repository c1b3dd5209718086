"""A campaign's figures as one viewer may see them: goals, progress, reviews, exports.

Need-to-know: everything is counted from `visible_operations_query(viewer)` only (see
`_in_scope`), so an operation the viewer may not see adds nothing to any figure, count or
chart. Only report
parts confirmed by their host country count toward goals ("confirmed figures").
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    CTE,
    CompoundSelect,
    Date,
    Select,
    String,
    and_,
    cast,
    func,
    literal_column,
    null,
    type_coerce,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.access import visible_operations_query
from app.campaigns import service
from app.models import (
    METRIC_LABELS,
    Campaign,
    Detention,
    Goal,
    Metric,
    Operation,
    OperationPhase,
    OperationState,
    Phase,
    Region,
    Report,
    ReportPart,
    Site,
    User,
    utcnow,
)

MET, MISSED, AT_RISK, ON_TRACK, NOT_STARTED = "met", "missed", "at risk", "on track", "not started"


@dataclass
class GoalFigure:
    goal: Goal
    label: str
    scope: str
    actual: int
    status: str

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.actual / self.goal.target)) if self.goal.target else 0


@dataclass
class PhaseFigure:
    phase: Phase
    goals: list[GoalFigure] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    operations: int = 0
    # country -> metric -> confirmed total
    by_country: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class Figures:
    campaign: Campaign
    phases: list[PhaseFigure]
    # metric -> [(day, cumulative total)]
    cumulative: dict[str, list[tuple[date, int]]]
    states: dict[str, int]
    today: date


def status_of(actual: int, target: int, phase: Phase, today: date) -> str:
    """Met, missed, at risk (behind a straight-line pace), on track, or not started."""
    if actual >= target:
        return MET
    if today > phase.ends_on:
        return MISSED
    if today < phase.starts_on:
        return NOT_STARTED
    span = (phase.ends_on - phase.starts_on).days + 1
    elapsed = (today - phase.starts_on).days + 1
    return AT_RISK if actual < target * elapsed / span else ON_TRACK


def compute(session: Session, *, campaign: Campaign, viewer: User) -> Figures:
    """Every figure of the campaign from what this viewer may see.

    The database does the counting: one statement of GROUP BY queries over the campaign's
    operations that the viewer may see (`_in_scope`, `_tally`), answering a few rows per
    phase, country and day however many operations and reports there are. Summing every
    confirmed part in Python took 0.2-0.4 s for 2,000 reports (bench/campaign.py);
    tests/campaigns/test_figures_reference.py holds this statement to that computation.
    """
    assert campaign.id is not None
    today = utcnow().date()
    phases = service.phases_of(session, campaign.id)
    phase_ids = [p.id for p in phases if p.id is not None]
    goals = service.goals_of(session, phase_ids)
    goal_regions = sorted({g.region_id for g in goals if g.region_id})
    in_scope = _in_scope(viewer, phase_ids)
    dialect = session.get_bind().dialect.name

    states_by_phase: dict[int, dict[str, int]] = defaultdict(dict)  # phase -> state -> ops
    # phase -> country -> metric -> confirmed total; day -> metric -> confirmed total
    by_country: dict[int, dict[str, dict[str, int]]] = defaultdict(dict)
    per_day: dict[date, dict[str, int]] = {}
    completed_in_country: dict[tuple[int, str], int] = {}
    completed_in_region: dict[tuple[int, str], int] = {}
    by_region: dict[tuple[int, str], dict[str, int]] = {}
    for kind, phase_id, key, day, *numbers in session.execute(
            _tally(in_scope, goal_regions, dialect)):
        if kind == STATES:
            states_by_phase[phase_id][key] = int(numbers[0])
        elif kind == COMPLETED:
            completed_in_country[(phase_id, key)] = int(numbers[0])
        elif kind == COMPLETED_IN_REGION:
            completed_in_region[(phase_id, key)] = int(numbers[0])
        elif kind == PARTS:
            values = dict(zip(SUMMED, (int(v or 0) for v in numbers), strict=True))
            _add(by_country[phase_id].setdefault(key, dict.fromkeys(SUMMED, 0)), values)
            _add(per_day.setdefault(day, dict.fromkeys(SUMMED, 0)), values)
        elif kind == PARTS_IN_REGION:
            by_region[(phase_id, key)] = dict(
                zip(SUMMED, (int(v or 0) for v in numbers), strict=True))
    # An operation counts once for each country it has a site in (the country's figure).
    for (phase_id, country), count in sorted(completed_in_country.items()):
        bucket = by_country[phase_id].setdefault(country, {})
        bucket[OPERATIONS_COMPLETED] = count

    def actual(goal: Goal) -> int:
        metric, phase_id = goal.metric.value, goal.phase_id
        if metric == OPERATIONS_COMPLETED:
            if goal.region_id:
                return completed_in_region.get((phase_id, goal.region_id), 0)
            if goal.country_code:
                return completed_in_country.get((phase_id, goal.country_code), 0)
            return states_by_phase[phase_id].get(OperationState.completed.value, 0)
        if goal.region_id:
            return by_region.get((phase_id, goal.region_id), {}).get(metric, 0)
        if goal.country_code:
            return by_country[phase_id].get(goal.country_code, {}).get(metric, 0)
        return sum(bucket.get(metric, 0) for bucket in by_country[phase_id].values())

    result: list[PhaseFigure] = []
    for phase in phases:
        assert phase.id is not None
        figure = PhaseFigure(phase, states=dict(states_by_phase[phase.id]),
                             operations=sum(states_by_phase[phase.id].values()),
                             by_country=dict(sorted(by_country[phase.id].items())))
        for goal in (g for g in goals if g.phase_id == phase.id):
            found = actual(goal)
            figure.goals.append(GoalFigure(
                goal, METRIC_LABELS[goal.metric], goal.region_id or goal.country_code or "all",
                found, status_of(found, goal.target, phase, today)))
        result.append(figure)
    states: dict[str, int] = defaultdict(int)
    for counts in states_by_phase.values():
        for state, count in counts.items():
            states[state] += count
    return Figures(campaign, result, _cumulative(per_day, goals), dict(states), today)


OPERATIONS_COMPLETED = Metric.operations_completed.value
# The metrics summed from confirmed report parts: their own columns, then the detentions.
PART_COLUMNS: list[str] = [m.value for m in Metric if m.value in ReportPart.model_fields]
SUMMED: list[str] = [*PART_COLUMNS, Metric.arrests.value]


# The kinds of row `_tally` answers, in its first column.
STATES, PARTS, COMPLETED = "states", "parts", "completed"
PARTS_IN_REGION, COMPLETED_IN_REGION = "parts in region", "completed in region"


def _in_scope(viewer: User, phase_ids: list[int]) -> CTE:
    """(operation_id, phase_id, state) of the campaign's operations this viewer may see.

    Need-to-know: every figure is counted from this only, so an operation the viewer may
    not see adds nothing to any figure, count or chart. A common table expression that
    `_tally` reads several times: SQLite (3.35+) and PostgreSQL (12+) evaluate it once.
    """
    visible = visible_operations_query(viewer).subquery()
    return (select(col(OperationPhase.operation_id).label("operation_id"),
                   col(OperationPhase.phase_id).label("phase_id"),
                   col(Operation.state).label("state"))
            .join(Operation, col(Operation.id) == col(OperationPhase.operation_id))
            .where(col(OperationPhase.phase_id).in_(phase_ids),
                   col(Operation.id).in_(select(visible.c.id)))
            .cte("in_scope"))


def _tally(in_scope: CTE, goal_regions: list[str], dialect: str) -> CompoundSelect:
    """Every count and sum of the campaign in one statement, one kind of row per branch.

    Columns: kind, phase id, key (a state, a country or a region), UTC day (parts only),
    then the SUMMED totals (a count of operations takes the first). One statement, so the
    operations in scope, need-to-know filter included, are worked out once.
    """
    width = len(SUMMED)

    def counted(kind: str, key: Any, count: Any) -> Select[Any]:
        return sa_select(literal_column(f"'{kind}'"), in_scope.c.phase_id, key, null(),
                         count, *([null()] * (width - 1)))

    completed = in_scope.c.state == OperationState.completed
    day = _utc_day(col(ReportPart.confirmed_at), dialect)
    branches: list[Select[Any]] = [
        _confirmed_sums(in_scope, PARTS, col(ReportPart.country_code), day),
        counted(STATES, type_coerce(in_scope.c.state, String), func.count())
        .group_by(in_scope.c.phase_id, in_scope.c.state),
        # An operation with sites in two countries counts in each, once.
        counted(COMPLETED, col(Region.country_code),
                func.count(func.distinct(in_scope.c.operation_id)))
        .join(Site, col(Site.operation_id) == in_scope.c.operation_id)
        .join(Region, col(Region.id) == col(Site.region_id))
        .where(completed).group_by(in_scope.c.phase_id, col(Region.country_code)),
    ]
    if goal_regions:
        # Goals of one region: the operations with a site there (two sites there count
        # once), and the parts of that region's country.
        sites = (sa_select(col(Site.operation_id), col(Site.region_id)).distinct()
                 .where(col(Site.region_id).in_(goal_regions)).subquery("goal_sites"))
        branches += [
            counted(COMPLETED_IN_REGION, sites.c.region_id, func.count())
            .join(sites, sites.c.operation_id == in_scope.c.operation_id)
            .where(completed).group_by(in_scope.c.phase_id, sites.c.region_id),
            _confirmed_sums(in_scope, PARTS_IN_REGION, sites.c.region_id, None)
            .join(sites, sites.c.operation_id == in_scope.c.operation_id)
            .join(Region, and_(col(Region.id) == sites.c.region_id,
                               col(Region.country_code) == col(ReportPart.country_code))),
        ]
    return union_all(*branches)


def _confirmed_sums(in_scope: CTE, kind: str, key: Any, day: Any) -> Select[Any]:
    """SUMMED totals of the confirmed parts of the operations in scope, by phase, key, day.

    Arrests are the detentions of each part, summed by a correlated subquery: joining the
    detentions would repeat the part's own figures once per nationality.
    """
    detained = (sa_select(func.coalesce(func.sum(Detention.count), 0))
                .where(col(Detention.part_id) == col(ReportPart.id)).scalar_subquery())
    keys = [k for k in (in_scope.c.phase_id, key, day) if k is not None]
    return (sa_select(literal_column(f"'{kind}'"), in_scope.c.phase_id, key,
                      null() if day is None else day,
                      *(func.sum(getattr(ReportPart, m)) for m in PART_COLUMNS),
                      func.sum(detained))
            .select_from(ReportPart)
            .join(Report, col(Report.id) == col(ReportPart.report_id))
            .join(in_scope, in_scope.c.operation_id == col(Report.operation_id))
            .where(col(ReportPart.confirmed_at).is_not(None))
            .group_by(*keys))


def _utc_day(instant: Any, dialect: str) -> Any:
    """The UTC calendar day of a stored instant, in SQL.

    SQLite holds instants as naive UTC text; PostgreSQL as timestamptz, whose date would
    follow the connection's time zone unless taken in UTC explicitly.
    """
    if dialect == "postgresql":
        return cast(func.timezone("UTC", instant), Date)
    return type_coerce(func.date(instant), Date)  # read back as a date


def _add(bucket: dict[str, int], values: dict[str, int]) -> None:
    for metric, value in values.items():
        bucket[metric] += value


def _cumulative(per_day: dict[date, dict[str, int]], goals: list[Goal]
                ) -> dict[str, list[tuple[date, int]]]:
    """Per metric with a goal: the running total of confirmed figures by confirmation day.

    A day with any confirmed part is a point of every series, even where it adds nothing.
    """
    metrics = sorted({g.metric.value for g in goals} - {OPERATIONS_COMPLETED})
    series: dict[str, list[tuple[date, int]]] = {}
    for metric in metrics:
        total, points = 0, []
        for day in sorted(per_day):
            total += per_day[day][metric]
            points.append((day, total))
        series[metric] = points
    return series


# --- exports ----------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula gets a leading quote (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_rows(figures: Figures) -> list[dict[str, Any]]:
    rows = []
    for pf in figures.phases:
        for gf in pf.goals:
            rows.append({
                "campaign": figures.campaign.name, "phase": pf.phase.name,
                "starts_on": pf.phase.starts_on.isoformat(),
                "ends_on": pf.phase.ends_on.isoformat(), "metric": gf.goal.metric.value,
                "scope": gf.scope, "target": gf.goal.target, "actual": gf.actual,
                "status": gf.status,
            })
    return rows


def to_csv(figures: Figures) -> str:
    out = io.StringIO()
    columns = ["campaign", "phase", "starts_on", "ends_on", "metric", "scope", "target",
               "actual", "status"]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in export_rows(figures):
        writer.writerow({k: neutralise(v) for k, v in row.items()})
    return out.getvalue()


def to_json(figures: Figures) -> dict[str, Any]:
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return neutralise(value)

    return clean({
        "campaign": {"id": figures.campaign.id, "name": figures.campaign.name},
        "as_of": figures.today.isoformat(),
        "operations_by_state": figures.states,
        "goals": export_rows(figures),
        "by_country": {pf.phase.name: {c: dict(v) for c, v in pf.by_country.items()}
                       for pf in figures.phases},
        "cumulative": {m: [[d.isoformat(), n] for d, n in pts]
                       for m, pts in figures.cumulative.items()},
    })
