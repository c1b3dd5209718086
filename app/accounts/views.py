"""Sign in (password, then TOTP when enrolled), sign out, and the user's own account:
password, two-step sign-in and sessions."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts import service, totp
from app.audit import client_address
from app.config import get_settings
from app.db import SessionDep
from app.deps import AuthDep, CurrentUser, Public, SignedInUser
from app.errors import AppError, TooManyRequests
from app.i18n import LANGUAGE_COOKIE, LANGUAGES, N_, gettext, later, speaking
from app.models import User
from app.web import cookie, delete_cookie, redirect, render, set_cookie

router = APIRouter(tags=["accounts"])
PENDING_COOKIE = "jointops_pending"
LANGUAGE_COOKIE_SECONDS = 400 * 24 * 3600  # browsers cap cookie lifetimes at 400 days


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


def _locked(request: Request, template: str, ctx: dict[str, object],
            locked: service.SignInLocked) -> Response:
    headers = {"Retry-After": str(int(locked.retry_after.total_seconds()) + 1)}
    ctx["error"] = locked.message
    return render(request, template, ctx, status_code=429, headers=headers)


def _open_session(request: Request, session: SessionDep, user: User, next: str) -> Response:
    # Decided before the commit: reading the expired user after it would open another
    # transaction (on SQLite a writer's) for the rest of the request.
    # A missing second factor first, then an administrator's initial password.
    target = ("/account/totp" if service.needs_enrolment(user)
              else "/account/password" if service.needs_password_change(user)
              else _safe_next(next))
    language = user.language
    # A new token on every sign-in, and the session this browser held ends (ASVS 5.0
    # 7.2.4): on a shared workstation the previous user's session must not live on.
    held = request.cookies.get(get_settings().session_cookie_name)
    if held:
        service.end_session(session, token=held)
    token, _ = service.start_session(
        session, user=user, user_agent=request.headers.get("user-agent", ""),
        address=client_address(request) or "",
    )
    session.commit()
    settings = get_settings()
    response = redirect(request, target)
    set_cookie(response, "jointops_session", token,
               max_age=settings.session_lifetime_minutes * 60)
    if cookie(request, PENDING_COOKIE):
        delete_cookie(response, PENDING_COOKIE)
    # The board speaks the user's saved language on this device from now on (a user who
    # never chose one keeps the device's choice, or the browser's).
    if language:
        set_cookie(response, LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_SECONDS)
    return response


@router.post("/login", dependencies=[Public])
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password; then open a session, or ask for the TOTP code when enrolled."""
    ctx: dict[str, object] = {"next": _safe_next(next), "username": username}
    try:
        user = service.sign_in(session, username=username.strip(), password=password,
                               address=client_address(request) or "")
    except service.SignInLocked as locked:
        session.commit()  # the locked attempt stays on record
        return _locked(request, "accounts/login.html", ctx, locked)
    except service.InitialPasswordExpired as expired:
        session.commit()  # the refusal stays on record
        ctx["error"] = expired.message
        return render(request, "accounts/login.html", ctx, status_code=expired.status)
    two_step = bool(user and user.totp_secret)
    if user is None or two_step:
        session.commit()  # the attempt stays on record, failed or not
    # else the session is opened in the same short write as the audit row of the sign-in
    if user is None:
        ctx["error"] = N_("Wrong username or password, or the account is disabled.")
        return render(request, "accounts/login.html", ctx, status_code=401)
    if two_step:
        assert user.id is not None
        response = render(request, "accounts/second_factor.html", {"next": _safe_next(next)})
        set_cookie(response, PENDING_COOKIE, service.pending_token(user.id),
                   max_age=int(service.PENDING_SECOND_FACTOR.total_seconds()))
        return response
    return _open_session(request, session, user, next)


