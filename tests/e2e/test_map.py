"""Issue 11, the map, in real Chromium with nothing but the board reachable: a site's
point picked on the map, then the operation page draws its sites over the vendored
country borders, with no tile server, CDN or CSP violation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from .conftest import LiveServer, login, save_screenshot

CODE_NAME = "Map Kingfisher"


def _offline(page: Any) -> list[str]:
    """Abort every request not to 127.0.0.1 (as in the field: no internet); the list of
    what was refused fills as the page runs."""
    refused: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith("data:"):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    page.context.route("**/*", route)
    return refused


def test_site_picked_on_the_map_and_the_operation_map_draws_offline(
    new_page: Any, live_server: LiveServer
) -> None:
    page = new_page()
    refused = _offline(page)
    login(page, "th-liaison")
    page.goto("/operations/new")
    page.get_by_label("Code name").fill(CODE_NAME)
    start = live_server.day0 + timedelta(days=6)
    page.get_by_label("Times entered in").select_option("UTC")
    page.get_by_label("Earliest start").fill(start.strftime("%Y-%m-%d %H:%M"))
    page.get_by_label("Latest end").fill((start + timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))
    # Site 1 typed; site 2 picked with a click on the map.
    page.locator("#f-sites-0-region_id").select_option("TH-MSI")
    page.locator("#f-sites-0-lat").fill("20.4330")
    page.locator("#f-sites-0-lon").fill("99.8790")
    page.locator("#f-sites-0-requirements-0-capability").fill("tactical")
    page.get_by_role("button", name="Add site").click()
    page.locator("#f-sites-1-region_id").select_option("TH-CKG")
    page.locator("#f-sites-1-requirements-0-capability").fill("k9")
    picker = page.locator("#site-picker")
    picker.wait_for(state="visible")
    # Waits through selectors: wait_for_function evaluates a string, which the CSP refuses.
    page.locator("#site-picker[data-borders-drawn]").wait_for()
    page.get_by_role("button", name="Pick site 2 on the map").click()
    assert "Click the map to place site 2" in page.locator("#site-picker-status").inner_text()
    box = picker.bounding_box()
    picker.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
    lat = float(page.locator("#f-sites-1-lat").input_value())
    lon = float(page.locator("#f-sites-1-lon").input_value())
    assert 8 <= lat <= 27 and 92 <= lon <= 110, (lat, lon)
    assert "Site 2 placed at" in page.locator("#site-picker-status").inner_text()
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(lambda url: "/operations/OP-" in url)

    # The operation page: the map drew both sites over the country borders.
    card = page.locator("#op-map .map")
    page.locator('#op-map .map[data-map-ready="yes"][data-borders-drawn]').wait_for()
    sites = card.locator(".leaflet-overlay-pane path.map-site")
    borders = card.locator(".leaflet-overlay-pane path.map-border")
    assert sites.count() == 2
    assert borders.count() >= 6  # Thailand, Laos, Myanmar, Cambodia, Vietnam, China ...
    assert card.locator(".leaflet-tile").count() == 0  # no tile layer at all
    # A marker opens its popup with the same words as the table under the map.
    sites.first.click(force=True)
    popup = card.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Operation " + CODE_NAME in popup.inner_text()
    card.scroll_into_view_if_needed()
    save_screenshot(page, "map", full_page=False)
    table = page.locator("#op-map-table")
    assert table.locator("tbody tr").count() >= 2
    assert "20.4330° N, 99.8790° E" in table.inner_text()
    download = page.get_by_role("link", name="Download as GeoJSON")
    assert download.is_visible()
    export = page.request.get(download.get_attribute("href"))
    assert export.headers["content-type"] == "application/geo+json"
    kinds = [f["properties"]["kind"] for f in export.json()["features"]]
    assert kinds.count("site") == 2
    assert refused == []
