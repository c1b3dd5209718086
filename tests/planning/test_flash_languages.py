"""Issue 11: the flash messages made in Python (planning, accounts, notices) reach the
reader in their language, as the operation workflow's already do. Each test fails when the
catalogue lacks the message: the page then shows the English words."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE
from app.models import SolverRun, User

Login = Callable[[TestClient, User], TestClient]


def _speaking(client: TestClient, code: str) -> TestClient:
    client.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), code)
    return client


def test_a_thai_planner_reads_that_the_solver_run_is_queued_in_thai(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    browser = _speaking(login(client, planner), "th")
    page = browser.post("/planning/runs", data={"time_limit": "2", "seed": "4"})
    run = tiny_board.exec(select(SolverRun)).one()
    assert page.status_code == 200 and '<html lang="th">' in page.text
    assert f"การคำนวณแผน {run.id} เข้าคิวแล้ว" in page.text
    assert f"Solver run {run.id} queued" not in page.text


def test_the_planning_horizon_flash_is_vietnamese_with_its_times_kept(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    browser = _speaking(login(client, planner), "vi")
    page = browser.post("/planning/horizon", data={
        "horizon_start": "2030-01-05 00:00", "horizon_end": "2030-01-12 00:00"})
    assert page.status_code == 200
    assert "Đã đặt khoảng lập kế hoạch 2030-01-05 00:00" in page.text
    assert "Planning horizon set to" not in page.text


def test_sign_out_says_so_in_lao(
    client: TestClient, session: Session, planner: User, login: Login
) -> None:
    browser = _speaking(login(client, planner), "lo")
    page = browser.post("/logout")
    assert page.status_code == 200 and "ອອກຈາກລະບົບແລ້ວ" in page.text
    assert "Signed out." not in page.text


def test_stopping_a_finished_run_is_refused_in_thai_with_its_status_in_thai(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    from app.models import RunStatus
    from app.planning import service

    run = service.start_run(tiny_board, user=planner, time_limit=2, seed=1)
    run.status = RunStatus.succeeded
    tiny_board.add(run)
    tiny_board.flush()
    browser = _speaking(login(client, planner), "th")
    page = browser.post(f"/planning/runs/{run.id}/cancel")
    assert page.status_code == 409
    assert "การคำนวณนี้เสร็จสิ้นแล้ว (สำเร็จ)" in page.text
    assert "This run has already finished" not in page.text


def test_the_planning_horizon_field_errors_are_vietnamese(
    client: TestClient, tiny_board: Session, planner: User, login: Login
) -> None:
    browser = _speaking(login(client, planner), "vi")
    backwards = browser.post("/planning/horizon", data={
        "horizon_start": "2030-01-12 00:00", "horizon_end": "2030-01-05 00:00"})
    assert backwards.status_code == 422
    assert "thời điểm kết thúc phải sau thời điểm bắt đầu" in backwards.text
    assert "the end must be after the start" not in backwards.text
    typo = browser.post("/planning/horizon", data={
        "horizon_start": "next week", "horizon_end": "2030-01-05 00:00"})
    assert typo.status_code == 422
    assert "hãy nhập ngày và giờ 24 giờ theo UTC" in typo.text
    assert "give a date and a 24-hour time" not in typo.text
