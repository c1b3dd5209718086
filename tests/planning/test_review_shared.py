"""Issue 14: a run page's parts that come from the run alone are derived once for every
viewer. The run's scenario and plan are parsed and its plan validated once (with each
operation's part of the objective); a viewer who sees part of the board gets their cut
of those, not a parse and a validation of their own, and never more than their cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.models import Agency, Operation, Plan, Role, SolverRun, Unit, User
from app.planning import consent as consent_module
from app.planning import review as review_module
from app.planning import scenario as scenario_module
from app.planning.visibility import hidden_busy_units, plan_for, scenario_for, visible_ids
from app.solver import diff as diff_module
from app.solver.diff import diff_plans
from app.solver.loader import load_plan, load_scenario
from app.solver.schema import format_instant, parse_instant
from app.solver.validate import validate_plan

from .statements import reads_parameters, recorded_statements
from .test_review_kept import _republished_run

pytestmark = pytest.mark.db
Login = Callable[[TestClient, User], TestClient]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """What the review parses and validates: scenarios, plans (by how many scheduled
    operations the parsed document has), validations."""
    calls: dict[str, list[int]] = {"scenario": [], "plan": [], "validate": []}

    def counting(module: Any, name: str, kind: str, size: Callable[..., int]) -> None:
        original = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls[kind].append(size(*args))
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    counting(review_module, "load_scenario", "scenario", lambda doc: len(doc["operations"]))
    for module in (review_module, scenario_module):
        counting(module, "load_plan", "plan", lambda doc: len(doc["operations"]))
    for module in (review_module, diff_module):
        counting(module, "validate_plan", "validate", lambda scenario, plan: 1)
    return calls


def _changed_run(board: Session, planner: User) -> SolverRun:
    """A published plan, and a run whose plan moves one of its operations an hour and
    leaves another unscheduled with a reason naming a third (so each viewer's totals,
    change list and reasons differ)."""
    published = _republished_run(board, planner)
    document = dict(published.plan or {})
    first, second, *rest = document["operations"]
    moved = {**first, "start": format_instant(parse_instant(first["start"]) + timedelta(hours=1))}
    named = rest[0]["id"] if rest else first["id"]
    reason = {"id": second["id"], "reasons": [f"its units are needed by {named}"],
              "details": [[{"text": "its units are needed by ", "hidden": ""},
                           {"text": named, "operations": [named],
                            "hidden": "an operation you may not see"}]]}
    document = {**document, "operations": [moved, *rest],
                "unscheduled": [*document.get("unscheduled", []), reason]}
    run = SolverRun(status=published.status, params=published.params,
                    scenario=published.scenario, plan=document,
                    created_by_id=published.created_by_id)
    board.add(run)
    board.flush()
    board.add(Plan(document=document, solver_run_id=run.id))
    board.commit()
    return run


def _agency_planners(board: Session, make_user: Callable[..., User]) -> list[User]:
    """A planner of each agency that sees some of the board's operations, not all."""
    every = set(board.exec(select(Operation.id)).all())
    planners = []
    for agency in board.exec(select(Agency).order_by(col(Agency.id))).all():
        user = make_user(board, Role.planner, agency.id)
        ids = visible_ids(board, user=user)
        if ids and ids & every != every:
            planners.append(user)
    assert planners, "the tiny board has agencies that see part of it"
    return planners


