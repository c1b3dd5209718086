"""Planning pages: progress fragment, result with timeline and reasons, publish, tasking."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from solver.solve_helpers import assert_not_fallback
from sqlmodel import Session, select

from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE
from app.models import Plan, Role, SolverRun, Tasking, Unit, User
from app.planning import service
from app.planning.publish import publish_plan
from app.planning.worker import run_job

from .consent_helpers import confirm_hosts
from .statements import reads_parameters, recorded_statements

Login = Callable[[TestClient, User], TestClient]


def _solved(session: Session, planner: User) -> SolverRun:
    run = service.start_run(session, user=planner, time_limit=2, seed=1)
    session.commit()
    run_job(int(run.id or 0), session=session)
    session.refresh(run)
    plan = session.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    assert_not_fallback(plan.document)
    return run


def test_the_planning_page_speaks_vietnamese_to_a_device_that_chose_it(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    """Issue 11: with the language cookie set to Vietnamese the planning page's words,
    its form labels and the run table's statuses are Vietnamese."""
    browser = login(client, planner)
    browser.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "vi")
    service.start_run(tiny_board, user=planner, time_limit=2, seed=1)
    tiny_board.flush()
    page = browser.get("/planning")
    assert page.status_code == 200 and '<html lang="vi">' in page.text
    assert "<h1>Lập kế hoạch</h1>" in page.text
    for vietnamese in ("Xếp lịch các hoạt động đã duyệt", "Giới hạn thời gian (giây)",
                       "Khung thời gian kế hoạch", "Chưa có kế hoạch nào được phát hành.",
                       "Các lần xếp lịch", ">đang chờ</span>"):
        assert vietnamese in page.text, vietnamese
    for english in ("Solve approved operations", "Time limit", "No plan is published yet",
                    "Solver runs", ">queued</span>"):
        assert english not in page.text, english


