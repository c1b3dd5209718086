"""Pages: the board (visible only, filters, search, fragments), the forms, the inbox."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from planning.statements import recorded_statements
from sqlmodel import Session, select

from app.models import AuditEvent, Operation, OperationState, Tasking
from app.operations import queries

HX = {"HX-Request": "true"}


def test_board_shows_only_visible_operations_with_counts(
    client, session: Session, people, make_operation, login
) -> None:
    make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-SEEN",
                   code_name="Mekong Dawn")
    make_operation(session, "LA-MPS", {"LA-BOK": {"tactical": 1}}, op_id="OP-HIDDEN",
                   code_name="Secret Lao")
    page = login(client, people["mm"]).get("/board")
    assert page.status_code == 200 and "<html" in page.text
    assert "Mekong Dawn" in page.text and "Secret Lao" not in page.text
    assert "OP-HIDDEN" not in page.text
    assert "1 operation<" in page.text
    assert page.headers["vary"] == "HX-Request"
    # H-hour (the window start) in UTC and in Myanmar's and Thailand's... only its sites' zones
    assert "2026-12-02 00:00Z" in page.text and "(UTC+06:30)" in page.text


def test_board_fragment_for_htmx_and_empty_state(
    client, session: Session, people, make_operation, login
) -> None:
    th = login(client, people["th"])
    empty = th.get("/board", headers=HX)
    assert "<html" not in empty.text and 'id="board-columns"' in empty.text
    assert "No operations yet" in empty.text and 'hx-trigger="every 15s"' in empty.text
    assert empty.headers["vary"] == "HX-Request"
    make_operation(session, "TH-RTP", op_id="OP-ONE")
    restore = th.get("/board", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text and "OP-ONE" in restore.text


def test_board_filters_and_search(client, session: Session, people, make_operation, login) -> None:
    make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-A",
                   code_name="Alpha Net", state=OperationState.proposed)
    make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}}, op_id="OP-B",
                   code_name="Bravo Net")
    th = login(client, people["th"])

    def shown(query: str) -> set[str]:
        text = th.get("/board?" + query, headers=HX).text
        return set(re.findall(r'href="/operations/(OP-[A-Z]+)"', text))

    assert shown("") == {"OP-A", "OP-B"}
    assert shown("country=MM") == {"OP-A"}
    assert shown("state=draft") == {"OP-B"}
    assert shown("q=bravo") == {"OP-B"}
    assert shown("q=op-a") == {"OP-A"}
    assert shown("agency=LA-MPS") == set()
    assert shown("date=2026-12-03") == {"OP-A", "OP-B"}
    assert shown("date=2027-01-01") == set()
    assert "No operation you may see matches" in th.get("/board?q=zzz", headers=HX).text
    polling = th.get("/board?country=MM", headers=HX).text
    assert 'hx-get="/board?country=MM"' in polling
    from_form = th.get("/board?q=&country=MM&agency=&state=&date=",
                       headers={**HX, "HX-Trigger": "board-filters"})
    assert from_form.headers["HX-Push-Url"] == "/board?country=MM"
    assert "HX-Push-Url" not in th.get("/board?country=MM", headers=HX).headers


def test_a_long_column_shows_its_first_cards_and_a_link_to_all(
    client, session: Session, people, make_operation, login, monkeypatch
) -> None:
    monkeypatch.setattr(queries, "CARDS_PER_COLUMN", 2)
    for n in range(3):
        make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}}, op_id=f"OP-D{'ABC'[n]}",
                       code_name=f"Draft {n}", start=datetime(2026, 12, 2 + n, tzinfo=UTC))
    make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}}, op_id="OP-P",
                   state=OperationState.proposed)
    th = login(client, people["th"])
    page = th.get("/board?country=TH").text
    # The first two drafts by start; the badge still counts all three.
    assert "OP-DA" in page and "OP-DB" in page and "OP-DC" not in page
    assert re.search(r'id="col-draft">Draft <span class="badge">3</span>', page)
    assert 'href="/board?country=TH&amp;state=draft">Show all 3 draft operations' in page
    assert "OP-P" in page and "Show all 1" not in page  # a short column has no link
    whole = th.get("/board?country=TH&state=draft").text
    assert "OP-DC" in whole and "Show all" not in whole
    # The API lists every operation, whatever the board shows.
    listed = th.get("/api/v1/operations?country=TH").json()
    assert {o["id"] for o in listed} == {"OP-DA", "OP-DB", "OP-DC", "OP-P"}


def test_operation_page_shows_approvals_history_and_actions(
    client, session: Session, people, make_operation, login
) -> None:
    op = make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 2}}, op_id="OP-DET",
                        tlp="RED")
    th = login(client, people["th"])
    page = th.get("/operations/OP-DET")
    assert page.status_code == 200
    assert 'class="tlp-banner tlp-RED"' in page.text and "2 × tactical" in page.text
    assert 'action="/operations/OP-DET/propose"' in page.text
    assert 'href="/operations/OP-DET/edit"' in page.text
    # The Myanmar host may not propose nor edit, and has nothing to decide on a draft.
    mm = login(client, people["mm"])
    draft_view = mm.get("/operations/OP-DET").text
    assert "/propose" not in draft_view and "/edit" not in draft_view
    assert 'name="decision"' not in draft_view
    proposed = th.post("/operations/OP-DET/propose", data={"version": op.version},
                       follow_redirects=False)
    assert proposed.status_code == 303 and proposed.headers["location"] == "/operations/OP-DET"
    mm_page = mm.get("/operations/OP-DET").text
    assert 'name="decision" value="approved"' in mm_page
    assert "<strong>th-liaison</strong>" not in mm_page  # names: full name first
    assert "<strong>Test User</strong> · propose" in mm_page
    declined = mm.post("/operations/OP-DET/approvals",
                       data={"decision": "declined", "reason": "Wrong district", "version": "2"},
                       follow_redirects=False)
    assert declined.status_code == 303
    after = th.get("/operations/OP-DET").text
    assert "Declined — MM: Wrong district" in after and "draft" in after


def test_published_taskings_give_h_hour_and_routes(
    client, session: Session, people, make_operation, login
) -> None:
    op = make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-PUB",
                        state=OperationState.scheduled)
    h_hour = datetime(2026, 12, 2, 20, 30, tzinfo=UTC)
    session.add(Tasking(uid="t-pub@jointops", operation_id=op.id, unit_id="U-TH-2",
                        site_id=op.sites[0].id, capability="tactical", start=h_hour,
                        end=h_hour + timedelta(hours=4), depart=h_hour - timedelta(hours=2),
                        return_at=h_hour + timedelta(hours=6), crossing_id="X-MSI-TAC",
                        cross_out=h_hour - timedelta(hours=1),
                        cross_back=h_hour + timedelta(hours=5)))
    session.flush()
    th = login(client, people["th"])
    card = th.get("/board?q=OP-PUB", headers=HX).text
    assert "H-hour:" in card and "2026-12-02 20:30Z" in card
    assert "MM 2026-12-03 03:00 (UTC+06:30)" in card
    page = th.get("/operations/OP-PUB").text
    assert "RTP-2" in page and "TH-MSI → Mae Sai - Tachileik → MM-TAC" in page
    assert "out 2026-12-03 02:30 (UTC+07:00)" in page  # crossing hours in its local time
    assert 'action="/operations/OP-PUB/execute"' in page


def test_editing_an_approved_operation_in_the_form_proposes_it_again(
    client, session: Session, people, make_operation, login
) -> None:
    make_operation(session, "TH-RTP", op_id="OP-APR", state=OperationState.approved)
    th = login(client, people["th"])
    page = th.get("/operations/OP-APR/edit").text
    assert "sends this operation back to <strong>proposed</strong>" in page
    form = _form_of(page)
    form["priority"] = "42"
    saved = th.post("/operations/OP-APR/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303
    detail = th.get("/operations/OP-APR").text
    # The history names what changed, and where the edit sent the operation.
    assert "state-proposed" in detail and "edit (priority) → proposed" in detail


def test_deconfliction_warning(client, session: Session, people, make_operation, login) -> None:
    make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}}, op_id="OP-X1")
    make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}}, op_id="OP-X2",
                   code_name="Other One")
    page = login(client, people["th"]).get("/operations/OP-X1").text
    assert "Deconfliction warning" in page and "Other One" in page and "TH-CRI" in page
    # The Myanmar liaison sees neither, and a Lao-only operation warns nobody it hides.
    make_operation(session, "LA-MPS", {"TH-MSI": {"tactical": 1}}, op_id="OP-X3")
    assert "OP-X2" in login(client, people["th"]).get("/operations/OP-X1").text


def test_deconfliction_reads_the_same_statements_however_many_operations_overlap(
    client, session: Session, people, make_operation, login
) -> None:
    """The overlapping operations' sites come in one query, not one per operation."""
    make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}}, op_id="OP-Y0")
    make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}}, op_id="OP-Y1")
    th = login(client, people["th"])
    th.get("/operations/OP-Y0")  # first view: whatever the process memoises
    with recorded_statements(session) as few:
        assert "OP-Y1" in th.get("/operations/OP-Y0").text
    for n in range(2, 7):
        make_operation(session, "TH-RTP", {"TH-CRI": {"tactical": 1}}, op_id=f"OP-Y{n}")
    with recorded_statements(session) as many:
        assert "OP-Y6" in th.get("/operations/OP-Y0").text
    assert len(many) == len(few), many[len(few):]