def test_a_second_viewers_first_view_parses_and_validates_nothing(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    make_user: Callable[..., User], parses: dict[str, list[int]],
) -> None:
    run = _changed_run(tiny_board, planner)
    agency_planner = _agency_planners(tiny_board, make_user)[0]
    tiny_board.commit()
    assert login(client, planner).get(f"/planning/runs/{run.id}").status_code == 200
    # The whole board's viewer: the run's scenario and plan parsed, the plan validated,
    # the published plan parsed and validated (against this run's scenario), once each.
    assert len(parses["scenario"]) == 1 and len(parses["validate"]) == 2
    assert len([n for n in parses["plan"] if n]) == 2
    for calls in parses.values():
        calls.clear()
    path, browser = f"/planning/runs/{run.id}", login(client, agency_planner)
    tiny_board.expire_all()  # the test's session is the app's: nothing may come from memory
    with recorded_statements(tiny_board) as statements:
        page = browser.get(path)
    assert page.status_code == 200 and 'id="order-counts"' in page.text
    # Their cut is taken from what was parsed: no scenario, no scheduled operation parsed
    # again (only their unscheduled operations' reasons, as they may read them), no
    # validation; neither the run's scenario and parameters nor the published plan's
    # document is read.
    assert parses["scenario"] == [] and parses["validate"] == []
    assert parses["plan"] and not [n for n in parses["plan"] if n]
    runs = [s for s in statements if "FROM solver_runs" in s]
    assert runs and not [s for s in runs if "solver_runs.scenario" in s
                         or reads_parameters(s)]
    assert not [s for s in statements if s.startswith("SELECT plans.document")]


def _reference(board: Session, run: SolverRun, user: User) -> dict[str, Any]:
    """What the review showed a viewer before the parts were shared: their cut of the
    documents parsed, validated and compared with their cut of the published plan."""
    ids = visible_ids(board, user=user)
    busy = hidden_busy_units(board, ids)
    scenario = load_scenario(scenario_for(ids, run.scenario or {}))
    plan = load_plan(plan_for(ids, run.plan, busy) or {})
    published = board.exec(select(Plan).where(col(Plan.is_published).is_(True))).one()
    earlier = load_plan(plan_for(ids, published.document) or {})
    objective = validate_plan(scenario, plan).objective
    return {
        "totals": (objective.priority, objective.travel_minutes, len(plan.operations),
                   len(scenario.operations)),
        "changes": diff_plans(scenario, earlier, plan).to_text().splitlines(),
        "unscheduled": [(u.id, u.reasons) for u in plan.unscheduled],
        "operations": [op.model_dump() for op in plan.operations],
    }


def test_each_viewers_cut_is_what_parsing_and_validating_their_cut_gives(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    make_user: Callable[..., User],
) -> None:
    """Totals, change list, reasons and operations of every viewer, the whole board's
    viewer first (so that the others' views come from what it parsed and validated)."""
    run = _changed_run(tiny_board, planner)
    viewers = [planner, *_agency_planners(tiny_board, make_user)]
    tiny_board.commit()
    for user in viewers:
        shown = review_module.review_run(tiny_board, run=run, user=user, revision=None)
        expected = _reference(tiny_board, run, user)
        totals = shown.totals
        assert (totals["priority"], totals["travel_minutes"], totals["scheduled"],
                totals["operations"]) == expected["totals"]
        assert shown.changes == expected["changes"]
        assert [(u["id"], u["reasons"]) for u in shown.unscheduled] == expected["unscheduled"]
        page = shown.page
        assert page is not None and page.total == len(expected["operations"])
    # The agency planners' cuts differ from the whole board's (the test compares cuts).
    assert len({str(_reference(tiny_board, run, user)["totals"]) for user in viewers}) > 1


def test_an_agency_planner_sees_only_their_operations_after_the_centre_warmed_the_parts(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    make_user: Callable[..., User],
) -> None:
    run = _changed_run(tiny_board, planner)
    agency_planners = _agency_planners(tiny_board, make_user)
    tiny_board.commit()
    whole = login(client, planner).get(f"/planning/runs/{run.id}").text
    every = set(tiny_board.exec(select(Operation.id)).all())
    assert all(re.search(rf"{op_id}(?!\d)", whole) for op_id in every
               if op_id in str(run.plan))
    shown: list[str] = []
    for user in agency_planners:
        ids = visible_ids(tiny_board, user=user) or set()
        page = login(client, user).get(f"/planning/runs/{run.id}").text
        hidden = every - ids
        assert hidden and not [op_id for op_id in hidden if re.search(rf"{op_id}(?!\d)", page)]
        shown += [op_id for op_id in ids & every if re.search(rf"{op_id}(?!\d)", page)]
    assert shown, "the agency planners see their own operations of the run"


