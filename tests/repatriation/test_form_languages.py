"""Issue 11: a cohort form refused for a Lao planner says why in Lao beside each field."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.i18n import LANGUAGE_COOKIE

from .conftest import Scene

pytestmark = pytest.mark.db


def test_cohort_form_errors_in_lao(client: TestClient, login: Any, scene: Scene) -> None:
    planner = login(client, scene.user("TH-RTP"))
    planner.cookies.set(get_settings().cookie_name(LANGUAGE_COOKIE), "lo")
    bad = planner.post("/repatriation/cohorts/new", data={
        "nationality_code": "MM", "count": "0", "holding_agency_id": "MM-MPF",
        "site_region_id": "TH-CRI", "release_on": "next week"})
    assert bad.status_code == 422
    assert "ເລືອກອົງການຂອງທ່ານເອງ" in bad.text  # choose your own agency
    assert "ວັນທີແບບ YYYY-MM-DD" in bad.text  # a date as YYYY-MM-DD
    assert "choose your own agency" not in bad.text
    assert 'value="next week"' in bad.text
