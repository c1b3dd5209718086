"""Issue 14: the run review derives its plan parts once per board revision.

Each view of a finished run's page exported and checked the whole board (1 to 2 s of
CPU on the large sample), and under load those views held the connection pool. Now the
parts are kept per run, viewer and board revision (app/revision.py), and derived again
after any committed change to board data, so what the page shows is never older than
the board.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import revision
from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE
from app.models import (
    Agency,
    AuditEvent,
    Plan,
    Role,
    RunStatus,
    SolverRun,
    Tasking,
    TaskingStatus,
    User,
)
from app.planning import review as review_module
from app.planning.publish import publish_plan

from .consent_helpers import confirm_hosts
from .statements import reads_parameters, recorded_statements
from .test_order_diff import _counts, _solved

pytestmark = pytest.mark.db
Login = Callable[[TestClient, User], TestClient]


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Calls of the review's `name` (one entry each), counted while the test runs."""
    calls: list[int] = []
    original = getattr(review_module, name)

    def counted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(1)
        return original(*args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(review_module, name, counted)
    return calls


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the review derived its parts from the board."""
    return _counting(monkeypatch, "_board_parts")


def _republished_run(board: Session, planner: User) -> SolverRun:
    """A published plan, and a second run whose plan is the same document: every order
    it previews is "unchanged" until the board changes."""
    first_run, plan = _solved(board, planner)
    confirm_hosts(board, plan)
    publish_plan(board, plan=plan, user=planner, confirmed=set())
    again = SolverRun(status=first_run.status, params=first_run.params,
                      scenario=first_run.scenario, plan=plan.document,
                      created_by_id=first_run.created_by_id)
    board.add(again)
    board.flush()
    board.add(Plan(document=plan.document, solver_run_id=again.id))
    board.commit()
    return again


def test_a_finished_run_page_is_derived_once_until_the_board_changes(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    derivations: list[int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_derivations = _counting(monkeypatch, "_run_parts")
    run = _republished_run(tiny_board, planner)
    browser = login(client, planner)
    first = browser.get(f"/planning/runs/{run.id}").text
    assert _counts(first) == (0, 0, 0)
    second = browser.get(f"/planning/runs/{run.id}").text
    assert len(derivations) == 1
    assert _counts(second) == (0, 0, 0)

    # A unit's order changes (as an edit elsewhere would): the next view shows it.
    tasking = tiny_board.exec(
        select(Tasking).where(Tasking.status == TaskingStatus.active).order_by(Tasking.id)
    ).first()
    assert tasking is not None
    tasking.start += timedelta(hours=1)
    tiny_board.add(tasking)
    tiny_board.commit()
    third = browser.get(f"/planning/runs/{run.id}").text
    assert len(derivations) == 2
    assert _counts(third) == (0, 1, 0)
    # What comes from the run alone (its scenario and plan never change) was kept.
    assert len(run_derivations) == 1


def _scheduled_line(page: str) -> str:
    found = re.search(r"(\d+ of \d+ operations)", page)
    assert found, page[:300]
    return found[1]


def test_a_working_run_page_is_derived_once_per_best_plan(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Planners keep the newest run open while it works: each best plan so far is
    derived once, and a better one is shown at the next view."""
    run_derivations = _counting(monkeypatch, "_run_parts")
    solved, plan = _solved(tiny_board, planner)
    whole = plan.document
    assert len(whole["operations"]) >= 2
    first_op, *rest = whole["operations"]
    partial = {**whole, "operations": [first_op],
               "unscheduled": [*whole["unscheduled"],
                               *({"id": op["id"], "reasons": []} for op in rest)],
               "objective": {"priority": 1, "travel_minutes": 0}}
    working = SolverRun(status=RunStatus.running, params=solved.params,
                        scenario=solved.scenario, plan=partial,
                        created_by_id=solved.created_by_id)
    tiny_board.add(working)
    tiny_board.commit()
    browser = login(client, planner)
    total = len(whole["operations"]) + len(whole["unscheduled"])
    assert _scheduled_line(browser.get(f"/planning/runs/{working.id}").text) == (
        f"1 of {total} operations")
    browser.get(f"/planning/runs/{working.id}")
    assert len(run_derivations) == 1

    # The worker stores a better plan (app.planning.worker._tick): shown at once.
    working.plan = whole
    tiny_board.add(working)
    tiny_board.commit()
    assert _scheduled_line(browser.get(f"/planning/runs/{working.id}").text) == (
        f"{len(whole['operations'])} of {total} operations")
    assert len(run_derivations) == 2


def test_bookkeeping_and_rolled_back_writes_keep_the_derived_parts(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    derivations: list[int],
) -> None:
    run = _republished_run(tiny_board, planner)
    browser = login(client, planner)
    browser.get(f"/planning/runs/{run.id}")
    tiny_board.add(AuditEvent(action="test.note", object_type="run", object_id=str(run.id)))
    tiny_board.commit()
    tasking = tiny_board.exec(select(Tasking).order_by(Tasking.id)).first()
    assert tasking is not None
    tasking.start += timedelta(hours=1)
    tiny_board.add(tasking)
    tiny_board.flush()
    tiny_board.rollback()
    page = browser.get(f"/planning/runs/{run.id}").text
    assert len(derivations) == 1
    assert _counts(page) == (0, 0, 0)


def test_each_viewer_and_language_gets_their_own_parts(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    make_user: Callable[..., User], derivations: list[int],
) -> None:
    run = _republished_run(tiny_board, planner)
    browser = login(client, planner)
    english = browser.get(f"/planning/runs/{run.id}").text
    browser.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "th")
    thai = browser.get(f"/planning/runs/{run.id}").text
    assert '<html lang="th"' in thai and 'id="order-counts"' in thai
    assert len(derivations) == 2
    # An agency's planner sees part of the board: parts of their own, not the centre's.
    agency_planner = make_user(tiny_board, Role.planner, planner_agency(tiny_board))
    partial = login(client, agency_planner).get(f"/planning/runs/{run.id}").text
    assert len(derivations) == 3
    assert partial.count("data-operation=") <= english.count("data-operation=")