def test_new_form_saves_a_draft_and_shows_errors_next_to_fields(
    client, session: Session, people, login
) -> None:
    th = login(client, people["th"])
    assert 'name="sites.0.region_id"' in th.get("/operations/new").text
    form = {
        "code_name": "River Hawk", "priority": "5", "tlp": "GREEN",
        "earliest_start": "2026-12-02T00:00", "latest_end": "2026-12-02T02:00",
        "duration_minutes": "240", "sites.0.region_id": "TH-MSI",
        "sites.0.requirements.0.capability": "tactical",
        "sites.0.requirements.0.count": "0",
    }
    bad = th.post("/operations/new", data=form)
    assert bad.status_code == 422
    assert re.search(r'id="f-duration_minutes"[^>]*aria-invalid="true"', bad.text)
    assert "shorter than this" in bad.text
    assert 'id="err-sites-0-requirements-0-count"' in bad.text
    assert 'value="River Hawk"' in bad.text  # the input is kept
    form.update({"latest_end": "2026-12-03T00:00", "sites.0.requirements.0.count": "2"})
    ok = th.post("/operations/new", data=form, follow_redirects=False)
    assert ok.status_code == 303
    op = session.exec(select(Operation).where(Operation.code_name == "River Hawk")).one()
    assert ok.headers["location"] == f"/operations/{op.id}"
    assert op.lead_agency_id == "TH-RTP" and op.state == OperationState.draft


