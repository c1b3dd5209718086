"""The feed URL calendar apps poll, and the "My calendar subscriptions" page."""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import format_datetime
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from app.db import SessionDep, writes_on_read
from app.deps import CurrentUser, access_rule
from app.feeds import service, tokens
from app.feeds.logging import install_token_filter
from app.models import User, utcnow
from app.web import register_nav, render

router = APIRouter(tags=["feeds"])
register_nav("My calendar", "/calendar", ["admin", "planner", "liaison", "unit_officer"], 90)
# create_app imports this module, so the access log is masked before the first request.
install_token_filter()

# What token_urlsafe produces; anything else cannot be a token and skips the database.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
# One body for every kind of miss, so unknown and revoked tokens cannot be told apart.
NOT_FOUND_BODY = b"Not found\n"
TEMPLATE = "feeds/tokens.html"
# Short: an app that refreshes must see a change at once (revalidating costs a 304), yet
# the duplicate fetches some apps make when subscribing are absorbed.
MAX_AGE_SECONDS = 60


async def feed_clock() -> datetime:
    """The time a feed is rendered at (tests override it to cross the grace period)."""
    # async: a plain def dependency would cost a thread-pool hop on every feed request.
    return utcnow()


Clock = Annotated[datetime, Depends(feed_clock)]


@access_rule
async def secret_in_path() -> None:
    """Open without a session: the secret token in the path is the credential."""
    # Like app.deps.public, but async: a plain def costs a thread-pool hop per poll.


def _not_found() -> Response:
    return Response(
        NOT_FOUND_BODY,
        status_code=404,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@router.api_route(
    "/feeds/{token}.ics",
    methods=["GET", "HEAD"],
    dependencies=[Depends(secret_in_path)],
    include_in_schema=False,
)
@writes_on_read  # records the token's use and the feed's Last-Modified high-water mark
def feed(token: str, request: Request, session: SessionDep, now: Clock) -> Response:
    """The iCalendar feed behind a secret token, with ETag and Last-Modified."""
    if not _TOKEN_SHAPE.match(token):
        return _not_found()
    result = service.serve(session, secret=token, now=now)
    session.commit()
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
    return _page(request, session, user, notice=f"Revoked “{token.label}”.")


@router.post("/calendar/tokens/revoke-all")
def revoke_all_subscriptions(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Revoke every subscription of the signed-in user."""
    assert user.id is not None
    count = tokens.revoke_all(session, user_id=user.id, actor_id=user.id, reason="by owner")
    session.commit()
    return _page(request, session, user, notice=f"Revoked {count} subscription(s).")
