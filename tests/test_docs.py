"""The API reference page: Swagger UI from vendored files, for signed-in users only."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import ROOT
from app.docs_views import SWAGGER_UI
from app.main import CSP, create_app
from app.models import Role, User

VENDORED = ROOT / SWAGGER_UI.lstrip("/")
URL = re.compile(r"""https?://([^/\s"'<>)]+)""")
# Hosts that are names, not places to fetch from (XML namespaces in inline SVG).
NAMESPACE_HOSTS = {"www.w3.org"}


def _external_hosts(text: str) -> set[str]:
    hosts = {m.group(1).split(":")[0] for m in URL.finditer(text)}
    return hosts - {"127.0.0.1"} - NAMESPACE_HOSTS


def test_signed_in_user_gets_the_page_with_local_assets_only(
    session: Session,
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[TestClient, User], TestClient],
) -> None:
    officer = login(client, make_user(session, role=Role.unit_officer))
    page = officer.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["Content-Security-Policy"] == CSP
    html = page.text
    assert 'data-openapi-url="/api/openapi.json"' in html
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    # No inline script (the CSP forbids it): every script is a file of this board.
    assert scripts and all(body.strip() == "" and "src=" in attrs for attrs, body in scripts)
    assert "style=" not in html and "<style" not in html
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert f"{SWAGGER_UI}/swagger-ui-bundle.js" in assets
    assert f"{SWAGGER_UI}/swagger-ui.css" in assets
    assert "/static/js/api-docs.js" in assets
    for asset in assets:
        assert officer.get(asset).status_code == 200, asset
    assert _external_hosts(html) == set()
    # The document it shows is served too.
    assert officer.get("/api/openapi.json").json()["openapi"].startswith("3.")


def test_anonymous_visitor_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/api/docs", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/api/docs"
    assert "swagger" not in response.text.lower()


def test_vendored_swagger_ui_with_its_license() -> None:
    assert re.fullmatch(r"swagger-ui-\d+\.\d+\.\d+", VENDORED.name)
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"):
        assert (VENDORED / name).stat().st_size > 0, name
    assert "Apache License" in (VENDORED / "LICENSE").read_text()
    assert "SwaggerUIBundle" in (VENDORED / "swagger-ui-bundle.js").read_text()
    starter = (ROOT / "static" / "js" / "api-docs.js").read_text()
    assert "/api/openapi.json" not in starter  # taken from the page, not hard-coded
    assert "validatorUrl: null" in starter  # never the online validator


@pytest.mark.parametrize("path", sorted((ROOT / "templates").rglob("*.html")), ids=str)
def test_no_template_loads_anything_from_outside(path: Path) -> None:
    assert _external_hosts(path.read_text(encoding="utf-8")) == set()


def test_every_api_route_is_documented() -> None:
    app = create_app()
    paths = app.openapi()["paths"]
    api: list[tuple[str, str]] = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path or ""
        if isinstance(route, APIRoute) and path.startswith("/api/v1/"):
            api.extend((method.lower(), path) for method in sorted(route.methods or ()))
    assert len(api) >= 20
    for method, path in api:
        operation = paths[path][method]
        assert operation.get("summary"), (method, path)
        assert any(code.startswith("2") for code in operation["responses"]), (method, path)
    assert "/api/docs" not in paths


def test_every_api_route_sets_its_own_summary_and_documents_404() -> None:
    """Summaries are written, not FastAPI's title-cased function name; ids can be 404."""
    app = create_app()
    seen = 0
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path or ""
        if not (isinstance(route, APIRoute) and path.startswith("/api/v1/")):
            continue
        seen += 1
        generated = route.name.replace("_", " ").title()
        assert route.summary and route.summary.strip(), (path, route.name)
        assert route.summary != generated, (path, route.summary)
        assert len(route.summary.split()) >= 3, (path, route.summary)
        if "{" in path:  # a path naming one record
            assert 404 in route.responses or "404" in route.responses, (path, route.name)
    assert seen >= 20
