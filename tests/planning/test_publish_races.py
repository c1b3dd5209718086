"""Publishing at the moment an operation is aborted or edited, or another plan published.

Seen on PostgreSQL before the board lock: the publish checked a snapshot, the abort or
edit committed meanwhile, and the publish then set the withdrawn orders active again;
two publishes without a `board_config` row both went through and mixed their plans.

Each test runs on committed data in a database of its own, with threads. The publish is
held for a moment right after its check (the window the race needs), and the other
change is started inside that window: with the lock it waits for the publish, without
it it commits inside the window.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from sample_data import TINY
from sqlalchemy import Engine, delete
from sqlmodel import Session, SQLModel, col, select

from app.errors import AppError
from app.models import (
    BoardConfig,
    Operation,
    OperationState,
    Plan,
    Role,
    Tasking,
    TaskingStatus,
    User,
)
from app.operations import service as operations
from app.planning import publish as publishing
from app.planning import service as planning
from app.planning.worker import run_job
from app.transfer.service import import_scenario

PAUSE = 1.0  # seconds the publish waits in its window for the other change
ORDERED = {OperationState.scheduled, OperationState.executing, OperationState.completed}


@pytest.fixture
def board(
    migration_engine: Engine, set_clock: Callable[[datetime], object]
) -> Iterator[dict[str, Any]]:
    """tiny.json imported and committed, one plan published, an administrator."""
    data = TINY.read_bytes()
    set_clock(datetime.fromisoformat(json.loads(data)["horizon"]["start"]))
    SQLModel.metadata.create_all(migration_engine)
    with Session(migration_engine) as s:
        import_scenario(s, data=data)
        admin = User(username="race-admin", full_name="Race Admin", role=Role.admin,
                     password_hash="x")
        s.add(admin)
        s.commit()
        run = planning.start_run(s, user=admin, time_limit=2, seed=1)
        s.commit()
        run_job(int(run.id or 0), session=s)
        plan = s.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
        publishing.publish_plan(s, plan=plan, user=admin)
        s.commit()
        made = {"engine": migration_engine, "admin": admin.id, "plan": plan.id,
                "document": copy.deepcopy(plan.document), "run": run.id}
    yield made


def _add_plan(engine: Engine, board: dict[str, Any], document: dict[str, Any]) -> int:
    with Session(engine) as s:
        plan = Plan(document=document, solver_run_id=board["run"])
        s.add(plan)
        s.commit()
        return int(plan.id or 0)


def _hold_publish_in_its_window(monkeypatch: pytest.MonkeyPatch, parties: int) -> threading.Event:
    """Publishes wait after their check, until `parties` threads are in the window (or
    PAUSE); the returned event is set once a publish is in it."""
    inside = threading.Event()
    window = threading.Barrier(parties)
    original = publishing._check_still_valid

    def checked_then_wait(*args: Any) -> None:
        original(*args)
        inside.set()
        # A broken barrier: the other party is held by the lock, go on alone.
        with contextlib.suppress(threading.BrokenBarrierError):
            window.wait(timeout=PAUSE)

    monkeypatch.setattr(publishing, "_check_still_valid", checked_then_wait)
    return inside


def _publish(engine: Engine, plan_id: int, admin_id: int, outcome: dict[str, str]) -> None:
    with Session(engine) as s:
        try:
            plan, admin = s.get(Plan, plan_id), s.get(User, admin_id)
            assert plan is not None and admin is not None
            publishing.publish_plan(s, plan=plan, user=admin)
            s.commit()
            outcome[f"publish {plan_id}"] = "ok"
        except AppError as exc:
            outcome[f"publish {plan_id}"] = f"{exc.status}"


def _race(*targets: Callable[[], None]) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)


def _check_board(engine: Engine) -> tuple[Plan, list[Tasking]]:
    """What must always hold: one published plan, orders only for ordered operations,
    exactly the published plan's orders active, and no unit in two places at once."""
    with Session(engine) as s:
        published = s.exec(select(Plan).where(col(Plan.is_published).is_(True))).all()
        assert len(published) == 1
        active = s.exec(select(Tasking).where(Tasking.status == TaskingStatus.active)).all()
        states = {op.id: op.state for op in s.exec(select(Operation))}
        for tasking in active:
            assert states[tasking.operation_id] in ORDERED, (
                f"{tasking.operation_id} is {states[tasking.operation_id]} with active orders")
        by_unit: dict[str, list[Tasking]] = defaultdict(list)
        for tasking in active:
            by_unit[tasking.unit_id].append(tasking)
        for unit, orders in by_unit.items():
            orders.sort(key=lambda t: t.depart)
            for a, b in zip(orders, orders[1:], strict=False):
                assert a.return_at <= b.depart, f"{unit} is double-booked"
        return published[0], list(active)


