"""A republished hand-over plan that moves or drops a published escort trip tells the
unit's officers, as a republished raid plan does for tasking orders: an in-app notice
each, and an email queued when SMTP is configured (a pointer only: escorts are AMBER)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import get_settings
from app.models import TLP, MailStatus, Notice, NoticeKind, Role
from app.notices import outbox

from .conftest import Scene
from .test_escort_tasking import START, _publish, _trip

pytestmark = pytest.mark.db


def _notices(session: Session, user_id: int | None) -> list[Notice]:
    return list(session.exec(select(Notice).where(Notice.user_id == user_id)
                             .order_by(Notice.kind)))


def test_moving_and_dropping_trips_notifies_the_units_officers(
        session: Session, scene: Scene, client: TestClient, login: Any) -> None:
    officer = scene.user("TH-RTP", Role.unit_officer)
    _publish(session, _trip(START), _trip(START + timedelta(days=1)))
    assert _notices(session, officer.id) == []  # first issue: nothing amended
    _publish(session, _trip(START), _trip(START + timedelta(days=1)), minutes=3)
    assert _notices(session, officer.id) == []  # the same plan again: nothing changed
    _publish(session, _trip(START, handover="10:00", persons=15), minutes=5)
    amended, cancelled = _notices(session, officer.id)
    assert (amended.kind, cancelled.kind) == (NoticeKind.amended, NoticeKind.cancelled)
    assert amended.title == "Escort trip of RTP-ESC on 2026-12-03 to Mae Sai bridge was amended"
    assert "hand-over 09:00 → 10:00" in amended.body and "persons 20 → 15" in amended.body
    assert cancelled.title.endswith("on 2026-12-04 to Mae Sai bridge was cancelled")
    assert (amended.operation_id, amended.unit_id, amended.tlp) == (None, "U-TH-E", TLP.AMBER)
    assert amended.mail_status == MailStatus.none  # no SMTP configured
    # Nobody else of the agency is told: the notices go to the unit's officers.
    assert _notices(session, scene.user("TH-RTP").id) == []
    page = login(client, officer).get("/notices")
    assert page.status_code == 200 and amended.title in page.text


def test_with_smtp_an_email_is_queued_that_carries_no_details(
        session: Session, scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    officer = scene.user("TH-RTP", Role.unit_officer)
    officer.email = "esc@police.test"
    session.add(officer)
    _publish(session, _trip(START))
    monkeypatch.setenv("JOINTOPS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setattr(outbox, "kick", lambda *a, **k: None)
    get_settings.cache_clear()
    try:
        _publish(session, _trip(START, handover="11:00"), minutes=5)
        (notice,) = _notices(session, officer.id)
        assert notice.mail_status == MailStatus.pending
        mail = outbox.compose(notice, to="esc@police.test", settings=get_settings())
        assert "Mae Sai" not in str(mail) and "new notice" in str(mail["Subject"])
    finally:
        get_settings.cache_clear()
