"""Family app/solver/model/cordons.py (rules 11 and 12 of docs/cordon-format.md).

Each rule: a tiny feasible and a tiny infeasible case, decisions fixed (tests/solver/
model/fixing.py), and the validator naming the rule the infeasible case breaks.
"""

from __future__ import annotations

from ..builders import add_operations, add_units, assignment, operation, site, unit
from ..model.fixing import FEASIBLE, INFEASIBLE, find_operation, later, verdict
from .world import CORDON_PLAN_TRAVEL, cordon_plan, cordon_world, post, posts_of


def test_the_hand_checked_cordon_plan_is_feasible_and_valid() -> None:
    result = verdict(cordon_world(), cordon_plan())
    assert result == (FEASIBLE, set())
    assert (result.priority, result.travel) == (4, CORDON_PLAN_TRAVEL)


def test_a_side_without_its_post_cannot_be_scheduled() -> None:
    plan = cordon_plan()
    del posts_of(plan)[1]  # side b unstaffed
    assert verdict(cordon_world(), plan) == (INFEASIBLE, {11})


def test_a_side_needs_exactly_units_per_side() -> None:
    doc = add_units(
        cordon_world(units_per_side=2),
        unit("U-MM4", agency="MM-MPF", capabilities=["border_patrol"], base="MM-TAC"),
        unit("U-TH4", capabilities=["border_patrol"], base="TH-MSI"),
    )
    plan = cordon_plan()
    assert verdict(doc, plan) == (INFEASIBLE, {11})
    posts_of(plan).append(post("b", "U-MM4", "2026-12-02T02:00:00Z", "2026-12-02T05:30:00Z"))
    posts_of(plan).append(post("a", "U-TH4", "2026-12-02T02:00:00Z", "2026-12-02T05:30:00Z"))
    assert verdict(doc, plan) == (FEASIBLE, set())


def test_a_post_is_sovereign_no_foreign_unit_staffs_it() -> None:
    # A Thai border unit at the Myanmar side, although OP-1 has foreign support and TH->MM.
    doc = add_units(cordon_world(), unit("U-TH4", capabilities=["border_patrol"], base="TH-MSI"))
    plan = cordon_plan()
    posts_of(plan)[1] = post("b", "U-TH4", "2026-12-02T02:00:00Z", "2026-12-02T05:30:00Z")
    result = verdict(doc, plan)
    assert result == (INFEASIBLE, {11}) and result.unfixable


def test_a_post_needs_the_border_control_capability() -> None:
    plan = cordon_plan()  # U-MM2 is a free Myanmar unit, tactical and investigation only
    posts_of(plan)[1] = post("b", "U-MM2", "2026-12-02T00:00:00Z", "2026-12-02T07:30:00Z")
    assert verdict(cordon_world(), plan) == (INFEASIBLE, {11})


def test_a_post_honours_operating_regions() -> None:
    doc = cordon_world()
    doc["units"][-1]["operating_regions"] = ["MM-KTG"]  # U-MM3 may not act at MM-TAC
    assert verdict(doc, cordon_plan()) == (INFEASIBLE, {11})
    doc["units"][-1]["operating_regions"] = ["MM-KTG", "MM-TAC"]
    assert verdict(doc, cordon_plan()) == (FEASIBLE, set())


def test_staff_may_not_take_part_in_the_raid() -> None:
    doc = cordon_world()
    doc["units"][2]["capabilities"] = ["tactical", "border_patrol"]  # U-MM1, in the raid
    plan = cordon_plan()
    posts_of(plan)[1] = post("b", "U-MM1", "2026-12-02T02:00:00Z", "2026-12-02T05:30:00Z")
    assert verdict(doc, plan) == (INFEASIBLE, {10, 11})


def test_a_post_blocks_its_unit_like_any_tasking() -> None:
    # U-TH3 (tactical too) staffs OP-2 at 12-02T01:00Z-02:00Z: its post drive starts 01:00Z.
    doc = cordon_world()
    doc["units"][4]["capabilities"] = ["border_patrol", "tactical"]
    plan = cordon_plan()
    op2 = find_operation(plan, "OP-2")
    op2["start"] = "2026-12-02T00:30:00Z"
    op2["assignments"] = [
        assignment("S-3", "U-TH3", "tactical", "2026-12-02T00:30:00Z", "2026-12-02T01:30:00Z")
    ]
    assert verdict(doc, plan) == (INFEASIBLE, {10})
    op2["start"] = "2026-12-02T00:00:00Z"  # ends 01:00Z, when the drive to the post starts
    op2["assignments"][0].update({"depart": "2026-12-02T00:00:00Z"})
    op2["assignments"][0].update({"return": "2026-12-02T01:00:00Z"})
    assert verdict(doc, plan) == (FEASIBLE, set())


def test_a_post_lies_in_its_units_available_time() -> None:
    doc = cordon_world()
    doc["units"][-1]["available"] = [  # U-MM3 away 12-02T04:00Z-06:00Z, during the seal
        {"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T04:00:00Z"},
        {"start": "2026-12-02T06:00:00Z", "end": "2026-12-04T00:00:00Z"},
    ]
    assert verdict(doc, cordon_plan()) == (INFEASIBLE, {10})
    doc["units"][-1]["available"][0]["end"] = "2026-12-02T08:00:00Z"
    assert verdict(doc, cordon_plan()) == (FEASIBLE, set())


