"""The web application: routers, static files, error handlers and security headers."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from app.config import ROOT
from app.deps import csrf_protect
from app.errors import install_error_handlers

# Every router of the board, as "module:attribute". Add yours with one line.
ROUTERS = [
    "app.accounts.views:router",
    "app.transfer.views:router",
    "app.feeds.views:router",
    "app.operations.form_views:router",
    "app.operations.views:router",
    "app.operations.api:router",
    "app.admin.views:router",
    "app.admin.api:router",
    "app.planning.views:router",
    "app.planning.api:router",
    "app.docs_views:router",
]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Feed URLs carry their secret in the path: never leak it in a Referer.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _load(spec: str) -> object:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith("/static/"):
        # Pages show restricted data: keep them out of shared and back-button caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def create_app() -> FastAPI:
    """Build the board's ASGI application."""
    app = FastAPI(
        title="JointOps",
        dependencies=[Depends(csrf_protect)],
        docs_url=None,
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    install_error_handlers(app)
    app.middleware("http")(_security_headers)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    for spec in ROUTERS:
        # HTML pages and downloads stay out of the OpenAPI document: it describes /api/v1.
        html = spec.partition(":")[0].endswith("views")
        app.include_router(_load(spec), include_in_schema=not html)  # type: ignore[arg-type]
    return app


def create_served_app() -> FastAPI:
    """The application as `jointops serve` runs it, its start-up objects out of the GC.

    Every full garbage collection walked all the objects loaded at start-up (modules,
    routes, templates): about 160 ms every few board views at p95 (bench/board.py). They
    live as long as the process, so they are frozen once the application is built.
    """
    app = create_app()
    gc.collect()
    gc.freeze()
    return app
