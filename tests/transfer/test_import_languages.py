"""Issue 11: the sentences shown after an import (counts, what became of the planning
horizon, the upload's own problems) in the administrator's language; the CLI and the
service keep the English. A catalogue lacking them makes these tests fail."""

from __future__ import annotations

import json

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
