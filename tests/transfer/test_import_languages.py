"""Issue 11: the sentences shown after an import (counts, what became of the planning
horizon, the upload's own problems) in the administrator's language; the CLI and the
service keep the English. A catalogue lacking them makes these tests fail."""

from __future__ import annotations

import json
from html import unescape

import pytest
from sample_data import SMALL
from sqlmodel import Session

from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE
from app.models import Role
from app.transfer.service import import_scenario


def test_a_chinese_admin_reads_the_import_result_in_chinese(
    client, session: Session, make_user, login
) -> None:
    doc = json.loads(SMALL.read_text())
    first = import_scenario(session, data=doc)
    assert str(first.horizon).startswith("Planning horizon set to ")  # English for the CLI
    admin = login(client, make_user(session, role=Role.admin))
    admin.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "zh-Hans")
    again = {**doc, "operations": []}  # the same horizon, nothing repeated
    files = {"file": ("again.json", json.dumps(again).encode(), "application/json")}
    response = admin.post("/admin/import", files=files, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "计划时段未变：" in response.text
    assert "个国家</li>" in response.text and "个单位</li>" in response.text
    for english in ("Planning horizon unchanged", " countries</li>", " units</li>"):
        assert english not in response.text, english


def test_an_import_without_a_file_says_so_in_thai(client, session: Session, make_user,
                                                   login) -> None:
    admin = login(client, make_user(session, role=Role.admin))
    admin.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "th")
    response = admin.post("/admin/import", data={"x": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "เลือกไฟล์สถานการณ์ที่จะอัปโหลด" in response.text
    assert "choose a scenario file to upload" not in response.text


def test_a_vietnamese_admin_reads_each_problem_of_a_rejected_scenario_in_vietnamese(
    client, session: Session, make_user, login
) -> None:
    """Issue 11: the loader's problems (whole-document rules, pydantic's checks, the
    scenario's own validators, ids already on the board) in the reader's language; the
    loader keeps the English for the CLI and the API."""
    from app.solver.loader import ScenarioError, load_scenario

    doc = json.loads(SMALL.read_text())
    import_scenario(session, data=doc)  # its operations are now on the board
    bad = json.loads(SMALL.read_text())
    bad["regions"].append(dict(bad["regions"][0]))  # a duplicate region id
    bad["units"][0]["base"] = "NO-SUCH-REGION"
    bad["horizon"]["start"] = "next monday"
    with pytest.raises(ScenarioError) as english:
        load_scenario(bad)
    assert "duplicate region id" in str(english.value)
    assert "unknown region 'NO-SUCH-REGION'" in str(english.value)
    admin = login(client, make_user(session, role=Role.admin))
    admin.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "vi")
    files = {"file": ("bad.json", json.dumps(bad).encode(), "application/json")}
    page = admin.post("/admin/import", files=files, headers={"HX-Request": "true"})
    assert page.status_code == 422
    text = unescape(page.text)
    assert "mã khu vực " in text and " bị trùng (lần đầu ở regions[0])" in text
    assert "vùng 'NO-SUCH-REGION' không có" in text
    assert "'next monday' không phải thời điểm RFC 3339" in text
    for english in ("duplicate region id", "unknown region", "is not an RFC 3339 instant"):
        assert english not in text, english
    # Rules that pass now fail only on the ids already on the board: said in Vietnamese.
    files = {"file": ("again.json", json.dumps(doc).encode(), "application/json")}
    again = unescape(admin.post("/admin/import", files=files,
                                headers={"HX-Request": "true"}).text)
    assert "đã có trên bảng" in again and "is already on the board" not in again


def test_a_file_that_is_not_json_says_where_in_lao(client, session: Session, make_user,
                                                    login) -> None:
    admin = login(client, make_user(session, role=Role.admin))
    admin.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "lo")
    files = {"file": ("broken.json", b'{"format": ', "application/json")}
    page = admin.post("/admin/import", files=files, headers={"HX-Request": "true"})
    assert page.status_code == 422
    assert "JSON ບໍ່ຖືກຕ້ອງທີ່ແຖວ 1 ຖັນ" in page.text and "invalid JSON" not in page.text
