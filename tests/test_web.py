"""Rendering helpers: time display in UTC and local zones, htmx-aware rendering."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient

from app.config import ROOT
from app.deps import Public
from app.web import fmt_duration, fmt_local, fmt_utc, render

H_HOUR = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def test_time_filters_show_utc_and_every_local_zone() -> None:
    assert fmt_utc(H_HOUR) == "2026-12-02 03:00Z"
    assert fmt_local(H_HOUR, "Asia/Yangon") == "2026-12-02 09:30 (UTC+06:30)"
    assert fmt_local(H_HOUR, "Asia/Bangkok") == "2026-12-02 10:00 (UTC+07:00)"
    assert fmt_local(H_HOUR, "Asia/Shanghai", with_zone=False) == "2026-12-02 11:00"
    assert fmt_utc(None) == "" and fmt_duration(330) == "5 h 30 min"


def test_render_sends_only_the_block_to_htmx_and_varies_on_it() -> None:
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")

    @app.get("/page", dependencies=[Public])
    def page(request: Request):  # type: ignore[no-untyped-def]
        ctx = {"message": "Gone", "status": 404}
        return render(request, "errors/error.html", ctx, block="toast")

    client = TestClient(app)
    full = client.get("/page")
    assert "<html" in full.text and full.headers["vary"] == "HX-Request"
    fragment = client.get("/page", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'class="toast toast-error"' in fragment.text
    restore = client.get(
        "/page", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text
