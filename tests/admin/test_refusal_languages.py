"""Issue 11: the administrator's refusals built with values (a region, crossing, agency or
unit still in use; a closure already lifted; an agreement made twice; a form without its
version; a date typed wrongly) reach the page in the reader's language, while the API keeps
the English. Each test fails when the catalogue lacks the message: the page then shows the
English words."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.admin import geo
from app.config import get_settings
from app.errors import Conflict
from app.i18n import LANGUAGE_COOKIE
from app.models import Region


def _speaking(client: TestClient, code: str) -> TestClient:
    client.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), code)
    return client


def test_a_region_still_used_is_refused_in_thai_with_every_count(
    admin: TestClient, session: Session
) -> None:
    page = _speaking(admin, "th").post("/admin/regions/TH-CRI/delete")
    assert page.status_code == 409 and '<html lang="th">' in page.text
    assert ("พื้นที่ TH-CRI ยังมี หน่วยที่มีฐานที่นี่ 1 หน่วย และ ถนน 2 สาย: "
            "ลบหรือย้ายไปที่อื่นก่อน") in page.text
    assert "remove or reassign" not in page.text and "based unit" not in page.text
    assert session.get(Region, "TH-CRI") is not None

def test_the_refusal_stays_english_for_the_api_and_the_log(session: Session, admin_user) -> None:
    with pytest.raises(Conflict) as refused:
        geo.delete_region(session, region=session.get(Region, "TH-CRI"), actor=admin_user)
    assert refused.value.message == (
        "region TH-CRI has 1 based unit and 2 roads: remove or reassign them first")


def test_an_agency_still_used_is_refused_in_vietnamese(admin: TestClient) -> None:
    page = _speaking(admin, "vi").post("/admin/agencies/TH-RTP/delete")
    assert page.status_code == 409
    assert "cơ quan TH-RTP vẫn còn" in page.text and "đơn vị" in page.text
    assert "hãy xóa hoặc chuyển chúng đi trước" in page.text
    assert " has " not in page.text.split("<main", 1)[-1].split("</main>")[0]


def test_lifting_a_closure_twice_is_refused_in_lao(admin: TestClient) -> None:
    page = _speaking(admin, "lo").post("/admin/crossings/X-MSI-TAC/closures/999/delete")
    assert page.status_code == 409
    assert "ດ່ານ X-MSI-TAC ບໍ່ມີການປິດ 999 (ຍົກເລີກແລ້ວບໍ?)" in page.text
    assert "lifted already" not in page.text


def test_a_form_sent_without_its_version_says_so_in_khmer(admin: TestClient) -> None:
    page = _speaking(admin, "km").post("/admin/regions/TH-CRI", data={
        "name": "Chiang Rai", "lat": "19.9", "lon": "99.8"})
    assert page.status_code == 422
    assert "ទម្រង់គ្មានកំណែនៃ" in page.text and "ទេ៖ សូមបើកម្ដងទៀត" in page.text
    assert "open it again" not in page.text


def test_a_bad_date_on_the_audit_page_says_so_in_chinese(admin: TestClient) -> None:
    page = _speaking(admin, "zh-Hans").get("/admin/audit?since=yesterday")
    assert page.status_code == 422
    assert "应为日期，例如 2026-12-02，收到的是" in page.text
    assert "expected a date" not in page.text
