"""Issue 11, the officers' languages, in real Chromium with no internet: a visitor picks
Burmese on the sign-in page, the board speaks it after sign-in, and the vendored Myanmar
font is what draws it (fetched from the board, never from a CDN)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .conftest import PASSWORD, LiveServer, save_screenshot


def test_a_visitor_reads_the_board_in_burmese_with_the_vendored_font(
    new_page: Any, live_server: LiveServer
) -> None:
    page = new_page()
    fonts: dict[str, int] = {}
    elsewhere: list[str] = []
    page.on("response", lambda r: fonts.__setitem__(r.url.rsplit("/", 1)[-1], r.status)
            if "/static/vendor/fonts/" in r.url else None)
    page.on("request", lambda r: elsewhere.append(r.url)
            if urlsplit(r.url).hostname not in ("127.0.0.1", None) else None)

    page.goto("/login")
    page.get_by_label("Language").select_option("my")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_url("**/login")
    assert page.locator("html").get_attribute("lang") == "my"
    assert page.get_by_role("heading", level=1).inner_text() == "ဝင်ရောက်ရန်"

    # Sign in through the Burmese form: the labels are Burmese now.
    page.get_by_label("အသုံးပြုသူအမည်").fill("th-liaison")
    page.get_by_label("စကားဝှက်", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ဝင်ရောက်ရန်").click()
    page.wait_for_url(lambda url: "/login" not in url)
    nav = page.get_by_role("navigation", name="ပင်မ လမ်းညွှန်")
    assert nav.get_by_role("link", name="စစ်ဆင်ရေးဘုတ်").is_visible()
    page.get_by_role("button", name="ထွက်ရန်").wait_for()

    # The Myanmar font came from the board, and nothing was asked of another host.
    page.wait_for_load_state("networkidle")
    assert fonts.get("noto-sans-myanmar-myanmar-400-normal.woff2") == 200, fonts
    assert elsewhere == []
    save_screenshot(page, "board-burmese", full_page=False)
