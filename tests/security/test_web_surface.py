"""The web surface as ASVS 5.0 V1, V3 and V13 see it (docs/asvs-l2.md).

These probe controls that hold already, so that a change that drops one fails here:
output encoding of stored text (1.2.1), parameterised queries under a search (1.2.4),
no CORS grant (3.4.2), the security headers on API and error answers too (3.4.3-3.4.6),
no TRACE (13.4.4).
"""

from __future__ import annotations

import re

from sqlmodel import Session

from app.models import OperationState

HX = {"HX-Request": "true"}
PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
PROBES = ("' OR '1'='1", "%' OR 1=1 --", "'; DROP TABLE operations; --", "\\' OR 1=1#",
          "1) UNION SELECT id, code_name FROM operations --")


def _world_with_a_hidden_raid(session: Session, world, make_operation, make_user):  # type: ignore[no-untyped-def]
    stored = make_operation(session, "TH-RTP", {"TH-CKG": {"tactical": 1}}, op_id="OP-XSS",
                            code_name=PAYLOAD, state=OperationState.proposed)
    make_operation(session, "MM-MPF", {"MM-TAC": {"tactical": 1}}, op_id="OP-HIDDEN",
                   code_name="Hidden Heron", state=OperationState.proposed)
    return stored, make_user(session, role="liaison", agency="TH-RTP")


def test_stored_text_is_encoded_on_pages_and_fragments(
    client, session: Session, world, make_operation, make_user, login,
) -> None:
    _, thai = _world_with_a_hidden_raid(session, world, make_operation, make_user)
    browser = login(client, thai)
    for url, headers in (("/board", {}), ("/board", HX), ("/operations/OP-XSS", {})):
        page = browser.get(url, headers=headers)
        assert page.status_code == 200, url
        assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, url
    api = browser.get("/api/v1/operations/OP-XSS")
    assert api.headers["content-type"].startswith("application/json")
    assert api.json()["code_name"] == PAYLOAD  # JSON carries the text as text


def test_sql_metacharacters_in_a_search_are_data(
    client, session: Session, world, make_operation, make_user, login,
) -> None:
    _, thai = _world_with_a_hidden_raid(session, world, make_operation, make_user)
    browser = login(client, thai)
    for probe in PROBES:
        page = browser.get("/board", params={"q": probe}, headers=HX)
        assert page.status_code == 200, probe
        assert "OP-HIDDEN" not in page.text and "Hidden Heron" not in page.text, probe
        assert not re.findall(r'href="/operations/(OP-[A-Z]+)"', page.text), probe
    # The tables are all still there.
    assert "OP-XSS" in browser.get("/board", headers=HX).text


def test_no_cross_origin_grant_and_headers_on_api_and_errors(
    client, session: Session, world, make_user, login,
) -> None:
    browser = login(client, make_user(session, role="liaison", agency="TH-RTP"))
    evil = {"Origin": "https://evil.example"}
    for url in ("/api/v1/operations", "/api/v1/no-such-thing", "/board"):
        response = browser.get(url, headers=evil)
        assert "access-control-allow-origin" not in response.headers, url
        assert "access-control-allow-credentials" not in response.headers, url
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], url
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert response.headers["referrer-policy"] == "no-referrer", url
        assert response.headers["cache-control"] == "no-store", url
    preflight = browser.options("/api/v1/operations", headers={
        **evil, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers


def test_trace_is_not_served(client, session: Session, make_user, login) -> None:
    browser = login(client, make_user(session, role="liaison", agency=None))
    for url in ("/", "/login", "/api/v1/operations"):
        response = browser.request("TRACE", url)
        assert response.status_code in (404, 405), url
        assert "TRACE" not in response.text


def test_no_source_metadata_or_directory_listing_is_served(client) -> None:
    # 13.4.1 no .git, 13.4.3 no directory listings.
    for url in ("/.git/config", "/.git/HEAD", "/static/", "/static/css/", "/static/../.git/HEAD",
                "/static/%2e%2e/.git/HEAD", "/.env", "/pyproject.toml"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code in (303, 401, 404), url
        assert "[core]" not in response.text and "refs/heads" not in response.text, url
        assert "Index of" not in response.text, url


def test_an_unexpected_error_is_logged_and_answered_generically(session: Session, caplog) -> None:
    # 16.3.4 unexpected errors are logged; 16.5.1 the consumer gets a generic message;
    # 4.1.1 the Content-Type names its charset.
    from fastapi.testclient import TestClient

    from app.db import get_session
    from app.main import create_app

    app = create_app()
    app.dependency_overrides[get_session] = lambda: session

    @app.get("/api/v1/boom", dependencies=[])
    def boom() -> None:
        raise RuntimeError("db password is hunter2 at 10.0.0.7")

    with caplog.at_level("ERROR"):
        response = TestClient(app, raise_server_exceptions=False).get("/api/v1/boom")
    assert response.status_code == 500
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert response.json()["detail"] == "Something went wrong on our side"
    assert any("unhandled error" in r.getMessage() and r.exc_info for r in caplog.records)
    page = TestClient(app, raise_server_exceptions=False).get("/login")
    assert page.headers["content-type"] == "text/html; charset=utf-8"


def test_download_names_are_sent_plain_or_percent_encoded() -> None:
    # ASVS 5.0 5.4.2: an imported operation id names its map download; a quote, a
    # semicolon or a line break in it must not add to the header.
    from app.web import attachment

    assert attachment("OP-MAP.geojson") == 'attachment; filename="OP-MAP.geojson"'
    hostile = attachment('OP"; filename="evil.html\r\n.geojson')
    assert hostile == ("attachment; filename*=UTF-8''OP%22%3B%20filename%3D%22evil.html"
                       "%0D%0A.geojson")


def test_a_typed_percent_or_underscore_is_searched_for_not_a_wildcard(
    client, session, make_user, login,
) -> None:
    # ASVS 5.0 1.2.9: LIKE's own characters in a search are escaped.
    admin = login(client, make_user(session, role="admin", username="root-admin"))
    make_user(session, role="liaison", username="ab_cd")
    make_user(session, role="liaison", username="abxcd")
    make_user(session, role="liaison", username="ef%gh")
    underscore = admin.get("/admin/users?q=b_c").text
    assert "ab_cd" in underscore and "abxcd" not in underscore
    percent = admin.get("/admin/users?q=%25").text
    assert "ef%gh" in percent and "ab_cd" not in percent