def test_abort_during_a_publish_keeps_its_orders_withdrawn(
    board: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, document = board["engine"], board["document"]
    target = document["operations"][0]["id"]
    again = _add_plan(engine, board, document)
    inside = _hold_publish_in_its_window(monkeypatch, parties=2)
    outcome: dict[str, str] = {}

    def abort() -> None:
        assert inside.wait(timeout=30)
        with Session(engine) as s:
            operation, admin = s.get(Operation, target), s.get(User, board["admin"])
            assert operation is not None and admin is not None
            try:
                operations.abort(s, operation=operation, actor=admin, reason="no-go",
                                 version=operation.version)
                s.commit()
                outcome["abort"] = "ok"
            except AppError as exc:
                outcome["abort"] = f"{exc.status}"

    _race(lambda: _publish(engine, again, board["admin"], outcome), abort)
    assert outcome == {f"publish {again}": "ok", "abort": "ok"}
    _, active = _check_board(engine)
    assert not [t for t in active if t.operation_id == target]


def test_edit_during_a_publish_keeps_its_orders_withdrawn(
    board: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, document = board["engine"], board["document"]
    target = document["operations"][0]["id"]
    again = _add_plan(engine, board, document)
    inside = _hold_publish_in_its_window(monkeypatch, parties=2)
    outcome: dict[str, str] = {}

    def edit() -> None:
        assert inside.wait(timeout=30)
        with Session(engine) as s:
            operation, admin = s.get(Operation, target), s.get(User, board["admin"])
            assert operation is not None and admin is not None
            doc = operations.as_input(operation)
            # A change to what was approved (a rename alone is amended in place, issue 11),
            # confirmed: it withdraws the orders.
            doc["code_name"] = "Renamed mid-publish"
            doc["duration_minutes"] = doc["duration_minutes"] - 15
            data = operations.validate(s, data=doc)
            try:
                operations.update_operation(s, operation=operation, data=data,
                                            version=operation.version, actor=admin,
                                            confirm_cancel=True)
                s.commit()
                outcome["edit"] = "ok"
            except AppError as exc:
                outcome["edit"] = f"{exc.status}"

    _race(lambda: _publish(engine, again, board["admin"], outcome), edit)
    assert outcome == {f"publish {again}": "ok", "edit": "ok"}
    _, active = _check_board(engine)
    with Session(engine) as s:
        edited = s.get(Operation, target)
        assert edited is not None and edited.state == OperationState.proposed
    assert not [t for t in active if t.operation_id == target]


def test_two_publishes_without_a_board_config_row_do_not_mix(
    board: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, document = board["engine"], board["document"]
    plans = []
    for dropped in (0, 1):
        variant = copy.deepcopy(document)
        gone = variant["operations"].pop(dropped)
        variant["unscheduled"].append({"id": gone["id"], "reasons": ["left out"]})
        plans.append(_add_plan(engine, board, variant))
    with Session(engine) as s:
        s.execute(delete(BoardConfig))
        s.commit()
    _hold_publish_in_its_window(monkeypatch, parties=2)
    outcome: dict[str, str] = {}
    _race(*[(lambda p=p: _publish(engine, p, board["admin"], outcome)) for p in plans])
    assert sorted(outcome.values()) == ["ok", "ok"]
    published, active = _check_board(engine)
    expected = {(op["id"], a["unit"]) for op in published.document["operations"]
                for a in op["assignments"]}
    assert {(t.operation_id, t.unit_id) for t in active} == expected
    with Session(engine) as s:
        for op in published.document["operations"]:
            row = s.get(Operation, op["id"])
            assert row is not None and row.state == OperationState.scheduled
