"""The admin pages: index, search and pages, htmx fragments, in-place delete, window rows."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Unit

HX = {"HX-Request": "true"}


def _many_units(session: Session, n: int) -> None:
    session.add_all(
        Unit(id=f"U-{i:04d}", agency_id="TH-RTP", callsign=f"Cobra {i}", capabilities=["tactical"],
             personnel=5, base_region_id="TH-CRI")
        for i in range(n)
    )
    session.flush()


def test_index_links_every_resource_and_the_import_page(admin) -> None:
    page = admin.get("/admin").text
    for slug in ("units", "users", "agencies", "regions", "roads", "crossings", "agreements",
                 "import"):
        assert f'href="/admin/{slug}"' in page
    assert "4 units" in page and "2 border crossings" in page


def test_units_search_and_pagination(admin, session: Session) -> None:
    _many_units(session, 120)
    first = admin.get("/admin/units").text
    assert "124 found · page 1 of 3" in first and 'rel="next"' in first
    third = admin.get("/admin/units?page=3").text
    assert "U-0119" in third and "U-0000" not in third and 'rel="prev"' in third
    found = admin.get("/admin/units?q=cobra 11", headers=HX)
    assert found.status_code == 200 and "<html" not in found.text
    assert found.text.count("<tr") == 1 + 11  # header + Cobra 11, 110..119
    assert found.headers["Vary"] == "HX-Request"
    assert "No units match “zzz”" in admin.get("/admin/units?q=zzz").text.replace("&#34;", '"')


def test_htmx_delete_removes_the_row_and_toasts(admin, session: Session) -> None:
    response = admin.post("/admin/units/U-MM-1/delete", headers=HX)
    assert response.status_code == 200 and "<tr" not in response.text
    assert 'hx-swap-oob="beforeend:#toasts"' in response.text
    assert "Deleted unit U-MM-1." in response.text
    assert session.get(Unit, "U-MM-1") is None


def test_htmx_form_errors_swap_only_the_form(admin) -> None:
    response = admin.post("/admin/units/U-TH-1", data={"callsign": "", "version": "1"},
                          headers=HX)
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form") and "<html" not in response.text
    assert 'aria-invalid="true"' in response.text


def test_htmx_save_redirects_with_a_flash(admin, session: Session) -> None:
    data = {"callsign": "RTP-1", "capabilities": "tactical", "personnel": "12",
            "base_region_id": "TH-CRI", "version": "1"}
    response = admin.post("/admin/units/U-TH-1", data=data, headers=HX)
    assert response.headers["HX-Redirect"] == "/admin/units"
    assert "Saved%20unit%20U-TH-1." in response.headers["set-cookie"]
    assert session.get(Unit, "U-TH-1").capabilities == ["tactical"]


def test_crossing_form_adds_and_removes_window_rows_in_place(admin) -> None:
    form = admin.get("/admin/crossings/new").text
    assert 'hx-get="/admin/crossings-window-row" hx-target="#windows" hx-swap="beforeend"' in form
    row = admin.get("/admin/crossings-window-row", headers=HX).text
    assert 'name="open_from"' in row and 'name="open_to"' in row
    assert 'hx-swap="delete"' in row and "<html" not in row
    utc = admin.get("/admin/crossings-window-utc", params={
        "open_from": "06:30", "open_to": "21:00", "timezone": "Asia/Yangon"})
    assert utc.text == "= 00:00–14:30 UTC"
    bad = {"open_from": "25:00", "open_to": "26:00", "timezone": "Asia/Yangon"}
    assert admin.get("/admin/crossings-window-utc", params=bad).text == ""


def test_unknown_keys_are_404(admin) -> None:
    assert admin.get("/admin/units/U-NONE/edit").status_code == 404
    assert admin.get("/admin/users/abc/edit").status_code == 404
    assert admin.post("/admin/roads/999999/delete").status_code == 404