def test_row_fragments_add_and_remove_in_place(client, session: Session, people, login) -> None:
    th = login(client, people["th"])
    base = {"code_name": "X", "sites.0.region_id": "TH-MSI",
            "sites.0.requirements.0.capability": "tactical",
            "sites.0.requirements.0.count": "1"}
    added = th.post("/operations/form/rows", data={**base, "row_action": "add_site"},
                    headers=HX)
    assert added.status_code == 200 and "<html" not in added.text
    assert 'id="sites-block"' in added.text and 'name="sites.1.region_id"' in added.text
    assert "autofocus" in added.text
    req = th.post("/operations/form/rows", data={**base, "row_action": "add_req:0"}, headers=HX)
    assert 'name="sites.0.requirements.1.capability"' in req.text
    removed = th.post("/operations/form/rows", data={**base, "row_action": "remove_site:0"},
                      headers=HX)
    assert 'name="sites.0.region_id"' not in removed.text
    # Without JavaScript the same button re-renders the whole page and saves nothing.
    page = th.post("/operations/new", data={**base, "row_action": "add_site"})
    assert "<html" in page.text and 'name="sites.1.region_id"' in page.text
    assert session.exec(select(Operation).where(Operation.code_name == "X")).first() is None


def test_edit_form_conflict_is_a_clear_409(
    client, session: Session, people, make_operation, login
) -> None:
    op = make_operation(session, "TH-RTP", op_id="OP-EDIT")
    th = login(client, people["th"])
    page = th.get("/operations/OP-EDIT/edit")
    assert 'name="version" value="1"' in page.text
    # Times in the Thai liaison officer's own zone (2026-12-02 00:00Z), 24-hour.
    assert 'value="2026-12-02 07:00"' in page.text
    assert '<option value="Asia/Bangkok" selected' in page.text
    form = _form_of(page.text)
    form["code_name"] = "Changed by admin"
    assert login(client, people["admin"]).post(
        "/operations/OP-EDIT/edit", data=form, follow_redirects=False).status_code == 303
    form["code_name"] = "My stale change"
    stale = th.post("/operations/OP-EDIT/edit", data=form)
    assert stale.status_code == 409
    assert "This operation was changed by Test User at" in stale.text
    assert "reload to see their changes" in stale.text
    session.expire_all()
    assert session.get(Operation, op.id).code_name == "Changed by admin"  # type: ignore[union-attr]
    assert session.exec(select(AuditEvent).where(AuditEvent.object_id == "OP-EDIT")).all()


