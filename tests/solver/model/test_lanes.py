"""Family app/solver/model/lanes.py (rule 9): passages of one crossing at once, by lanes.

Both directions count together, passages are half-open, and the passages of operations
the sub-problem does not decide take their lanes too.
"""

from __future__ import annotations

from ..builders import (
    add_units,
    assignment,
    operation,
    scenario_dict,
    site,
    unit,
    valid_plan_dict,
)
from .fixing import FEASIBLE, INFEASIBLE, find_operation, later, verdict


def _three_at_s1(lanes: int) -> dict:
    """S-1 needs three tactical units: U-MM1 at home, U-TH1 and U-TH4 across the border."""
    doc = add_units(scenario_dict(), unit("U-TH4"))
    doc["crossings"][0]["lanes"] = lanes
    doc["operations"][0]["sites"][0]["requirements"][0]["count"] = 3
    return doc


def _u_th4(out: str, back: str, depart: str, ret: str) -> dict:
    return assignment(
        "S-1",
        "U-TH4",
        "tactical",
        depart,
        ret,
        crossing="X-MSI-TAC",
        cross_out=out,
        cross_back=back,
    )


def _plan_with_u_th4(out: str, back: str, depart: str, ret: str) -> dict:
    plan = valid_plan_dict()  # U-TH1 passes 02:00Z-02:30Z out and 05:00Z-05:30Z back
    find_operation(plan, "OP-1")["assignments"].append(_u_th4(out, back, depart, ret))
    return plan


TOGETHER = _plan_with_u_th4(
    "2026-12-02T02:00:00Z", "2026-12-02T05:00:00Z", "2026-12-02T01:00:00Z", "2026-12-02T06:30:00Z"
)
ONE_AFTER_THE_OTHER = _plan_with_u_th4(
    "2026-12-02T02:30:00Z", "2026-12-02T05:30:00Z", "2026-12-02T01:30:00Z", "2026-12-02T07:00:00Z"
)
# U-TH4's outbound passage 01:45Z-02:15Z overlaps U-TH1's 02:00Z-02:30Z.
OVERLAPPING = _plan_with_u_th4(
    "2026-12-02T01:45:00Z", "2026-12-02T05:30:00Z", "2026-12-02T00:45:00Z", "2026-12-02T07:00:00Z"
)


def test_one_lane_takes_one_passage_at_a_time() -> None:
    assert verdict(_three_at_s1(1), ONE_AFTER_THE_OTHER) == (FEASIBLE, set())  # they touch
    assert verdict(_three_at_s1(1), TOGETHER) == (INFEASIBLE, {9})
    assert verdict(_three_at_s1(1), OVERLAPPING) == (INFEASIBLE, {9})


def test_two_lanes_take_two_passages_at_once() -> None:
    assert verdict(_three_at_s1(2), TOGETHER) == (FEASIBLE, set())


def _going_out_while_u_th1_comes_back() -> dict:
    """OP-3 at MM-TAC (06:00Z) with U-MM1 and U-TH4, who crosses out near 05:00Z."""
    doc = add_units(scenario_dict(), unit("U-TH4"))
    doc["operations"].append(
        operation(
            "OP-3",
            sites=[site("S-4", "MM-TAC", {"tactical": 2})],
            foreign_support=True,
            earliest_start="2026-12-02T00:00:00Z",
            latest_end="2026-12-03T00:00:00Z",
        )
    )
    return doc


def _op3(cross_out: str) -> dict:
    """The valid plan with OP-3; U-TH4 crosses out at `cross_out` (an instant near 05:00Z)."""
    plan = valid_plan_dict()
    depart = later(cross_out, -60)
    plan["operations"].append(
        {
            "id": "OP-3",
            "start": "2026-12-02T06:00:00Z",
            "assignments": [
                assignment(
                    "S-4", "U-MM1", "tactical", "2026-12-02T06:00:00Z", "2026-12-02T07:00:00Z"
                ),
                assignment(
                    "S-4",
                    "U-TH4",
                    "tactical",
                    depart,
                    "2026-12-02T08:30:00Z",
                    crossing="X-MSI-TAC",
                    cross_out=cross_out,
                    cross_back="2026-12-02T07:00:00Z",
                ),
            ],
        }
    )
    return plan


def test_passages_in_both_directions_share_the_lane() -> None:
    # U-TH1 comes back through the one lane 05:00Z-05:30Z.
    doc = _going_out_while_u_th1_comes_back()
    assert verdict(doc, _op3("2026-12-02T05:30:00Z")) == (FEASIBLE, set())
    assert verdict(doc, _op3("2026-12-02T05:15:00Z")) == (INFEASIBLE, {9})


def test_passages_of_operations_outside_the_sub_problem_take_their_lane() -> None:
    doc = _going_out_while_u_th1_comes_back()
    for kept in ("OP-1", "OP-3"):  # either one booked already, the other decided
        fits = verdict(doc, _op3("2026-12-02T05:30:00Z"), fixed=(kept, "OP-2"))
        assert fits == (FEASIBLE, set())
        clash = verdict(doc, _op3("2026-12-02T05:15:00Z"), fixed=(kept, "OP-2"))
        assert clash == (INFEASIBLE, {9})
