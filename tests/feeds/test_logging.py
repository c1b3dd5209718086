"""Feed tokens never reach a log line: uvicorn's access log, httpx, the app's own, any."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from uvicorn.logging import AccessFormatter

from app.feeds import service
from app.feeds.logging import install_token_masking, mask_feed_tokens
from app.models import Role

SECRET = "s3cr3t-Token_abcdefghijklmnopqrstuvwxyz0123"


def test_uvicorn_access_line_is_masked() -> None:
    install_token_masking()
    logger = logging.getLogger("uvicorn.access")
    record = logger.makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.7:5123", "GET", f"/feeds/{SECRET}.ics?x=1", "1.1", 200),
        None,
    )
    line = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s").format(record)
    assert SECRET not in line
    assert "GET /feeds/[redacted]?x=1 HTTP/1.1" in line


def test_masking_is_installed_once_for_every_logger() -> None:
    install_token_masking()
    factory = logging.getLogRecordFactory()
    install_token_masking()
    assert logging.getLogRecordFactory() is factory  # not wrapped twice
    for name in ("uvicorn.access", "uvicorn.error", "httpx2", "app.errors", "any.library"):
        record = logging.getLogger(name).makeRecord(
            name, logging.ERROR, __file__, 1, "failed: %s", (f"/feeds/{SECRET}.ics",), None
        )
        assert SECRET not in record.getMessage()


@pytest.mark.parametrize(
    "path",
    [f"/feeds/{SECRET}.ics", f"/feeds/{SECRET}", f"https://h/feeds/{SECRET}.ics?a=b"],
)
def test_mask_covers_mistyped_urls(path: str) -> None:
    assert SECRET not in mask_feed_tokens(path)


@pytest.fixture
def feed_path(session: Session, clock, world, make_user, subscribe) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """An officer's feed path and the secret in it."""
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    path = subscribe(session, officer, "officer:")
    return path, path.removeprefix("/feeds/").removesuffix(".ics")


def test_a_real_request_leaves_no_token_in_any_log(
    client: TestClient, feed_path: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    path, secret = feed_path
    with caplog.at_level(logging.DEBUG):
        assert client.get(path).status_code == 200
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", path, "1.1", 200
        )
    assert caplog.records, "the request must have been logged for this test to mean much"
    assert secret not in caplog.text
    assert all(secret not in record.getMessage() for record in caplog.records)


def test_a_failed_feed_request_leaves_no_token_in_the_error_log(
    client: TestClient,
    feed_path: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, secret = feed_path

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(service, "serve", broken)
    with (
        TestClient(client.app, raise_server_exceptions=False) as failing,
        caplog.at_level(logging.DEBUG),
    ):
        assert failing.get(path).status_code == 500
    assert "unhandled error on GET /feeds/[redacted]" in caplog.text
    assert secret not in caplog.text


@pytest.mark.parametrize(
    "line",
    [f"GET /%66eeds/{SECRET}.ics HTTP/1.1", f"GET /feeds%2F{SECRET}.ics", f"/fe%65ds/{SECRET}",
     f"%2Ffeeds%2f{SECRET}", f"/%66%65%65%64%73%2F{SECRET}.ics", f"/FEEDS/{SECRET}.ics"],
)
def test_a_percent_encoded_feed_path_is_masked_too(line: str) -> None:
    """Issue 10, finding 11: the server decodes `/%66eeds/...` and serves the feed."""
    assert SECRET not in mask_feed_tokens(line)
    assert "[redacted]" in mask_feed_tokens(line)
