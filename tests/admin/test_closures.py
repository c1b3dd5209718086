"""Issue 11: a crossing's closures are entered by the administrator (date ranges with a
reason) on its edit page, and its time zone is chosen from the zones of the region."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from app.models import CrossingClosure

from .helpers import audit_rows


def test_closures_are_added_listed_and_lifted(admin, session: Session) -> None:
    edit = admin.get("/admin/crossings/X-MSI-TAC/edit").text
    assert 'id="no-closures"' in edit
    done = admin.post("/admin/crossings/X-MSI-TAC/closures", data={
        "closure_starts_on": "2030-04-13", "closure_ends_on": "2030-04-15",
        "closure_reason": "Songkran: the bridge is closed to official traffic"})
    assert done.status_code == 200 and "closed 2030-04-13 to 2030-04-15" in done.text
    [closure] = session.exec(select(CrossingClosure)).all()
    assert (closure.crossing_id, str(closure.starts_on), str(closure.ends_on)) == (
        "X-MSI-TAC", "2030-04-13", "2030-04-15")
    edit = admin.get("/admin/crossings/X-MSI-TAC/edit").text
    assert "Songkran: the bridge is closed to official traffic" in edit
    lifted = admin.post(f"/admin/crossings/X-MSI-TAC/closures/{closure.id}/delete")
    assert lifted.status_code == 200 and "lifted" in lifted.text
    assert session.exec(select(CrossingClosure)).all() == []
    assert [len(audit_rows(session, f"admin.crossing.{a}")) for a in ("closed", "reopened")] \
        == [1, 1]
    again = admin.post(f"/admin/crossings/X-MSI-TAC/closures/{closure.id}/delete")
    assert again.status_code == 409


def _error(page: str, name: str) -> str:
    found = re.search(rf'<p id="err-{name}" class="field-error">([^<]*)</p>', page)
    return found[1] if found else ""


def test_bad_closures_name_the_field_and_keep_what_was_typed(admin, session: Session) -> None:
    bad = admin.post("/admin/crossings/X-MSI-TAC/closures", data={
        "closure_starts_on": "2030-04-15", "closure_ends_on": "2030-04-13",
        "closure_reason": "works on the bridge"})
    assert bad.status_code == 422
    assert _error(bad.text, "closure_ends_on") == "the last day closed is before the first"
    assert 'value="2030-04-15"' in bad.text and 'value="works on the bridge"' in bad.text
    worse = admin.post("/admin/crossings/X-MSI-TAC/closures", data={
        "closure_starts_on": "15/04/2030", "closure_ends_on": "", "closure_reason": " "})
    assert worse.status_code == 422
    assert "(&#39;15/04/2030&#39; is not a date)" in _error(worse.text, "closure_starts_on")
    assert _error(worse.text, "closure_ends_on") == "give the last day closed as YYYY-MM-DD"
    assert _error(worse.text, "closure_reason").startswith("say why the crossing is closed")
    assert 'value="15/04/2030"' in worse.text
    assert session.exec(select(CrossingClosure)).all() == []


def test_the_time_zone_is_chosen_from_the_zones_of_the_region(admin) -> None:
    edit = admin.get("/admin/crossings/X-MSI-TAC/edit").text
    select_html = edit[edit.index('<select id="f-timezone"'):]
    select_html = select_html[:select_html.index("</select>")]
    zones = re.findall(r'<option value="([^"]+)"', select_html)
    assert {"Asia/Bangkok", "Asia/Yangon", "Asia/Vientiane", "Asia/Ho_Chi_Minh",
            "Asia/Phnom_Penh", "Asia/Shanghai"} <= set(zones)
    assert "Asia/Yangon (UTC+06:30)" in select_html
    assert re.search(r'<option value="Asia/Bangkok" selected>', select_html)
    assert '<input id="f-timezone"' not in edit
