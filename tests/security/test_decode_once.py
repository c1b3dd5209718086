"""Input is decoded once (ASVS 5.0 1.1.1, docs/asvs-l2.md).

The server decodes the URL, the query and a form once, before the handlers; nothing of
the board's (middleware, dependencies, handlers, feed paths, the sign-in redirect) decodes
again, so a double-encoded `%252F` arrives as the text `%2F`, never as `/`.

Starlette's TestClient itself decodes the path twice (it unquotes httpx's already decoded
`url.path`), so these tests serve the app through `_as_uvicorn`, which sets the scope's
path the way uvicorn does: `unquote(raw_path)`, once. The first test pins that uvicorn does.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from app.db import get_session
from app.deps import Public
from app.feeds import tokens
from app.main import create_app
from app.models import OperationState, Role

DOUBLE = "/probe-decoding/a%252Fb%2525c%2Fd?q=%2525x%252F"
ONCE = {"value": "a%2Fb%25c/d", "q": "%25x%2F"}


def _as_uvicorn(app: ASGIApp) -> ASGIApp:
    """The app with the scope's path decoded from raw_path once, as uvicorn does
    (uvicorn/protocols/http/h11_impl.py: `path = unquote(raw_path.decode("ascii"))`)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "path": unquote(scope["raw_path"].decode("ascii"))}
        await app(scope, receive, send)

    return wrapped


def _echo(value: str, request: Request, q: str = "") -> dict[str, str]:
    return {"value": value, "q": q}


@contextmanager
def _uvicorn(app: ASGIApp) -> Iterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, http="h11", log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            thread.join(0.01)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


def test_uvicorn_decodes_the_path_and_query_once() -> None:
    bare = FastAPI()
    bare.add_api_route("/probe-decoding/{value:path}", _echo)
    with _uvicorn(bare) as base:
        answer = httpx.get(base + DOUBLE)
    assert answer.json() == ONCE


def test_a_double_encoded_path_and_query_reach_a_handler_decoded_once(session: Session) -> None:
    # A probe route behind every middleware and app-wide dependency of the real app.
    application = create_app()
    application.dependency_overrides[get_session] = lambda: session
    application.add_api_route("/probe-decoding/{value:path}", _echo, dependencies=[Public])
    with TestClient(_as_uvicorn(application)) as client:
        answer = client.get(DOUBLE)
    assert answer.status_code == 200
    assert answer.json() == ONCE


def test_an_operation_id_is_decoded_once(
    client, session: Session, world, make_operation, make_user, login,
) -> None:
    make_operation(session, "TH-RTP", {"TH-CKG": {"tactical": 1}}, op_id="OP-ONCE",
                   state=OperationState.proposed)
    browser = login(client, make_user(session, role="liaison", agency="TH-RTP"))
    browser = TestClient(_as_uvicorn(client.app), cookies=browser.cookies,
                         headers=browser.headers)
    assert browser.get("/operations/OP%2DONCE").status_code == 200  # `-` encoded once
    assert browser.get("/operations/OP%252DONCE").status_code == 404  # twice: not `-`


def _csrf(client: TestClient) -> str:
    client.get("/login")
    return str(client.cookies.get("jointops_csrf"))


def test_the_sign_in_redirect_is_not_decoded_again(
    client: TestClient, session: Session, make_user, test_password
) -> None:
    """`next` is taken as the form gives it: `/%2F%2Fevil.example` decoded a second time
    would be `//evil.example`, a redirect off the site."""
    user = make_user(session)
    for sent, location in (("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
                           ("/board?q=%2525", "/board?q=%2525"),
                           ("%2F%2Fevil.example", "/")):
        data = {"username": user.username, "password": test_password,
                "csrf_token": _csrf(client), "next": sent}
        answer = client.post("/login", data=data, follow_redirects=False)
        assert answer.status_code == 303, sent
        assert answer.headers["location"] == location, sent
        client.cookies.clear()
    page = client.get("/login", params={"next": "/%2F%2Fevil.example"})
    assert 'value="/%2F%2Fevil.example"' in page.text


def test_a_feed_path_is_decoded_once(
    client: TestClient, session: Session, world, make_user
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-2")
    secret, _ = tokens.create_token(session, user=officer, label="phone", choice_key="officer:")
    session.flush()
    served = TestClient(_as_uvicorn(client.app))
    assert served.get(f"/feeds/{secret}.ics").status_code == 200
    once = "".join(f"%{ord(c):02X}" for c in secret)
    assert served.get(f"/feeds/{once}.ics").status_code == 200
    twice = "".join(f"%25{ord(c):02X}" for c in secret)
    assert served.get(f"/feeds/{twice}.ics").status_code == 404
