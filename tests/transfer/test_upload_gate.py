"""Finding 11 of issue 10: anonymous multipart bodies are refused before being read.

FastAPI parses a declared form, spooling its files to disk, before any access rule
runs; so each request is driven here at the ASGI level with a body of 2 GiB announced,
and the test counts how many times the application asked for a piece of it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import get_settings
from app.models import Role

BOUNDARY = "jointops-boundary"
HUGE = str(2 * 1024**3)


def _drive(app: Any, path: str, cookies: str = "", csrf: str = "") -> tuple[int, int]:
    """POST a multipart body announced as 2 GiB; (status, how many body reads)."""
    reads = 0
    chunk = b"x" * 65536

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": chunk, "more_body": reads < 32768}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
               (b"content-length", HUGE.encode()), (b"host", b"testserver")]
    if cookies:
        headers.append((b"cookie", cookies.encode()))
    if csrf:
        headers.append((b"x-csrf-token", csrf.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], reads


@pytest.mark.parametrize(
    ("path", "cookies", "status"),
    [
        ("/admin/import", "", 401),  # no session at all
        ("/admin/import", f"{get_settings().session_cookie_name}=forged", 401),
        ("/login", "", 415),  # no route but the upload takes multipart
        ("/api/v1/solver-runs", "", 415),
    ],
)
def test_an_anonymous_multipart_body_is_refused_unread(
    client: TestClient, path: str, cookies: str, status: int
) -> None:
    assert _drive(client.app, path, cookies) == (status, 0)


def test_the_import_route_checks_the_role_before_it_parses_the_form(
    client: TestClient, session: Session, make_user, login  # type: ignore[no-untyped-def]
) -> None:
    planner = login(client, make_user(session, role=Role.planner))
    cookie = "; ".join(f"{k}={v}" for k, v in planner.cookies.items())
    csrf = planner.headers["X-CSRF-Token"]
    assert _drive(client.app, "/admin/import", cookie, csrf) == (403, 0)
