"""Builds the CP-SAT model of a (sub-)problem from the constraint families, hints it and
reads solutions back.

A sub-problem decides some operations; the others are `fixed`: their bookings block
units and their passages use lanes. Solving everything is the sub-problem with nothing fixed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from app.solver.instance import Instance, Interval
from app.solver.intervals import subtract
from app.solver.model.candidates import Candidate, site_candidates, unit_profiles
from app.solver.model.cordons import PostVars, SealVars, add_cordon, add_seal_limits, extract_posts
from app.solver.model.lanes import add_lane_limits
from app.solver.model.objective import priority_expr, travel_expr, travel_upper_bound
from app.solver.model.requirements import (
    FillKey,
    add_fill_vars,
    add_headcount_and_host,
    add_requirement_counts,
    add_unit_once,
)
from app.solver.model.timing import Booking, OperationSchedule, Solution
from app.solver.model.travel import TripVars, add_candidate_trips
from app.solver.model.units import add_unit_no_overlap
from app.solver.model.windows import OperationVars, add_operation_vars
from app.solver.schema import Operation


@dataclass
class SubProblem:
    """The operations to decide, the bookings that stay, and a hint for the decided ones."""

    instance: Instance
    operations: list[Operation]
    fixed: Solution = field(default_factory=dict)
    hint: Solution = field(default_factory=dict)
    candidate_limit: int | None = None  # per requirement: nearest few (LNS only, not safe)


@dataclass
class ScheduleModel:
    """The CP-SAT model with its variables, by meaning."""

    model: cp_model.CpModel
    operations: dict[str, OperationVars]
    fills: dict[FillKey, cp_model.IntVar]
    trips: list[TripVars]
    priority: cp_model.LinearExpr
    travel: cp_model.LinearExpr
    travel_bound: int
    posts: list[PostVars] = field(default_factory=list)


def free_time(instance: Instance, fixed: Solution) -> dict[str, list[Interval]]:
    """Each unit's available time minus the busy intervals of fixed bookings."""
    busy: dict[str, list[Interval]] = defaultdict(list)
    for schedule in fixed.values():
        for booking in schedule.bookings:
            busy[booking.unit].append((booking.depart, booking.ret))
        for post in schedule.posts:
            busy[post.unit].append((post.depart, post.ret))
    result = dict(instance.unit_available)
    for unit, intervals in busy.items():
        result[unit] = subtract(result[unit], intervals)
    return result


def _limit(candidates: list[Candidate], limit: int | None, keep: set[str]) -> list[Candidate]:
    """The nearest `limit` candidates per capability and of the host nation, plus `keep`."""
    if limit is None:
        return candidates
    chosen: set[str] = set(keep)
    counts: dict[object, int] = defaultdict(int)
    for c in candidates:  # sorted nearest first
        groups: list[object] = list(c.capabilities) + ([("host",)] if c.host else [])
        if any(counts[g] < limit for g in groups):
            chosen.add(c.unit)
            for g in groups:
                counts[g] += 1
    return [c for c in candidates if c.unit in chosen]


def build_model(sub: SubProblem) -> ScheduleModel:
    """The whole model of a sub-problem (hint not yet added)."""
    instance = sub.instance
    model = cp_model.CpModel()
    free = free_time(instance, sub.fixed)
    profiles = unit_profiles(instance, free)
    operations = add_operation_vars(model, instance, sub.operations)
    fills: dict[FillKey, cp_model.IntVar] = {}
    trips: list[TripVars] = []
    posts: list[PostVars] = []
    seals: list[SealVars] = []
    for op_vars in operations.values():
        operation = op_vars.operation
        hinted = sub.hint.get(operation.id)
        keep = {b.unit for b in hinted.bookings} if hinted else set()
        candidates = [
            c
            for site in operation.sites
            for c in _limit(
                site_candidates(instance, operation, site, free, profiles),
                sub.candidate_limit,
                keep,
            )
        ]
        op_fills = add_fill_vars(model, candidates)
        for c in candidates:
            literals = [op_fills[(c.unit, c.site, cap)] for cap in c.capabilities]
            trips.extend(add_candidate_trips(model, instance, op_vars, c, literals))
        add_requirement_counts(model, op_vars, op_fills)
        add_unit_once(model, op_fills)
        add_headcount_and_host(model, op_vars, candidates, op_fills)
        fills.update(op_fills)
        if operation.cordon is not None:
            raid_fills: dict[str, list[cp_model.IntVar]] = defaultdict(list)
            for (unit, _, _), literal in op_fills.items():
                raid_fills[unit].append(literal)
            op_posts, seal = add_cordon(model, instance, op_vars, raid_fills, free)
            posts.extend(op_posts)
            if seal is not None:
                seals.append(seal)
    _add_resources(model, instance, sub.fixed, trips, free, posts)
    if seals or any(instance.operations[o].cordon for o in sub.fixed):
        add_seal_limits(model, instance, seals, _passages_by_operation(instance, trips), sub.fixed)
    post_travel = cp_model.LinearExpr.weighted_sum(
        [p.is_chosen for p in posts], [p.travel for p in posts]
    )
    return ScheduleModel(
        model,
        operations,
        fills,
        trips,
        priority_expr(operations),
        travel_expr(trips) + post_travel,
        travel_upper_bound(trips) + sum(p.travel for p in posts),
        posts,
    )


def _passages_by_operation(
    instance: Instance, trips: list[TripVars]
) -> dict[str, list[tuple[str, cp_model.IntervalVar]]]:
    """The passage intervals of the trips per crossing, with their operation."""
    result: dict[str, list[tuple[str, cp_model.IntervalVar]]] = defaultdict(list)
    for trip in trips:
        if trip.route.crossing is not None:
            operation = instance.sites[trip.candidate.site][0].id
            result[trip.route.crossing].extend((operation, p) for p in trip.passages)
    return result


