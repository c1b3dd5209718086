"""Issue 11: a notice, and its email, in the language its officer chose (saved with the
user), whatever language the person who amended the order reads; English for an officer
who chose none. A catalogue lacking these messages makes the tests fail."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.models import TLP, Role
from app.notices import outbox

from .test_notices import edit, notices_of, scheduled


def test_the_thai_officer_reads_the_amendment_notice_in_thai(
    client: TestClient, session: Session, world: Any, make_operation: Any,
    make_user: Any, login: Any,
) -> None:
    liaison = make_user(session, Role.liaison, "TH-RTP", username="th-liaison")
    thai = make_user(session, Role.unit_officer, "TH-RTP", "U-TH-2", username="rtp2-th")
    thai.language = "th"
    english = make_user(session, Role.unit_officer, "TH-RTP", "U-TH-2", username="rtp2-en")
    session.add(thai)
    op = scheduled(session, make_operation)
    edit(session, op, liaison, description="Rendezvous moved to gate 2")

    (notice,) = notices_of(session, thai)
    assert notice.title == "Golden Nett: คำสั่งของ RTP-2 ถูกแก้ไข"
    assert notice.body.startswith("แก้ไขในที่: description เวลาและสถานที่ไม่เปลี่ยน")
    (other,) = notices_of(session, english)
    assert other.title == "Golden Nett: the order of RTP-2 was amended"
    assert other.body.startswith("Amended in place: description")

    page = login(client, thai).get("/notices")
    assert "Golden Nett: คำสั่งของ RTP-2 ถูกแก้ไข" in page.text

    # Its email: an amber notice only points to the board, in the officer's words.
    settings = Settings(smtp_host="localhost", smtp_from="board@example.org")
    assert notice.tlp == TLP.AMBER
    mail = outbox.compose(notice, to="rtp2@example.org", settings=settings, language="th")
    assert mail["Subject"] == "JointOps: คุณมีประกาศใหม่"
    assert "เพื่อความปลอดภัย อีเมลนี้ไม่มีรายละเอียด" in mail.get_content()
    assert "For security" not in mail.get_content()


def test_what_a_new_plan_changes_reads_in_the_officers_language(
    session: Session, world: Any, make_operation: Any, make_user: Any,
) -> None:
    from app.i18n import speaking, translated
    from app.models import Tasking
    from app.notices.service import describe_change

    op = scheduled(session, make_operation)
    order = session.exec(select(Tasking).where(Tasking.uid == "t-live@jointops")).one()
    assert op.id == order.operation_id
    values = {"start": order.start, "end": order.end, "depart": order.depart,
              "return_at": order.return_at, "cross_out": None, "cross_back": None,
              "capability": order.capability, "site_id": "elsewhere",
              "crossing_id": order.crossing_id}
    what = describe_change(order, values)
    assert what == "New plan published: another site of the operation"
    with speaking("vi"):
        assert translated(what) == "Đã công bố kế hoạch mới: địa điểm khác của hoạt động"


