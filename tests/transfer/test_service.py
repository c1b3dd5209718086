"""Scenario import is all-or-nothing and an export gives back what was imported."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sample_data import SMALL
from sqlmodel import Session, func, select

from app.models import (
    Approval,
    ApprovalKind,
    Decision,
    Operation,
    OperationCordon,
    OperationState,
    Region,
    Unit,
)
from app.solver.loader import load_scenario
from app.solver.sample import generate, preset
from app.transfer.service import (
    ScenarioRejected,
    export_scenario,
    import_scenario,
    operation_document,
)


def _small() -> dict[str, Any]:
    return json.loads(SMALL.read_text())


def _canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as parsed by the loader, every list sorted: equal modulo order."""
    data = load_scenario(doc).model_dump(mode="json", by_alias=True, exclude_none=True)
    for key, value in data.items():
        if isinstance(value, list):
            data[key] = sorted(value, key=lambda item: json.dumps(item, sort_keys=True))
    for op in data["operations"]:
        op["sites"] = sorted(op["sites"], key=lambda s: s["id"])
    return data


def test_import_then_export_round_trips_small_json(session: Session) -> None:
    original = _small()
    result = import_scenario(session, data=SMALL.read_bytes())
    session.commit()
    assert result.counts["operations"] == len(original["operations"])
    assert result.counts["units"] == len(original["units"])
    assert _canonical(export_scenario(session)) == _canonical(original)


def test_round_trip_keeps_optional_fields(session: Session) -> None:
    doc = _small()
    doc["units"][0]["available"] = [
        {"start": "2026-12-01T07:00:00+07:00", "end": "2026-12-03T00:00:00Z"}
    ]
    doc["units"][1]["operating_regions"] = []
    doc["units"][2]["available"] = []
    doc["crossings"][0]["open"] = []
    doc["crossings"][1].pop("open")
    doc["operations"][0]["sites"][0].pop("min_personnel", None)
    first = doc["operations"][1]
    first["fixed_start"] = first["earliest_start"]
    import_scenario(session, data=doc)
    assert _canonical(export_scenario(session)) == _canonical(doc)


def test_imported_operations_are_approved_with_consents(session: Session) -> None:
    doc = _small()
    import_scenario(session, data=doc)
    op_doc = next(op for op in doc["operations"] if op["foreign_support"])
    op = session.get(Operation, op_doc["id"])
    assert op is not None and op.state == OperationState.approved
    kinds = {
        (a.kind, a.decision)
        for a in session.exec(select(Approval).where(Approval.operation_id == op.id))
    }
    assert kinds == {
        (ApprovalKind.host, Decision.approved),
        (ApprovalKind.foreign_support, Decision.approved),
    }


def test_export_withholds_foreign_support_until_every_host_consents(session: Session) -> None:
    doc = _small()
    import_scenario(session, data=doc)
    op_id = next(op["id"] for op in doc["operations"] if op["foreign_support"])
    consent = session.exec(
        select(Approval).where(
            Approval.operation_id == op_id, Approval.kind == ApprovalKind.foreign_support
        )
    ).first()
    assert consent is not None
    consent.decision = Decision.declined
    session.flush()
    exported = {op["id"]: op for op in export_scenario(session)["operations"]}
    assert exported[op_id]["foreign_support"] is False


def test_export_contains_the_operations_a_plan_may_schedule(session: Session) -> None:
    doc = _small()
    import_scenario(session, data=doc)
    # One operation in each state (the others stay approved, as imported).
    states = dict(zip((op["id"] for op in doc["operations"]), OperationState, strict=False))
    for op_id, state in states.items():
        op = session.get(Operation, op_id)
        assert op is not None
        op.state = state
    session.flush()
    exported_ids = {o["id"] for o in export_scenario(session)["operations"]}
    planned = {OperationState.approved, OperationState.scheduled}
    expected = {op["id"] for op in doc["operations"]
                if states.get(op["id"], OperationState.approved) in planned}
    assert exported_ids == expected
    assert any(states.get(op_id) == OperationState.scheduled for op_id in exported_ids)


