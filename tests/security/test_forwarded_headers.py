"""X-Forwarded-For is believed from the configured proxies only (ASVS 5.0 4.1.3, 15.3.4).

`jointops serve` hands uvicorn JOINTOPS_FORWARDED_ALLOW_IPS (`app/cli_board.py`
`proxy_options`). Here the board's app is loaded exactly as uvicorn loads it with those
options, and requests arrive from a TCP peer that is, or is not, the proxy: the address
in the audit trail (and so in the sign-in throttle) is the client's only through the
proxy; from anyone else the forged header is ignored.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from uvicorn.config import Config

from app.cli_board import proxy_options
from app.config import get_settings
from app.models import AuditEvent

PROXY, CLIENT, FORGED = "10.0.0.5", "203.0.113.7", "198.51.100.66"


@pytest.fixture
def allow_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JOINTOPS_FORWARDED_ALLOW_IPS", f"{PROXY}, 10.9.0.0/16")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _failed_sign_in_address(client: TestClient, session: Session, peer: str,
                            forwarded: str) -> str | None:
    """Sign in with a wrong password from `peer`, claiming `forwarded`; the audited address."""
    config = Config(client.app, **proxy_options())
    config.load()
    served = TestClient(config.loaded_app, client=(peer, 50000))
    served.get("/login")
    served.post("/login", follow_redirects=False, headers={"X-Forwarded-For": forwarded},
                data={"username": "nobody", "password": "wrong password",
                      "csrf_token": served.cookies.get("jointops_csrf")})
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")
                         .order_by(col(AuditEvent.id).desc())).first()
    assert event is not None
    return event.address


def test_forwarded_for_is_believed_from_the_proxy_only(
    client: TestClient, session: Session, allow_proxy: None
) -> None:
    assert proxy_options() == {"proxy_headers": True,
                               "forwarded_allow_ips": [PROXY, "10.9.0.0/16"]}
    assert _failed_sign_in_address(client, session, PROXY, CLIENT) == CLIENT
    assert _failed_sign_in_address(client, session, "10.9.3.4", CLIENT) == CLIENT
    # Anyone else claiming to be forwarded for another is taken for what it is.
    assert _failed_sign_in_address(client, session, CLIENT, FORGED) == CLIENT
    assert _failed_sign_in_address(client, session, "10.0.0.6", FORGED) == "10.0.0.6"


def test_no_proxy_configured_believes_no_forwarded_header(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOINTOPS_FORWARDED_ALLOW_IPS", "")
    get_settings.cache_clear()
    try:
        assert proxy_options() == {"proxy_headers": False, "forwarded_allow_ips": None}
        assert _failed_sign_in_address(client, session, PROXY, FORGED) == PROXY
    finally:
        get_settings.cache_clear()


def test_by_default_only_a_proxy_on_the_same_host_is_believed() -> None:
    get_settings.cache_clear()
    assert proxy_options() == {"proxy_headers": True, "forwarded_allow_ips": ["127.0.0.1"]}
