"""The campaign figures computed the way app.campaigns.figures did before SQL aggregation.

A verbatim copy of `compute` and `_cumulative` as of commit 1232256 (every confirmed part
loaded and summed in Python, need-to-know through `visible_operations_query`), kept only
as the reference that test_figures_reference.py holds the aggregated queries to. Do not
"fix" it: its answers are the definition of the figures.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session, col, select

from app.access import visible_operations_query
from app.campaigns import service
from app.campaigns.figures import METRIC_LABELS, Figures, GoalFigure, PhaseFigure, status_of
from app.models import (
    Campaign,
    Detention,
    Goal,
    Metric,
    Operation,
    OperationPhase,
    OperationState,
    Region,
    Report,
    ReportPart,
    Site,
    User,
    utcnow,
)


def compute(session: Session, *, campaign: Campaign, viewer: User) -> Figures:
    """Every figure of the campaign from what this viewer may see."""
    assert campaign.id is not None
    today = utcnow().date()
    phases = service.phases_of(session, campaign.id)
    phase_ids = [p.id for p in phases if p.id is not None]
    goals = service.goals_of(session, phase_ids)
    visible = visible_operations_query(viewer).subquery()
    ops = session.exec(
        select(OperationPhase.phase_id, Operation.id, Operation.state)
        .join(Operation, col(Operation.id) == col(OperationPhase.operation_id))
        .where(col(OperationPhase.phase_id).in_(phase_ids),
               col(Operation.id).in_(select(visible.c.id)))).all()
    op_phase = {op_id: phase_id for phase_id, op_id, _ in ops}
    # The same set as a subquery: thousands of bound ids cost more to compile than to run.
    op_ids = (select(OperationPhase.operation_id)
              .where(col(OperationPhase.phase_id).in_(phase_ids),
                     col(OperationPhase.operation_id).in_(select(visible.c.id))))
    regions: dict[str, set[str]] = defaultdict(set)
    region_country = dict(session.exec(select(Region.id, Region.country_code)).all())
    for op_id, region_id in session.exec(select(Site.operation_id, Site.region_id)
                                         .where(col(Site.operation_id).in_(op_ids))):
        regions[op_id].add(region_id)
    # Plain columns, not ORM objects: building 2,000 ReportPart instances was most of the
    # dashboard's time (bench/campaign.py).
    counted: list[str] = [m.value for m in Metric if m.value in ReportPart.model_fields]
    parts = session.execute(
        select(Report.operation_id, ReportPart.id, ReportPart.country_code,
               ReportPart.confirmed_at, *(getattr(ReportPart, m) for m in counted))
        .join(ReportPart, col(ReportPart.report_id) == col(Report.id))
        .where(col(Report.operation_id).in_(op_ids), col(ReportPart.confirmed_at).is_not(None))
    ).all()
    detained: dict[int, int] = defaultdict(int)
    for part_id, count in session.exec(
            select(Detention.part_id, Detention.count)
            .join(ReportPart, col(ReportPart.id) == col(Detention.part_id))
            .join(Report, col(Report.id) == col(ReportPart.report_id))
            .where(col(Report.operation_id).in_(op_ids),
                   col(ReportPart.confirmed_at).is_not(None))):
        detained[part_id] += count
    # (phase, operation, country) -> metric values of one confirmed part
    rows: list[tuple[int, str, str, dict[str, int], date]] = []
    for op_id, part_id, country, confirmed_at, *numbers in parts:
        values: dict[str, int] = {m: int(v or 0) for m, v in zip(counted, numbers, strict=True)}
        values[Metric.arrests.value] = detained[part_id]
        rows.append((op_phase[op_id], op_id, country, values, confirmed_at.date()))
    completed = {op_id for _, op_id, state in ops if state == OperationState.completed}

    def in_scope(goal: Goal, op_id: str, country: str | None) -> bool:
        if goal.region_id:
            if goal.region_id not in regions[op_id]:
                return False
            return country is None or region_country.get(goal.region_id) == country
        if goal.country_code:
            if country is None:
                return any(region_country.get(r) == goal.country_code for r in regions[op_id])
            return country == goal.country_code
        return True

    result: list[PhaseFigure] = []
    for phase in phases:
        figure = PhaseFigure(phase)
        for phase_id, _, state in ops:
            if phase_id == phase.id:
                figure.operations += 1
                figure.states[str(state)] = figure.states.get(str(state), 0) + 1
        for phase_id, _, country, values, _ in rows:
            if phase_id == phase.id:
                bucket = figure.by_country.setdefault(country, defaultdict(int))
                for metric, value in values.items():
                    bucket[metric] += value
        for op_id in completed:
            if op_phase[op_id] == phase.id:
                for country in {region_country[r] for r in regions[op_id] if r in region_country}:
                    bucket = figure.by_country.setdefault(str(country), defaultdict(int))
                    bucket[Metric.operations_completed.value] += 1
        for goal in (g for g in goals if g.phase_id == phase.id):
            if goal.metric == Metric.operations_completed:
                actual = sum(1 for op_id in completed
                             if op_phase[op_id] == phase.id and in_scope(goal, op_id, None))
            else:
                actual = sum(values[goal.metric.value] for phase_id, op_id, country, values, _
                             in rows if phase_id == phase.id and in_scope(goal, op_id, country))
            figure.goals.append(GoalFigure(
                goal, METRIC_LABELS[goal.metric], goal.region_id or goal.country_code or "all",
                actual, status_of(actual, goal.target, phase, today)))
        result.append(figure)
    states: dict[str, int] = defaultdict(int)
    for _, _, state in ops:
        states[str(state)] += 1
    return Figures(campaign, result, _cumulative(rows, goals), dict(states), today)


def _cumulative(rows: list[tuple[int, str, str, dict[str, int], date]], goals: list[Goal]
                ) -> dict[str, list[tuple[date, int]]]:
    """Per metric with a goal: the running total of confirmed figures by confirmation day."""
    metrics = sorted({g.metric.value for g in goals} - {Metric.operations_completed.value})
    series: dict[str, list[tuple[date, int]]] = {}
    for metric in metrics:
        per_day: dict[date, int] = defaultdict(int)
        for _, _, _, values, day in rows:
            per_day[day] += values[metric]
        total, points = 0, []
        for day in sorted(per_day):
            total += per_day[day]
            points.append((day, total))
        series[metric] = points
    return series