def test_the_seal_closes_the_crossing_to_the_raid_unless_allowed() -> None:
    # U-TH1 crosses out at 02:00Z, inside the seal 02:00Z-05:30Z.
    assert verdict(cordon_world(allow_own_passages=False), cordon_plan()) == (INFEASIBLE, {12})
    assert verdict(cordon_world(allow_own_passages=True), cordon_plan()) == (FEASIBLE, set())


def _other_operation_crossing(start: str, out: str, back: str, ret: str, depart: str) -> tuple:
    """OP-3 at MM-TAC: U-TH5, a Thai investigator crossing X-MSI-TAC; U-MM5 (k9) hosts."""
    op3 = operation(
        "OP-3",
        sites=[site("S-4", "MM-TAC", {"investigation": 1, "k9": 1})],
        foreign_support=True,
        earliest_start="2026-12-02T00:00:00Z",
        latest_end="2026-12-02T12:00:00Z",
    )
    doc = add_operations(
        add_units(
            cordon_world(),
            unit("U-TH5", capabilities=["investigation"], base="TH-MSI"),
            unit("U-MM5", agency="MM-MPF", capabilities=["k9"], base="MM-TAC"),
        ),
        op3,
    )
    plan = cordon_plan()
    plan["operations"].append(
        {
            "id": "OP-3",
            "start": start,
            "assignments": [
                assignment(
                    "S-4", "U-TH5", "investigation", depart, ret,
                    crossing="X-MSI-TAC", cross_out=out, cross_back=back,
                ),
                assignment("S-4", "U-MM5", "k9", start, later(start, 60)),
            ],
        }
    )
    return doc, plan


def test_the_seal_closes_the_crossing_to_other_operations() -> None:
    # OP-3 07:00Z-08:00Z: its outbound passage 06:00Z is after the seal, back 08:00Z.
    doc, plan = _other_operation_crossing(
        "2026-12-02T07:00:00Z", "2026-12-02T06:00:00Z", "2026-12-02T08:00:00Z",
        "2026-12-02T08:30:00Z", "2026-12-02T06:00:00Z",
    )
    assert verdict(doc, plan) == (FEASIBLE, set())
    # OP-3 at 05:00Z: outbound passage 04:15Z-04:45Z, inside the seal (one lane is free).
    doc, plan = _other_operation_crossing(
        "2026-12-02T05:00:00Z", "2026-12-02T04:15:00Z", "2026-12-02T06:00:00Z",
        "2026-12-02T06:30:00Z", "2026-12-02T04:15:00Z",
    )
    assert verdict(doc, plan) == (INFEASIBLE, {12})


def test_a_kept_operations_seal_closes_the_crossing_to_the_decided_ones() -> None:
    # The search decides OP-3 around OP-1 kept as booked (the LNS sub-problem), and back.
    doc, plan = _other_operation_crossing(
        "2026-12-02T05:00:00Z", "2026-12-02T04:15:00Z", "2026-12-02T06:00:00Z",
        "2026-12-02T06:30:00Z", "2026-12-02T04:15:00Z",
    )
    assert verdict(doc, plan, fixed=("OP-1",)) == (INFEASIBLE, {12})
    assert verdict(doc, plan, fixed=("OP-3",)) == (INFEASIBLE, {12})
    doc, plan = _other_operation_crossing(
        "2026-12-02T07:00:00Z", "2026-12-02T06:00:00Z", "2026-12-02T08:00:00Z",
        "2026-12-02T08:30:00Z", "2026-12-02T06:00:00Z",
    )
    assert verdict(doc, plan, fixed=("OP-1",)) == (FEASIBLE, set())
    assert verdict(doc, plan, fixed=("OP-3",)) == (FEASIBLE, set())


def test_seals_of_two_operations_may_overlap() -> None:
    doc = add_units(
        cordon_world(),
        unit("U-TH4", capabilities=["border_patrol"], base="TH-MSI"),
        unit("U-MM4", agency="MM-MPF", capabilities=["border_patrol"], base="MM-TAC"),
    )
    doc["operations"][1]["cordon"] = {  # OP-2 (S-3 at TH-CRI) seals the same crossing
        "crossings": ["X-MSI-TAC"], "lead_minutes": 0, "tail_minutes": 0, "units_per_side": 1,
    }
    plan = cordon_plan()
    op2 = find_operation(plan, "OP-2")
    op2["start"] = "2026-12-02T03:00:00Z"
    doc["operations"][1]["sites"][0]["requirements"] = [{"capability": "k9", "count": 1}]
    doc["units"].append(unit("U-TH6", capabilities=["k9"]))
    op2["assignments"] = [
        assignment("S-3", "U-TH6", "k9", "2026-12-02T03:00:00Z", "2026-12-02T04:00:00Z")
    ]
    op2["cordon"] = [
        post("a", "U-TH4", "2026-12-02T03:00:00Z", "2026-12-02T04:00:00Z",
             start="2026-12-02T03:00:00Z", end="2026-12-02T04:00:00Z"),
        post("b", "U-MM4", "2026-12-02T03:00:00Z", "2026-12-02T04:00:00Z",
             start="2026-12-02T03:00:00Z", end="2026-12-02T04:00:00Z"),
    ]
    assert verdict(doc, plan) == (FEASIBLE, set())
