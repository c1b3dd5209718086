"""Sign in and sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts import service
from app.config import get_settings
from app.db import SessionDep
from app.deps import AuthDep, CurrentUser, Public
from app.web import redirect, render

router = APIRouter(tags=["accounts"])


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would make the login page a phishing aid.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", dependencies=[Public])
def login_page(request: Request, auth: AuthDep, next: str | None = None) -> Response:
    """The sign-in form (signed-in users go straight on)."""
    if auth is not None:
        return redirect(request, _safe_next(next))
    return render(request, "accounts/login.html", {"next": _safe_next(next)})


@router.post("/login", dependencies=[Public])
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the credentials and open a server-side session."""
    ctx = {"next": _safe_next(next), "username": username}
    try:
        user = service.sign_in(session, username=username.strip(), password=password)
    except service.SignInLocked as locked:
        headers = {"Retry-After": str(int(locked.retry_after.total_seconds()) + 1)}
        ctx["error"] = locked.message
        return render(request, "accounts/login.html", ctx, status_code=429, headers=headers)
    session.commit()  # the attempt stays on record, failed or not
    if user is None:
        ctx["error"] = "Wrong username or password, or the account is disabled."
        return render(request, "accounts/login.html", ctx, status_code=401)
    token, _ = service.start_session(session, user=user)
    session.commit()
    settings = get_settings()
    response = redirect(request, _safe_next(next))
    response.set_cookie(
        settings.session_cookie_name,
        token,
        max_age=settings.session_lifetime_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """End this session at once."""
    settings = get_settings()
    token = request.cookies.get(settings.session_cookie_name, "")
    service.end_session(session, token=token)
    session.commit()
    response = redirect(request, "/login", flash="Signed out.")
    response.delete_cookie(settings.session_cookie_name)
    return response


@router.get("/")
def home(request: Request, user: CurrentUser) -> Response:
    """The start page: the first board page of the user's menu, or a welcome."""
    from app.web import nav_for

    items = nav_for(user)
    if items:
        return redirect(request, items[0].path)
    return render(request, "accounts/home.html", {})
