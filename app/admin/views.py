"""The admin pages (HTML): an index, one page per resource, account actions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from html import escape
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.admin import geo, users
from app.admin.common import FieldErrors
from app.admin.crud import FormDep, add_routes, form_page
from app.admin.display import window_in_utc
from app.admin.fields import FormData
from app.admin.resources import ALL, CROSSINGS, USERS
from app.audit import TrailFilter, read_trail
from app.db import SessionDep
from app.deps import AdminUser
from app.errors import AppError
from app.i18n import gettext, later
from app.models import User
from app.web import redirect, register_nav, render

router = APIRouter(tags=["admin"])
register_nav("Administration", "/admin", {"admin"}, order=85)

for resource in ALL:
    add_routes(router, resource)


@router.get("/admin", include_in_schema=False)
def index(request: Request, session: SessionDep, user: AdminUser) -> Response:
    """Links to every administered resource, with how many there are."""
    sections = [(res, res.lister(session, per_page=1).total) for res in ALL]
    return render(request, "admin/index.html", {"sections": sections})


@router.get("/admin/crossings-window-row", include_in_schema=False)
def window_row(request: Request, user: AdminUser) -> Response:
    """One empty daily-window row, added to the crossing form in place."""
    return render(request, "admin/window_row.html", {"row": {"from": "", "to": ""}})


@router.get("/admin/crossings-window-utc", include_in_schema=False)
def window_utc(
    request: Request, user: AdminUser, open_from: str = "", open_to: str = "", timezone: str = ""
) -> Response:
    """What a daily window typed in local time is in UTC (shown next to the row as typed)."""
    utc = window_in_utc({"from": open_from, "to": open_to}, timezone) if timezone else ""
    return HTMLResponse(f"= {escape(utc)}" if utc else "")


@router.post("/admin/crossings/{key}/closures", include_in_schema=False)
def add_closure(
    key: str, request: Request, session: SessionDep, user: AdminUser, form: FormDep
) -> Response:
    """Close the crossing on whole local days; errors come back beside the fields."""
    crossing = CROSSINGS.find(session, key)
    typed = {name: (form.get(name) or [""])[0]
             for name in ("closure_starts_on", "closure_ends_on", "closure_reason")}
    try:
        closure = geo.add_closure(session, crossing=crossing, data=typed, actor=user)
    except FieldErrors as exc:
        response = form_page(request, session, CROSSINGS, obj=crossing, extra={
            "closure_errors": exc.errors, "closure_values": typed})
        response.status_code = 422
        return response
    session.commit()
    return redirect(request, f"{CROSSINGS.url}/{crossing.id}/edit", flash=gettext(
        "Crossing %(crossing)s closed %(first)s to %(last)s.") % {
            "crossing": crossing.id, "first": closure.starts_on.isoformat(),
            "last": closure.ends_on.isoformat()})


@router.post("/admin/crossings/{key}/closures/{closure_id}/delete", include_in_schema=False)
def lift_closure(
    key: str, closure_id: int, request: Request, session: SessionDep, user: AdminUser
) -> Response:
    """Lift one closure of the crossing."""
    crossing = CROSSINGS.find(session, key)
    closure = geo.delete_closure(session, crossing=crossing, closure_id=closure_id, actor=user)
    session.commit()
    return redirect(request, f"{CROSSINGS.url}/{crossing.id}/edit", flash=gettext(
        "Closure of crossing %(crossing)s from %(first)s lifted.") % {
            "crossing": crossing.id, "first": closure.starts_on.isoformat()})


@router.post("/admin/users/{key}/disable", include_in_schema=False)
def disable_user(key: str, request: Request, session: SessionDep, user: AdminUser) -> Response:
    """Disable an account: its sessions and calendar feeds stop at once."""
    target = USERS.find(session, key)
    users.set_user_active(session, user=target, active=False, actor=user)
    session.commit()
    return redirect(request, USERS.url, flash=gettext("Disabled %(user)s.") % {
        "user": target.username})


@router.post("/admin/users/{key}/enable", include_in_schema=False)
def enable_user(key: str, request: Request, session: SessionDep, user: AdminUser) -> Response:
    """Enable an account again (it signs in with its password; feeds must be re-created)."""
    target = USERS.find(session, key)
    users.set_user_active(session, user=target, active=True, actor=user)
    session.commit()
    return redirect(request, USERS.url, flash=gettext("Enabled %(user)s.") % {
        "user": target.username})


IDENTITY_FIELDS = ("identity_method", "identity_reference")


def _identity_typed(form: FormData) -> dict[str, str]:
    """The identity check as typed (blank ones left out of the data: "is required")."""
    return {name: (form.get(name) or [""])[0].strip() for name in IDENTITY_FIELDS}


def _user_page_again(
    request: Request, session: Session, target: User, form_name: str, exc: FieldErrors,
    typed: dict[str, str],
) -> Response:
    """The user's page with one account form's errors beside its fields, as typed."""
    response = form_page(request, session, USERS, obj=target, extra={
        f"{form_name}_errors": exc.errors, f"{form_name}_values": typed})
    response.status_code = 422
    return response


@router.post("/admin/users/{key}/password", include_in_schema=False)
def reset_password(
    key: str, request: Request, session: SessionDep, user: AdminUser, form: FormDep
) -> Response:
    """Set a new password, after checking the holder's identity; the user's sessions end."""
    target = USERS.find(session, key)
    password = (form.get("password") or [""])[0]
    typed = _identity_typed(form)
    data = {"password": password or None, **{k: v for k, v in typed.items() if v}}
    try:
        done = users.reset_password(session, user=target, data=data, actor=user)
    except FieldErrors as exc:
        return _user_page_again(request, session, target, "reset", exc, typed)
    session.commit()
    return initial_password_page(request, done) or redirect(request, USERS.url, flash=gettext(
        "New password set for %(user)s: they choose their own at their next sign-in.") % {
            "user": target.username})


def initial_password_page(request: Request, done: users.InitialPassword) -> Response | None:
    """The password the board generated, shown this once (never stored plain, not put in
    a flash cookie, not cached: every page is no-store); None when it was typed."""
    if done.generated is None:
        return None
    return render(request, "admin/initial_password.html", {
        "username": done.user.username, "password": done.generated,
        "expires_at": done.expires_at})



@router.post("/admin/users/{key}/end-sessions", include_in_schema=False)
def end_user_sessions(key: str, request: Request, session: SessionDep, user: AdminUser) -> Response:
    """End every session of the user at once (they must sign in again)."""
    target = USERS.find(session, key)
    ended = users.end_sessions(session, user=target, actor=user)
    session.commit()
    return redirect(request, f"{USERS.url}/{target.id}/edit",
                    flash=gettext("Ended %(count)s session(s) of %(user)s.") % {
                        "count": ended, "user": target.username})


@router.post("/admin/users/{key}/remove-totp", include_in_schema=False)
def remove_totp(
    key: str, request: Request, session: SessionDep, user: AdminUser, form: FormDep
) -> Response:
    """Turn off the user's two-step sign-in (lost phone), after checking the holder's
    identity: they set it up again."""
    target = USERS.find(session, key)
    typed = _identity_typed(form)
    try:
        users.remove_second_factor(session, user=target, actor=user,
                                   data={k: v for k, v in typed.items() if v})
    except FieldErrors as exc:
        return _user_page_again(request, session, target, "totp", exc, typed)
    session.commit()
    return redirect(request, f"{USERS.url}/{target.id}/edit",
                    flash=gettext("Two-step sign-in removed for %(user)s.") % {
                        "user": target.username})


def _day(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        raise AppError(later("%(name)s: expected a date such as 2026-12-02, got %(value)s",
                             name=name, value=repr(value)), 422) from None


@router.get("/admin/audit", include_in_schema=False)
def audit_trail(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    username: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
) -> Response:
    """The audit trail, newest first: filter by user, action (prefix) and dates (UTC)."""
    start, end = _day(since, "from"), _day(until, "to")
    where = TrailFilter(username=username.strip(), action=action.strip(), since=start,
                        until=end + timedelta(days=1) if end else None)
    trail = read_trail(session, where=where, page=max(1, page))
    query = {"username": where.username, "action": where.action, "since": since,
             "until": until}
    ctx = {"trail": trail, "filters": query,
           "query": urlencode({k: v for k, v in query.items() if v})}
    return render(request, "admin/audit.html", ctx, block="rows")
