"""Travel and crossings (rules 7 and 8): route choice, busy intervals and passage times.

A domestic trip's busy interval is fixed by the start: `[s - d, e + d)`. A border trip
has two passage variables whose domains are the crossing's open time (a passage
`[t, t + transit)` inside one opening), linked to the start by the travel inequalities;
waiting is allowed, so the busy interval runs from `cross_out - d(base, A)` to
`cross_back + transit + d(A, base)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from app.solver.instance import Instance, Route
from app.solver.model.candidates import Candidate
from app.solver.model.timing import MAX_WAIT, passage_domain
from app.solver.model.windows import OperationVars


@dataclass
class TripVars:
    """One way a candidate may travel to its site, chosen or not."""

    candidate: Candidate
    route: Route
    is_chosen: cp_model.IntVar
    busy: cp_model.IntervalVar
    cross_out: cp_model.IntVar | None = None
    cross_back: cp_model.IntVar | None = None
    passages: list[cp_model.IntervalVar] = field(default_factory=list)
    busy_size: cp_model.IntVar | None = None


def _clip(ranges: list[tuple[int, int]], low: int, high: int) -> list[list[int]]:
    return [[max(a, low), min(b, high)] for a, b in ranges if max(a, low) <= min(b, high)]


def passage_ranges(
    instance: Instance, operation: OperationVars, route: Route
) -> tuple[list[list[int]], list[list[int]]] | None:
    """Allowed outbound and return passage starts of a border route, or None if empty."""
    assert route.crossing is not None
    duration = operation.operation.duration_minutes
    first, last = operation.starts[0], operation.starts[-1]
    opening = passage_domain(instance.crossing_open[route.crossing], route.transit)
    latest_out = last - route.transit - route.to_site
    earliest_out = max(route.to_crossing, first - route.transit - route.to_site - MAX_WAIT)
    earliest_back = first + duration + route.to_site
    latest_back = min(
        last + duration + route.to_site + MAX_WAIT,
        instance.horizon_minutes - route.transit - route.to_crossing,
    )
    out_ranges = _clip(opening, earliest_out, latest_out)
    back_ranges = _clip(opening, earliest_back, latest_back)
    return (out_ranges, back_ranges) if out_ranges and back_ranges else None


def add_trip(
    model: cp_model.CpModel,
    instance: Instance,
    operation: OperationVars,
    candidate: Candidate,
    route: Route,
) -> TripVars | None:
    """Variables and constraints of one route choice; None when it can never be used."""
    name = f"{candidate.unit},{candidate.site},{route.crossing or 'domestic'}"
    duration = operation.operation.duration_minutes
    start = operation.start
    if route.crossing is None:
        is_chosen = model.new_bool_var(f"takes_route[{name}]")
        busy = model.new_optional_fixed_size_interval_var(
            start - route.to_site, duration + 2 * route.to_site, is_chosen, f"busy[{name}]"
        )
        return TripVars(candidate, route, is_chosen, busy)
    ranges = passage_ranges(instance, operation, route)
    if ranges is None:
        return None
    is_chosen = model.new_bool_var(f"takes_route[{name}]")
    out_domain, back_domain = (cp_model.Domain.from_intervals(r) for r in ranges)
    cross_out = model.new_int_var_from_domain(out_domain, f"cross_out[{name}]")
    cross_back = model.new_int_var_from_domain(back_domain, f"cross_back[{name}]")
    model.add(cross_out + route.transit + route.to_site <= start).only_enforce_if(is_chosen)
    model.add(cross_back >= start + duration + route.to_site).only_enforce_if(is_chosen)
    horizon = instance.horizon_minutes
    size = model.new_int_var(duration + 2 * route.one_way, horizon, f"busy_size[{name}]")
    busy = model.new_optional_interval_var(
        cross_out - route.to_crossing,
        size,
        cross_back + route.transit + route.to_crossing,
        is_chosen,
        f"busy[{name}]",
    )
    passages = [
        model.new_optional_fixed_size_interval_var(t, route.transit, is_chosen, f"passage[{name}]")
        for t in (cross_out, cross_back)
    ]
    return TripVars(candidate, route, is_chosen, busy, cross_out, cross_back, passages, size)


def add_candidate_trips(
    model: cp_model.CpModel,
    instance: Instance,
    operation: OperationVars,
    candidate: Candidate,
    fills: list[cp_model.IntVar],
) -> list[TripVars]:
    """All route choices of a candidate; exactly one is taken when it fills a requirement."""
    trips = [
        trip
        for route in candidate.routes
        if (trip := add_trip(model, instance, operation, candidate, route)) is not None
    ]
    model.add(sum(t.is_chosen for t in trips) == sum(fills))
    return trips
