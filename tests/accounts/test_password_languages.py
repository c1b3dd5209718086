"""Issue 11: the password rules speak the reader's language on the change-password page
(the catalogue lacking a message shows the English, and these tests fail)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE
from app.models import Role

from .test_auth import _form_login


def test_a_burmese_officer_reads_why_the_new_password_is_refused(
    client: TestClient, session: Session, make_user, login, test_password: str
) -> None:
    me = login(client, make_user(session, role=Role.liaison, username="aung"))
    me.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "my")
    refused = me.post("/account/password", data={
        "current": test_password, "new": "password", "confirm": "password"})
    assert refused.status_code == 422 and '<html lang="my">' in refused.text
    assert ("စကားဝှက်အသစ်ကို ငြင်းပယ်သည်- စကားဝှက်တွင် အနည်းဆုံး စာလုံး 12 လုံး လိုသည် (ရရှိ 8)"
            in refused.text)
    assert "at least 12 characters" not in refused.text
    differ = me.post("/account/password", data={
        "current": test_password, "new": "mekong-river-2026", "confirm": "other-thing-2026"})
    assert "စကားဝှက်အသစ်နှင့် အတည်ပြုချက် မတူပါ" in differ.text


def test_a_wrong_sign_in_is_told_in_vietnamese(client: TestClient, session: Session,
                                               make_user) -> None:
    make_user(session, role=Role.planner, username="lan")
    client.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "vi")
    refused = _form_login(client, "lan", "not-it-at-all")
    assert "Sai tên đăng nhập hoặc mật khẩu" in refused.text
    assert "Wrong username or password" not in refused.text
