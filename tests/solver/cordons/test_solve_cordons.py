"""Solving with cordons: valid plans from the search itself (never FALLBACK_GREEDY), the
greedy's plans valid too, the loader's errors, and the diagnosis of a cordon that cannot
be staffed."""

from __future__ import annotations

import pytest

from app.solver.greedy import greedy_solution
from app.solver.instance import Instance
from app.solver.loader import ScenarioError, load_scenario
from app.solver.model.plan import build_plan
from app.solver.validate import validate_plan

from ..builders import add_operations, add_units, make_scenario, operation, site, unit
from ..solve_helpers import solve_checked
from .world import cordon_world


def _posts(result_plan, op_id: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    scheduled = next(o for o in result_plan.operations if o.id == op_id)
    return [(p.crossing, p.side, p.unit) for p in scheduled.cordon or []]


@pytest.mark.parametrize("allow_own", [True, False])
def test_a_cordon_operation_is_scheduled_with_its_posts(allow_own: bool) -> None:
    result = solve_checked(cordon_world(allow_own_passages=allow_own), time_limit=5)
    assert result.priority == 4
    assert _posts(result.plan, "OP-1") == [("X-MSI-TAC", "a", "U-TH3"), ("X-MSI-TAC", "b", "U-MM3")]


def test_the_greedy_staffs_cordons_and_stays_valid() -> None:
    for allow_own in (True, False):
        scenario = make_scenario(cordon_world(allow_own_passages=allow_own))
        instance = Instance(scenario)
        plan = build_plan(instance, greedy_solution(instance), {"status": "GREEDY"}, reasons={})
        report = validate_plan(scenario, plan)
        assert report.valid, [str(v) for v in report.violations]
        assert {o.id for o in plan.operations} == {"OP-1", "OP-2"}


def test_an_operation_whose_cordon_cannot_be_staffed_is_not_scheduled() -> None:
    result = solve_checked(cordon_world(units_per_side=2), time_limit=5)
    assert [o.id for o in result.plan.operations] == ["OP-2"]
    (entry,) = result.plan.unscheduled
    assert entry.id == "OP-1"
    assert any(
        "its cordon cannot be staffed: side b of X-MSI-TAC (MM-TAC, MM) needs 2 "
        "border-control units (border_patrol) of MM, and only 1 may (U-MM3)" in reason
        for reason in entry.reasons
    ), entry.reasons


def test_a_busy_border_unit_is_named_with_the_operation_that_holds_it() -> None:
    # OP-4 (priority 9) cordons the same crossing at the same time with the only units.
    doc = add_operations(
        add_units(cordon_world(), unit("U-MM6", agency="MM-MPF", personnel=4, base="MM-TAC")),
        operation(
            "OP-4",
            priority=9,
            sites=[site("S-9", "MM-TAC", {"tactical": 1})],
            earliest_start="2026-12-01T00:00:00Z",
            latest_end="2026-12-04T00:00:00Z",
            duration_minutes=72 * 60 - 90 - 240,
            cordon={"crossings": ["X-MSI-TAC"], "lead_minutes": 0, "tail_minutes": 0,
                    "units_per_side": 1},
        ),
    )
    doc["operations"][-1]["earliest_start"] = "2026-12-01T02:00:00Z"
    result = solve_checked(doc, time_limit=5)
    assert "OP-4" in {o.id for o in result.plan.operations}
    entry = next(u for u in result.plan.unscheduled if u.id == "OP-1")
    assert any("its cordon cannot be staffed beside this plan" in r for r in entry.reasons)
    assert any("busy with OP-4" in r for r in entry.reasons), entry.reasons


def test_a_seal_keeps_other_operations_off_the_crossing() -> None:
    # OP-5 needs U-TH5, a Thai cyber unit, at MM-TAC during OP-1's seal (23:00Z-05:30Z, from
    # when the crossing opens): it may not cross before, so one of them must give.
    doc = add_operations(
        add_units(
            cordon_world(lead_minutes=240),
            unit(
                "U-TH5",
                capabilities=["cyber"],
                base="TH-MSI",
                available=[{"start": "2026-12-01T20:00:00Z", "end": "2026-12-04T00:00:00Z"}],
            ),
            unit("U-MM5", agency="MM-MPF", capabilities=["k9"], base="MM-TAC"),
        ),
        operation(
            "OP-5",
            sites=[site("S-5", "MM-TAC", {"cyber": 1, "k9": 1})],
            foreign_support=True,
            fixed_start="2026-12-02T03:00:00Z",
            earliest_start="2026-12-02T03:00:00Z",
            latest_end="2026-12-02T04:00:00Z",
        ),
    )
    doc["operations"][0]["fixed_start"] = "2026-12-02T03:00:00Z"
    result = solve_checked(doc, time_limit=5)
    scheduled = {o.id for o in result.plan.operations}
    assert "OP-1" in scheduled and "OP-5" not in scheduled
    del doc["operations"][0]["cordon"]
    assert "OP-5" in {o.id for o in solve_checked(doc, time_limit=5).plan.operations}
    (entry,) = [u for u in result.plan.unscheduled if u.id == "OP-5"]
    assert any(
        "its passages at X-MSI-TAC fall in the seal of a cordon (OP-1)" in r for r in entry.reasons
    ), entry.reasons


@pytest.mark.parametrize(
    ("cordon", "message"),
    [
        ({"crossings": ["X-NOPE"]}, "operations[0].cordon.crossings[0]: unknown crossing 'X-NOPE'"),
        ({"crossings": ["X-MSI-TAC", "X-MSI-TAC"]},
         "operations[0].cordon.crossings[1]: crossing 'X-MSI-TAC' is listed twice"),
        ({"crossings": []}, "operations[0].cordon.crossings: an empty list seals nothing"),
        ({"within_km": 10}, "operations[0].cordon: give exactly one of crossings"),
        ({"lead_minutes": -5}, "operations[0].cordon.lead_minutes: Input should be greater"),
        ({"tail_minutes": -1}, "operations[0].cordon.tail_minutes: Input should be greater"),
        ({"units_per_side": 0}, "operations[0].cordon.units_per_side: Input should be greater"),
        ({"allow_own_passages": "yes"}, "operations[0].cordon.allow_own_passages"),
        ({"seal": True}, "operations[0].cordon.seal: Extra inputs are not permitted"),
    ],
)
def test_a_malformed_cordon_is_rejected_with_its_path(cordon: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(cordon_world(**cordon))
    assert any(str(p).startswith(message) for p in caught.value.problems), caught.value


def test_within_km_seals_the_crossings_near_a_site() -> None:
    near = make_scenario(cordon_world(crossings=None, within_km=5))  # MM-TAC is at the bridge
    far = make_scenario(cordon_world(crossings=None, within_km=0.5))
    assert Instance(near).sealed["OP-1"] == ["X-MSI-TAC"]
    # S-1 lies in MM-TAC, an end of the crossing: distance 0.
    assert Instance(far).sealed["OP-1"] == ["X-MSI-TAC"]
    doc = cordon_world(crossings=None, within_km=5)
    doc["operations"][0]["sites"] = doc["operations"][0]["sites"][:0] + [
        site("S-1", "MM-KTG", {"tactical": 1})
    ]
    assert Instance(make_scenario(doc)).sealed["OP-1"] == []  # Kengtung is ~95 km away
