"""Templates, htmx-aware rendering, redirects, flash messages, navigation and time filters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup

from app import i18n
from app.config import ROOT, get_settings
from app.errors import is_htmx
from app.i18n import N_
from app.operations import priority
from app.planning.run_errors import run_error

HTMX_JS = "vendor/htmx-2.0.11.min.js"
# The maps: Leaflet and the country borders they draw, both vendored (static/vendor/README.md).
LEAFLET_DIR = "vendor/leaflet-1.9.4"
BORDERS_GEOJSON = "vendor/borders-lancang-mekong-world-atlas-2.0.2.geojson"
FLASH_COOKIE = "jointops_flash"
CSRF_COOKIE = "jointops_csrf"


def cookie(request: Request, name: str) -> str | None:
    """The value of the board's cookie `name` (under its __Host- name in production)."""
    return request.cookies.get(get_settings().cookie_name(name))


def set_cookie(response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    """Set one of the board's cookies: HttpOnly, SameSite=Lax, path /, and in production
    Secure with the __Host- prefix."""
    settings = get_settings()
    response.set_cookie(
        settings.cookie_name(name), value, max_age=max_age, path="/", httponly=True,
        samesite="lax", secure=settings.secure_cookies,
    )


def delete_cookie(response: Response, name: str) -> None:
    settings = get_settings()
    response.delete_cookie(
        settings.cookie_name(name), path="/", httponly=True, samesite="lax",
        secure=settings.secure_cookies,
    )


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    roles: frozenset[str]
    order: int = 50


NAV: list[NavItem] = []


def register_nav(label: str, path: str, roles: set[str] | list[str], order: int = 50) -> None:
    """Add a navigation link shown to the given roles (call once, at import of a router)."""
    if any(item.path == path for item in NAV):
        return
    NAV.append(NavItem(label, path, frozenset(str(r) for r in roles), order))
    NAV.sort(key=lambda item: (item.order, item.label))


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as plain values, for templates and navigation.

    Pages read these after the request's session is gone (an error page renders once the
    session rolled back and closed); an ORM `User` would raise DetachedInstanceError there.
    """

    id: int | None
    username: str
    full_name: str
    role: str
    agency_id: str | None
    unit_id: str | None
    # The navigation's badge; None where it was not counted (API calls).
    unread_notices: int | None = None

    @classmethod
    def of(cls, user: Any, unread_notices: int | None = None) -> Viewer:
        return cls(id=user.id, username=user.username, full_name=user.full_name or "",
                   role=str(user.role), agency_id=user.agency_id, unit_id=user.unit_id,
                   unread_notices=unread_notices)


def nav_for(user: Any) -> list[NavItem]:
    """The navigation links this user's role may follow."""
    if user is None:
        return []
    return [item for item in NAV if str(user.role) in item.roles]


def fmt_utc(value: datetime | None, seconds: bool = False) -> str:
    """An instant in UTC, e.g. `2026-12-02 03:00Z`."""
    if value is None:
        return ""
    pattern = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return value.astimezone(UTC).strftime(pattern) + "Z"


