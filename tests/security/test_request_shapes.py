"""What a request may not smuggle in (ASVS 5.0 15.3.3, 15.3.7, 1.2.2).

- Mass assignment: ids, workflow state, versions, ownership and timestamps are never
  taken from a body. The input models list their fields and pydantic drops the rest; the
  tests post them anyway and check that nothing of them lands.
- HTTP parameter pollution: a parameter given twice counts once (the last value, as
  Starlette reads a query or a form), and never becomes a list nor reaches a query twice.
- Links built from what the user typed carry it URL-encoded: the board's search text
  comes back whole, as one parameter, and adds none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from operations.samples import op_input
from sqlmodel import Session, select

from app.models import Operation, OperationState, Unit, User
from app.operations.queries import BoardFilters

# Fields of the stored rows that only the server sets.
SMUGGLED: dict[str, Any] = {
    "id": "OP-FORGED", "state": "approved", "version": 42, "created_by_id": 1,
    "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
    "decline_reason": "forged",
    "approvals": [{"country_code": "MM", "kind": "host", "decision": "approved"}],
}


def test_an_operation_body_cannot_set_its_id_state_version_or_owner(
    client: TestClient, session: Session, world: object, make_user: Callable[..., User],
    login: Callable[[TestClient, User], TestClient],
) -> None:
    liaison = make_user(session, role="liaison", agency="TH-RTP", username="th-mass")
    th = login(client, liaison)
    created = th.post("/api/v1/operations", json={**op_input(), **SMUGGLED})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] != "OP-FORGED" and body["state"] == "draft" and body["version"] == 1
    assert body["decline_reason"] is None and not body["created_at"].startswith("2020")
    assert [a["decision"] for a in body["approvals"]] == [None] * len(body["approvals"])
    stored = session.get(Operation, body["id"])
    assert stored is not None and stored.created_by_id == liaison.id
    assert session.get(Operation, "OP-FORGED") is None

    patched = th.patch(f"/api/v1/operations/{body['id']}", json={
        **SMUGGLED, "version": 1, "lead_agency_id": "MM-MPF", "priority": 77})
    assert patched.status_code == 200, patched.text
    after = patched.json()
    assert (after["id"], after["state"], after["version"], after["lead_agency_id"],
            after["priority"]) == (body["id"], "draft", 2, "TH-RTP", 77)
    session.expire_all()
    stored = session.get(Operation, body["id"])
    assert stored is not None and stored.state == OperationState.draft
    assert stored.created_by_id == liaison.id and stored.decline_reason is None


def test_a_unit_body_cannot_move_the_unit_or_set_its_version(
    client: TestClient, session: Session, world: object, make_user: Callable[..., User],
    login: Callable[[TestClient, User], TestClient],
) -> None:
    admin = login(client, make_user(session, role="admin", username="boss-mass"))
    unit = session.exec(select(Unit).where(Unit.agency_id == "TH-RTP")).first()
    assert unit is not None
    key, agency, version = unit.id, unit.agency_id, unit.version
    changed = admin.put(f"/api/v1/admin/units/{key}", json={
        "callsign": "RENAMED", "capabilities": unit.capabilities, "personnel": unit.personnel,
        "base_region_id": unit.base_region_id,
        "id": "U-FORGED", "agency_id": "MM-MPF", "version": 99})
    assert changed.status_code == 200, changed.text
    assert changed.json()["id"] == key and changed.json()["agency_id"] == agency
    session.expire_all()
    stored = session.get(Unit, key)
    assert stored is not None and stored.callsign == "RENAMED"
    assert stored.agency_id == agency and stored.version in (version, version + 1)
    assert stored.version != 99
    assert session.get(Unit, "U-FORGED") is None


def test_a_repeated_parameter_counts_once(
    client: TestClient, session: Session, world: object, make_user: Callable[..., User],
    make_operation: Callable[..., Operation],
    login: Callable[[TestClient, User], TestClient],
) -> None:
    make_operation(session, "TH-RTP", {"TH-MSI": {"tactical": 1}}, op_id="OP-HPP-TH")
    make_operation(session, "TH-RTP", {"LA-BOK": {"tactical": 1}}, op_id="OP-HPP-LA")
    planner = login(client, make_user(session, role="planner", agency="TH-RTP",
                                      username="th-hpp"))

    def ids(query: str) -> set[str]:
        answer = planner.get(f"/api/v1/operations?{query}")
        assert answer.status_code == 200, answer.text
        return {o["id"] for o in answer.json()}

    assert ids("country=TH") == {"OP-HPP-TH"} and ids("country=LA") == {"OP-HPP-LA"}
    # The last value decides: never both, never neither, never an error.
    assert ids("country=LA&country=TH") == {"OP-HPP-TH"}
    assert ids("country=TH&country=LA") == {"OP-HPP-LA"}
    # The earlier copies are neither used nor validated; the last one is, in full.
    assert planner.get("/api/v1/operations?country=TH&country=THX").status_code == 422
    assert ids("country=THX&country=TH") == {"OP-HPP-TH"}
    # The filters rebuilt into links carry the one value.
    page = planner.get("/board?country=LA&country=TH",
                       headers={"HX-Request": "true", "HX-Trigger": "board-filters"})
    assert page.headers["HX-Push-Url"] == "/board?country=TH"
    # A repeated CSRF form field: the last value is the one checked, in full.
    token = planner.headers.pop("X-CSRF-Token")
    for sent in ([token, "forged"], [token, token[:-1]], [token, ""]):
        refused = planner.post("/logout", data={"csrf_token": sent}, follow_redirects=False)
        assert refused.status_code == 403, sent
    accepted = planner.post("/logout", data={"csrf_token": ["forged", token]},
                            follow_redirects=False)
    assert accepted.status_code == 303


HOSTILE = 'a&state=executing#x" onmouseover="alert(1)\' <b>?q=2 %26 % ü/../'


def test_search_text_is_url_encoded_in_the_links_built_from_it(
    client: TestClient, session: Session, world: object, make_user: Callable[..., User],
    login: Callable[[TestClient, User], TestClient],
) -> None:
    for built in (BoardFilters(q=HOSTILE).query_string(),
                  BoardFilters(q=HOSTILE).with_state(OperationState.proposed)):
        parsed = parse_qs(built, strict_parsing=True)
        assert parsed["q"] == [HOSTILE.strip()]
        assert set(parsed) <= {"q", "state"} and parsed.get("state", ["proposed"]) == [
            "proposed"]
        assert not set(built) & set(" \"'<>#")
    planner = login(client, make_user(session, role="planner", agency="TH-RTP",
                                      username="th-links"))
    page = planner.get("/board", params={"q": HOSTILE},
                       headers={"HX-Request": "true", "HX-Trigger": "board-filters"})
    assert page.status_code == 200
    pushed = urlsplit(page.headers["HX-Push-Url"])
    assert pushed.path == "/board" and not pushed.fragment
    assert parse_qs(pushed.query) == {"q": [HOSTILE.strip()]}
    whole = planner.get("/board", params={"q": HOSTILE}).text
    polled = whole.split('id="board-columns"', 1)[1].split('hx-get="', 1)[1].split('"', 1)[0]
    assert parse_qs(urlsplit(polled.replace("&amp;", "&")).query) == {"q": [HOSTILE.strip()]}
    assert 'onmouseover="' not in whole and "<b>?q=2" not in whole


# Format-string and template syntax a user may type (ASVS 5.0 1.3.10, 1.3.7).
FORMAT_TEXT = "Op {0.__class__} {{7*7}} %s %(x)s %n ${7*7} {}"


def test_format_syntax_in_user_text_is_kept_as_typed_everywhere_it_is_shown(
    client: TestClient, session: Session, world: object, make_user: Callable[..., User],
    make_operation: Callable[..., Operation],
    login: Callable[[TestClient, User], TestClient],
) -> None:
    """User text is only ever an argument of a message, never its format string: typed
    braces and percent signs come back as typed in the API and in the pages, whose
    translated messages take it as an argument (nor does Jinja evaluate `{{ }}` in it)."""
    make_operation(session, "TH-RTP", {"TH-MSI": {"tactical": 1}, "MM-TAC": {"tactical": 1}},
                   op_id="OP-FMT")
    make_user(session, role="liaison", agency="MM-MPF", username="mm-fmt")
    th = login(client, make_user(session, role="liaison", agency="TH-RTP", username="th-fmt"))
    patched = th.patch("/api/v1/operations/OP-FMT", json={
        "version": 1, "code_name": FORMAT_TEXT, "description": FORMAT_TEXT})
    assert patched.status_code == 200, patched.text
    assert patched.json()["code_name"] == FORMAT_TEXT
    assert th.post("/api/v1/operations/OP-FMT/propose", json={"version": 2}).status_code == 200
    escaped = FORMAT_TEXT.replace("'", "&#39;")
    page = th.get("/operations/OP-FMT").text
    assert escaped in page and "49" not in page.split(escaped)[1][:40]
    assert escaped in th.get("/board").text
    assert th.get("/api/v1/operations/OP-FMT").json()["description"] == FORMAT_TEXT