def _form_of(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    # Within one select (a multiple select with nothing chosen has no selected option).
    for name, value in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(?:(?!</select>).)*?'
                                  r'<option value="([^"]*)" selected', html, flags=re.S):
        fields[name] = value
    fields.pop("csrf_token", None)
    fields.update({k: v for k, v in re.findall(
        r'<input value="([^"]*)"[^>]*name="([^"]+)"', html)})
    return fields


def test_inbox_approves_inline(client, session: Session, people, make_operation, login) -> None:
    make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-INB",
                   state=OperationState.proposed, code_name="Inbox Op")
    mm = login(client, people["mm"])
    page = mm.get("/approvals")
    assert "Inbox Op" in page.text and 'hx-target="#inbox"' in page.text
    assert "Inbox Op" not in login(client, people["la"]).get("/approvals").text
    done = mm.post("/operations/OP-INB/approvals", headers=HX,
                   data={"decision": "approved", "kind": "host", "back": "inbox",
                         "version": "1"})
    assert done.status_code == 200 and "<html" not in done.text
    assert "Inbox Op: approved." in done.text and "Nothing waits" in done.text
    declined = mm.post("/operations/OP-INB/approvals", headers=HX,
                       data={"decision": "declined", "back": "inbox", "version": "2"})
    assert declined.status_code == 409  # already approved by every host: no longer proposed


def test_visible_but_not_allowed_is_403_and_admin_picks_the_lead_agency(
    client, session: Session, people, make_operation, login
) -> None:
    make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-403")
    mm = login(client, people["mm"])
    assert mm.post("/operations/OP-403/propose", data={"version": "1"}).status_code == 403
    missing = login(client, people["th"]).post("/operations/OP-403/propose")
    assert missing.status_code == 422 and "version is required" in missing.text
    assert mm.get("/operations/OP-403/edit").status_code == 403
    assert login(client, people["planner"]).get("/operations/new").status_code == 403
    admin = login(client, people["admin"])
    assert '<option value="LA-MPS">' in admin.get("/operations/new").text
    form = {"code_name": "Admin Op", "lead_agency_id": "LA-MPS", "priority": "1",
            "tlp": "CLEAR", "earliest_start": "2026-12-02T00:00",
            "latest_end": "2026-12-02T08:00", "duration_minutes": "60",
            "sites.0.region_id": "LA-BOK", "sites.0.requirements.0.capability": "tactical",
            "sites.0.requirements.0.count": "1"}
    assert admin.post("/operations/new", data=form, follow_redirects=False).status_code == 303
    op = session.exec(select(Operation).where(Operation.code_name == "Admin Op")).one()
    assert op.lead_agency_id == "LA-MPS"
