"""The web application: routers, static files, error handlers and security headers."""

from __future__ import annotations

import gc
import importlib
import logging
import sys

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.clock import Clock, install_clock
from app.config import ROOT, get_settings
from app.deps import csrf_protect, limit_requests
from app.errors import install_error_handlers
from app.headers import CSP, SECURITY_HEADERS, security_headers  # noqa: F401  (re-exported)
from app.i18n import RequestLanguage
from app.observability import RequestContext, watch_garbage_collections
from app.read_limit import ReadLimit
from app.uploads import MultipartGate

# Every router of the board, as "module:attribute". Add yours with one line.
ROUTERS = [
    "app.accounts.views:router",
    "app.transfer.views:router",
    "app.feeds.views:router",
    "app.notices.views:router",
    "app.operations.form_views:router",
    "app.operations.views:router",
    "app.operations.api:router",
    "app.admin.views:router",
    "app.admin.api:router",
    "app.planning.views:router",
    "app.planning.api:router",
    "app.planning.consent_api:router",
    "app.campaigns.views:router",
    "app.campaigns.api:router",
    "app.campaigns.intel_views:router",
    "app.campaigns.intel_api:router",
    "app.maps.views:router",
    "app.repatriation.views:router",
    "app.repatriation.api:router",
    "app.campaigns.capacity_views:router",
    "app.campaigns.capacity_api:router",
    "app.docs_views:router",
    "app.health:router",
]

def _load(spec: str) -> object:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


class SecurityHeaders:
    """Add the security headers to every response (plain ASGI: no per-request task).

    Starlette's `BaseHTTPMiddleware` (what `app.middleware("http")` builds) runs each
    request through an extra task and stream, a fixed cost on every route (bench/feeds.py).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Pages show restricted data: keep them out of shared and back-button caches.
        no_store = not scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in security_headers().items():
                    headers.setdefault(name, value)
                if no_store:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(clock: Clock | None = None) -> FastAPI:
    """Build the board's ASGI application; `clock`, when given, becomes the board's clock."""
    app = FastAPI(
        title="JointOps",
        # CSRF first: a forged request must not spend the user's allowance.
        dependencies=[Depends(csrf_protect), Depends(limit_requests)],
        docs_url=None,
        # Served by app/docs_views.py to signed-in users only: the document maps every
        # route and field of the API, which a visitor has no need to know.
        openapi_url=None,
        redoc_url=None,
    )
    if clock is not None:
        install_clock(clock)
    install_error_handlers(app)
    app.state.read_limit = ReadLimit()
    # Inside the security headers (added later, so outside): refuses stray and anonymous
    # multipart bodies before they are read.
    app.add_middleware(MultipartGate)
    app.add_middleware(SecurityHeaders)
    # The request's language, for everything made while it runs (pages, errors, flashes).
    app.add_middleware(RequestLanguage)
    # Outermost: the id and the timing cover the error handlers and the headers too.
    app.add_middleware(RequestContext)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    for spec in ROUTERS:
        # HTML pages and downloads stay out of the OpenAPI document: it describes /api/v1.
        html = spec.partition(":")[0].endswith("views")
        app.include_router(_load(spec), include_in_schema=not html)  # type: ignore[arg-type]
    return app


def _refuse_demo_passwords() -> None:
    """Outside dev, do not serve while an account still has a published demo password."""
    from sqlmodel import Session

    from app.config import get_settings
    from app.db import get_engine
    from app.seed import refuse_demo_passwords

    environment = get_settings().environment
    if environment == "dev":
        return
    with Session(get_engine()) as session:
        refuse_demo_passwords(session, environment)


def _warn_without_virus_scanning() -> None:
    """Production accepts files (attachments, imports) from six agencies' machines: say
    so when they are not scanned (ASVS 5.0 5.4.3; JOINTOPS_CLAMD, app/antivirus.py)."""
    from app.config import get_settings

    settings = get_settings()
    if settings.environment == "production" and not settings.clamd:
        logging.getLogger("app.antivirus").warning(
            "JOINTOPS_CLAMD is not set: uploaded attachments and imports are not scanned"
            " for viruses")


def create_served_app() -> FastAPI:
    """The application as `jointops serve` runs it, its start-up objects out of the GC.

    Every full garbage collection walked all the objects loaded at start-up (modules,
    routes, templates): about 160 ms every few board views at p95 (bench/board.py). They
    live as long as the process, so they are frozen once the application is built. The
    objects made later (the caches of parsed plans) are collected less often (app.config
    `gc_young_threshold`).
    """
    _refuse_demo_passwords()
    _warn_without_virus_scanning()
    app = create_app()
    gc.collect()
    gc.freeze()
    settings = get_settings()
    # Python's ratios between the generations (10), a larger youngest one.
    gc.set_threshold(settings.gc_young_threshold, 10, 10)
    watch_garbage_collections()
    # Short requests wait less for the interpreter behind long renders (app.config).
    sys.setswitchinterval(settings.gil_switch_interval_ms / 1000)
    return app
