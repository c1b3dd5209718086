"""Issue 11, local time in: times typed in the user's or the site's zone, 24-hour, stored
in UTC, with UTC and the other zones echoed beside the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Operation
from app.operations import forms

ZONES = [("TH", "Asia/Bangkok"), ("LA", "Asia/Vientiane"), ("MM", "Asia/Yangon")]


def test_a_wall_clock_time_in_a_zone_becomes_utc_and_is_echoed() -> None:
    doc = {**forms.blank_document("TH-RTP"), "time_zone": "Asia/Yangon",
           "earliest_start": "2026-12-02 09:30", "latest_end": "2026-12-03T21:00",
           "fixed_start": "2026-12-02T05:00Z"}
    data = forms.to_input(doc)
    assert data["earliest_start"] == "2026-12-02T03:00:00Z"
    assert data["latest_end"] == "2026-12-03T14:30:00Z"
    assert data["fixed_start"] == "2026-12-02T05:00Z"  # an explicit offset wins
    assert "time_zone" not in data
    assert forms.echo("2026-12-02 09:30", "Asia/Yangon", ZONES) == (
        "= 2026-12-02 03:00Z · TH LA 2026-12-02 10:00 (UTC+07:00) · "
        "MM 2026-12-02 09:30 (UTC+06:30)")
    assert forms.echo("2.12.2026 9pm", "UTC", ZONES).startswith("Type the date and 24-hour")
    assert forms.parse_local("2026-02-30 10:00") is None
    assert forms.parse_local("2026-12-02 24:00") is None


def test_the_form_takes_times_in_the_users_zone_and_stores_utc(
    client: TestClient, session: Session, people: Any, login: Any
) -> None:
    th = login(client, people["th"])
    page = th.get("/operations/new").text
    assert 'type="datetime-local"' not in page  # no AM/PM widget: typed 24-hour text
    assert '<option value="Asia/Bangkok" selected' in page
    assert 'id="echo-earliest_start"' in page and "js/local-time.js" in page
    form = {
        "code_name": "Night Heron", "priority": "5", "tlp": "GREEN",
        "time_zone": "Asia/Yangon", "earliest_start": "2026-12-02 09:30",
        "latest_end": "2026-12-03 09:30", "duration_minutes": "240",
        "sites.0.region_id": "MM-TAC", "sites.0.requirements.0.capability": "tactical",
        "sites.0.requirements.0.count": "1",
    }
    assert th.post("/operations/new", data=form, follow_redirects=False).status_code == 303
    op = session.exec(select(Operation).where(Operation.code_name == "Night Heron")).one()
    assert op.earliest_start == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    # Opened again by the Thai officer: in Thai time, the Yangon 09:30 is 10:00.
    edit = th.get(f"/operations/{op.id}/edit").text
    assert 'value="2026-12-02 10:00"' in edit
    assert "= 2026-12-02 03:00Z · " in edit  # the echo, rendered by the server too


def test_badly_typed_times_and_zones_are_field_messages_with_the_input_kept(
    client: TestClient, session: Session, people: Any, login: Any
) -> None:
    th = login(client, people["th"])
    form = {
        "code_name": "Night Heron", "priority": "5", "tlp": "GREEN",
        "time_zone": "Mars/Olympus", "earliest_start": "2/12/2026 9pm",
        "latest_end": "2026-12-03 09:30", "duration_minutes": "240",
        "sites.0.region_id": "MM-TAC", "sites.0.requirements.0.capability": "tactical",
        "sites.0.requirements.0.count": "1",
    }
    page = th.post("/operations/new", data=form)
    assert page.status_code == 422
    assert 'id="err-earliest_start"' in page.text
    assert "24-hour time as YYYY-MM-DD HH:MM" in page.text
    assert 'id="err-time_zone"' in page.text and "choose a time zone from the list" in page.text
    assert 'value="2/12/2026 9pm"' in page.text


def test_the_time_hint_speaks_lao_on_the_server_and_hands_its_words_to_the_script(
    client: TestClient, session: Session, people: Any, login: Any
) -> None:
    """Issue 11: the echo's words in the reader's language, made by the server for the
    first paint and given to static/js/local-time.js (data-hint) for the live echo."""
    from app.config import get_settings
    from app.i18n import LANGUAGE_COOKIE, speaking

    lao_hint = "ປ້ອນວັນທີ ແລະ ເວລາແບບ 24 ຊົ່ວໂມງເປັນ YYYY-MM-DD HH:MM, ເຊັ່ນ 2026-12-02 21:30"
    with speaking("lo"):
        assert forms.echo("2.12.2026 9pm", "UTC", ZONES) == lao_hint
    th = login(client, people["th"])
    th.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "lo")
    page = th.get("/operations/new").text
    assert f'data-hint="{lao_hint}"' in page
    refused = th.post("/operations/new", data={
        "code_name": "Night Heron", "priority": "5", "tlp": "GREEN",
        "time_zone": "Asia/Bangkok", "earliest_start": "2/12/2026 9pm",
        "latest_end": "2026-12-03 09:30", "duration_minutes": "240",
        "sites.0.region_id": "MM-TAC", "sites.0.requirements.0.capability": "tactical",
        "sites.0.requirements.0.count": "1"})
    assert refused.status_code == 422
    assert f'aria-live="polite" data-hint="{lao_hint}">{lao_hint}</output>' in refused.text
    assert "Type the date and 24-hour time" not in refused.text
