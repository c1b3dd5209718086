"""The feed URL calendar apps poll, and the "My calendar subscriptions" page."""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlmodel import Session

from app.accounts import throttle
from app.audit import client_address
from app.db import SessionDep, get_engine, get_reader_engine, get_session
from app.deps import CurrentUser, access_rule
from app.feeds import service, tokens
from app.feeds.logging import install_token_masking
from app.feeds.uses import UseLog
from app.i18n import gettext
from app.models import User, utcnow
from app.web import register_nav, render

log = logging.getLogger(__name__)

# What token_urlsafe produces; anything else cannot be a token and skips the database.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
# One body for every kind of miss, so unknown and revoked tokens cannot be told apart.
NOT_FOUND_BODY = b"Not found\n"
TEMPLATE = "feeds/tokens.html"
# Short: an app that refreshes must see a change at once (revalidating costs a 304), yet
# the duplicate fetches some apps make when subscribing are absorbed.
MAX_AGE_SECONDS = 60


@access_rule
async def secret_in_path() -> None:
    """Open without a session: the secret token in the path is the credential."""


def _not_found() -> Response:
    return Response(
        NOT_FOUND_BODY,
        status_code=404,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@lru_cache
def poll_reader(engine: Engine) -> Engine:
    """The engine of a poll's read-only pass: on PostgreSQL, in autocommit.

    Under READ COMMITTED every statement reads its own snapshot, in a transaction or
    not, so the poll's transaction only added BEGIN and ROLLBACK: two of the five round
    trips of a 304 (the pool's ping, BEGIN, the token, the fingerprint, ROLLBACK). The
    pass never writes (service.serve with writing=False); SQLite keeps its deferred
    reader transaction.
    """
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def _feed_session(app: FastAPI, *, writer: bool = False) -> Iterator[Session]:
    """A session of the app's database, or the one tests put in place of get_session."""
    override = app.dependency_overrides.get(get_session)
    if override is not None:
        # The tests' own session, shared with the test itself: theirs to close.
        yield override()
        return
    with Session(get_engine() if writer else poll_reader(get_reader_engine())) as session:
        yield session


_uses_created = threading.Lock()


def feed_uses(app: FastAPI) -> UseLog:
    """The app's log of feed uses waiting to be written (tests flush it)."""
    uses: UseLog | None = getattr(app.state, "feed_uses", None)
    if uses is None:
        # Made by the lifespan before any request, or here by the first one (one only).
        with _uses_created:
            uses = getattr(app.state, "feed_uses", None)
            if uses is None:
                uses = app.state.feed_uses = UseLog(lambda: _feed_session(app, writer=True))
    return uses


def warm_up_thread(app: FastAPI) -> threading.Thread | None:
    """The thread rendering the feed events at start-up, if one was started."""
    return getattr(app.state, "feed_warm_up", None)


def _warm_up(app: FastAPI) -> None:
    try:
        with _feed_session(app) as session:
            count = service.warm_up(session)
        log.info("feed events warmed up: %d looked at", count)
    except Exception:
        # Only a head start: the polls render what is missing anyway.
        log.exception("warming up the feed events failed")


@asynccontextmanager
async def feed_uses_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Write feed uses in the background while the app runs, and the last ones at exit;
    render the feed events nobody stored yet (a new release) at start-up."""
    uses = feed_uses(app)
    # Not beside a test's session: a thread must not use it while the test does.
    if get_session not in app.dependency_overrides:
        uses.start()
        app.state.feed_warm_up = threading.Thread(
            target=_warm_up, args=(app,), name="feed-warm-up", daemon=True
        )
        app.state.feed_warm_up.start()
    try:
        yield
    finally:
        await run_in_threadpool(uses.stop)


router = APIRouter(tags=["feeds"], lifespan=feed_uses_lifespan)
register_nav("My calendar", "/calendar",
             ["admin", "coordinator", "planner", "liaison", "unit_officer"], 90)
# create_app imports this module, so the access log is masked before the first request.
install_token_masking()


def _serve(
    app: FastAPI, secret: str, now: datetime, address: str
) -> tuple[service.Feed | None, timedelta | None]:
    """Serve in a read transaction; write only when needed, in a transaction of its own.
    Returns the feed (None: not found) or, for an address that sent too many unknown
    tokens, the wait before it may ask again."""
    miss_key = throttle.feed_miss_key(address)
    misses = [(miss_key, throttle.MAX_FEED_MISSES)]
    with _feed_session(app) as session:
        # A blocked address is refused even a right token, so a prober cannot learn
        # which guess was right (its counter is read with the token).
        outcome = service.serve(session, secret=secret, now=now, writing=False,
                                miss_key=miss_key)
        if outcome.wait is not None:
            return None, outcome.wait
    if outcome.needs_write:
        # Rare (new content, lost access): decided again on the rows a writer sees.
        with _feed_session(app, writer=True) as session:
            outcome = service.serve(session, secret=secret, now=now)
            session.commit()
    if outcome.use is not None:
        feed_uses(app).record(outcome.use)
    if outcome.feed is None:
        with _feed_session(app, writer=True) as session:
            throttle.count_failure(session, misses, now)
            session.commit()
    return outcome.feed, None


def _too_many(wait: timedelta) -> Response:
    return Response(
        b"Too many requests\n",
        status_code=429,
        media_type="text/plain; charset=utf-8",
        headers={"Retry-After": str(max(1, math.ceil(wait.total_seconds()))),
                 "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


async def feed(request: Request) -> Response:
    """The iCalendar feed behind a secret token, with ETag and Last-Modified."""
    secret = request.path_params["token"]
    if not _TOKEN_SHAPE.match(secret):
        return _not_found()
    app = request.app
    now = utcnow()
    # One thread-pool hop for all the database work.
    result, wait = await run_in_threadpool(_serve, app, secret, now,
                                           client_address(request) or "")
    if wait is not None:
        return _too_many(wait)
    if result is None:
        return _not_found()
    headers = {
        "ETag": result.etag,
        "Last-Modified": format_datetime(result.last_modified, usegmt=True),
        "Cache-Control": f"private, max-age={MAX_AGE_SECONDS}",
        "Referrer-Policy": "no-referrer",
    }
    conditions = request.headers
    if service.is_fresh(
        result,
        if_none_match=conditions.get("if-none-match"),
        if_modified_since=conditions.get("if-modified-since"),
    ):
        return Response(status_code=304, headers=headers)
    return Response(result.body, media_type="text/calendar; charset=utf-8", headers=headers)


class FeedRoute(APIRoute):
    """The feed's route, answered by `feed` itself, without FastAPI's dependency solving.

    Every calendar app polls this URL every few minutes. The app-wide dependencies
    (session cookie lookup, CSRF token) mean nothing here, where the secret in the path is
    the credential and only GET and HEAD are allowed, yet solving them took three
    thread-pool hops: most of a 304's time (bench/feeds.py). It stays an APIRoute with its
    declared access rule, so the route inventory and the need-to-know tests see it.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return feed


router.add_api_route(
    "/feeds/{token}.ics",
    feed,
    methods=["GET", "HEAD"],
    dependencies=[Depends(secret_in_path)],
    include_in_schema=False,
    route_class_override=FeedRoute,
)


def _links(request: Request, secret: str) -> dict[str, str]:
    """The https:// and webcal:// addresses of a new feed, and its QR code."""
    host = request.url.netloc
    # The dev server on a loopback address speaks plain HTTP; everywhere else, HTTPS.
    loopback = request.url.hostname in ("127.0.0.1", "localhost", "::1")
    scheme = "http" if loopback and request.url.scheme == "http" else "https"
    path = f"/feeds/{secret}.ics"
    webcal = f"webcal://{host}{path}"
    qr = segno.make(webcal, error="m").svg_inline(scale=4, title="Feed address as QR code")
    return {"https": f"{scheme}://{host}{path}", "webcal": webcal, "qr_svg": qr}


def _page(request: Request, session: SessionDep, user: User, **extra: object) -> Response:
    ctx = {
        "subscriptions": tokens.list_tokens(session, user=user),
        "choices": tokens.feed_choices(session, user=user),
        **extra,
    }
    return render(request, TEMPLATE, ctx, block="subscriptions")


@router.get("/calendar")
def subscriptions_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """My calendar subscriptions: create, list, revoke."""
    return _page(request, session, user)


@router.post("/calendar/tokens")
def create_subscription(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    label: Annotated[str, Form(max_length=200)],
    feed: Annotated[str, Form(max_length=100)],
) -> Response:
    """Issue a feed token for one device and show its address once."""
    secret, token = tokens.create_token(session, user=user, label=label, choice_key=feed)
    session.commit()
    return _page(request, session, user, created=token, links=_links(request, secret))


@router.post("/calendar/tokens/{token_id}/revoke")
def revoke_subscription(
    token_id: int, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """Revoke one subscription: its address stops working at once."""
    token = tokens.revoke_token(session, user=user, token_id=token_id)
    session.commit()
    return _page(request, session, user, notice=gettext("Revoked “%(label)s”.") % {
        "label": token.label})


@router.post("/calendar/tokens/revoke-all")
def revoke_all_subscriptions(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Revoke every subscription of the signed-in user."""
    assert user.id is not None
    count = tokens.revoke_all(session, user_id=user.id, actor_id=user.id, reason="by owner")
    session.commit()
    return _page(request, session, user, notice=gettext("Revoked %(count)s subscription(s).") % {
        "count": count})
