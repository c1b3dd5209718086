"""The real server's access log: uvicorn in its own process, a real feed request, no token.

The filter must be in place after uvicorn has configured its logging, so only a live
server proves it; this test starts one on a throwaway SQLite file (about 3 s).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlmodel import Session, SQLModel

from app.config import ROOT
from app.db import make_engine
from app.feeds import tokens
from app.models import Agency, Country, Region, Role, Unit, User

STARTUP_SECONDS = 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_with_a_token(url: str) -> str:
    """A fresh database with one officer and one feed token; returns the secret."""
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Country(code="TH", name="Thailand", timezone="Asia/Bangkok"))
        session.flush()
        session.add_all(
            [
                Region(id="TH-MSI", name="Mae Sai", country_code="TH", lat=20.4, lon=99.9),
                Agency(id="TH-RTP", name="Royal Thai Police", country_code="TH"),
            ]
        )
        session.flush()
        session.add(
            Unit(
                id="U-1",
                agency_id="TH-RTP",
                callsign="RTP-1",
                capabilities=["tactical"],
                personnel=5,
                base_region_id="TH-MSI",
            )
        )
        session.flush()
        officer = User(
            username="officer",
            role=Role.unit_officer,
            agency_id="TH-RTP",
            unit_id="U-1",
            password_hash="x",
        )
        session.add(officer)
        session.flush()
        secret, _ = tokens.create_token(session, user=officer, label="phone", choice_key="officer:")
        session.commit()
    engine.dispose()
    return secret


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError("uvicorn exited:\n" + log.read_text(errors="replace"))
        try:
            httpx.get(base + "/login", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("uvicorn did not start:\n" + log.read_text(errors="replace"))


def test_uvicorn_access_log_never_shows_a_feed_token(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    secret = _database_with_a_token(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "uvicorn.log"
    # PYTEST_CURRENT_TEST stays set: the server then starts no solver worker.
    env = {
        **os.environ,
        "JOINTOPS_DATABASE_URL": url,
        "JOINTOPS_ENVIRONMENT": "test",
        "JOINTOPS_SECRET_KEY": secrets.token_urlsafe(48),
    }
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(base, server, log)
            response = httpx.get(f"{base}/feeds/{secret}.ics")
            assert response.status_code == 200, log.read_text(errors="replace")
            assert httpx.get(f"{base}/feeds/{secret}").status_code == 404  # mistyped
        finally:
            server.terminate()
            server.wait(timeout=10)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text, text
    assert '"GET /feeds/[redacted] HTTP/1.1" 200' in text
    assert secret not in text
