"""Issue 13, cordons on the board: an operation asks for a cordon on the API and on the
form; bad input names its field and keeps what was typed; the page shows it."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from app.models import CordonCrossing, Operation, OperationCordon

from .samples import op_input

CORDON = {"crossings": ["X-MSI-TAC"], "lead_minutes": 90, "tail_minutes": 30,
          "units_per_side": 1}

FORM = {
    "code_name": "Closed Bridge", "priority": "16", "tlp": "AMBER",
    "earliest_start": "2026-12-02 00:00", "latest_end": "2026-12-03 00:00",
    "duration_minutes": "240", "time_zone": "UTC",
    "sites.0.region_id": "MM-TAC", "sites.0.objective": "Compound",
    "sites.0.requirements.0.capability": "tactical", "sites.0.requirements.0.count": "1",
}


def test_the_api_creates_reads_changes_and_drops_a_cordon(
    client: Any, session: Session, people: Any, login: Any, world: Any
) -> None:
    th = login(client, people["th"])
    made = th.post("/api/v1/operations", json=op_input(cordon=CORDON))
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["cordon"] == {**CORDON, "within_km": None, "allow_own_passages": False}
    op_id = body["id"]
    assert th.get(f"/api/v1/operations/{op_id}").json()["cordon"]["crossings"] == ["X-MSI-TAC"]
    stored = session.get(OperationCordon, op_id)
    assert stored is not None and stored.lead_minutes == 90
    # A radius instead of the list; the listed crossings go.
    radius = {"within_km": 25, "lead_minutes": 0, "tail_minutes": 0, "units_per_side": 2,
              "allow_own_passages": True}
    changed = th.patch(f"/api/v1/operations/{op_id}",
                       json={"version": body["version"], "cordon": radius})
    assert changed.status_code == 200, changed.text
    assert changed.json()["cordon"] == {**radius, "crossings": None, "within_km": 25.0}
    session.expire_all()
    assert session.exec(select(CordonCrossing).where(
        CordonCrossing.operation_id == op_id)).all() == []
    # A PATCH without the key keeps it; null removes it.
    kept = th.patch(f"/api/v1/operations/{op_id}",
                    json={"version": changed.json()["version"], "code_name": "Renamed"})
    assert kept.json()["cordon"]["within_km"] == 25.0
    dropped = th.patch(f"/api/v1/operations/{op_id}",
                       json={"version": kept.json()["version"], "cordon": None})
    assert dropped.status_code == 200 and dropped.json()["cordon"] is None
    session.expire_all()
    assert session.get(OperationCordon, op_id) is None
    # Deleting the operation takes its cordon along (no orphan rows).
    assert session.get(Operation, op_id) is not None


def test_api_errors_name_the_cordon_field(
    client: Any, session: Session, people: Any, login: Any, world: Any
) -> None:
    th = login(client, people["th"])
    cases = [
        ({**CORDON, "crossings": ["X-NOPE"]}, "cordon.crossings", "unknown crossing 'X-NOPE'"),
        ({**CORDON, "lead_minutes": -5}, "cordon.lead_minutes", "greater than or equal to 0"),
        ({**CORDON, "units_per_side": 0}, "cordon.units_per_side", "greater than or equal to 1"),
        ({**CORDON, "within_km": 10}, "cordon.within_km", "not both"),
        ({"lead_minutes": 5, "tail_minutes": 5, "units_per_side": 1}, "cordon.within_km",
         "choose the crossings"),
        ({**CORDON, "crossings": ["X-MSI-TAC", "X-MSI-TAC"]}, "cordon.crossings", "twice"),
    ]
    for cordon, path, words in cases:
        answer = th.post("/api/v1/operations", json=op_input(cordon=cordon))
        assert answer.status_code == 422, (cordon, answer.text)
        # Rules of the body's shape answer at `body.…`, rules of the board at the field.
        errors = {e["path"].removeprefix("body."): e["message"]
                  for e in answer.json()["errors"]}
        assert path in errors and words in errors[path], (cordon, errors)
    assert session.exec(select(OperationCordon)).all() == []


def test_the_form_saves_a_cordon_and_the_page_shows_it(
    client: Any, session: Session, people: Any, login: Any, world: Any
) -> None:
    th = login(client, people["th"])
    session.commit()
    blank = th.get("/operations/new")
    assert 'name="cordon_mode"' in blank.text and "Mae Sai - Tachileik (X-MSI-TAC)" in blank.text
    saved = th.post("/operations/new", data={
        **FORM, "cordon_mode": "crossings", "cordon.crossings": ["X-MSI-TAC", "X-CKG-HXY"],
        "cordon.within_km": "", "cordon.lead_minutes": "45", "cordon.tail_minutes": "15",
        "cordon.units_per_side": "2"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    op_id = saved.headers["location"].rsplit("/", 1)[-1]
    session.expire_all()
    cordon = session.get(OperationCordon, op_id)
    assert cordon is not None and (cordon.lead_minutes, cordon.tail_minutes,
                                   cordon.units_per_side) == (45, 15, 2)
    assert sorted(c.crossing_id for c in cordon.crossings) == ["X-CKG-HXY", "X-MSI-TAC"]
    page = th.get(f"/operations/{op_id}")
    assert "Chiang Khong - Huay Xai" in page.text and "45 min before H-hour" in page.text
    assert "2 border-control units" in page.text
    # The edit form comes back with the cordon as stored.
    form = th.get(f"/operations/{op_id}/edit").text
    assert 'value="X-MSI-TAC" selected' in form and 'value="45"' in form


def test_bad_cordon_input_is_a_field_message_with_the_input_kept(
    client: Any, session: Session, people: Any, login: Any, world: Any
) -> None:
    th = login(client, people["th"])
    session.commit()
    page = th.post("/operations/new", data={
        **FORM, "cordon_mode": "radius", "cordon.within_km": "", "cordon.lead_minutes": "-1",
        "cordon.tail_minutes": "20", "cordon.units_per_side": "3"})
    assert page.status_code == 422
    assert 'id="err-cordon-within_km"' in page.text and "give the radius in km" in page.text
    assert 'id="err-cordon-lead_minutes"' in page.text
    assert 'href="#err-cordon-lead_minutes">Cordon: lead before H-hour</a>' in page.text
    for kept in ('value="-1"', 'value="20"', 'value="3"', 'value="radius" selected',
                 'value="Closed Bridge"'):
        assert kept in page.text, kept
    chosen = th.post("/operations/new", data={
        **FORM, "cordon_mode": "crossings", "cordon.lead_minutes": "10",
        "cordon.tail_minutes": "10", "cordon.units_per_side": "1"})
    assert chosen.status_code == 422 and "choose at least one crossing" in chosen.text
    assert session.exec(select(Operation).where(
        Operation.code_name == "Closed Bridge")).first() is None


def test_changing_the_cordon_of_an_approved_operation_goes_back_to_the_hosts(
    client: Any, session: Session, people: Any, login: Any, world: Any
) -> None:
    th, mm = login(client, people["th"]), login(client, people["mm"])
    sites = [{"region_id": "MM-TAC", "objective": "compound",
              "requirements": [{"capability": "tactical", "count": 1}]}]
    made = th.post("/api/v1/operations", json=op_input(sites=sites, cordon=CORDON)).json()
    proposed = th.post(f"/api/v1/operations/{made['id']}/propose",
                       json={"version": made["version"]}).json()
    approved = mm.post(f"/api/v1/operations/{made['id']}/approvals",
                       json={"decision": "approved", "version": proposed["version"]}).json()
    assert approved["state"] == "approved"
    # The cordon is part of what the host approved: changing it asks first, then
    # restarts the approval.
    longer = {**CORDON, "tail_minutes": 120}
    asked = th.patch(f"/api/v1/operations/{made['id']}",
                     json={"version": approved["version"], "cordon": longer})
    assert asked.status_code == 409 and "confirm" in asked.json()["detail"]
    changed = th.patch(f"/api/v1/operations/{made['id']}",
                       json={"version": approved["version"], "cordon": longer,
                             "confirm_cancel": True})
    assert changed.status_code == 200, changed.text
    assert changed.json()["state"] == "proposed"
    assert changed.json()["cordon"]["tail_minutes"] == 120
    assert "120 min after the end" in th.get(f"/operations/{made['id']}").text
