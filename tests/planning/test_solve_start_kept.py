"""Starting a solve keeps what it derives from the board while the board stands still
(app.planning.scenario.solve_basis): a second start exports and checks nothing again, and
any change to the board in between is in the next start's scenario."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app import revision
from app.db import READER_OPTION
from app.models import (
    CrossingClosure,
    Operation,
    OperationState,
    Plan,
    RunStatus,
    SolverRun,
    Tasking,
    TaskingStatus,
    Unit,
    User,
)
from app.planning import scenario as scenario_module
from app.planning import service
from app.planning.publish import publish_plan
from app.planning.worker import run_job
from app.solver.schema import parse_instant

from .statements import recorded_statements

# Tables only an export of the board reads (start_run reads operations and plans itself).
EXPORTED = ("FROM units", "FROM crossings", "FROM crossing_closures", "FROM taskings",
            "FROM regions", "FROM board_config")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the board was exported and the pinned operations checked."""
    counted = {"export": 0, "still_valid": 0}

    def counting(name: str, real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counted[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(scenario_module, "export_scenario",
                        counting("export", scenario_module.export_scenario))
    monkeypatch.setattr(scenario_module, "still_valid_operations",
                        counting("still_valid", scenario_module.still_valid_operations))
    return counted


def _start(board: Session, planner: User, **options: Any) -> SolverRun:
    run = service.start_run(board, user=planner, time_limit=2, **options)
    board.commit()
    return run


def _published(board: Session, planner: User) -> None:
    """Solve the board and publish the plan: its operations are pinned by later starts."""
    run = _start(board, planner)
    assert run_job(int(run.id or 0), session=board) == RunStatus.succeeded
    plan = board.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    publish_plan(board, plan=plan, user=planner)
    board.commit()


def test_a_second_start_with_no_board_change_reads_no_board(
    tiny_board: Session, planner: User, calls: dict[str, int],
) -> None:
    tiny_board.commit()
    first = _start(tiny_board, planner)
    assert calls["export"] == 1
    tiny_board.expire_all()
    with recorded_statements(tiny_board) as statements:
        second = _start(tiny_board, planner, seed=4)
    assert calls["export"] == 1
    assert not [s for s in statements if any(table in s for table in EXPORTED)]
    assert second.id != first.id and second.scenario == first.scenario
    assert second.scenario is not first.scenario  # each run its own copy


def test_a_second_start_pins_without_checking_again(
    tiny_board: Session, planner: User, calls: dict[str, int],
) -> None:
    _published(tiny_board, planner)
    first = _start(tiny_board, planner)
    assert first.params["pinned"] and calls["still_valid"] == 1
    second = _start(tiny_board, planner)
    assert calls["still_valid"] == 1
    assert second.params["fixed"] == first.params["fixed"]
    assert second.params["fixed"] is not first.params["fixed"]
    # Released operations are not pinned: checked for that choice, once.
    released = first.params["pinned"][:1]
    third = _start(tiny_board, planner, released=released)
    assert calls["still_valid"] == 2 and released[0] not in third.params["pinned"]
    # A change elsewhere on the board moves the revision: exported again, while the
    # planned operations, unchanged, are not checked again.
    exports = calls["export"]
    tiny_board.add(User(username="another-planner", password_hash="x", role=planner.role))
    tiny_board.commit()
    fourth = _start(tiny_board, planner)
    assert calls["export"] == exports + 1 and calls["still_valid"] == 2
    assert fourth.params["pinned"] == first.params["pinned"]


def test_an_operation_edit_is_in_the_next_start(
    tiny_board: Session, planner: User, calls: dict[str, int],
) -> None:
    tiny_board.commit()
    first = _start(tiny_board, planner)
    op = tiny_board.get(Operation, "OP-0002")
    assert op is not None
    op.priority += 3
    tiny_board.add(op)
    tiny_board.commit()
    second = _start(tiny_board, planner)
    priorities = {o["id"]: o["priority"] for o in (second.scenario or {})["operations"]}
    before = {o["id"]: o["priority"] for o in (first.scenario or {})["operations"]}
    assert priorities["OP-0002"] == before["OP-0002"] + 3 and calls["export"] == 2
    op.state = OperationState.proposed  # back to its agencies: no longer planned
    tiny_board.add(op)
    tiny_board.commit()
    third = _start(tiny_board, planner)
    assert "OP-0002" not in {o["id"] for o in (third.scenario or {})["operations"]}


def test_a_closure_is_in_the_next_start(
    tiny_board: Session, planner: User, calls: dict[str, int],
) -> None:
    tiny_board.commit()
    first = _start(tiny_board, planner)
    crossing = (first.scenario or {})["crossings"][0]
    assert "closed" not in crossing
    day = parse_instant((first.scenario or {})["horizon"]["start"]).date() + timedelta(days=1)
    tiny_board.add(CrossingClosure(crossing_id=crossing["id"], starts_on=day, ends_on=day,
                                   reason="bridge repairs"))
    tiny_board.commit()
    second = _start(tiny_board, planner)
    closed = {c["id"]: c.get("closed") for c in (second.scenario or {})["crossings"]}
    assert closed[crossing["id"]] and calls["export"] == 2


def test_a_tasking_change_is_in_the_next_start(tiny_board: Session, planner: User) -> None:
    """Units out on an executing operation are unavailable then; once their tasking is
    cancelled, the next start has them available again."""
    _published(tiny_board, planner)
    busy_op = tiny_board.exec(select(Operation).where(
        Operation.state == OperationState.scheduled).order_by(Operation.id)).first()
    assert busy_op is not None
    busy_op.state = OperationState.executing
    tiny_board.add(busy_op)
    tiny_board.commit()
    tasking = tiny_board.exec(select(Tasking).where(Tasking.operation_id == busy_op.id,
                                                    Tasking.status == TaskingStatus.active)
                              ).first()
    assert tasking is not None
    unit = tiny_board.get(Unit, tasking.unit_id)
    assert unit is not None
    as_imported = unit.availability
    blocked = _start(tiny_board, planner)
    assert _available(blocked, tasking.unit_id) != as_imported
    tasking.status = TaskingStatus.cancelled
    tiny_board.add(tasking)
    tiny_board.commit()
    freed = _start(tiny_board, planner)
    assert _available(freed, tasking.unit_id) == as_imported


def _available(run: SolverRun, unit_id: str) -> Any:
    """The unit's availability windows in the run's scenario."""
    units = {u["id"]: u for u in (run.scenario or {})["units"]}
    return units[unit_id].get("available")


def test_a_start_after_its_own_uncommitted_change_keeps_nothing(
    tiny_board: Session, planner: User, calls: dict[str, int],
) -> None:
    """Changes of the session's own transaction are in its start, and never kept for
    the next: rolled back, they never happened."""
    tiny_board.commit()
    crossing = tiny_board.exec(select(CrossingClosure)).first()
    assert crossing is None
    first = _start(tiny_board, planner)
    crossing_id = (first.scenario or {})["crossings"][0]["id"]
    day = parse_instant((first.scenario or {})["horizon"]["start"]).date() + timedelta(days=1)
    tiny_board.add(CrossingClosure(crossing_id=crossing_id, starts_on=day, ends_on=day,
                                   reason="pending"))
    assert revision.current_within(tiny_board) is None
    own = service.start_run(tiny_board, user=planner, time_limit=2)
    assert [c.get("closed") for c in (own.scenario or {})["crossings"]][0]
    tiny_board.rollback()
    after = _start(tiny_board, planner)
    assert not [c for c in (after.scenario or {})["crossings"] if c.get("closed")]
    assert calls["export"] == 2  # the rolled-back start's document was not kept


def test_a_sqlite_reader_transaction_reads_no_revision_within(engine: Engine) -> None:
    """Inside a SQLite transaction only a writer's revision is safe (app/revision.py)."""
    with engine.connect() as connection:
        reader = Session(bind=connection.execution_options(**{READER_OPTION: True}))
        reader.exec(select(User)).all()
        within = revision.current_within(reader)
        reader.close()
    if engine.dialect.name == "sqlite":
        assert within is None
    else:
        assert within is not None
