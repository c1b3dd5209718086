"""Feed tokens never reach a log line: uvicorn's access log, httpx, anything on the path."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from uvicorn.logging import AccessFormatter

from app.feeds.logging import FeedTokenFilter, install_token_filter, mask_feed_tokens
from app.models import Role

SECRET = "s3cr3t-Token_abcdefghijklmnopqrstuvwxyz0123"


def test_uvicorn_access_line_is_masked() -> None:
    install_token_filter()
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
    for log_filter in logger.filters:
        log_filter.filter(record)
    line = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s").format(record)
    assert SECRET not in line
    assert "GET /feeds/[redacted]?x=1 HTTP/1.1" in line


def test_the_filter_is_installed_once_on_each_logger() -> None:
    install_token_filter()
    install_token_filter()
    for name in ("uvicorn.access", "uvicorn.error", "httpx", "httpx2"):
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, FeedTokenFilter) for f in filters) == 1


@pytest.mark.parametrize(
    "path",
    [f"/feeds/{SECRET}.ics", f"/feeds/{SECRET}", f"https://h/feeds/{SECRET}.ics?a=b"],
)
def test_mask_covers_mistyped_urls(path: str) -> None:
    assert SECRET not in mask_feed_tokens(path)


def test_a_real_request_leaves_no_token_in_any_log(
    session: Session,
    client: TestClient,
    clock,
    world,
    make_user,
    subscribe,
    caplog: pytest.LogCaptureFixture,
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    path = subscribe(session, officer, "officer:")
    secret = path.removeprefix("/feeds/").removesuffix(".ics")
    with caplog.at_level(logging.DEBUG):
        assert client.get(path).status_code == 200
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", path, "1.1", 200
        )
    assert caplog.records, "the request must have been logged for this test to mean much"
    assert secret not in caplog.text
    assert all(secret not in record.getMessage() for record in caplog.records)
