"""JSON API: CRUD, workflow steps, approvals, units, 401/404/409/422."""

from __future__ import annotations

from planning.statements import recorded_statements
from sqlmodel import Session

from app.models import OperationState

from .samples import op_input


def test_create_get_list_and_patch(client, session: Session, people, login) -> None:
    th = login(client, people["th"])
    doc = op_input()
    doc.pop("lead_agency_id")
    created = th.post("/api/v1/operations", json=doc)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "draft" and body["lead_agency_id"] == "TH-RTP"
    assert body["host_countries"] == ["MM", "TH"] and len(body["sites"]) == 2
    op_id = body["id"]
    assert th.get(f"/api/v1/operations/{op_id}").json()["code_name"] == "Golden Net"
    assert [o["id"] for o in th.get("/api/v1/operations").json()] == [op_id]
    assert th.get("/api/v1/operations?country=LA").json() == []
    patched = th.patch(f"/api/v1/operations/{op_id}", json={"version": 1, "priority": 99})
    assert patched.status_code == 200 and patched.json()["priority"] == 99
    assert patched.json()["version"] == 2 and len(patched.json()["sites"]) == 2
    stale = th.patch(f"/api/v1/operations/{op_id}", json={"version": 1, "priority": 3})
    assert stale.status_code == 409
    assert "changed by Test User" in stale.json()["detail"]
    assert th.get(f"/api/v1/operations/{op_id}").json()["priority"] == 99
    assert th.patch(f"/api/v1/operations/{op_id}", json={"priority": 3}).status_code == 422


def test_create_reports_field_errors(client, session: Session, people, login) -> None:
    th = login(client, people["th"])
    bad = th.post("/api/v1/operations", json=op_input(sites=[
        {"region_id": "XX-NONE", "requirements": [{"capability": "tactical", "count": 1}]}]))
    assert bad.status_code == 422
    assert {"path": "sites.0.region_id", "message": "unknown region 'XX-NONE'"} in bad.json()[
        "errors"]
    other = th.post("/api/v1/operations", json=op_input(lead_agency_id="MM-MPF"))
    assert other.status_code == 403


def test_workflow_over_the_api(client, session: Session, people, make_operation, login) -> None:
    make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-API")
    th, mm = login(client, people["th"]), login(client, people["mm"])
    assert th.post("/api/v1/operations/OP-API/propose", json={"version": 1}).json()[
        "state"] == "proposed"
    assert th.post("/api/v1/operations/OP-API/propose", json={"version": 2}).status_code == 409
    pending = mm.get("/api/v1/approvals").json()
    assert pending == [{"operation_id": "OP-API", "code_name": "Mekong Dawn", "version": 2,
                        "country_code": "MM", "kind": "host"}]
    assert th.get("/api/v1/approvals").json() == []
    approved = mm.post("/api/v1/operations/OP-API/approvals",
                       json={"decision": "approved", "version": 2})
    assert approved.status_code == 200
    body = approved.json()
    assert body["state"] == "approved"
    assert body["approvals"][0]["decision"] == "approved" and body["approvals"][0]["by"]
    version = body["version"]
    assert th.post("/api/v1/operations/OP-API/execute",
                   json={"version": version}).status_code == 409  # not scheduled
    no_reason = th.post("/api/v1/operations/OP-API/abort", json={"version": version})
    assert no_reason.status_code == 422
    aborted = th.post("/api/v1/operations/OP-API/abort",
                      json={"reason": "leak suspected", "version": version})
    assert aborted.json()["state"] == OperationState.aborted


def test_units_by_role(client, session: Session, people, login) -> None:
    units = login(client, people["th"]).get("/api/v1/units").json()
    assert {u["id"] for u in units} == {"U-TH-1", "U-TH-2"}
    everyone = login(client, people["planner"]).get("/api/v1/units").json()
    assert {u["id"] for u in everyone} == {"U-TH-1", "U-TH-2", "U-LA-1", "U-MM-1"}


def test_anonymous_gets_401_json(client, session: Session, world) -> None:
    for path in ("/api/v1/operations", "/api/v1/approvals", "/api/v1/units",
                 "/api/v1/operations/OP-X"):
        response = client.get(path)
        assert response.status_code == 401 and response.json() == {"detail": "Please sign in"}


