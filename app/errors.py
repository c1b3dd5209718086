"""Errors that carry their own status, and the one handler that renders them."""

from __future__ import annotations

import html
import logging
import math
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.i18n import N_, Deferred, Joined, gettext, later, pydantic_message, translated

log = logging.getLogger(__name__)


class AppError(Exception):
    """A failure the user should see: message and HTTP status travel together."""

    def __init__(self, message: str, status: int = 400, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details


class NotFound(AppError):
    """Missing, or not for this user's eyes (need-to-know answers 404, never 403)."""

    def __init__(self, message: str = N_("Not found")) -> None:
        super().__init__(message, 404)


class Forbidden(AppError):
    def __init__(self, message: str = N_("You are not allowed to do this")) -> None:
        super().__init__(message, 403)


class Conflict(AppError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 409)


class TooManyRequests(AppError):
    """A rate limit reached (app/accounts/throttle.py): 429, with Retry-After."""

    def __init__(self, retry_after: timedelta, message: str | None = None) -> None:
        minutes = max(1, math.ceil(retry_after / timedelta(minutes=1)))
        super().__init__(
            message or gettext("Too many attempts. Try again in %(minutes)s minute(s).")
            % {"minutes": minutes},
            429,
        )
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, math.ceil(self.retry_after.total_seconds())))}


class LoginRequired(AppError):
    def __init__(self) -> None:
        super().__init__(N_("Please sign in"), 401)


class EnrolmentRequired(AppError):
    """Signed in, but a second factor is required and not set up yet."""

    path = "/account/totp"

    def __init__(self) -> None:
        super().__init__(N_("Set up two-step sign-in (TOTP) first, at /account/totp"), 403)


class PasswordChangeRequired(EnrolmentRequired):
    """Signed in with an administrator's initial password: the user chooses their own
    before anything else (pages go to the form, like an enrolment)."""

    path = "/account/password"

    def __init__(self) -> None:
        AppError.__init__(self, N_("Choose your own password first, at /account/password"),
                          403)



def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = "/login" if target in ("/", "/login") else "/login?next=" + quote(target, safe="/")
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def render_error(request: Request, message: str, status: int, details: Any = None) -> Response:
    """JSON for the API, a toast for htmx, a full page otherwise.

    The API answers in English; a page shows `message` in the reader's language (the
    error template's `translated` filter: a `later(…)` message, or one marked with `N_`).
    """
    if is_api(request):
        body: dict[str, Any] = {"detail": message}
        if details is not None:
            body["errors"] = details
        return JSONResponse(body, status_code=status)
    try:
        return _render_error_page(request, message, status, details)
    except Exception:  # noqa: BLE001 - the error page must answer whatever broke
        # A broken session or template must not turn one error into a bare crash: the
        # user still gets a page that says what happened, without the navigation.
        log.exception("the error page for %s failed; plain page sent", request.url.path)
        return HTMLResponse(_PLAIN_ERROR.format(
            status=status, message=html.escape(str(translated(message)))),
                            status_code=status)


