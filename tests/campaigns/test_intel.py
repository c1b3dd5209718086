"""Intelligence notes: originator control, releases and their withdrawal, audited reads,
search over visible notes only, and need-to-know on every note route (A, B, C, roles)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from sqlmodel import Session, col, select

from app.campaigns import intel, service
from app.errors import Forbidden
from app.models import AuditEvent, IntelNote, Role

from .story import Story

SECRET_TITLE = "Paymaster of the Shwe Kokko compound"


def _note(session: Session, story: Story, *, subject: str | None = None,
          key: str = "A") -> IntelNote:
    target = intel.create_target(session, data={"name": "KK Park", "kind": "compound",
                                                "region_id": "MM-TAC", "location": "Moei river"},
                                 actor=story.users[(key, Role.liaison)])
    data = intel.validate(session, user=story.users[(key, Role.liaison)], data={
        "title": SECRET_TITLE, "text": "Cash moves on Fridays.", "tlp": "AMBER+STRICT",
        "reliability": "B", "credibility": "2", "subject": subject or f"target:{target.id}"})
    return intel.create(session, data=data, actor=story.users[(key, Role.liaison)])


def _titles(session: Session, user: Any, q: str | None = None) -> list[str]:
    return [n.title for n in intel.search(session, user=user, q=q)]


def test_release_request_approval_and_withdrawal(session: Session, story: Story) -> None:
    note = _note(session, story)
    a, b, c = (story.users[(k, Role.liaison)] for k in "ABC")
    assert _titles(session, a) == [SECRET_TITLE]
    assert _titles(session, b) == [] and _titles(session, c) == []
    intel.release(session, note=note, agency_id="LA-MPS", actor=a)
    assert _titles(session, story.users[("B", Role.planner)], q="paymaster") == [SECRET_TITLE]
    assert _titles(session, b, q="nothing like it") == []
    # Laos asks to pass it on to Myanmar: only the originator's approval releases it.
    request = intel.release(session, note=note, agency_id="MM-MPF", actor=b)
    assert request.state == "requested" and _titles(session, c) == []
    with pytest.raises(Forbidden):
        intel.decide(session, note=note, release_id=request.id or 0, approve=True, actor=b)
    intel.decide(session, note=note, release_id=request.id or 0, approve=True, actor=a)
    assert _titles(session, c) == [SECRET_TITLE]
    intel.decide(session, note=note, release_id=request.id or 0, approve=False, actor=a)
    assert _titles(session, c) == []
    # Administrators and unit officers are not readers by office.
    assert _titles(session, story.users[("A", Role.admin)]) == []
    assert _titles(session, story.users[("A", Role.unit_officer)]) == []


def test_a_note_on_an_operation_stays_hidden_from_who_may_not_see_it(
    session: Session, story: Story
) -> None:
    note = _note(session, story, subject=f"operation:{story.th_only.id}")
    intel.release(session, note=note, agency_id="LA-MPS", actor=story.users[("A", Role.liaison)])
    # Released to Laos, but Laos has no need to know of the Thai-only raid.
    assert _titles(session, story.users[("B", Role.liaison)]) == []
    with pytest.raises(service.InvalidInput) as caught:
        intel.validate(session, user=story.users[("B", Role.liaison)], data={
            "title": "x", "text": "y", "tlp": "RED", "reliability": "G", "credibility": 7,
            "subject": f"operation:{story.th_only.id}"})
    assert set(caught.value.errors) == {"reliability", "credibility"}
    with pytest.raises(service.InvalidInput) as caught:
        intel.validate(session, user=story.users[("B", Role.liaison)], data={
            "title": "x", "text": "y", "tlp": "RED", "reliability": "A", "credibility": 1,
            "subject": f"operation:{story.th_only.id}"})
    assert "not a campaign, operation or target" in caught.value.errors["subject"]


def _client(client: Any, login: Any, story: Story, key: str, role: Role) -> Any:
    return login(client, story.users[(key, role)])


def test_note_routes_by_agency_and_role_and_reads_audited(
    client: Any, login: Any, session: Session, story: Story
) -> None:
    note = _note(session, story)
    intel.release(session, note=note, agency_id="LA-MPS", actor=story.users[("A", Role.liaison)])
    session.flush()
    problems = []
    for (key, role), user in story.users.items():
        api = login(client, user)
        readable = role in (Role.planner, Role.liaison) and key in ("A", "B")
        for url in (f"/intel/{note.id}", f"/api/v1/intel/notes/{note.id}"):
            got = api.get(url).status_code
            want = 200 if readable else (403 if role not in intel.READER_ROLES else 404)
            if got != want:
                problems.append(f"GET {url} as {key} {role.value}: {got}, expected {want}")
        for url in ("/intel", "/api/v1/intel/notes", "/intel?q=Paymaster"):
            response = api.get(url)
            shown = SECRET_TITLE in response.text
            if response.status_code == 200 and shown != readable:
                problems.append(f"GET {url} as {key} {role.value}: title shown={shown}")
        if not readable:
            post = api.post(f"/api/v1/intel/notes/{note.id}/releases",
                            json={"agency_id": "MM-MPF"})
            if post.status_code not in (403, 404):
                problems.append(f"release as {key} {role.value}: {post.status_code}")
    assert problems == []
    reads = session.exec(select(AuditEvent).where(
        AuditEvent.object_type == "note", AuditEvent.action == "read",
        AuditEvent.object_id == str(note.id)).order_by(col(AuditEvent.id))).all()
    readers = {(e.actor_id, e.details["via"]) for e in reads}
    assert len(reads) == 8  # A and B, planner and liaison, page and API
    assert (story.users[("B", Role.planner)].id, "api") in readers


def test_withdrawal_takes_effect_on_the_next_request(
    client: Any, login: Any, session: Session, story: Story
) -> None:
    note = _note(session, story)
    a = _client(client, login, story, "A", Role.liaison)
    b = _client(client, login, story, "B", Role.liaison)
    assert a.post(f"/intel/{note.id}/releases", data={"agency_id": "LA-MPS"},
                  follow_redirects=False).status_code == 303
    assert b.get(f"/intel/{note.id}").status_code == 200
    page = a.get(f"/intel/{note.id}").text
    assert "Withdraw LA-MPS" in page and "AMBER+STRICT" in page
    release_id = intel.releases_of(session, note.id or 0)[0].id
    assert a.post(f"/intel/{note.id}/releases/{release_id}/withdraw",
                  follow_redirects=False).status_code == 303
    assert b.get(f"/intel/{note.id}").status_code == 404


def test_note_form_keeps_input_on_errors(client: Any, login: Any, story: Story) -> None:
    a = _client(client, login, story, "A", Role.planner)
    assert "Source reliability" in a.get("/intel/new").text
    bad = a.post("/intel/new", data={"title": "Boat movements", "text": "", "tlp": "GREEN",
                                     "reliability": "B", "credibility": "2", "subject": ""})
    assert bad.status_code == 422 and 'value="Boat movements"' in bad.text
    good = a.post("/intel/new", data={"title": "Boat movements", "text": "Night crossings",
                                      "tlp": "GREEN", "reliability": "B", "credibility": "2",
                                      "subject": f"campaign:{story.campaign.id}"},
                  follow_redirects=False)
    assert good.status_code == 303
    assert "Night crossings" in a.get(good.headers["location"]).text


def test_attachments_size_type_download_and_audit(
    client: Any, login: Any, session: Session, story: Story
) -> None:
    note = _note(session, story)
    a = _client(client, login, story, "A", Role.liaison)
    url = f"/intel/{note.id}/attachments"
    html = a.post(url, files={"file": ("evil.html", b"<script>alert(1)</script>",
                                       "text/html")})
    assert html.status_code == 422 and "only PDF, PNG, JPEG" in html.text
    big = a.post(url, files={"file": ("big.pdf", b"%PDF-" + b"0" * intel.MAX_ATTACHMENT_BYTES,
                                      "application/pdf")})
    assert big.status_code == 422 and "larger than 2 MiB" in big.text
    # A PDF claimed as HTML is stored as a PDF: the bytes decide.
    ok = a.post(url, files={"file": ("ledger.pdf", b"%PDF-1.7 ledger", "text/html")},
                follow_redirects=False)
    assert ok.status_code == 303
    (att_id, name, ctype, size), = intel.attachments_of(session, note.id or 0)
    assert (name, ctype, size) == ("ledger.pdf", "application/pdf", 15)
    got = a.get(f"{url}/{att_id}")
    assert got.status_code == 200 and got.content == b"%PDF-1.7 ledger"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["content-type"] == "application/pdf"
    # Laos holds no release: the file is as hidden as the note; then released, not originator.
    b = _client(client, login, story, "B", Role.liaison)
    assert b.get(f"{url}/{att_id}").status_code == 404
    intel.release(session, note=note, agency_id="LA-MPS", actor=story.users[("A", Role.liaison)])
    assert b.get(f"{url}/{att_id}").status_code == 200
    assert b.post(url, files={"file": ("x.txt", b"hello", "text/plain")}).status_code == 403
    vias = [e.details["via"] for e in session.exec(select(AuditEvent).where(
        AuditEvent.object_type == "note", AuditEvent.action == "read"))]
    assert vias.count(f"attachment {att_id}") == 2


def test_target_form_adds_a_target_or_marks_the_field(
    client: Any, login: Any, session: Session, story: Story
) -> None:
    a = _client(client, login, story, "A", Role.liaison)
    page = a.get("/intel/new").text
    assert 'name="name" id="f-target-name"' in page and 'name="region_id"' in page
    bad = a.post("/intel/targets", data={"name": "", "kind": "compound", "region_id": "TH-MSI"})
    assert bad.status_code == 422 and 'aria-describedby="err-target-name"' in bad.text
    good = a.post("/intel/targets", data={"name": "River compound", "kind": "compound",
                                          "region_id": "TH-MSI", "location": "North bank"},
                  follow_redirects=False)
    assert good.status_code == 303
    assert "Target: River compound (compound, TH-MSI)" in a.get("/intel/new").text


def test_a_hostile_attachment_name_is_encoded_in_the_download_header(
    client: Any, login: Any, session: Session, story: Story
) -> None:
    # ASVS 5.0 5.4.2: the name a user gave travels percent-encoded (RFC 6266/5987), so
    # quotes, semicolons and other parameters cannot be added to the header.
    note = _note(session, story)
    a = _client(client, login, story, "A", Role.liaison)
    url = f"/intel/{note.id}/attachments"
    hostile = 'ledger"; filename="evil.html; ກ ..\\a.pdf'
    sent = a.post(url, files={"file": (hostile, b"%PDF-1.7 ledger", "application/pdf")},
                  follow_redirects=False)
    assert sent.status_code == 303
    (att_id, _name, _ctype, _size), = intel.attachments_of(session, note.id or 0)
    header = a.get(f"{url}/{att_id}").headers["content-disposition"]
    assert header.startswith("attachment; filename*=UTF-8''")
    value = header.removeprefix("attachment; filename*=UTF-8''")
    assert all(ch not in value for ch in '"; \\\r\n'), header
    assert unquote(value).endswith("a.pdf")