def test_openapi_documents_the_response_models(client) -> None:
    spec = client.app.openapi()
    get_op = spec["paths"]["/api/v1/operations/{operation_id}"]["get"]
    assert "OperationOut" in str(get_op["responses"]["200"]) and "404" in get_op["responses"]
    assert "409" in spec["paths"]["/api/v1/operations/{operation_id}"]["patch"]["responses"]


def test_patch_sites_and_stale_steps(client, session: Session, people, make_operation,
                                     login) -> None:
    op = make_operation(session, "TH-RTP", {"TH-MSI": {"tactical": 1}}, op_id="OP-PS")
    th = login(client, people["th"])
    kept = op.sites[0].id
    sites = [{"id": kept, "region_id": "TH-MSI",
              "requirements": [{"capability": "tactical", "count": 3}]},
             {"region_id": "MM-TAC", "requirements": [{"capability": "cyber", "count": 1}]}]
    body = th.patch("/api/v1/operations/OP-PS", json={"version": 1, "sites": sites}).json()
    assert body["host_countries"] == ["MM", "TH"] and body["version"] == 2
    assert {s["id"] for s in body["sites"]} >= {kept}
    assert [r["count"] for s in body["sites"] if s["id"] == kept
            for r in s["requirements"]] == [3]
    stale = th.post("/api/v1/operations/OP-PS/propose", json={"version": 1})
    assert stale.status_code == 409 and "reload to see their changes" in stale.json()["detail"]
    th.post("/api/v1/operations/OP-PS/propose", json={"version": 2})
    mm = login(client, people["mm"])
    old = mm.post("/api/v1/operations/OP-PS/approvals",
                  json={"decision": "approved", "version": 2})
    assert old.status_code == 409
    assert mm.post("/api/v1/operations/OP-PS/propose",
                   json={"version": 3}).status_code == 403  # host, not lead


def test_every_step_requires_the_version_it_acts_on(
    client, session: Session, people, make_operation, login
) -> None:
    """Without `version` a step could act on content its caller never saw: a 422 that
    names the missing field, and nothing changes."""
    make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-VER")
    th, mm = login(client, people["th"]), login(client, people["mm"])
    for who, step, body in [
        (th, "propose", None), (th, "propose", {}), (mm, "approvals", {"decision": "approved"}),
        (th, "abort", {"reason": "leak suspected"}), (th, "execute", {}), (th, "complete", {}),
    ]:
        response = who.post(f"/api/v1/operations/OP-VER/{step}", json=body)
        assert response.status_code == 422, step
        detail = response.json()
        assert "body.version is required" in detail["detail"] or (
            body is None and "body is required" in detail["detail"]), detail
    assert th.get("/api/v1/operations/OP-VER").json()["version"] == 1


def test_the_approvals_inbox_reads_in_batches_however_many_wait(
    client, session: Session, people, make_operation, login
) -> None:
    """Host countries, decisions, proposers and what else is planned there and then are
    read for all the waiting operations at once (it was seven queries per operation)."""
    th, mm = login(client, people["th"]), login(client, people["mm"])

    def propose(op_id: str) -> None:
        make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id=op_id)
        assert th.post(f"/api/v1/operations/{op_id}/propose", json={"version": 1}).status_code \
            == 200

    propose("OP-IN0")
    mm.get("/api/v1/approvals")  # first view: whatever the process memoises
    session.expire_all()  # the test's session is the app's: nothing may come from memory
    with recorded_statements(session) as one:
        assert [p["operation_id"] for p in mm.get("/api/v1/approvals").json()] == ["OP-IN0"]
    for n in range(1, 6):
        propose(f"OP-IN{n}")
    # The author of a proposal does not find it in their own inbox; the host does.
    assert th.get("/api/v1/approvals").json() == []
    session.expire_all()
    with recorded_statements(session) as six:
        pending = mm.get("/api/v1/approvals").json()
    assert sorted(p["operation_id"] for p in pending) == [f"OP-IN{n}" for n in range(6)]
    assert len(six) == len(one), six
