"""Issue 11: the not-found and conflict messages the services raise reach a page's reader
in their language, while the API answers the same error in English. Each test fails when
the catalogue lacks the message: the page then shows the English words."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE
from app.models import Role, User


def _speaking(client: TestClient, code: str) -> TestClient:
    client.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), code)
    return client


def test_a_missing_operation_is_not_found_in_khmer_on_the_page_and_english_in_the_api(
    client: TestClient, session: Session, make_user: Callable[..., User],
    login: Callable[[TestClient, User], TestClient],
) -> None:
    planner = make_user(session, role=Role.planner)
    browser = _speaking(login(client, planner), "km")
    page = browser.get("/operations/NO-SUCH-OP")
    assert page.status_code == 404 and '<html lang="km">' in page.text
    assert "រកមិនឃើញប្រតិបត្តិការ" in page.text and "No such operation" not in page.text
    # The same error in the htmx toast.
    toast = browser.get("/operations/NO-SUCH-OP", headers={"HX-Request": "true"})
    assert toast.status_code == 404 and "រកមិនឃើញប្រតិបត្តិការ" in toast.text
    api = browser.get("/api/v1/operations/NO-SUCH-OP")
    assert api.status_code == 404 and api.json()["detail"] == "No such operation"


def test_a_conflict_reads_in_chinese_on_the_page(
    client: TestClient, session: Session, make_user: Callable[..., User],
    login: Callable[[TestClient, User], TestClient],
) -> None:
    planner = make_user(session, role=Role.planner)
    browser = _speaking(login(client, planner), "zh-Hans")
    page = browser.post("/planning/runs", data={"time_limit": "2", "seed": "1"})
    assert page.status_code == 409
    assert "没有可排程的已批准行动" in page.text
    assert "There are no approved operations to solve" not in page.text


def test_an_unknown_address_is_not_found_in_vietnamese(
    client: TestClient, session: Session, make_user: Callable[..., User],
    login: Callable[[TestClient, User], TestClient],
) -> None:
    browser = _speaking(login(client, make_user(session, role=Role.planner)), "vi")
    page = browser.get("/no-such-page-at-all")
    assert page.status_code == 404 and "Không tìm thấy" in page.text
    assert "Not found" not in page.text


def test_a_refusal_reads_in_burmese_on_the_page(
    client: TestClient, session: Session, world: object, make_user: Callable[..., User],
    login: Callable[[TestClient, User], TestClient],
) -> None:
    liaison = make_user(session, role=Role.liaison, agency="TH-RTP")
    browser = _speaking(login(client, liaison), "my")
    page = browser.get("/campaigns/new")
    assert page.status_code == 403
    assert "စီမံသူများနှင့် စီမံခန့်ခွဲသူများသာ လှုပ်ရှားမှုစီမံကိန်း တည်ထောင်သည်" in page.text
    assert "Only planners and administrators set up campaigns" not in page.text


def test_a_form_sent_without_its_csrf_token_is_refused_in_lao(
    client: TestClient, session: Session, make_user: Callable[..., User],
    login: Callable[[TestClient, User], TestClient],
) -> None:
    browser = _speaking(login(client, make_user(session, role=Role.planner)), "lo")
    page = browser.post("/planning/runs", data={"time_limit": "2"},
                        headers={"X-CSRF-Token": "not-the-token"})
    assert page.status_code == 403
    assert "ໂທເຄັນ CSRF ຫາຍໄປ ຫຼື ບໍ່ຖືກຕ້ອງ" in page.text
    assert "Missing or invalid CSRF token" not in page.text


def test_a_form_missing_a_field_gets_the_summary_in_thai_and_the_api_english(
    client: TestClient, session: Session, make_user: Callable[..., User],
    login: Callable[[TestClient, User], TestClient],
) -> None:
    """Issue 11: the 422 summary of a form the route could not read names each field in
    the reader's language, pydantic's own words included."""
    browser = _speaking(login(client, make_user(session, role=Role.planner)), "th")
    page = browser.post("/language", data={"next": "/"})
    assert page.status_code == 422
    assert "คำขอไม่ถูกต้อง: ต้องระบุ body.language" in page.text
    assert "The request is not valid" not in page.text and "is required" not in page.text
    long = browser.post("/language", data={"language": "x" * 20})
    assert long.status_code == 422
    assert "คำขอไม่ถูกต้อง: body.language: ต้องมีไม่เกิน 16 ตัวอักษร" in long.text
    unknown = browser.post("/language", data={"language": "xx"})
    assert unknown.status_code == 422
    assert "ไม่รู้จักภาษา &#39;xx&#39;" in unknown.text and "Unknown language" not in unknown.text
