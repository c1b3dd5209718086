"""Issue 11: a campaign form refused for a Vietnamese planner says why in Vietnamese,
beside the fields (the service's messages and pydantic's own)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.campaigns import reports
from app.config import get_settings
from app.errors import Conflict
from app.i18n import LANGUAGE_COOKIE, speaking, translated
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


def test_a_report_filed_too_early_is_refused_in_khmer(session: Session, story: Story) -> None:
    """Issue 11: the refusal names the operation's state; a page shows it in the reader's
    language (the error page's `translated`), the API the English."""
    op, lead = story.joint, story.users[("A", Role.liaison)]
    data = reports.validate(session, operation=op, data={"parts": {"TH": {"detained": {"CN": 1}}}})
    with pytest.raises(Conflict) as refused:
        reports.save(session, operation=op, data=data, version=0, actor=lead)
    assert refused.value.message.endswith("a report is filed once it is completed or aborted")
    with speaking("km"):
        shown = str(translated(refused.value.message))
    assert shown.startswith("ប្រតិបត្តិការនេះ ") and "បោះបង់" in shown
    assert "a report is filed" not in shown