def test_invalid_scenario_lists_every_problem_and_writes_nothing(session: Session) -> None:
    doc = _small()
    doc["operations"][3]["sites"][0]["region"] = "XX-NOWHERE"
    doc["units"][2]["personnel"] = 0
    road = doc["roads"][0]
    a_country = next(r["country"] for r in doc["regions"] if r["id"] == road["a"])
    road["b"] = next(r["id"] for r in doc["regions"] if r["country"] != a_country)
    with pytest.raises(ScenarioRejected) as caught:
        import_scenario(session, data=doc)
    paths = {path for path, _ in caught.value.problems}
    assert "operations[3].sites[0].region" in paths
    assert "units[2].personnel" in paths
    assert any(path.startswith("roads[0]") for path in paths)
    assert session.exec(select(func.count()).select_from(Region)).one() == 0
    assert session.exec(select(func.count()).select_from(Unit)).one() == 0


def test_reimporting_existing_operations_is_rejected_whole(session: Session) -> None:
    doc = _small()
    import_scenario(session, data=doc)
    session.commit()
    again = copy.deepcopy(doc)
    again["units"][0]["callsign"] = "CHANGED"
    with pytest.raises(ScenarioRejected) as caught:
        import_scenario(session, data=again)
    assert (
        "operations[0].id",
        f"operation {doc['operations'][0]['id']!r} is already on the board",
    ) in caught.value.problems
    unit = session.get(Unit, doc["units"][0]["id"])
    assert unit is not None and unit.callsign != "CHANGED"


def test_invalid_json_is_rejected(session: Session) -> None:
    with pytest.raises(ScenarioRejected) as caught:
        import_scenario(session, data=b"{not json")
    assert "invalid JSON" in caught.value.problems[0][1]


def test_a_scenario_with_cordons_imports_them_and_exports_them_back(
    session: Session,
) -> None:
    # The board keeps cordons (issue 13): listed crossings and a radius both round-trip.
    doc = _small()
    crossing = doc["crossings"][0]["id"]
    doc["operations"][2]["cordon"] = {
        "crossings": [crossing], "lead_minutes": 60, "tail_minutes": 45, "units_per_side": 1,
    }
    doc["operations"][3]["cordon"] = {
        "within_km": 40.5, "lead_minutes": 0, "tail_minutes": 0, "units_per_side": 2,
        "allow_own_passages": True,
    }
    import_scenario(session, data=doc)
    session.commit()
    stored = session.get(OperationCordon, doc["operations"][2]["id"])
    assert stored is not None and [c.crossing_id for c in stored.crossings] == [crossing]
    exported = export_scenario(session)
    assert _canonical(exported) == _canonical(doc)
    by_id = {op["id"]: op for op in exported["operations"]}
    assert by_id[doc["operations"][3]["id"]]["cordon"]["within_km"] == 40.5
    assert "cordon" not in by_id[doc["operations"][0]["id"]]


def test_a_cordon_naming_an_unknown_crossing_is_refused_by_path(session: Session) -> None:
    doc = _small()
    doc["operations"][2]["cordon"] = {
        "crossings": ["X-NOPE"], "lead_minutes": 60, "tail_minutes": 60, "units_per_side": 1,
    }
    with pytest.raises(ScenarioRejected) as caught:
        import_scenario(session, data=doc)
    assert caught.value.problems == [
        ("operations[2].cordon.crossings[0]", "unknown crossing 'X-NOPE'")]
    assert session.exec(select(func.count()).select_from(Operation)).one() == 0


def test_the_export_gives_each_operation_as_its_operation_document(session: Session) -> None:
    """The export reads rows of columns, not Operation objects: each operation, its
    sites, requirements and cordon (a radius, or listed crossings) come out exactly as
    operation_document gives the stored operation."""
    doc = generate(preset("small", cordons=0.5))
    cordoned = [op for op in doc["operations"] if "cordon" in op]
    assert len(cordoned) >= 2
    listed = cordoned[0]["cordon"]
    listed.pop("within_km")
    listed["crossings"] = sorted(c["id"] for c in doc["crossings"][:2])
    import_scenario(session, data=doc)
    exported = export_scenario(session)
    operations = {op.id: op for op in session.exec(select(Operation))}
    assert exported["operations"] == [operation_document(session, operations[op["id"]])
                                      for op in exported["operations"]]
    cordons = {op["id"]: op.get("cordon") for op in exported["operations"]}
    assert cordons[cordoned[0]["id"]] == listed
    assert cordons[cordoned[1]["id"]] == cordoned[1]["cordon"]
    assert _canonical(exported) == _canonical(doc)