def planner_agency(board: Session) -> str:
    agency = board.exec(select(Agency).order_by(Agency.id)).first()
    assert agency is not None
    return agency.id


def test_the_revision_moves_after_board_commits_only(session: Session) -> None:
    session.commit()
    before = revision.current(session)
    assert before is not None
    session.add(AuditEvent(action="test.note", object_type="board", object_id="1"))
    session.commit()
    assert revision.current(session) == before
    user = User(username="revision-check", password_hash="x", role=Role.planner)
    session.add(user)
    session.commit()
    after = revision.current(session)
    assert after is not None and after > before


def test_a_sqlite_session_in_a_transaction_reads_no_revision(session: Session) -> None:
    session.commit()
    session.exec(select(User)).all()  # the snapshot is taken: a number now could be newer
    expected = None if session.get_bind().dialect.name == "sqlite" else revision.current(session)
    assert revision.current(session) == expected
    session.commit()
    assert revision.current(session) is not None


def test_derived_keeps_per_key_and_revision_and_forgets_the_oldest() -> None:
    kept = revision.Derived(size=2)
    made: list[str] = []

    def make(value: str) -> Callable[[], str]:
        return lambda: made.append(value) or value

    assert kept.get(1, "a", make("a1")) == "a1"
    assert kept.get(1, "a", make("a2")) == "a1"
    assert kept.get(2, "a", make("a3")) == "a3"
    assert kept.get(None, "a", make("a4")) == "a4"  # no revision: never kept
    kept.get(2, "b", make("b1"))
    kept.get(2, "c", make("c1"))  # "a" is the oldest: forgotten
    assert kept.get(2, "a", make("a5")) == "a5"
    assert made == ["a1", "a3", "a4", "b1", "c1", "a5"]
    revision.forget_derived()
    assert kept.get(2, "a", make("a6")) == "a6"


