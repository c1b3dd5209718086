"""The builder world (tests/solver/builders.py) with a cordon on OP-1.

Added: U-TH3 (border_patrol, TH-CRI, 60 min from the Thai side TH-MSI) and U-MM3
(border_patrol, MM-KTG, 120 min from the Myanmar side MM-TAC). OP-1 seals X-MSI-TAC from
60 minutes before H-hour to 30 after its end, one unit per side, its own passages
allowed. In `cordon_plan()` OP-1 starts 12-02T03:00Z, so the seal is 02:00Z-05:30Z;
U-TH1's outbound passage at 02:00Z is OP-1's own (allowed). Travel 300 + 120 + 240.
"""

from __future__ import annotations

from typing import Any

from ..builders import Doc, add_units, scenario_dict, unit, valid_plan_dict

CORDON: Doc = {
    "crossings": ["X-MSI-TAC"],
    "lead_minutes": 60,
    "tail_minutes": 30,
    "units_per_side": 1,
    "allow_own_passages": True,
}
CORDON_PLAN_TRAVEL = 300 + 120 + 240


def cordon_world(**cordon: Any) -> Doc:
    """The scenario dict; keyword arguments replace keys of OP-1's cordon."""
    doc = scenario_dict()
    add_units(
        doc,
        unit("U-TH3", capabilities=["border_patrol"], personnel=6),
        unit("U-MM3", agency="MM-MPF", capabilities=["border_patrol"], base="MM-KTG"),
    )
    doc["operations"][0]["cordon"] = {**CORDON, **cordon}
    return doc


def post(side: str, unit_id: str, depart: str, ret: str, **times: str) -> Doc:
    return {
        "crossing": "X-MSI-TAC",
        "side": side,
        "unit": unit_id,
        "depart": depart,
        "start": times.get("start", "2026-12-02T02:00:00Z"),
        "end": times.get("end", "2026-12-02T05:30:00Z"),
        "return": ret,
    }


def cordon_plan() -> Doc:
    """A hand-checked valid plan of `cordon_world()`."""
    plan = valid_plan_dict()
    plan["operations"][0]["cordon"] = [
        post("a", "U-TH3", "2026-12-02T01:00:00Z", "2026-12-02T06:30:00Z"),
        post("b", "U-MM3", "2026-12-02T00:00:00Z", "2026-12-02T07:30:00Z"),
    ]
    plan.pop("objective", None)
    return plan


def posts_of(plan: Doc, op_id: str = "OP-1") -> list[Doc]:
    """The plan dict's posts of an operation (the list itself, to edit in place)."""
    operation = next(o for o in plan["operations"] if o["id"] == op_id)
    posts: list[Doc] = operation.setdefault("cordon", [])
    return posts