_PLAIN_ERROR = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{status}</title></head><body><main><h1>Error {status}</h1><p>{message}</p>
<p>What you typed may be lost: go back in your browser to find it.</p>
<p><a href="/">Back to the board</a></p></main></body></html>"""


def _render_error_page(
    request: Request, message: str, status: int, details: Any
) -> Response:
    from app.web import templates  # late import: web imports this module

    ctx = {"request": request, "message": message, "status": status, "details": details}
    if is_htmx(request):
        response = templates.TemplateResponse(
            request, "errors/error.html", ctx, block_name="toast", status_code=status
        )
        # Error responses go to the toast area, whatever the triggering element targeted.
        response.headers["HX-Retarget"] = "#toasts"
        response.headers["HX-Reswap"] = "beforeend"
        return response
    return templates.TemplateResponse(request, "errors/error.html", ctx, status_code=status)


def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if isinstance(exc, LoginRequired) and not is_api(request):
        return _login_redirect(request)
    if isinstance(exc, EnrolmentRequired) and not is_api(request):
        if is_htmx(request):
            return Response(status_code=403, headers={"HX-Redirect": exc.path})
        return RedirectResponse(exc.path, status_code=303)
    if exc.status in REFUSALS and not isinstance(exc, EnrolmentRequired):
        _record_refusal(request, exc.status, exc.message)
    response = render_error(request, exc.message, exc.status, exc.details)
    if isinstance(exc, TooManyRequests):
        response.headers.update(exc.headers)
    return response


# Refused requests go on the audit trail: 403 (role, CSRF), 404 (hidden or missing object).
REFUSALS = (403, 404)


def _record_refusal(request: Request, status: int, message: str) -> None:
    from app.audit import record_refusal  # late import: audit imports the models

    try:
        record_refusal(request, status=status, reason=message)
    except Exception:
        # The refusal still reaches the caller; a busy database must not turn it into a 500.
        log.exception("recording a refused %s %s failed", request.method, request.url.path)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: N_("Not found"), 405: N_("Method not allowed")}
    message = exc.detail if isinstance(exc.detail, str) else messages.get(exc.status_code, "")
    response = render_error(request, message or N_("Error"), exc.status_code)
    response.headers.update(exc.headers or {})
    return response


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"path": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg", "")}
        for err in exc.errors()
    ]
    # The message itself names what to fix ("body.version is required"), not only the list;
    # in English for the API, in the reader's language on a page.
    named: list[object] = [
        later("%(path)s is required", path=problem["path"]) if err.get("type") == "missing"
        else later("%(path)s: %(problem)s", path=problem["path"],
                   problem=_known(err, str(problem["message"])))
        for problem, err in zip(problems, exc.errors(), strict=True)
    ]
    return render_error(request, later("The request is not valid: %(problems)s",
                                       problems=Joined(named[:5])), 422, problems)


def _known(err: Any, text: str) -> str:
    """pydantic's message as a message the catalogues know, when it is one (the same
    English words), else as pydantic wrote it."""
    known = pydantic_message(err)
    return known if isinstance(known, Deferred) and known == text else text


def _integrity_error(request: Request, exc: Exception) -> Response:
    # A database rule that validation missed: the client's data is at fault, not the
    # server, and the answer says so instead of a bare 500.
    log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc)
    return render_error(request, N_("This was not saved: it refers to something that does not "
                                    "exist, or repeats something that must be unique"), 409)


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    response = render_error(request, N_("Something went wrong on our side"), 500)
    # This handler runs in Starlette's outermost middleware, outside SecurityHeaders.
    from app.headers import security_headers

    for name, value in security_headers().items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# The body `render_error` answers under /api/ for every error: what the OpenAPI document
# must say, or a client generated from it misreads every 4xx (FastAPI documents its own
# 422 shape, a list under "detail", which this board never sends).
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "What is wrong, in a sentence"},
        "errors": {
            "type": "array",
            "description": "For a 422: each field that is not valid, and why",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI `schema` with the board's error body on 422 and every other 4xx."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {"description": "The request is not valid", **body}
            responses.setdefault(
                "4XX", {"description": "Refused: see `detail` (401, 403, 404, 409...)", **body}
            )
    return schema


# What a user sees while the database restarts or fails over (the pool reconnects by
# itself: app.db replaces the connections the server ended, so the next request after it
# is back simply works).
DATABASE_AWAY = N_(
    "The database is not answering (it may be restarting): this request was not carried "
    "out, and nothing of it was saved. Try again in a few seconds."
)
DATABASE_RETRY_SECONDS = 5


def _database_away(request: Request, exc: Exception) -> Response:
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    response = render_error(request, DATABASE_AWAY, 503)
    response.headers["Retry-After"] = str(DATABASE_RETRY_SECONDS)
    return response


# What a user sees when every pooled connection stayed taken for the pool's whole wait
# (sqlalchemy's pool TimeoutError): the server is overloaded, not broken; seen under
# bench/load.py on a machine shared with other work, where it was a bare 500.
BOARD_BUSY = N_(
    "The board is too busy to answer now: this request was not carried out, and nothing "
    "of it was saved. Try again in a few seconds."
)


def _board_busy(request: Request, exc: Exception) -> Response:
    log.warning("no database connection in time on %s %s: %s", request.method,
                request.url.path, exc)
    response = render_error(request, BOARD_BUSY, 503)
    response.headers["Retry-After"] = str(DATABASE_RETRY_SECONDS)
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through `render_error`, and say so in the OpenAPI document."""
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(build_schema())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_exception_handler(AppError, _app_error)
    # A lost or refused connection, a SQLite write lock not had in time: not a bug, a wait.
    app.add_exception_handler(sa_exc.OperationalError, _database_away)
    app.add_exception_handler(sa_exc.InterfaceError, _database_away)
    app.add_exception_handler(sa_exc.TimeoutError, _board_busy)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(sa_exc.IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected)