def test_a_draft_of_the_viewers_agency_keeps_their_parts_of_the_run(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    make_user: Callable[..., User], make_operation: Callable[..., Operation],
    monkeypatch: pytest.MonkeyPatch, parses: dict[str, list[int]],
) -> None:
    """Liaison officers keep adding drafts, which the agency's planners see: a run's
    parts depend only on the operations it names, so their next view derives only what
    comes from the board (kept per board revision), not their cut of the run."""
    derived: list[int] = []
    original = review_module._run_parts

    def counted(*args: Any, **kwargs: Any) -> Any:
        derived.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(review_module, "_run_parts", counted)
    run = _changed_run(tiny_board, planner)
    user = _agency_planners(tiny_board, make_user)[0]
    tiny_board.commit()
    browser = login(client, user)
    before = browser.get(f"/planning/runs/{run.id}").text
    ids = visible_ids(tiny_board, user=user) or set()
    draft = make_operation(tiny_board, user.agency_id, code_name="Fresh Draft")
    tiny_board.commit()
    assert draft.id in (visible_ids(tiny_board, user=user) or set()) - ids
    after = browser.get(f"/planning/runs/{run.id}").text
    assert len(derived) == 1 and len(parses["validate"]) == 2
    assert _table(after) == _table(before)


def _table(page: str) -> list[str]:
    return re.findall(r'data-operation="([^"]+)"', page)


def test_the_host_list_is_derived_once_per_board_revision(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Which foreign units the plan sends into which hosts is kept with the board's parts
    (reading the plan's sites and units was a seventh of every view on the large board);
    the hosts' confirmations are read at each view, and a board change is shown."""
    calls: list[int] = []
    original = consent_module.foreign_units

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    for module in (review_module, consent_module):
        monkeypatch.setattr(module, "foreign_units", counted, raising=False)
    run = _changed_run(tiny_board, planner)
    needs = consent_module.foreign_units(tiny_board, load_plan(run.plan or {}), ids=None)
    assert needs, "the tiny board's plan sends foreign units"
    calls.clear()
    browser = login(client, planner)
    path = f"/planning/runs/{run.id}"
    first = browser.get(path).text
    assert 'id="host-confirmations"' in first and len(calls) == 1
    assert "host-state-pending" not in first
    assert browser.get(path).status_code == 200 and len(calls) == 1
    # Asking the hosts is read at the next view (confirmations are not kept).
    plan_row = tiny_board.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    asked = browser.post(f"/planning/plans/{plan_row.id}/host-confirmations", data={},
                         follow_redirects=False)
    assert asked.status_code == 303
    assert "host-state-pending" in browser.get(path).text
    # A unit's callsign changes: the next view derives the list again and shows it.
    unit = tiny_board.get(Unit, needs[0].units[0]["unit"])
    assert unit is not None
    unit.callsign = "RENAMED-7"
    tiny_board.add(unit)
    tiny_board.commit()
    calls.clear()
    assert "RENAMED-7" in browser.get(path).text and len(calls) == 1


def test_a_long_id_list_reads_the_same_foreign_units_without_an_in_list(
    tiny_board: Session, planner: User, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past consent._LIST_AT_MOST ids the sites and units are read whole, then looked up
    (a thousand IN parameters cost more than the rows): the same list either way."""
    run = _changed_run(tiny_board, planner)
    plan = load_plan(run.plan or {})
    listed = consent_module.foreign_units(tiny_board, plan, ids=None)
    monkeypatch.setattr(consent_module, "_LIST_AT_MOST", 0)
    with recorded_statements(tiny_board) as statements:
        whole = consent_module.foreign_units(tiny_board, plan, ids=None)
    assert listed and whole == listed
    reads = [s for s in statements if "FROM sites" in s or "FROM units" in s]
    assert len(reads) == 2 and not [s for s in reads if " IN " in s]
