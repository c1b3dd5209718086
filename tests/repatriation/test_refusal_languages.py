"""Issue 11: the hand-over refusals built with values (confirmed too early, confirmed or
pinned when no longer scheduled, a pin no plan can keep) read in the reader's language on
the board; the service keeps the English for the API. Each test fails when the catalogue
lacks the message: the page then shows the English words."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import get_settings
from app.errors import Conflict
from app.i18n import LANGUAGE_COOKIE, speaking, translated
from app.models import EscortCapacity, Role
from app.repatriation import planning

from .conftest import DUE, Published, Scene


def _speaking(client: TestClient, code: str) -> TestClient:
    client.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), code)
    return client


def test_a_burmese_liaison_confirming_too_early_reads_why_in_burmese(
        client: TestClient, login: Any, session: Session, scene: Scene,
        published: Published) -> None:
    session.commit()
    batch = published.mm_batch
    liaison = _speaking(login(client, scene.user("MM-MPF", Role.liaison)), "my")
    early = liaison.post(f"/repatriation/batches/{batch.id}/confirm", data={"version": "1"})
    assert early.status_code == 409
    assert "ဤလွှဲပြောင်းမှုသည် 2026-12-03 တွင် ဖြစ်ရမည် (ထိုနေရာ၌ ယနေ့ 2026-12-02)" in early.text
    assert "This hand-over is due on" not in early.text


def test_a_hand_over_no_longer_scheduled_is_refused_in_thai_with_its_state_in_thai(
        client: TestClient, login: Any, session: Session, scene: Scene,
        published: Published, set_clock: Any) -> None:
    set_clock(DUE)
    session.commit()
    batch = published.mm_batch
    liaison = _speaking(login(client, scene.user("MM-MPF", Role.liaison)), "th")
    done = liaison.post(f"/repatriation/batches/{batch.id}/confirm", data={"version": "1"})
    assert done.status_code == 200
    again = liaison.post(f"/repatriation/batches/{batch.id}/confirm", data={"version": "2"})
    assert again.status_code == 409
    assert "การส่งมอบนี้ส่งมอบแล้ว ไม่ใช่ตามกำหนด" in again.text
    assert "not scheduled" not in again.text
    thai = _speaking(login(client, scene.user("TH-RTP")), "th")
    pin = thai.post(f"/repatriation/batches/{batch.id}/pin", data={"version": "2",
                                                                   "pinned": "1"})
    assert pin.status_code == 409
    assert "การส่งมอบนี้ส่งมอบแล้ว: ตรึงหรือยกเลิกการตรึงได้เฉพาะการส่งมอบตามกำหนด" in pin.text
    assert "only scheduled hand-overs" not in pin.text


def test_a_pin_no_plan_can_keep_is_refused_in_vietnamese(
        session: Session, scene: Scene, published: Published) -> None:
    planning.set_pinned(session, batch=published.mm_batch, pinned=True, version=1,
                        actor=scene.user("TH-RTP"))
    capacity = session.get(EscortCapacity, "U-TH-E")
    assert capacity is not None
    capacity.persons_per_trip = 5
    session.add(capacity)
    session.flush()
    with pytest.raises(Conflict) as refused:
        planning.start_run(session, user=scene.user("TH-RTP"), country="TH", time_limit=1)
    assert refused.value.message.startswith("A pinned hand-over cannot be kept")  # the API
    with speaking("vi"):
        shown = str(translated(refused.value.message))
    assert shown.startswith("Không thể giữ lần bàn giao đã ghim trong kế hoạch này: ")
    assert "over its 5 a trip" in shown and "Unpin it" not in shown
