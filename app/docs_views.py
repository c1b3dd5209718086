"""The API reference page: Swagger UI, vendored, under the board's strict CSP.

Nothing is loaded from the internet (the board runs air-gapped): the page loads the
vendored bundle and stylesheet from /static, and a small script of ours starts Swagger
UI on /api/openapi.json (no inline script: `script-src 'self'`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from app.deps import AuthDep, CurrentUser, access_rule
from app.models import User
from app.web import register_nav, render

SWAGGER_UI = "/static/vendor/swagger-ui-5.35.0"
DOCS_PATH = "/api/docs"
OPENAPI_PATH = "/api/openapi.json"

router = APIRouter(tags=["docs"])
register_nav("API", DOCS_PATH, {"admin", "coordinator", "planner", "liaison"}, order=95)


@access_rule
def signed_in_reader(auth: AuthDep) -> User:
    """Any signed-in user; a visitor who is not is sent to sign in, then back here."""
    if auth is None:
        # Under /api/ a LoginRequired would answer 401 JSON; a browser wants the login form.
        raise HTTPException(303, headers={"Location": f"/login?next={DOCS_PATH}"})
    return auth.user


@router.get(DOCS_PATH, include_in_schema=False)
def api_docs(request: Request, user: Annotated[User, Depends(signed_in_reader)]) -> Response:
    """Swagger UI for the board's OpenAPI document."""
    ctx = {"swagger_ui": SWAGGER_UI, "openapi_url": OPENAPI_PATH}
    return render(request, "docs/api.html", ctx)


@router.get(OPENAPI_PATH, include_in_schema=False)
def openapi_document(request: Request, user: CurrentUser) -> JSONResponse:
    """The OpenAPI document of /api/v1, for signed-in users (401 for anyone else)."""
    return JSONResponse(request.app.openapi())
