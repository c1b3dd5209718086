"""The board's cards read the same in every language since their phrases are translated once
per page (`phrase` in app/web.py) rather than by `_()` per card: the words, the values
put into them, and the escaping of those values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, delete

from app import i18n
from app.config import get_settings
from app.models import Approval, ApprovalKind, Decision, OperationState, Site
from app.web import templates

P = OperationState.proposed
# The card phrases as the catalogues (app/translations/*.po) hold them.
WORDS = {
    "en": {"priority": "priority 4 Low", "fixed": "H-hour (fixed):", "window": "Window:",
           "no site": "no site", "one site": "1 site", "two sites": "2 sites",
           "lead": "lead TH-RTP", "waiting": "Waiting for: MM host approval, TH host approval<"},
    "th": {"priority": "ความสำคัญ 4 Low", "fixed": "เวลา H (ตายตัว):", "window": "ช่วงเวลา:",
           "no site": "ไม่มีจุดปฏิบัติการ", "one site": "1 จุด", "two sites": "2 จุด",
           "lead": "หน่วยหลัก TH-RTP", "waiting": "รอ: MM host approval, TH host approval<"},
    "zh-Hans": {"priority": "优先级 4 Low", "fixed": "H时（固定）:", "window": "时间窗:",
                "no site": "无地点", "one site": "1 个地点", "two sites": "2 个地点",
                "lead": "牵头 TH-RTP", "waiting": "等待：MM host approval, TH host approval<"},
}


def _cards(browser: TestClient, code: str) -> dict[str, str]:
    browser.cookies.set(get_settings().cookie_name(i18n.LANGUAGE_COOKIE), code)
    page = browser.get("/board")
    assert page.status_code == 200
    assert f'<html lang="{code}">' in page.text
    return {op_id: page.text.split(f'id="card-{op_id}"')[1].split("</article>")[0]
            for op_id in ("OP-WIN", "OP-FIX", "OP-BARE", "OP-WAIT")}


@pytest.mark.parametrize("code", ["en", "th", "zh-Hans"])
def test_board_cards_read_the_same_phrases_in_each_language(
    client, session: Session, people, make_operation, login, code: str
) -> None:
    both = {"TH-CRI": {"tactical": 1}, "MM-TAC": {"tactical": 1}}
    make_operation(session, "TH-RTP", op_id="OP-WIN")
    make_operation(session, "TH-RTP", op_id="OP-FIX",
                   fixed_start=datetime(2026, 12, 2, 3, 0, tzinfo=UTC))
    make_operation(session, "TH-RTP", op_id="OP-BARE")
    session.exec(delete(Site).where(Site.operation_id == "OP-BARE"))  # type: ignore[call-overload]
    make_operation(session, "TH-RTP", both, op_id="OP-WAIT", state=P)
    session.add(Approval(operation_id="OP-WAIT", country_code="MM",
                         kind=ApprovalKind.foreign_support, decision=Decision.approved))
    session.flush()
    session.expire_all()
    cards = _cards(login(client, people["planner"]), code)
    words = WORDS[code]
    for op_id, card in cards.items():
        assert words["priority"] in card, (op_id, card)
        assert words["lead"] in card, (op_id, card)
    assert words["window"] in cards["OP-WIN"] and words["one site"] in cards["OP-WIN"]
    assert words["fixed"] in cards["OP-FIX"]
    assert words["no site"] in cards["OP-BARE"] and "0 " in cards["OP-BARE"]
    assert words["two sites"] in cards["OP-WAIT"] and words["waiting"] in cards["OP-WAIT"]
    if code != "en":
        for english in ("priority", "Window", "lead ", "Waiting for", "no site"):
            assert not any(english in card for card in cards.values()), english


@pytest.mark.parametrize("code", sorted(i18n.LANGUAGES))
def test_a_phrase_formatted_in_a_loop_reads_and_escapes_as_underscore_does(code: str) -> None:
    page = templates.env.from_string(
        '{{ _("lead %(agency)s", agency=v) }}|{{ phrase("lead %(agency)s") % {"agency": v} }}|'
        '{{ _("H-hour") }}|{{ phrase("H-hour") }}'
    )
    with i18n.speaking(code):
        given, cheap, hour, cheap_hour = page.render(v='<b>"&').split("|")
        lead = i18n.gettext("lead %(agency)s")
    assert given == cheap and hour == cheap_hour
    assert "&lt;b&gt;&#34;&amp;" in cheap and "<b>" not in cheap
    assert cheap.replace("&lt;b&gt;&#34;&amp;", "%(agency)s") == lead