def _add_resources(
    model: cp_model.CpModel,
    instance: Instance,
    fixed: Solution,
    trips: list[TripVars],
    free: dict[str, list[Interval]],
    posts: list[PostVars],
) -> None:
    """Unit no-overlap over all trips and posts, and crossing lanes over all trips."""
    busy_by_unit: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    passages: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    for post in posts:
        busy_by_unit[post.candidate.unit].append(post.busy)
    for trip in trips:
        busy_by_unit[trip.candidate.unit].append(trip.busy)
        if trip.route.crossing is not None:
            passages[trip.route.crossing].extend(trip.passages)
    for unit in sorted(busy_by_unit):
        add_unit_no_overlap(model, unit, busy_by_unit[unit], free[unit])
    fixed_passages: dict[str, list[Interval]] = defaultdict(list)
    for schedule in fixed.values():
        for booking in schedule.bookings:
            if booking.crossing is not None:
                transit = instance.crossings[booking.crossing].transit_minutes
                fixed_passages[booking.crossing].extend(booking.passages(transit))
    add_lane_limits(model, instance, passages, fixed_passages)


def add_hint(schedule_model: ScheduleModel, hint: Solution) -> None:
    """Hint every decision: the hinted operations as given, everything else off."""
    model = schedule_model.model
    model.clear_hints()
    chosen: dict[tuple[str, str, str | None], Booking] = {}
    for schedule in hint.values():
        for b in schedule.bookings:
            chosen[(b.unit, b.site, b.crossing)] = b
    for op_id, op_vars in schedule_model.operations.items():
        scheduled = op_id in hint
        model.add_hint(op_vars.is_scheduled, scheduled)
        if op_vars.starts:
            model.add_hint(op_vars.start, hint[op_id].start if scheduled else op_vars.starts[0])
    filled = {(b.unit, b.site, b.capability) for b in chosen.values()}
    for key, literal in schedule_model.fills.items():
        model.add_hint(literal, key in filled)
    for trip in schedule_model.trips:
        booking = chosen.get((trip.candidate.unit, trip.candidate.site, trip.route.crossing))
        model.add_hint(trip.is_chosen, booking is not None)
        _hint_passages(model, trip, booking)
    staffed = {
        (p.operation, p.crossing, p.side, p.unit) for s in hint.values() for p in s.posts
    }
    for post in schedule_model.posts:
        need = post.candidate.need
        post_key = (need.operation, need.crossing, need.side, post.candidate.unit)
        model.add_hint(post.is_chosen, post_key in staffed)


def _hint_passages(model: cp_model.CpModel, trip: TripVars, booking: Booking | None) -> None:
    """Passage times of the hinted booking, or the tightest trip for one not taken."""
    if trip.cross_out is None or trip.cross_back is None or trip.busy_size is None:
        return
    if booking is not None and booking.cross_out is not None and booking.cross_back is not None:
        out, back = booking.cross_out, booking.cross_back
    else:
        out = trip.cross_out.proto.domain[-1]
        back = trip.cross_back.proto.domain[0]
    route = trip.route
    model.add_hint(trip.cross_out, out)
    model.add_hint(trip.cross_back, back)
    model.add_hint(trip.busy_size, back + route.transit + 2 * route.to_crossing - out)


def extract(schedule_model: ScheduleModel, solver: cp_model.CpSolver) -> Solution:
    """The solution the solver found, as bookings in minutes."""
    filled: dict[tuple[str, str], str] = {}
    for (unit, site, capability), literal in schedule_model.fills.items():
        if solver.boolean_value(literal):
            filled[(unit, site)] = capability
    site_operation = {
        site.id: op_vars
        for op_vars in schedule_model.operations.values()
        for site in op_vars.operation.sites
    }
    bookings: dict[str, list[Booking]] = defaultdict(list)
    for trip in schedule_model.trips:
        if solver.boolean_value(trip.is_chosen):
            op_vars = site_operation[trip.candidate.site]
            capability = filled[(trip.candidate.unit, trip.candidate.site)]
            booking = _booking(trip, op_vars, solver.value(op_vars.start), capability, solver)
            bookings[op_vars.operation.id].append(booking)
    starts = {
        op_id: solver.value(v.start)
        for op_id, v in schedule_model.operations.items()
        if solver.boolean_value(v.is_scheduled)
    }
    posts = extract_posts(schedule_model.posts, solver, starts)
    return {
        op_id: OperationSchedule(start, tuple(bookings[op_id]), tuple(posts.get(op_id, ())))
        for op_id, start in starts.items()
    }


def _booking(
    trip: TripVars, op_vars: OperationVars, start: int, capability: str, solver: cp_model.CpSolver
) -> Booking:
    c, route = trip.candidate, trip.route
    operation = op_vars.operation.id
    if trip.cross_out is None or trip.cross_back is None:
        end = start + op_vars.operation.duration_minutes
        return Booking(
            operation,
            c.site,
            c.unit,
            capability,
            start - route.to_site,
            end + route.to_site,
            travel=route.travel,
        )
    cross_out, cross_back = solver.value(trip.cross_out), solver.value(trip.cross_back)
    return Booking(
        operation,
        c.site,
        c.unit,
        capability,
        cross_out - route.to_crossing,
        cross_back + route.transit + route.to_crossing,
        route.crossing,
        cross_out,
        cross_back,
        route.travel,
    )
