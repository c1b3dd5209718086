"""Why a run failed or was queued again reads in the reader's language (issue 11)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE, Deferred, Joined, speaking, translated
from app.models import RunStatus, User
from app.planning import service
from app.planning.run_errors import TEXTS, run_error

from .test_service import _claimed_then_silent

Login = Callable[[TestClient, User], TestClient]


def test_every_stored_form_is_read_back_and_stays_the_same_english() -> None:
    stored = [
        "the solver failed: out of memory",
        "the run's scenario cannot be solved: horizon: end before start",
        "the worker was stopped during the solve",
        "the solver's plan is invalid: rule 10 (one place at a time): U-1; rule 9 (lanes): X-1",
        "the worker stopped: no heartbeat since 2026-12-02 03:00:00Z; queued again "
        "(attempt 1 of 3)",
        "the worker process 4242 is gone; the published plan is unchanged",
    ]
    for english in stored:
        read = run_error(english)
        assert isinstance(read, Deferred | Joined), english
        assert read == english
    # A detail with "; " in it belongs to its message: read whole, not split.
    invalid = run_error(stored[3])
    assert isinstance(invalid, Deferred) and invalid.params["detail"].startswith("rule 10")
    with speaking("th"):
        assert str(translated(run_error(stored[5]))) == (
            "โปรเซสเบื้องหลัง 4242 หายไปแล้ว; แผนที่เผยแพร่แล้วไม่เปลี่ยนแปลง")
    # Unknown words are shown as stored, and so is a line only partly known.
    for odd in ("something else broke", "the worker process 7 is gone; and then some"):
        assert run_error(odd) is odd
    assert run_error(None) == ""
    assert len(set(TEXTS)) == len(TEXTS)


def test_the_reapers_reason_reads_in_thai_on_the_planning_and_run_pages(
    client: TestClient, tiny_board: Session, planner: User, login: Login,
) -> None:
    run = service.start_run(tiny_board, user=planner, time_limit=2)
    tiny_board.commit()
    _claimed_then_silent(tiny_board, run)
    assert service.reap_stale_runs(tiny_board, stale_seconds=30) == [run.id]
    tiny_board.refresh(run)
    assert run.status == RunStatus.queued
    # What the reaper wrote is exactly what the table reads back, in two known parts.
    assert isinstance(run_error(run.error), Joined)
    browser = login(client, planner)
    browser.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "th")
    for page in (browser.get("/planning").text, browser.get(f"/planning/runs/{run.id}").text):
        assert "โปรแกรมเบื้องหลังหยุดทำงาน: ไม่มีสัญญาณตั้งแต่" in page
        assert "เข้าคิวใหม่แล้ว (ความพยายามที่ 1 จาก" in page
        assert "no heartbeat since" not in page