def test_a_kept_timeline_moves_its_now_line(
    tiny_board: Session, planner: User, set_clock: Callable[[datetime], object],
) -> None:
    run = _republished_run(tiny_board, planner)
    window = review_module.review_run(tiny_board, run=run, user=planner).timeline
    assert window is not None
    lines = []
    for hours in (1, 4):
        set_clock(window.start + timedelta(hours=hours))
        timeline = review_module.review_run(tiny_board, run=run, user=planner,
                                            revision=7).timeline
        assert timeline is not None and timeline.now == window.start + timedelta(hours=hours)
        lines.append(timeline.now_x)
    assert lines[0] is not None and lines[1] is not None and lines[1] > lines[0]
    outside = window.at(window.end + timedelta(days=1))
    assert outside.now_x is None and outside.rows == window.rows


def test_a_savepoint_rolled_back_keeps_the_earlier_change_counted(session: Session) -> None:
    session.commit()
    before = revision.current(session)
    session.add(User(username="revision-savepoint", password_hash="x", role=Role.planner))
    session.flush()
    try:
        with session.begin_nested():
            session.add(AuditEvent(action="test.note", object_type="board", object_id="1"))
            session.flush()
            raise RuntimeError("the nested work fails")
    except RuntimeError:
        pass
    session.commit()
    after = revision.current(session)
    assert before is not None and after is not None and after > before


def test_a_savepoint_released_moves_no_revision_before_the_commit(session: Session) -> None:
    """Releasing a savepoint (a solve's job is deferred in one) commits nothing: the
    revision moves at the transaction's commit, not before it."""
    session.commit()
    before = revision.current(session)
    session.add(User(username="revision-released", password_hash="x", role=Role.planner))
    session.flush()
    with session.begin_nested():
        session.add(AuditEvent(action="test.note", object_type="board", object_id="1"))
    with Session(bind=session.get_bind()) as outside:  # not in the transaction
        assert revision.current(outside) == before
    session.commit()
    after = revision.current(session)
    assert before is not None and after is not None and after > before


def test_a_kept_view_reads_no_scenario_parameters_or_published_document(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    derivations: list[int],
) -> None:
    """Once derived, a view of the run page decodes none of the board-sized JSON it kept
    parts of: the run's scenario and parameters, the published plan's document."""
    run = _republished_run(tiny_board, planner)
    browser = login(client, planner)
    assert browser.get(f"/planning/runs/{run.id}").status_code == 200
    with recorded_statements(tiny_board) as statements:
        again = browser.get(f"/planning/runs/{run.id}")
    assert again.status_code == 200 and len(derivations) == 1
    runs = [s for s in statements if "FROM solver_runs" in s]
    assert runs, "the run is read"
    # The time limit and seed it shows are read out of the parameters by the database.
    assert not [s for s in runs if "solver_runs.scenario" in s or reads_parameters(s)]
    published = [s for s in statements if "WHERE plans.is_published" in s]
    assert published and not [s for s in published if "plans.document" in s]


def test_a_new_runs_first_view_compares_with_the_published_plan_parsed_before(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
) -> None:
    """Every new run's first view lists its changes against the published plan, whose
    document never changes: it is decoded and parsed once, not for every run."""
    run = _republished_run(tiny_board, planner)
    browser = login(client, planner)
    first = browser.get(f"/planning/runs/{run.id}").text
    another = SolverRun(status=run.status, params=run.params, scenario=run.scenario,
                        plan=run.plan, created_by_id=run.created_by_id)
    tiny_board.add(another)
    tiny_board.flush()
    tiny_board.add(Plan(document=run.plan, solver_run_id=another.id))
    tiny_board.commit()
    tiny_board.expire_all()  # the test's session is the app's: nothing may come from memory
    with recorded_statements(tiny_board) as statements:
        second = browser.get(f"/planning/runs/{another.id}").text
    # (The published plan's row is read without its document, which is then loaded alone.)
    assert not [s for s in statements if s.startswith("SELECT plans.document")]
    assert _counts(second) == _counts(first) == (0, 0, 0)
    changes = re.findall(r"<li><code>([^<]*)</code></li>", second)
    assert changes and changes == re.findall(r"<li><code>([^<]*)</code></li>", first)
