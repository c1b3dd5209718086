"""Request dependencies: who is calling, what they may do, CSRF, and lookup-or-404."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool

from app.accounts import service as accounts
from app.accounts import throttle
from app.config import get_settings
from app.db import SessionDep
from app.errors import (
    AppError,
    EnrolmentRequired,
    Forbidden,
    LoginRequired,
    PasswordChangeRequired,
    TooManyRequests,
)
from app.i18n import N_
from app.models import Operation, Role, User, UserSession, utcnow
from app.read_limit import ReadLimit
from app.uploads import is_multipart
from app.web import CSRF_COOKIE, Viewer, cookie

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class Auth:
    user: User
    user_session: UserSession


def get_auth(request: Request, session: SessionDep) -> Auth | None:
    """The caller's live session, if any; also exposes user and CSRF token to templates."""
    # Kept for the error handler, which records refusals (app/audit.py).
    request.state.db = session
    token = request.cookies.get(get_settings().session_cookie_name)
    # Pages show the unread notices in the navigation (one indexed count, read with the
    # session and user); the API does not.
    api = request.scope["path"].startswith("/api/")
    found: tuple[User, UserSession, int | None] | None = None
    if token and api:
        known = accounts.lookup_session(session, token=token)
        found = (*known, None) if known else None
    elif token:
        found = accounts.lookup_session_and_unread(session, token=token)
    if found is None:
        request.state.user = None
        csrf = cookie(request, CSRF_COOKIE)
        if not csrf:
            csrf = secrets.token_urlsafe(32)
            request.state.new_csrf_cookie = csrf
        request.state.csrf_token = csrf
        return None
    user, row, unread = found
    now = utcnow()
    if accounts.needs_touch(row, now):
        # Its own short write, begun afresh (on SQLite a read that turns into a write
        # could be refused), at most once a minute per session.
        session_id = row.id
        session.commit()
        accounts.touch(session, session_id=session_id, now=now)
        session.commit()
    request.state.user = Viewer.of(user, unread_notices=unread)
    request.state.csrf_token = row.csrf_token
    request.state.session_id = row.id
    return Auth(user, row)


AuthDep = Annotated[Auth | None, Depends(get_auth)]

# A numeric row id in a path. PostgreSQL's `integer` stops at 2**31 - 1, and a larger id
# reached the query as a DataError (a 500, and an aborted transaction): refuse it up front.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A row id (1 to 2147483647)")]


def access_rule(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a dependency as an access rule (a test checks every route declares one)."""
    func.access_rule = True  # type: ignore[attr-defined]
    return func


@access_rule
def public() -> None:
    """Explicitly open to anyone, signed in or not."""


@access_rule
def get_signed_in_user(auth: AuthDep) -> User:
    """The signed-in user, even one who must still set up a second factor (the account
    pages and sign-out take this one); otherwise a redirect to the login page."""
    if auth is None:
        raise LoginRequired()
    return auth.user


@access_rule
def get_current_user(user: Annotated[User, Depends(get_signed_in_user)]) -> User:
    """The signed-in user; otherwise a redirect to the login page (401 for the API).

    Outside dev every user goes no further than their account page until they have set
    up TOTP; then a user on an administrator's initial password no further than the
    password form until they have chosen their own.
    """
    if accounts.needs_enrolment(user):
        raise EnrolmentRequired()
    if accounts.needs_password_change(user):
        raise PasswordChangeRequired()
    return user


SignedInUser = Annotated[User, Depends(get_signed_in_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]
Public = Depends(public)


def require_role(*roles: Role) -> Callable[[User], User]:
    """A dependency that lets only the given roles through (403 for the others)."""
    allowed = {Role(r) for r in roles}

    @access_rule
    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise Forbidden()
        return user

    return check


AdminUser = Annotated[User, Depends(require_role(Role.admin))]
PlannerUser = Annotated[User, Depends(require_role(Role.planner, Role.coordinator, Role.admin))]


async def csrf_protect(request: Request, auth: AuthDep) -> None:
    """Refuse unsafe requests without the session's CSRF token (form field or header)."""
    if request.method in SAFE_METHODS:
        return
    content_type = request.headers.get("content-type")
    if auth is None and is_multipart(content_type):
        # Refused unread: parsing it would spool its files to disk (app.uploads).
        raise AppError(N_("Sign in before uploading"), 401)
    expected = auth.user_session.csrf_token if auth else cookie(request, CSRF_COOKIE)
    sent = request.headers.get("X-CSRF-Token")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise AppError(N_("Missing or invalid CSRF token; reload the page and try again"), 403)


async def limit_requests(request: Request, auth: AuthDep, session: SessionDep) -> None:
    """Per signed-in user and minute (ASVS 5.0 2.4.1): at most JOINTOPS_WRITES_PER_MINUTE
    unsafe requests over every process, and JOINTOPS_READS_PER_MINUTE reads per process;
    429 with Retry-After beyond them; 0 turns a limit off.

    The write counter is a database row raised in the request's own transaction: it is
    saved with what the request saves (nothing is committed before the use case's one
    commit), and a refusal (403, 404) raises it in the transaction that audits it
    (app/audit.py `record_refusal`). On PostgreSQL one user's writes take turns on the
    row. Reads are counted in memory (app/read_limit.py): a database write per page
    view would cost too much.

    Async: a read is counted on the event loop, without the thread-pool hop a sync
    dependency costs on every request; only the write counter goes to a thread.
    """
    if auth is None or auth.user.id is None:
        return
    settings = get_settings()
    if request.method in SAFE_METHODS:
        reads: ReadLimit = request.app.state.read_limit
        wait = (reads.hit(auth.user.id, most=settings.reads_per_minute, now=utcnow())
                if settings.reads_per_minute else None)
    elif settings.writes_per_minute:
        key = throttle.writes_key(auth.user.id)
        wait = await run_in_threadpool(
            throttle.hit, session, key, most=settings.writes_per_minute, now=utcnow(),
            window=throttle.WRITE_WINDOW)
    else:
        wait = None
    if wait is not None:
        raise TooManyRequests(wait)


def get_visible_operation(operation_id: str, user: CurrentUser, session: SessionDep) -> Operation:
    """The operation of the path, if this user may know it exists; 404 otherwise."""
    from app.access import get_visible_operation as lookup

    return lookup(session, user=user, operation_id=operation_id)


VisibleOperation = Annotated[Operation, Depends(get_visible_operation)]
