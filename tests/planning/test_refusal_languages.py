"""Issue 11: publishing's refusals read in the reader's language to their last line: the
run page's red list of published operations a plan drops or moves, the refusal to publish
without confirming them, and each line naming one of them. The API keeps the English.
Each test fails when the catalogue lacks a message: the page then shows the English words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import get_settings
from app.errors import AppError
from app.i18n import LANGUAGE_COOKIE, speaking, translated
from app.models import Operation, User
from app.planning.guard import Disturbed, require_confirmation

from .test_guard_horizon import _published_then_disturbing

Login = Callable[[TestClient, User], TestClient]


def test_a_thai_planner_reads_what_the_plan_drops_and_the_refusal_in_thai(
    client: TestClient, tiny_board: Session, planner: User, admin: User, login: Login
) -> None:
    _, run, second, dropped, moved = _published_then_disturbing(tiny_board, planner)
    names = {op.id: op.code_name for op in tiny_board.exec(select(Operation))}
    browser = login(client, admin)
    browser.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "th")

    page = browser.get(f"/planning/runs/{run.id}").text
    warning = page[page.index('id="disturbed"'):]
    assert f"{dropped} {names[dropped]}: ถูกตัดออก" in warning
    assert f"{moved} {names[moved]}: เลื่อนเวลา H จาก" in warning
    assert ": dropped;" not in warning and "moved from H-hour" not in warning

    refused = browser.post(f"/planning/plans/{second.id}/publish")
    assert refused.status_code == 409
    # The first line, and each following line naming an operation.
    assert "ยังไม่ประกาศ: แผนนี้ตัดออกหรือเลื่อนปฏิบัติการที่ประกาศแล้ว 2 รายการ" in refused.text
    assert f"{names[dropped]}: ถูกตัดออก" in refused.text
    assert f"{names[moved]}: เลื่อนเวลา H จาก" in refused.text
    for english in ("you did not confirm", ": dropped;", "moved from H-hour"):
        assert english not in refused.text, english

    api = browser.post(f"/api/v1/plans/{second.id}/publish", json={"confirm": []})
    assert api.status_code == 409
    assert "drops or moves 2 published operation(s) you did not confirm" in api.json()["detail"]
    assert any(": dropped; its " in e["message"] for e in api.json()["errors"])


def test_the_line_for_operations_a_planner_may_not_see_is_vietnamese() -> None:
    hidden = Disturbed("OP-9", "Night Owl", "dropped", datetime(2030, 1, 5, 3, tzinfo=UTC),
                       None, ["RTP-K9-1 (TH-RTP)"])
    with pytest.raises(AppError) as refused:
        require_confirmation([hidden], set(), visible=set())
    [line] = refused.value.details
    assert line["message"].startswith("published operations you may not see")  # the API
    with speaking("vi"):
        assert str(translated(line["message"])).startswith(
            "các chiến dịch đã công bố mà bạn không được xem sẽ bị bỏ hoặc dời")
        assert str(translated(refused.value.message)).startswith(
            "Chưa công bố: kế hoạch này bỏ hoặc dời 0 chiến dịch")
