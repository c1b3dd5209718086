"""Foreign dwell time (issue 11): the pure function and its limit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import get_settings
from app.models import Plan, SolverRun, User
from app.planning import service
from app.planning.dwell import foreign_dwell
from app.planning.publish import publish_plan
from app.planning.worker import run_job
from app.solver.loader import load_plan, load_scenario
from app.web import dwell_minutes, fmt_duration, fmt_hours

from .consent_helpers import confirm_hosts

Login = Callable[[TestClient, User], TestClient]
H = timedelta(hours=1)
# Any instant: the function compares instants only.
T0 = datetime(2031, 3, 4, 6, 0, tzinfo=UTC)


def test_waits_before_and_after_the_task_count_from_the_passage_in_and_to_the_passage_out(
) -> None:
    dwell = foreign_dwell(cross_out=T0, cross_back=T0 + 10 * H, transit_minutes=30,
                          start=T0 + 3 * H, end=T0 + 5 * H, limit=4 * H)
    assert dwell is not None
    assert dwell.before == timedelta(hours=2, minutes=30)  # inside at 06:30, H-hour 09:00
    assert dwell.after == 5 * H  # task ends 11:00, crosses back at 16:00
    assert dwell.total == timedelta(hours=7, minutes=30)
    assert not dwell.over_before and dwell.over_after and dwell.flagged
    assert fmt_duration(dwell_minutes(dwell.before)) == "2 h 30 min"
    assert fmt_hours(4.0) == "4 h" and fmt_hours(2.5) == "2 h 30 min"


def test_exactly_at_the_limit_is_not_flagged_and_a_minute_over_is() -> None:
    at = foreign_dwell(cross_out=T0, cross_back=T0 + 6 * H, transit_minutes=60,
                       start=T0 + 5 * H, end=T0 + 6 * H, limit=4 * H)
    assert at is not None and at.before == 4 * H and not at.flagged
    over = foreign_dwell(cross_out=T0 - timedelta(minutes=1), cross_back=T0 + 6 * H,
                         transit_minutes=60, start=T0 + 5 * H, end=T0 + 6 * H, limit=4 * H)
    assert over is not None and over.over_before and not over.over_after


def test_a_unit_that_stays_at_home_has_no_dwell_and_waits_never_go_negative() -> None:
    assert foreign_dwell(cross_out=None, cross_back=None, transit_minutes=30,
                         start=T0, end=T0 + H, limit=4 * H) is None
    odd = foreign_dwell(cross_out=T0, cross_back=T0 + H, transit_minutes=120,
                        start=T0 + H, end=T0 + 2 * H, limit=4 * H)
    assert odd is not None and odd.before == timedelta(0) and odd.after == timedelta(0)


def test_the_limit_is_a_setting_of_four_hours_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    get_settings.cache_clear()
    monkeypatch.delenv("JOINTOPS_FOREIGN_DWELL_LIMIT_HOURS", raising=False)
    assert get_settings().foreign_dwell_limit_hours == 4
    monkeypatch.setenv("JOINTOPS_FOREIGN_DWELL_LIMIT_HOURS", "2.5")
    get_settings.cache_clear()
    assert get_settings().foreign_dwell_limit_hours == 2.5
    monkeypatch.setenv("JOINTOPS_FOREIGN_DWELL_LIMIT_HOURS", "0")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="foreign_dwell_limit_hours"):
        get_settings()
    get_settings.cache_clear()


# --- on the pages -------------------------------------------------------------------------

def _waits(session: Session, planner: User) -> tuple[SolverRun, Plan, list[tuple[str, str,
                                                                                 timedelta]]]:
    """A solved run of tiny and each border-crossing tasking's longer wait, worked out
    here from the plan document (not with the function under test). Ten seconds at most:
    tiny's border-crossing operation needs the search to finish, and on a loaded machine
    (or under faketime) two seconds may cut it short without it; it ends sooner when
    the search proves its plan optimal."""
    run = service.start_run(session, user=planner, time_limit=10, seed=1)
    session.commit()
    run_job(int(run.id or 0), session=session)
    session.refresh(run)
    plan = session.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    scenario = load_scenario(run.scenario or {})
    transit = {c.id: c.transit_minutes for c in scenario.crossings}
    duration = {op.id: op.duration_minutes for op in scenario.operations}
    waits = []
    for op in load_plan(plan.document).operations:
        end = op.start + timedelta(minutes=duration[op.id])
        for a in op.assignments:
            if a.crossing and a.cross_out and a.cross_back:
                before = op.start - a.cross_out - timedelta(minutes=transit[a.crossing])
                waits.append((op.id, a.unit, max(before, a.cross_back - end)))
    assert waits, f"tiny's plan crosses borders: {plan.document.get('solver')}"
    return run, plan, waits


def test_run_review_and_operation_page_show_each_foreign_wait_and_flag_those_over_the_limit(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run, plan, waits = _waits(tiny_board, planner)
    longest = max(w for _, _, w in waits)
    assert longest > timedelta(minutes=2)
    # A limit just under the longest wait: that one (and any as long) is flagged.
    limit_minutes = int(longest.total_seconds() // 60) - 1
    monkeypatch.setenv("JOINTOPS_FOREIGN_DWELL_LIMIT_HOURS", str(limit_minutes / 60))
    get_settings.cache_clear()
    over = [w for w in waits if w[2] > timedelta(minutes=limit_minutes)]
    browser = login(client, planner)
    page = browser.get(f"/planning/runs/{run.id}").text
    start = page.index('id="dwell-table"')
    table = page[start:page.index("</table>", start)]
    assert table.count("<tr") - 1 == len(waits)
    assert table.count('class="dwell-over"') == len(over)
    assert f"{len(over)} tasking(s) wait longer than" in page

    # Published: the operation page shows the same waits per tasking.
    confirm_hosts(tiny_board, plan)
    publish_plan(tiny_board, plan=plan, user=planner, confirmed=set())
    tiny_board.commit()
    op_id = next(op for op, _, w in waits if w == longest)
    detail = browser.get(f"/operations/{op_id}").text
    assert "Wait in host country" in detail
    assert detail.count('class="dwell-flag"') >= 1
    # A generous limit flags nothing.
    monkeypatch.setenv("JOINTOPS_FOREIGN_DWELL_LIMIT_HOURS", "1000")
    get_settings.cache_clear()
    assert 'class="dwell-flag"' not in browser.get(f"/operations/{op_id}").text
    assert "None waits longer than 1000 h" in browser.get(f"/planning/runs/{run.id}").text
    get_settings.cache_clear()
