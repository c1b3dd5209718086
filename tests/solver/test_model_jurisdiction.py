"""Jurisdiction (rule 6): operating regions at home, consent and agreements abroad."""

from __future__ import annotations

from .builders import operation, scenario_dict, site, unit
from .solve_helpers import scheduled, solve_checked


def _world(units: list[dict], region: str, foreign_support: bool, tactical: int = 1) -> dict:
    doc = scenario_dict()
    doc["units"] = units
    doc["operations"] = [
        operation(
            "OP-J",
            sites=[site("S-J", region, {"tactical": tactical})],
            foreign_support=foreign_support,
            latest_end="2026-12-03T12:00:00Z",
            duration_minutes=120,
        )
    ]
    return doc


def test_unit_acts_inside_its_operating_regions() -> None:
    units = [unit("U-1", operating_regions=["TH-CRI", "TH-MSI"])]
    assert scheduled(solve_checked(_world(units, "TH-MSI", False))) == {"OP-J"}


def test_unit_never_acts_outside_its_operating_regions() -> None:
    units = [unit("U-1", operating_regions=["TH-CRI"])]
    assert scheduled(solve_checked(_world(units, "TH-MSI", False))) == set()


def test_foreign_unit_acts_with_consent_and_agreement() -> None:
    # operating_regions never restricts work abroad.
    units = [unit("U-TH1", operating_regions=[]), unit("U-MM1", agency="MM-MPF", base="MM-TAC")]
    result = solve_checked(_world(units, "MM-TAC", True, tactical=2))
    assert {a.unit for a in result.plan.operations[0].assignments} == {"U-TH1", "U-MM1"}


def test_foreign_unit_needs_consent() -> None:
    units = [unit("U-TH1"), unit("U-MM1", agency="MM-MPF", base="MM-TAC")]
    assert scheduled(solve_checked(_world(units, "MM-TAC", False, tactical=2))) == set()


def test_agreements_are_directional() -> None:
    # TH -> MM exists, MM -> TH does not: a Myanmar unit may not act in Thailand.
    units = [unit("U-TH1"), unit("U-MM1", agency="MM-MPF", base="MM-TAC")]
    assert scheduled(solve_checked(_world(units, "TH-MSI", True, tactical=2))) == set()
