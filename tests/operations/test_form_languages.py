"""Issue 11: the operation form's field errors speak the reader's language, while the API
keeps its English words (part of its contract)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE

from .samples import op_input
from .test_form_errors import FORM


def _speaking(client: TestClient, code: str) -> TestClient:
    client.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), code)
    return client


def test_a_thai_liaison_reads_the_form_errors_in_thai_beside_the_fields(
    client: TestClient, session: Session, people: Any, login: Any
) -> None:
    th = _speaking(login(client, people["th"]), "th")
    page = th.post("/operations/new", data={**FORM, "duration_minutes": "four hours"})
    assert page.status_code == 422
    assert '<html lang="th">' in page.text
    # A message of the service, beside its field; the summary names the field in Thai.
    assert ('<span class="field-error" id="err-sites-1-region_id">เลือกภูมิภาคของสถานที่นี้'
            '</span>') in page.text
    assert 'href="#err-sites-1-region_id">สถานที่ 2: ภูมิภาค</a>' in page.text
    # pydantic's own words, translated too.
    assert ('id="err-duration_minutes">ต้องเป็นจำนวนเต็ม อ่านค่าที่กรอกเป็นจำนวนเต็มไม่ได้'
            '</span>') in page.text
    for english in ("choose the region of this site", "Site 2: region",
                    "Input should be a valid integer"):
        assert english not in page.text
    # What was typed stays.
    assert 'value="Forgotten Region"' in page.text and 'value="four hours"' in page.text


def test_the_same_errors_stay_english_for_an_english_reader(
    client: TestClient, session: Session, people: Any, login: Any
) -> None:
    th = login(client, people["th"])
    page = th.post("/operations/new", data={**FORM, "duration_minutes": "four hours"})
    assert page.status_code == 422
    assert "choose the region of this site" in page.text
    assert ("Input should be a valid integer, unable to parse string as an integer"
            in page.text)


def test_the_api_keeps_english_errors_whatever_the_language(
    client: TestClient, session: Session, people: Any, login: Any
) -> None:
    th = _speaking(login(client, people["th"]), "th")
    bad = th.post("/api/v1/operations", headers={"Accept-Language": "th"}, json=op_input(
        sites=[{"region_id": "XX-NONE",
                "requirements": [{"capability": "tactical", "count": 1}]}]))
    assert bad.status_code == 422
    assert {"path": "sites.0.region_id", "message": "unknown region 'XX-NONE'"} in bad.json()[
        "errors"]


def test_an_approval_from_the_inbox_is_confirmed_in_burmese(
    client: TestClient, session: Session, people: Any, make_operation: Any, login: Any
) -> None:
    from app.models import OperationState

    make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-MY",
                   state=OperationState.proposed, code_name="Inbox Op")
    mm = _speaking(login(client, people["mm"]), "my")
    done = mm.post("/operations/OP-MY/approvals", headers={"HX-Request": "true"},
                   data={"decision": "approved", "kind": "host", "back": "inbox",
                         "version": "1"})
    assert done.status_code == 200
    assert "Inbox Op: အတည်ပြုပြီး။" in done.text  # the state word and the sentence in Burmese