def test_planning_page_and_solve_form(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    browser = login(client, planner)
    page = browser.get("/planning")
    assert page.status_code == 200
    assert "Solve approved operations" in page.text and "No plan is published yet" in page.text
    response = browser.post("/planning/runs", data={"time_limit": "2", "seed": "4"},
                            follow_redirects=False)
    assert response.status_code == 303
    run = tiny_board.exec(select(SolverRun)).one()
    assert response.headers["location"] == f"/planning/runs/{run.id}"
    assert run.params["seed"] == 4 and run.status == "queued"


def test_progress_fragment_polls_while_active(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    run = service.start_run(tiny_board, user=planner, time_limit=2)
    browser = login(client, planner)
    fragment = browser.get(f"/planning/runs/{run.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="run"')
    assert 'hx-trigger="every 1s"' in fragment.text and "<html" not in fragment.text
    assert "Cancel" in fragment.text
    stopped = browser.post(f"/planning/runs/{run.id}/cancel", headers={"HX-Request": "true"})
    assert stopped.status_code == 200 and "cancelled" in stopped.text
    assert "every 1s" not in stopped.text


def _first_agency(session: Session) -> str:
    from sqlmodel import select

    from app.models import Agency

    return str(session.exec(select(Agency.id).order_by(Agency.id)).first())


def test_result_shows_timeline_reasons_and_publish(
    client: TestClient, tiny_board: Session, planner: User, admin: User, login: Login,
    make_user: Callable[..., User],
) -> None:
    run = _solved(tiny_board, planner)
    page = login(client, admin).get(f"/planning/runs/{run.id}")
    assert page.status_code == 200
    assert '<svg class="timeline"' in page.text and "tl-op" in page.text
    assert "Not scheduled" in page.text
    for unscheduled in (run.plan or {})["unscheduled"]:
        assert unscheduled["id"] in page.text
        assert unscheduled["reasons"][0].split("'")[0][:30] in page.text
    assert "Publish plan" in page.text and "every 1s" not in page.text
    assert "no plan is published yet" in page.text
    # Progress counts the whole board; an admin's totals do too, an agency planner's
    # only theirs, and the board's figures are not shown to them.
    assert "these figures count every agency" in page.text
    assert "Totals of the operations you may see" not in page.text
    agency_planner = make_user(tiny_board, Role.planner, agency=_first_agency(tiny_board))
    own = login(client, agency_planner).get(f"/planning/runs/{run.id}")
    assert "Totals of the operations you may see" in own.text
    assert "shown only to the coordination centre" in own.text


def test_publish_button_publishes_for_planners_only(
    client: TestClient, tiny_board: Session, planner: User, admin: User, login: Login,
    make_user: Callable[..., User],
) -> None:
    run = _solved(tiny_board, planner)
    plan = tiny_board.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    liaison = make_user(tiny_board, Role.liaison, agency="TH-RTP")
    outsider = login(client, liaison)
    assert outsider.get(f"/planning/runs/{run.id}").status_code == 403
    assert outsider.post(f"/planning/plans/{plan.id}/publish").status_code == 403
    browser = login(client, planner)
    confirm_hosts(tiny_board, plan)
    done = browser.post(f"/planning/plans/{plan.id}/publish", follow_redirects=False)
    assert done.status_code == 303
    tiny_board.refresh(plan)
    assert plan.is_published and tiny_board.exec(select(Tasking)).first() is not None
    page = login(client, admin).get(f"/planning/runs/{run.id}")
    assert "is the published plan" in page.text and "Publish plan" not in page.text
    assert browser.get("/planning/runs/999999").status_code == 404


def test_unit_officer_sees_only_own_tasking(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
    make_user: Callable[..., User],
) -> None:
    run = _solved(tiny_board, planner)
    plan = tiny_board.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    publish_plan(tiny_board, plan=plan, user=planner)
    tasked = tiny_board.exec(select(Tasking).order_by(Tasking.depart)).first()
    assert tasked is not None
    unit = tiny_board.get(Unit, tasked.unit_id)
    assert unit is not None
    other = tiny_board.exec(select(Unit).where(Unit.id != unit.id)).first()
    assert other is not None
    officer = make_user(tiny_board, Role.unit_officer, agency=unit.agency_id, unit=unit)
    browser = login(client, officer)
    page = browser.get("/tasking")
    assert page.status_code == 200 and "H-hour" in page.text
    assert tasked.operation_id in page.text and "UTC" in page.text
    mine = tiny_board.exec(select(Tasking).where(Tasking.unit_id == unit.id)).all()
    assert page.text.count('class="card deployment') == len(mine)
    assert browser.get(f"/tasking?unit={other.id}").status_code == 404
    assert browser.get(f"/api/v1/taskings?unit={other.id}").status_code == 404
    api = browser.get("/api/v1/taskings").json()
    assert {t["uid"] for t in api} == {t.uid for t in mine}
    assert login(client, planner).get(f"/tasking?unit={unit.id}").status_code == 200


def test_tasking_empty_state(
    client: TestClient, tiny_board: Session, login: Login, make_user: Callable[..., User]
) -> None:
    unit = tiny_board.exec(select(Unit)).first()
    assert unit is not None
    officer = make_user(tiny_board, Role.unit_officer, agency=unit.agency_id, unit=unit)
    page = login(client, officer).get("/tasking")
    assert page.status_code == 200 and "No upcoming deployments" in page.text
    assert client.get("/tasking", follow_redirects=False).status_code == 303


def test_planners_see_only_operations_of_their_need_to_know(
    client: TestClient, tiny_board: Session, planner: User, admin: User, login: Login,
    make_user: Callable[..., User],
) -> None:
    run = _solved(tiny_board, planner)
    plan = tiny_board.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    publish_plan(tiny_board, plan=plan, user=planner)
    led = {op["id"]: op["lead_agency"] for op in (run.scenario or {})["operations"]}
    agency = led["OP-0003"]
    mine = {op_id for op_id, lead in led.items() if lead == agency}
    local = make_user(tiny_board, Role.planner, agency=agency)
    page = login(client, local).get(f"/planning/runs/{run.id}").text
    api = login(client, local).get(f"/api/v1/solver-runs/{run.id}").json()
    shown = {op["id"] for op in api["plan"]["operations"]} | {
        u["id"] for u in api["plan"]["unscheduled"]}
    assert mine <= shown and set(led) - shown, "some operations are none of its business"
    for op_id in set(led) - shown:
        assert op_id not in page and op_id not in str(api)
        assert op_id not in login(client, local).get("/api/v1/plans/published/export").text
    everything = login(client, admin).get(f"/api/v1/solver-runs/{run.id}").json()
    assert len(everything["plan"]["unscheduled"]) + len(everything["plan"]["operations"]) == 5


def test_runs_poll_reads_no_scenario_or_plan_documents(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    """The 2-second poll of /planning lists runs without loading the board-sized JSON."""
    _solved(tiny_board, planner)
    service.start_run(tiny_board, user=planner, time_limit=2)  # queued: the page polls
    tiny_board.commit()
    tiny_board.expire_all()  # nothing already loaded may hide what the poll reads
    with recorded_statements(tiny_board) as statements:
        poll = login(client, planner).get("/planning", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and 'hx-trigger="every 2s"' in poll.text
    assert "<html" not in poll.text and "Run " in poll.text
    reads = [s for s in statements if "solver_runs" in s or "plans" in s]
    assert reads, "the poll lists the runs"
    assert not [s for s in reads if "solver_runs.scenario" in s or "plans.document" in s]
    assert not [s for s in reads if "solver_runs.plan" in s.replace("solver_runs.plan_", "")]
    # Nor the parameters, not even a part: the database decodes them whole, every pinned
    # operation's assignments included (the list's time limit has a column).
    assert not [s for s in reads if reads_parameters(s)]
    assert re.search(r"<td>2(\.0)? s</td>", poll.text), "each run's time limit is listed"


def test_the_planning_page_decodes_the_published_plan_once(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    """The release list shows the published operations' H-hours; the published plan's
    document (250 KB on the large board) is decoded at the first view, not at every one."""
    run = _solved(tiny_board, planner)
    plan = tiny_board.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    confirm_hosts(tiny_board, plan)
    publish_plan(tiny_board, plan=plan, user=planner, confirmed=set())
    tiny_board.commit()
    browser = login(client, planner)
    first = browser.get("/planning").text
    scheduled = plan.document["operations"]
    assert scheduled
    for op in scheduled:
        assert f'name="release" value="{op["id"]}"' in first
    tiny_board.expire_all()  # nothing already loaded may hide what the view reads
    with recorded_statements(tiny_board) as statements:
        again = browser.get("/planning").text
    assert not [s for s in statements if "plans.document" in s]
    assert again.count('name="release"') == len(scheduled)
    assert re.search(rf"{len(scheduled)} operations? scheduled, "
                     rf"{len(plan.document['unscheduled'])} not scheduled", again)


def _interrupted(session: Session, planner: User) -> SolverRun:
    """A run as the reaper leaves it after its worker was killed: queued again, holding
    the best plan so far that attempt 1 stored (what the worker hands over, checked)."""
    from app.planning.worker import claim_next_run
    from app.solver.instance import Instance
    from app.solver.loader import load_scenario
    from app.solver.solve import SolveOptions, solve

    run = service.start_run(session, user=planner, time_limit=2, seed=1)
    session.commit()
    assert claim_next_run(session) == run.id
    session.refresh(run)
    handed: list = []
    solve(Instance(load_scenario(run.scenario or {})),
          SolveOptions(time_limit=1, workers=1, on_best_plan=handed.append))
    document = handed[0].to_json_dict()
    document["solver"]["attempt"] = 1
    run.plan, run.status, run.lease = document, "queued", None
    session.add(run)
    session.commit()
    return run


def test_an_interrupted_attempts_best_plan_is_offered_kept_and_publishable(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    run = _interrupted(tiny_board, planner)
    browser = login(client, planner)
    page = browser.get(f"/planning/runs/{run.id}")
    assert "Best plan so far" in page.text and "From an interrupted attempt" in page.text
    assert 'id="keep-best-form"' in page.text and 'id="publish-form"' not in page.text

    stale = browser.post(f"/planning/runs/{run.id}/keep-best", data={"attempt": "2"})
    assert stale.status_code == 409
    assert "no longer holds the best plan so far of attempt 2" in stale.text
    # Issue 11: in the planner's language (fails when the catalogue lacks the message).
    browser.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "vi")
    vietnamese = browser.post(f"/planning/runs/{run.id}/keep-best", data={"attempt": "2"})
    assert "không còn giữ kế hoạch tốt nhất đến nay của lần thử 2" in vietnamese.text
    assert "no longer holds" not in vietnamese.text
    browser.cookies.delete(get_settings().cookie_name(LANGUAGE_COOKIE))

    kept = browser.post(f"/planning/runs/{run.id}/keep-best", data={"attempt": "1"},
                        follow_redirects=False)
    assert kept.status_code == 303
    plan = tiny_board.exec(select(Plan).where(Plan.solver_run_id == run.id)).one()
    assert plan.document == run.plan
    page = browser.get(f"/planning/runs/{run.id}")
    assert 'id="publish-form"' in page.text and 'id="keep-best-form"' not in page.text
    published = browser.post(f"/planning/plans/{plan.id}/publish", follow_redirects=False)
    assert published.status_code == 303
    tiny_board.refresh(plan)
    assert plan.is_published


def test_a_running_attempts_own_best_plan_is_shown_but_not_offered(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    run = _interrupted(tiny_board, planner)
    run.status, run.attempts = "running", 1  # the attempt that stored it is still at it
    tiny_board.add(run)
    tiny_board.commit()
    page = login(client, planner).get(f"/planning/runs/{run.id}")
    assert 'id="best-so-far"' in page.text and 'id="keep-best-form"' not in page.text
    assert service.interrupted_attempt(run) is None


def test_the_run_review_names_months_in_chinese(
    client: TestClient, tiny_board: Session, planner: User, admin: User, login: Login
) -> None:
    """Issue 11: the timeline's month heading, day ticks and bar times are in the reader's
    words (12月, 2026年12月), not "Dec"; times stay 24-hour, no AM/PM."""
    run = _solved(tiny_board, planner)
    browser = login(client, admin)
    browser.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "zh-Hans")
    page = browser.get(f"/planning/runs/{run.id}").text
    box = page[page.index('class="timeline-box"'):page.index("</svg>")]
    heading = re.search(r'id="tl-month"[^>]*>([^<]*)<', box)
    assert heading and re.search(r"\d{4}年\d{1,2}月", heading.group(1)), heading
    titles = re.findall(r"<title>([^<]*)</title>", box)
    assert any(re.search(r"\d{1,2}月\d{1,2}日 \d\d:\d\dZ", title) for title in titles), titles[:5]
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    assert not any(re.search(rf"\b{month}\b", title) for title in titles for month in months)
    assert not re.search(r"\d (AM|PM)\b", box)
    assert 'data-showing="显示' in box