@router.post("/login/second-factor", dependencies=[Public])
def login_second_factor(
    request: Request,
    session: SessionDep,
    code: Annotated[str, Form(max_length=32)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """The TOTP (or recovery) code after the right password."""
    ctx: dict[str, object] = {"next": _safe_next(next)}
    user_id = service.read_pending_token(cookie(request, PENDING_COOKIE) or "")
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active or not user.totp_secret:
        ctx["error"] = N_("The sign-in took too long or was not started: sign in again.")
        return render(request, "accounts/login.html", ctx, status_code=401)
    try:
        ok = service.check_second_factor(session, user=user, code=code,
                                         address=client_address(request) or "")
    except service.SignInLocked as locked:
        session.commit()
        return _locked(request, "accounts/second_factor.html", ctx, locked)
    session.commit()
    if not ok:
        ctx["error"] = N_("That code is not right (or was already used). Try the code now shown.")
        return render(request, "accounts/second_factor.html", ctx, status_code=401)
    return _open_session(request, session, user, next)


@router.post("/logout")
def logout(request: Request, session: SessionDep, user: SignedInUser) -> Response:
    """End this session at once."""
    token = request.cookies.get(get_settings().session_cookie_name, "")
    service.end_session(session, token=token)
    service.audit_session_end(session, user=user, action="auth.sign_out",
                              address=client_address(request) or "")
    session.commit()
    return _signed_out(request)


def _signed_out(request: Request) -> Response:
    """To the sign-in page, with the session cookie gone and the browser told to drop
    what it kept of the signed-in pages (ASVS 5.0 14.3.1)."""
    response = redirect(request, "/login", flash=N_("Signed out."))
    delete_cookie(response, "jointops_session")
    # Not "cookies": it would drop the flash just set, and the CSRF cookie is harmless.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@router.get("/")
def home(request: Request, user: CurrentUser) -> Response:
    """The start page: the first board page of the user's menu, or a welcome."""
    from app.web import nav_for

    items = nav_for(user)
    if items:
        return redirect(request, items[0].path)
    return render(request, "accounts/home.html", {})


# --- the user's own account ---------------------------------------------------------


def _current_session_id(request: Request) -> str | None:
    # The row's id as found (under whichever digest scheme it was stored).
    found: str | None = getattr(request.state, "session_id", None)
    if found:
        return found
    token = request.cookies.get(get_settings().session_cookie_name)
    return service.token_digest(token) if token else None


def _account_page(request: Request, session: SessionDep, user: User, *,
                  error: str | None = None, status_code: int = 200) -> Response:
    assert user.id is not None
    ctx = {
        "sessions": service.session_views(session, user_id=user.id,
                                          current=_current_session_id(request)),
        "totp_on": bool(user.totp_secret),
        "totp_required": service.second_factor_required(user),
        "recovery_left": service.unused_recovery_codes(session, user_id=user.id),
        "idle_minutes": get_settings().session_idle_minutes,
        "error": error,
    }
    return render(request, "accounts/account.html", ctx, status_code=status_code)


@router.get("/account")
def account(request: Request, session: SessionDep, user: SignedInUser) -> Response:
    """The user's account: password, two-step sign-in, and where they are signed in."""
    return _account_page(request, session, user)


@router.post("/language", dependencies=[Public])
def choose_language(
    request: Request,
    language: Annotated[str, Form(max_length=16)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """This device's language before sign-in (the sign-in page): a cookie, nothing saved."""
    if language not in LANGUAGES:
        raise AppError(later("Unknown language %(code)s: choose one of %(choices)s",
                             code=repr(language), choices=", ".join(LANGUAGES)), 422)
    target = "/login" if _safe_next(next) == "/" else f"/login?next={quote(_safe_next(next))}"
    response = redirect(request, target)
    set_cookie(response, LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_SECONDS)
    return response


@router.post("/account/language")
def change_language(
    request: Request,
    session: SessionDep,
    user: SignedInUser,
    language: Annotated[str, Form(max_length=16)],
) -> Response:
    """Speak another language to the user: saved with the user and kept in a cookie."""
    service.set_language(session, user=user, code=language)
    session.commit()
    # The flash shows on the next page, which already speaks the new language.
    with speaking(language):
        message = gettext("Language changed.")
    response = redirect(request, "/account", flash=message)
    set_cookie(response, LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_SECONDS)
    return response


@router.post("/account/sessions/end-others")
def end_other_sessions(
    request: Request, session: SessionDep, user: SignedInUser,
    current: Annotated[str, Form(max_length=128)],
) -> Response:
    """End every session of the user but this one, once the password is typed again."""
    try:
        ended = service.end_other_sessions(session, user=user, current=current,
                                           keep=_current_session_id(request) or "",
                                           address=client_address(request) or "")
    except AppError as exc:
        session.commit()  # a wrong current password stays counted and on record
        return _account_page(request, session, user, error=exc.message,
                             status_code=exc.status)
    session.commit()
    return redirect(request, "/account",
                    flash=gettext("Every other session has ended.") if ended else None)


@router.post("/account/sessions/{session_id}/end")
def end_session(
    session_id: str, request: Request, session: SessionDep, user: SignedInUser,
    password: Annotated[str | None, Form(alias="current", max_length=128)] = None,
) -> Response:
    """End one of the user's own sessions: this one (signing out), or another device's
    once the password is typed again (ASVS 5.0 7.5.2: a stolen session must not be able
    to end the owner's)."""
    assert user.id is not None
    current = session_id == _current_session_id(request)
    if not current:
        try:
            service.check_current_password(session, user=user, current=password or "",
                                           purpose="session_end")
        except AppError as exc:
            session.commit()  # a wrong current password stays counted and on record
            return _account_page(request, session, user, error=exc.message,
                                 status_code=exc.status)
    if not service.end_user_session(session, user_id=user.id, session_id=session_id):
        raise AppError(N_("No such session of yours (it may have ended already)"), 404)
    service.audit_session_end(session, user=user, action="auth.session_ended",
                              address=client_address(request) or "", current=current)
    session.commit()
    if current:
        return _signed_out(request)
    return redirect(request, "/account", flash=N_("That session has ended."))


@router.get("/account/password")
def password_page(request: Request, user: SignedInUser) -> Response:
    """The form to change one's own password (first thing after signing in with an
    administrator's initial password)."""
    return render(request, "accounts/password.html",
                  {"must_change": service.needs_password_change(user)})


@router.post("/account/password")
def change_password(
    request: Request,
    session: SessionDep,
    user: SignedInUser,
    current: Annotated[str, Form(max_length=128)],
    new: Annotated[str, Form(max_length=128)],
    confirm: Annotated[str, Form(max_length=128)],
) -> Response:
    """Change one's own password (the current one is needed); other sessions end."""
    try:
        ended = service.change_own_password(
            session, user=user, current=current, new=new, confirm=confirm,
            keep=_current_session_id(request) or "",
        )
    except AppError as exc:
        session.commit()  # a wrong current password stays counted and on record
        headers = exc.headers if isinstance(exc, TooManyRequests) else None
        return render(request, "accounts/password.html",
                      {"error": exc.message, "must_change": service.needs_password_change(user)},
                      status_code=exc.status, headers=headers)
    session.commit()
    done = (later("Password changed. %(count)s other session(s) ended.", count=ended) if ended
            else N_("Password changed."))
    return redirect(request, "/account", flash=done)


@router.get("/account/totp")
def totp_page(request: Request, user: SignedInUser) -> Response:
    """Set up TOTP: a new secret, shown as text and as an otpauth URI."""
    secret = totp.new_secret()
    return render(request, "accounts/totp.html", _totp_ctx(user, secret))


def _totp_ctx(user: User, secret: str, error: str | None = None) -> dict[str, object]:
    # New enrolments follow JOINTOPS_TOTP_ALGORITHM (service.enrol_totp, the same).
    algorithm = totp.configured_algorithm()
    return {
        "secret": secret,
        "grouped": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "uri": totp.provisioning_uri(secret, username=user.username, algorithm=algorithm),
        "sha256": algorithm == "sha256",
        "totp_on": bool(user.totp_secret),
        "required": service.second_factor_required(user),
        "error": error,
    }


@router.post("/account/totp")
def totp_enrol(
    request: Request,
    session: SessionDep,
    user: SignedInUser,
    secret: Annotated[str, Form(min_length=16, max_length=64)],
    code: Annotated[str, Form(max_length=16)],
    current: Annotated[str, Form(max_length=128)],
) -> Response:
    """Confirm the set-up with the current password and a code from the app; shows the
    recovery codes once."""
    try:
        codes = service.enrol_totp(session, user=user, secret=secret, code=code,
                                   current=current, keep=_current_session_id(request))
    except AppError as exc:
        session.commit()  # a wrong current password stays counted and on record
        headers = exc.headers if isinstance(exc, TooManyRequests) else None
        return render(request, "accounts/totp.html", _totp_ctx(user, secret, exc.message),
                      status_code=exc.status, headers=headers)
    session.commit()
    return render(request, "accounts/recovery_codes.html", {"codes": codes})
