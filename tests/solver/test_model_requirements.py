"""Requirements (rule 3), headcount (rule 4) and host-nation presence (rule 5)."""

from __future__ import annotations

from collections import Counter

from .builders import operation, scenario_dict, site, unit
from .solve_helpers import scheduled, solve_checked


def _world(units: list[dict], site_doc: dict, foreign_support: bool = False) -> dict:
    doc = scenario_dict()
    doc["units"] = units
    doc["operations"] = [operation("OP-R", sites=[site_doc], foreign_support=foreign_support)]
    return doc


def test_each_requirement_gets_exactly_its_count() -> None:
    units = [unit(f"U-{i}", capabilities=["tactical", "investigation"]) for i in range(5)]
    doc = _world(units, site("S-R", "TH-CRI", {"tactical": 2, "investigation": 1}))
    result = solve_checked(doc)
    assignments = result.plan.operations[0].assignments
    assert Counter(a.capability for a in assignments) == {"tactical": 2, "investigation": 1}
    assert len({a.unit for a in assignments}) == 3


def test_one_unit_cannot_fill_two_requirements() -> None:
    units = [unit("U-1", capabilities=["tactical", "investigation"])]
    doc = _world(units, site("S-R", "TH-CRI", {"tactical": 1, "investigation": 1}))
    assert scheduled(solve_checked(doc)) == set()


def test_headcount_met_by_choosing_bigger_units() -> None:
    units = [unit("U-SMALL", personnel=4), unit("U-BIG", personnel=20, base="TH-MSI")]
    doc = _world(units, site("S-R", "TH-CRI", {"tactical": 1}, min_personnel=15))
    result = solve_checked(doc)
    assert [a.unit for a in result.plan.operations[0].assignments] == ["U-BIG"]


def test_headcount_out_of_reach_leaves_the_operation_unscheduled() -> None:
    units = [unit("U-1", personnel=10), unit("U-2", personnel=10)]
    doc = _world(units, site("S-R", "TH-CRI", {"tactical": 2}, min_personnel=21))
    assert scheduled(solve_checked(doc)) == set()


def test_host_nation_unit_is_included() -> None:
    units = [unit("U-TH1"), unit("U-MM1", agency="MM-MPF", base="MM-KTG")]
    doc = _world(units, site("S-R", "MM-TAC", {"tactical": 1}), foreign_support=True)
    result = solve_checked(doc)
    assert [a.unit for a in result.plan.operations[0].assignments] == ["U-MM1"]


def test_site_without_a_host_nation_unit_is_unscheduled() -> None:
    # The Thai unit may act in Myanmar and can get there, but no Myanmar unit is present.
    units = [unit("U-TH1"), unit("U-TH2")]
    doc = _world(units, site("S-R", "MM-TAC", {"tactical": 1}), foreign_support=True)
    assert scheduled(solve_checked(doc)) == set()
