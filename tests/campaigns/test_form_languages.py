"""Issue 11: a campaign form refused for a Vietnamese planner says why in Vietnamese,
beside the fields (the service's messages and pydantic's own)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE
from app.models import Role

from .story import Story


def test_campaign_form_errors_in_vietnamese(client: TestClient, login: Any, story: Story) -> None:
    planner = login(client, story.users[("A", Role.planner)])
    planner.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "vi")
    form = {"name": "Dragon Net", "agencies": ["TH-RTP"],
            "phases.0.id": "", "phases.0.name": "First", "phases.0.starts_on": "2027-05-01",
            "phases.0.ends_on": "2027-04-01", "phases.0.goals.0.metric": "arrests",
            "phases.0.goals.0.scope": "TH", "phases.0.goals.0.target": "-4"}
    page = planner.post("/campaigns/new", data=form)
    assert page.status_code == 422
    assert "giai đoạn kết thúc trước khi bắt đầu" in page.text
    assert "Phải lớn hơn hoặc bằng 1" in page.text  # pydantic's "greater than or equal"
    assert "the phase ends before it starts" not in page.text
    assert 'value="Dragon Net"' in page.text
