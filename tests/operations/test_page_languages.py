"""Issue 11 on the pages officers use in the field: the operation page, My tasking, the
printable tasking order and the board speak the reader's language, while names, codes and
times from the database stay as they are."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE
from app.models import Role

from .test_officer_view import _scene


def _speaking(client: TestClient, code: str) -> TestClient:
    """The language cookie that sign-in sets from the user's saved choice."""
    client.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), code)
    return client


def test_a_thai_officer_reads_the_operation_tasking_and_order_in_thai(
    client: TestClient,
    session: Session,
    world: Any,
    make_operation: Any,
    make_user: Any,
    login: Any,
) -> None:
    scene = _scene(session, world, make_operation, make_user)
    browser = _speaking(login(client, scene["officer"]), "th")

    operation = browser.get(f"/operations/{scene['op'].id}")
    assert operation.status_code == 200
    page = operation.text
    assert '<html lang="th">' in page
    for thai in (
        "ภารกิจของฉัน",
        "ภารกิจของคุณ: border_patrol",
        "ออกจากฐาน",
        "ข้ามออก",
        "กลับถึงฐาน",
        "จุดนัดพบ",
        "ผู้บังคับบัญชา",
        "ข่ายวิทยุ",
        "การติดต่อทางโทรศัพท์และวิทยุ",
        "คำสั่งภารกิจสำหรับพิมพ์",
    ):
        assert thai in page, thai
    for english in (
        "My tasking",
        "Your task:",
        "Depart base",
        "Cross out",
        "Back at base",
        "Rendezvous",
        "Printable tasking order",
    ):
        assert english not in page, english
    # Data stays as entered: the code name, the objective, the commander, the label.
    for data in ("Silent Lotus", "Warehouse 7", "Pol. Maj. Gen. Somchai", "TLP:AMBER"):
        assert data in page, data
    # The state badge beside the code name, not its English code.
    assert 'class="badge state-scheduled">จัดตารางแล้ว</span>' in page

    tasking = browser.get("/tasking").text
    assert "เวลา H ในทุกเขตเวลาของปฏิบัติการ:" in tasking and "แผนที่เส้นทาง" in tasking
    assert "H-hour in every zone" not in tasking and "Map of the route" not in tasking

    order = browser.get(f"/tasking/{scene['mine'].uid}/order").text
    assert "คำสั่งภารกิจ:" in order and "ในพื้นที่" in order and "ท้องถิ่น" in order
    assert "Tasking order:" not in order and "In the field" not in order


def test_a_chinese_reading_liaison_sees_the_operation_page_and_board_in_chinese(
    client: TestClient,
    session: Session,
    world: Any,
    make_operation: Any,
    make_user: Any,
    login: Any,
) -> None:
    scene = _scene(session, world, make_operation, make_user)
    liaison = make_user(session, Role.liaison, agency="TH-RTP")
    browser = _speaking(login(client, liaison), "zh-Hans")

    page = browser.get(f"/operations/{scene['op'].id}").text
    assert '<html lang="zh-Hans">' in page
    for chinese in (
        "所在国审批",
        "牵头机构",
        "地点和需求",
        "已分派单位",
        "历史记录",
        "可打印命令",
        "已批准",
    ):
        assert chinese in page, chinese
    for english in (
        "Host-nation approvals",
        "Lead agency",
        "Sites and requirements",
        "Assigned units",
        "History",
    ):
        assert english not in page, english

    board = browser.get("/board").text
    assert "任务看板" in board and "已排定" in board and "Tasking board" not in board
    assert "Silent Lotus" in board


def test_english_stays_the_default(
    client: TestClient,
    session: Session,
    world: Any,
    make_operation: Any,
    make_user: Any,
    login: Any,
) -> None:
    scene = _scene(session, world, make_operation, make_user)
    page = login(client, scene["officer"]).get(f"/operations/{scene['op'].id}").text
    assert '<html lang="en">' in page
    assert "Your task: border_patrol" in page and "Depart base" in page


def test_the_form_hands_its_scripts_the_readers_phrases(
    client: TestClient,
    session: Session,
    world: Any,
    make_user: Any,
    login: Any,
) -> None:
    """The draft note and the map picker's status are written by scripts: the page gives
    them their phrases in the reader's language, with {tokens} the script fills in."""
    liaison = make_user(session, Role.liaison, agency="TH-RTP")
    page = _speaking(login(client, liaison), "th").get("/operations/new").text
    assert 'data-click="คลิกแผนที่เพื่อวางจุดปฏิบัติการ {site}"' in page
    assert 'data-placed="วางจุดปฏิบัติการ {site} ที่ {lat}, {lon} แล้ว"' in page
    assert "จาก {time} UTC แล้ว" in page
    assert "Click the map to place site" not in page
