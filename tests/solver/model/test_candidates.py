"""Family app/solver/model/candidates.py (rule 6): who may act where.

The model has a fill variable only for a unit that may act at the site: in its own
country inside its operating regions, abroad only with the operation's consent and an
agreement. A plan that needs any other unit cannot be fixed in the model.
"""

from __future__ import annotations

from ..builders import add_units, assignment, scenario_dict, unit, valid_plan_dict
from .fixing import FEASIBLE, INFEASIBLE, find_operation, verdict


def test_a_unit_acts_at_home_only_in_its_operating_regions() -> None:
    doc = scenario_dict()
    doc["units"][1]["operating_regions"] = ["TH-CRI", "TH-MSI"]  # U-TH2, at S-2 in TH-MSI
    assert verdict(doc, valid_plan_dict()) == (FEASIBLE, set())
    doc["units"][1]["operating_regions"] = ["TH-CRI"]
    result = verdict(doc, valid_plan_dict())
    assert result == (INFEASIBLE, {6})
    # No variable at all for U-TH2 at S-2: the model ruled the candidate out.
    assert result.unfixable == (
        "fill ('U-TH2', 'S-2', 'investigation')",
        "trip ('U-TH2', 'S-2', None)",
    )


def test_operating_regions_never_restrict_work_abroad() -> None:
    doc = scenario_dict()
    doc["units"][0]["operating_regions"] = ["TH-CRI"]  # U-TH1 still works in MM-TAC
    assert verdict(doc, valid_plan_dict()) == (FEASIBLE, set())


def test_a_unit_acts_abroad_only_with_the_operations_consent() -> None:
    doc = scenario_dict()
    doc["operations"][0]["foreign_support"] = False
    assert verdict(doc, valid_plan_dict()) == (INFEASIBLE, {6})


def test_a_unit_acts_abroad_only_under_an_agreement_from_its_country() -> None:
    # TH -> MM exists, MM -> TH does not: U-MM3 may not help at OP-2's S-3 in Thailand.
    doc = add_units(scenario_dict(), unit("U-MM3", agency="MM-MPF", base="MM-TAC"))
    doc["operations"][1]["foreign_support"] = True
    doc["operations"][1]["sites"][0]["requirements"][0]["count"] = 2
    plan = valid_plan_dict()
    find_operation(plan, "OP-2")["assignments"].append(
        assignment(
            "S-3",
            "U-MM3",
            "tactical",
            "2026-12-01T08:30:00Z",
            "2026-12-01T12:30:00Z",
            crossing="X-MSI-TAC",
            cross_out="2026-12-01T08:30:00Z",
            cross_back="2026-12-01T12:00:00Z",
        )
    )
    assert verdict(doc, plan) == (INFEASIBLE, {6})
    doc["agreements"].append({"from": "MM", "to": "TH"})
    assert verdict(doc, plan) == (FEASIBLE, set())
