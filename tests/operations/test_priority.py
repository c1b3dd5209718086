"""Issue 11, priority as police practice: levels 1 (top) to 5 on forms, cards and the API,
mapped to the solver's weights in one place (app/operations/priority.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Operation
from app.operations import priority

from .samples import op_input
from .test_views import _form_of


def test_each_level_outweighs_four_of_the_level_below_and_reads_back() -> None:
    weights = [priority.weight_of(n) for n in range(1, 6)]
    assert weights == sorted(weights, reverse=True) and weights[-1] == 1
    for higher, lower in zip(weights, weights[1:], strict=False):
        assert higher == 4 * lower
    for level in priority.LEVELS:
        assert priority.level_of(level.weight) == level
    assert [priority.label(w) for w in (1, 3, 4, 7, 16, 63, 64, 256, 10**6)] == [
        "5 Routine", "5 Routine", "4 Low", "4 Low", "3 Medium", "3 Medium", "2 High",
        "1 Critical", "1 Critical"]


def test_the_form_offers_named_levels_and_keeps_an_older_weight(
    client: TestClient, session: Session, people: Any, make_operation: Any, login: Any
) -> None:
    th = login(client, people["th"])
    blank = th.get("/operations/new").text
    options = re.findall(r'<option value="(\d+)"[^>]*>(\d [A-Z][a-z]+)</option>', blank)
    assert options == [("256", "1 Critical"), ("64", "2 High"), ("16", "3 Medium"),
                       ("4", "4 Low"), ("1", "5 Routine")]
    assert _form_of(blank)["priority"] == "16"  # Medium unless chosen otherwise

    op = make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}}, priority=7)
    form = _form_of(th.get(f"/operations/{op.id}/edit").text)
    assert form["priority"] == "7"  # a weight set before the levels is kept as it is
    assert "4 Low (weight 7, kept as set)" in th.get(f"/operations/{op.id}/edit").text
    form["priority"] = "256"
    assert th.post(f"/operations/{op.id}/edit", data=form,
                   follow_redirects=False).status_code == 303
    session.expire_all()
    assert session.get(Operation, op.id).priority == 256  # type: ignore[union-attr]
    page = th.get(f"/operations/{op.id}").text
    assert "<dt>Priority</dt><dd>1 Critical</dd>" in page
    assert "priority 1 Critical" in th.get("/board").text


def test_the_api_accepts_a_level_and_still_a_weight(
    client: TestClient, session: Session, people: Any, login: Any
) -> None:
    th = login(client, people["th"])
    doc = op_input()
    doc.pop("priority", None)
    created = th.post("/api/v1/operations", json={**doc, "priority_level": 2})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["priority"], body["priority_level"], body["priority_name"]) == (64, 2, "High")
    listed = th.get("/api/v1/operations").json()[0]
    assert (listed["priority_level"], listed["priority_name"]) == (2, "High")

    by_weight = th.patch(f"/api/v1/operations/{body['id']}",
                         json={"version": body["version"], "priority": 5})
    assert by_weight.status_code == 200  # the weight of existing clients still works
    assert (by_weight.json()["priority"], by_weight.json()["priority_level"]) == (5, 4)
    by_level = th.patch(f"/api/v1/operations/{body['id']}",
                        json={"version": by_weight.json()["version"], "priority_level": 5})
    assert by_level.status_code == 200 and by_level.json()["priority"] == 1


@pytest.mark.parametrize("body, path", [
    ({"priority_level": 6}, "priority_level"),
    ({"priority_level": 1, "priority": 3}, "priority_level"),
])
def test_the_api_names_a_wrong_level(
    client: TestClient, session: Session, people: Any, login: Any, body: dict[str, int],
    path: str,
) -> None:
    th = login(client, people["th"])
    doc = op_input()
    doc.pop("priority", None)
    refused = th.post("/api/v1/operations", json={**doc, **body})
    assert refused.status_code == 422
    assert path in {e["path"].removeprefix("body.") for e in refused.json()["errors"]}
