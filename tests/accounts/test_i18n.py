"""The officers' languages (issue 11): every marked message translated in every catalogue,
placeholders kept, the pages marked so far free of unmarked English, and the language
picked from the cookie, the user's choice or the browser."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from sqlmodel import Session

from app import i18n
from app.i18n_messages import extract, load
from app.models import Role, User

from .test_auth import _csrf, _form_login

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Templates whose every visible phrase is marked for translation. The rest are still
# English-only: each one that is converted moves here, and stays held by this test.
MARKED = {
    "base.html",
    "accounts/login.html",
    "accounts/home.html",
    "accounts/account.html",
    "accounts/_language_form.html",
    "campaigns/_operation_card.html",
    "campaigns/_phase_field.html",
    "campaigns/_progress.html",
    "campaigns/capacity.html",
    "campaigns/dashboard.html",
    "campaigns/detail.html",
    "campaigns/form.html",
    "campaigns/intel_form.html",
    "campaigns/intel_list.html",
    "campaigns/intel_note.html",
    "campaigns/list.html",
    "campaigns/report.html",
    "campaigns/review.html",
    "notices/index.html",
    "errors/error.html",
    "feeds/tokens.html",
    "docs/api.html",
    "accounts/password.html",
    "accounts/totp.html",
    "accounts/second_factor.html",
    "accounts/recovery_codes.html",
    "operations/_decide.html",
    "operations/_fields.html",
    "operations/_states.html",
    "operations/approvals.html",
    "operations/detail.html",
    "operations/form.html",
    "operations/officer.html",
    "operations/order.html",
    "board/board.html",
    "_map.html",
    "_map_assets.html",
    "tasking/_brief.html",
    "tasking/index.html",
    "tasking/order.html",
    "planning/_run_status.html",
    "planning/_timeline.html",
    "planning/index.html",
    "planning/run.html",
    "repatriation/_charts.html",
    "repatriation/_lines.html",
    "repatriation/board.html",
    "repatriation/cohort_form.html",
    "repatriation/index.html",
    "repatriation/point_form.html",
    "repatriation/points.html",
    "repatriation/run.html",
    "tasking/escort_order.html",
    "tasking/_escort_print_link.html",
    "admin/_fields.html",
    "admin/audit.html",
    "admin/confirm.html",
    "admin/crossing_extra.html",
    "admin/form.html",
    "admin/import.html",
    "admin/index.html",
    "admin/list.html",
    "admin/user_extra.html",
    "admin/window_row.html",
    "operations/_unit_confirmations.html",
    "planning/_host_confirmations.html",
}
PLACEHOLDER = re.compile(r"%\(\w+\)s")
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]


@pytest.fixture(scope="module")
def messages() -> dict[str, list[str]]:
    return extract()


def test_the_board_speaks_seven_languages() -> None:
    assert list(i18n.LANGUAGES) == ["en", "zh-Hans", "th", "lo", "my", "km", "vi"]


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_marked_message_is_translated_with_its_placeholders(
    code: str, messages: dict[str, list[str]]
) -> None:
    catalogue = load(code)
    untranslated = []
    for text, places in messages.items():
        entry = catalogue.get(text)
        if entry is None or not entry.string or entry.fuzzy:
            untranslated.append(f"{text!r} ({places[0]})")
            continue
        assert sorted(PLACEHOLDER.findall(str(entry.string))) == sorted(
            PLACEHOLDER.findall(text)
        ), f"{code}: placeholders differ in {text!r}"
    assert not untranslated, (
        f"{len(untranslated)} message(s) without a {code} translation: run "
        "`.venv/bin/python -m app.i18n_messages` and translate app/translations/"
        f"{code}.po:\n" + "\n".join(untranslated)
    )


def test_the_catalogues_hold_no_message_the_board_no_longer_uses(
    messages: dict[str, list[str]],
) -> None:
    for code in TRANSLATED:
        stale = {str(m.id) for m in load(code) if m.id} - set(messages)
        assert not stale, f"{code}.po holds unused messages: {sorted(stale)}"


def _unmarked_text(source: str) -> list[str]:
    """Visible English left in a template: text between tags, and words in attributes a
    reader hears or sees (title, aria-label, placeholder, alt), outside `{{ }}`."""
    without_code = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
    found = []
    for attribute in re.finditer(
        r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"', without_code
    ):
        if re.search(r"[A-Za-z]{2,}", attribute[1]):
            found.append(attribute[0])
    text = re.sub(r"<[^>]*>", " ", without_code)
    found += [word for word in re.findall(r"[A-Za-z][A-Za-z'’]+", text) if word != "JointOps"]
    return found


def test_the_marked_templates_hold_no_unmarked_english() -> None:
    for name in sorted(MARKED):
        left = _unmarked_text((TEMPLATES / name).read_text())
        assert not left, f"templates/{name}: unmarked text {left[:10]}"


def test_the_check_finds_unmarked_text() -> None:
    assert _unmarked_text('<p>{{ _("Marked") }}</p>') == []
    assert _unmarked_text("<p>Left over</p>") == ["Left", "over"]
    assert _unmarked_text('<a title="Your account">x</a>') == ['title="Your account"']


def test_how_many_templates_are_marked_is_told() -> None:
    every = {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")}
    assert MARKED.issubset(every)
    print(f"{len(MARKED)} of {len(every)} templates fully marked for translation")


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "en"),
        (None, "th-TH,th;q=0.9,en;q=0.8", "th"),
        (None, "en;q=0.5, lo;q=0.9", "lo"),
        (None, "zh-CN,zh;q=0.9", "zh-Hans"),
        (None, "zh-TW,zh-Hant;q=0.9", "en"),
        (None, "my-MM", "my"),
        (None, "fr-FR, km;q=0.2", "km"),
        (None, "vi;q=0, th", "th"),
        ("vi", "th", "vi"),
        ("xx", "km", "km"),
    ],
)
def test_the_language_of_a_request(cookie: str | None, header: str | None, expected: str) -> None:
    assert i18n.pick(cookie, header) == expected


def test_numbers_and_days_are_formatted_for_the_reader() -> None:
    from datetime import UTC, datetime

    day = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    with i18n.speaking("en"):
        assert i18n.fmt_number(12345.5) == "12,345.5"
        assert i18n.fmt_day(day) == "Dec 8, 2026"
    with i18n.speaking("vi"):
        assert i18n.fmt_number(12345.5) == "12.345,5"
    with i18n.speaking("zh-Hans"):
        assert i18n.fmt_day(day) == "2026年12月8日"


def test_the_sign_in_page_speaks_the_browsers_language(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login", headers={"Accept-Language": "th-TH,th;q=0.9"})
    assert page.status_code == 200
    assert '<html lang="th">' in page.text
    assert "เข้าสู่ระบบ" in page.text and "ชื่อผู้ใช้" in page.text
    assert "Username" not in page.text


def test_a_visitor_chooses_a_language_before_signing_in(client) -> None:  # type: ignore[no-untyped-def]
    data = {"language": "my", "next": "/board", "csrf_token": _csrf(client)}
    chosen = client.post("/language", data=data, follow_redirects=False)
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/login?next=/board"
    page = client.get("/login", headers={"Accept-Language": "th"})
    assert '<html lang="my">' in page.text and "ဝင်ရောက်ရန်" in page.text
    refused = client.post("/language", data={"language": "fr", "csrf_token": _csrf(client)})
    assert refused.status_code == 422 and "မသိသော ဘာသာစကား 'fr'" in unescape(refused.text)


def test_the_users_choice_is_saved_and_restored_at_sign_in(
    client, session: Session, make_user, test_password  # type: ignore[no-untyped-def]
) -> None:
    make_user(session, role=Role.planner, username="kham")
    # Before any choice of the user's own, the device's choice holds through sign-in.
    client.post("/language", data={"language": "th", "csrf_token": _csrf(client)})
    signed_in = _form_login(client, "kham", test_password)
    assert signed_in.status_code == 303
    assert '<html lang="th">' in client.get("/account").text
    client.headers["X-CSRF-Token"] = _session_csrf(client, session)
    changed = client.post("/account/language", data={"language": "lo"}, follow_redirects=False)
    assert changed.status_code == 303 and changed.headers["location"] == "/account"
    account = client.get("/account")
    assert '<html lang="lo">' in account.text
    assert "ປ່ຽນພາສາແລ້ວ." in account.text  # the flash, in the new language
    assert "ບັນຊີຂອງທ່ານ" in account.text
    user = session.get(User, _user_id(session, "kham"))
    assert user is not None and user.language == "lo"
    bad = client.post("/account/language", data={"language": "klingon"})
    assert bad.status_code == 422 and "ບໍ່ຮູ້ຈັກພາສາ 'klingon'" in unescape(bad.text)
    session.refresh(user)
    assert user.language == "lo"

    # Another device, a browser asking for Thai: after sign-in the board speaks Lao.
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token")
    again = _form_login(client, "kham", test_password)
    assert again.status_code == 303
    home = client.get("/account", headers={"Accept-Language": "th"})
    assert '<html lang="lo">' in home.text


def _user_id(session: Session, username: str) -> int:
    from sqlmodel import select

    user = session.exec(select(User).where(User.username == username)).one()
    assert user.id is not None
    return user.id


def _session_csrf(client, session: Session) -> str:  # type: ignore[no-untyped-def]
    from app.accounts import service
    from app.config import get_settings
    from app.models import UserSession

    token = client.cookies.get(get_settings().session_cookie_name)
    row = session.get(UserSession, service.token_digest(token))
    assert row is not None
    return row.csrf_token
