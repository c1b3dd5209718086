"""Property tests: random small scenarios always give valid plans with optimal priority."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.solver.instance import Instance
from app.solver.schema import Scenario

from .builders import make_scenario, operation, scenario_dict, site, unit
from .solve_helpers import solve_checked

HORIZON_START = datetime(2026, 12, 1, tzinfo=UTC)
REGIONS = {"TH": ["TH-CRI", "TH-MSI"], "MM": ["MM-TAC", "MM-KTG"]}
AGENCY = {"TH": "TH-RTP", "MM": "MM-MPF"}
CAPABILITIES = ["tactical", "investigation"]


def _instant(minutes: int) -> str:
    return (HORIZON_START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@st.composite
def units_strategy(draw: Any, countries: list[str]) -> list[dict]:
    result = []
    for index in range(draw(st.integers(3, 6))):
        country = draw(st.sampled_from(countries))
        extra: dict[str, Any] = {}
        if draw(st.booleans()):
            start = draw(st.integers(0, 48)) * 60
            extra["available"] = [{"start": _instant(start), "end": _instant(start + 24 * 60)}]
        if draw(st.integers(0, 4)) == 0:
            extra["operating_regions"] = [draw(st.sampled_from(REGIONS[country]))]
        result.append(
            unit(
                f"U-{index}",
                agency=AGENCY[country],
                capabilities=draw(
                    st.lists(st.sampled_from(CAPABILITIES), min_size=1, max_size=2, unique=True)
                ),
                personnel=draw(st.integers(1, 15)),
                base=draw(st.sampled_from(REGIONS[country])),
                **extra,
            )
        )
    return result


@st.composite
def operations_strategy(draw: Any, countries: list[str], slot: int) -> list[dict]:
    result = []
    for index in range(draw(st.integers(2, 4))):
        duration = draw(st.sampled_from([60, 120]))
        earliest = draw(st.integers(1, 40)) * 60
        latest = earliest + duration + draw(st.integers(0, 3)) * slot
        requirements = draw(
            st.dictionaries(
                st.sampled_from(CAPABILITIES), st.integers(1, 2), min_size=1, max_size=2
            )
        )
        region = draw(st.sampled_from([r for c in countries for r in REGIONS[c]]))
        extra: dict[str, Any] = {}
        if draw(st.integers(0, 3)) == 0:
            extra["fixed_start"] = _instant(earliest)
        result.append(
            operation(
                f"OP-{index}",
                sites=[
                    site(f"S-{index}", region, requirements, min_personnel=draw(st.integers(0, 20)))
                ],
                priority=draw(st.integers(1, 5)),
                earliest_start=_instant(earliest),
                latest_end=_instant(latest),
                duration_minutes=duration,
                foreign_support=draw(st.booleans()),
                **extra,
            )
        )
    return result


@st.composite
def border_scenarios(draw: Any) -> Scenario:
    """Two countries, one crossing with random lanes and hours."""
    doc = scenario_dict()
    crossing = doc["crossings"][0]
    crossing["lanes"] = draw(st.integers(1, 2))
    opens = draw(st.integers(0, 20))
    crossing["open"] = [
        {"from": f"{opens:02d}:00", "to": f"{opens + draw(st.integers(1, 4)):02d}:00"}
    ]
    doc["units"] = draw(units_strategy(["TH", "MM"]))
    doc["operations"] = draw(operations_strategy(["TH", "MM"], 15))
    return make_scenario(doc)


@st.composite
def domestic_scenarios(draw: Any) -> Scenario:
    """Thailand only, hour slots: small enough to enumerate every plan."""
    doc = scenario_dict(slot_minutes=60)
    doc["units"] = draw(units_strategy(["TH"]))
    for u in doc["units"]:
        u.pop("operating_regions", None)
    doc["operations"] = draw(operations_strategy(["TH"], 60))
    return make_scenario(doc)


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(border_scenarios())
def test_random_border_scenarios_give_valid_plans(scenario: Scenario) -> None:
    solve_checked(scenario, time_limit=2)


def _options(instance: Instance, op_id: str) -> list[tuple[int, tuple[str, ...]]]:
    """Every (start, units) way to staff a one-site, domestic operation."""
    operation_ = instance.operations[op_id]
    (site_,) = operation_.sites
    per_requirement = []
    for requirement in site_.requirements:
        able = [u.id for u in instance.scenario.units if requirement.capability in u.capabilities]
        per_requirement.append(list(itertools.combinations(able, requirement.count)))
    result = []
    for picks in itertools.product(*per_requirement):
        units = tuple(u for pick in picks for u in pick)
        personnel = sum(instance.units[u].personnel for u in units)
        if len(set(units)) == len(units) and personnel >= site_.required_personnel:
            result.extend((start, units) for start in instance.start_minutes(operation_))
    return result


def _feasible(instance: Instance, choice: dict[str, tuple[int, tuple[str, ...]]]) -> bool:
    busy: dict[str, list[tuple[int, int]]] = {}
    for op_id, (start, units) in choice.items():
        operation_ = instance.operations[op_id]
        region = operation_.sites[0].region
        for u in units:
            d = instance.distance(instance.units[u].base, region)
            if d is None:
                return False
            depart, ret = start - d, start + operation_.duration_minutes + d
            if not any(a <= depart and ret <= b for a, b in instance.unit_available[u]):
                return False
            busy.setdefault(u, []).append((depart, ret))
    for intervals in busy.values():
        intervals.sort()
        if any(a[1] > b[0] for a, b in itertools.pairwise(intervals)):
            return False
    return True


def brute_force_priority(instance: Instance) -> int:
    """The best total priority over every combination of staffing choices."""
    ids = sorted(instance.operations)
    choices = [[None, *_options(instance, op_id)] for op_id in ids]
    best = 0
    for combo in itertools.product(*choices):
        chosen = {i: c for i, c in zip(ids, combo, strict=True) if c is not None}
        value = sum(instance.operations[i].priority for i in chosen)
        if value > best and _feasible(instance, chosen):
            best = value
    return best


@FAST
@given(domestic_scenarios())
def test_priority_equals_the_brute_force_optimum(scenario: Scenario) -> None:
    result = solve_checked(scenario, time_limit=5)
    assert result.priority == brute_force_priority(Instance(scenario))