def fmt_local(value: datetime | None, tz: str, with_zone: bool = True) -> str:
    """An instant in a local zone, e.g. `2026-12-02 09:30 (UTC+06:30)`."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(tz))
    text = local.strftime("%Y-%m-%d %H:%M")
    if not with_zone:
        return text
    offset = local.strftime("%z")
    return f"{text} (UTC{offset[:3]}:{offset[3:]})"


def fmt_hours(hours: float) -> str:
    """A limit in hours as `4 h` or `2 h 30 min`."""
    return fmt_duration(round(hours * 60))


def dwell_minutes(value: timedelta) -> int:
    """A wait's whole minutes (for fmt_duration)."""
    return int(value.total_seconds() // 60)


def fmt_duration(minutes: int | None) -> str:
    """Minutes as `5 h 30 min`."""
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _base_context(request: Request) -> dict[str, Any]:
    user = getattr(request.state, "user", None)
    return {
        "current_user": user,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "nav": nav_for(user),
        "flash": unquote(cookie(request, FLASH_COOKIE) or ""),
        "htmx_js": HTMX_JS,
        "lang": i18n.current_language.get(),
    }


# The words of a state badge: an operation's state, a solver run's or a tasking's status.
# The stored value is English and stays so in CSS classes, the API and the scenario
# format; the badge shows it in the reader's language (`{{ op.state | state_label }}`).
STATE_WORDS = (N_("draft"), N_("proposed"), N_("approved"), N_("scheduled"), N_("executing"),
               N_("completed"), N_("declined"), N_("aborted"), N_("queued"), N_("running"),
               N_("cancelling"), N_("succeeded"), N_("failed"), N_("cancelled"),
               N_("active"), N_("handed over"))


def state_label(state: object) -> str:
    """A state or status (an enum member or its value) as its badge reads."""
    value = str(getattr(state, "value", state) or "")
    return i18n.gettext(value.replace("_", " "))


def phrase(message: str) -> Markup:
    """A phrase a page repeats in a loop (the board's cards), translated once before it:
    `{% set lead = phrase("lead %(agency)s") %}` then `{{ lead % {"agency": op.lead_agency_id} }}`
    reads exactly as `_("lead %(agency)s", agency=…)` does (new-style gettext makes the
    translation Markup, so `%` escapes the values), without `_()`'s per-call cost inside a
    loop (Jinja copies the context for every context function called there). Only for
    autoescaped (.html) templates; `phrase` is an extraction keyword (app/i18n_messages.py)."""
    # Trusted text only: `message` is a literal of our templates and its translation comes
    # from our own catalogues, as with `_()`; values go in through Markup's `%`, escaped.
    return Markup(i18n.gettext(message))  # nosec B704


templates = Jinja2Blocks(directory=str(ROOT / "templates"), context_processors=[_base_context])
templates.env.filters.update(fmt_utc=fmt_utc, fmt_local=fmt_local, fmt_duration=fmt_duration,
                             fmt_hours=fmt_hours, dwell_minutes=dwell_minutes,
                             priority_label=priority.label, fmt_number=i18n.fmt_number,
                             fmt_day=i18n.fmt_day, state_label=state_label,
                             translated=i18n.translated, run_error=run_error)
templates.env.globals.update(leaflet_dir=LEAFLET_DIR, borders_geojson=BORDERS_GEOJSON,
                             priority_levels=priority.LEVELS, languages=i18n.LANGUAGES,
                             phrase=phrase)
# `_()` and `{% trans %}` in templates read the request's language (app/i18n.py);
# new-style gettext escapes the values put into a translated phrase.
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)


def _finish(request: Request, response: Response) -> Response:
    response.headers["Vary"] = "HX-Request"
    if cookie(request, FLASH_COOKIE):
        delete_cookie(response, FLASH_COOKIE)
    new_csrf = getattr(request.state, "new_csrf_cookie", None)
    if new_csrf:
        set_cookie(response, CSRF_COOKIE, new_csrf)
    return response


def wants_fragment(request: Request) -> bool:
    """True when `render` sends only the named block: htmx asks, and not to restore history."""
    return is_htmx(request) and request.headers.get("HX-History-Restore-Request") != "true"


def render(
    request: Request,
    template: str,
    ctx: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render a page, or only `block` of it for an htmx request (not for history restore)."""
    partial = block is not None and wants_fragment(request)
    response = templates.TemplateResponse(
        request,
        template,
        dict(ctx or {}),
        status_code=status_code,
        headers=headers,
        block_name=block if partial else None,
    )
    return _finish(request, response)


def redirect(request: Request, url: str, *, flash: str | None = None) -> Response:
    """See-other redirect; for htmx an `HX-Redirect` so the whole page changes.

    The flash is stored as the reader will read it: a `later(…)` message or an `N_`-marked
    phrase is translated here, in the request's language (the cookie keeps final text).
    """
    response: Response
    if is_htmx(request):
        response = Response(status_code=200, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    _finish(request, response)
    if flash:
        set_cookie(response, FLASH_COOKIE, quote(str(i18n.translated(flash))))
    return response


_PLAIN_FILENAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


def attachment(filename: str) -> str:
    """A Content-Disposition value for a download named `filename` (ASVS 5.0 5.4.2): as
    it is when plain, else percent-encoded (RFC 6266/5987): an imported operation id may
    hold a quote or a semicolon."""
    if _PLAIN_FILENAME.fullmatch(filename):
        return f'attachment; filename="{filename}"'
    return f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
