"""One small generic machine for the admin pages: list, create, edit, delete a resource.

Each resource declares its fields, columns and service calls (see `resources.py`);
`add_routes` gives it the same URLs and behaviour as every other:

    GET  /admin/<slug>               list with search and pages (block `rows` for htmx)
    GET  /admin/<slug>/new           empty form          POST /admin/<slug>          create
    GET  /admin/<slug>/<key>/edit    filled form         POST /admin/<slug>/<key>    save
    GET  /admin/<slug>/<key>/delete  confirmation page   POST /admin/<slug>/<key>/delete
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import update
from sqlmodel import Session

from app.admin.common import FieldErrors, Page, integrity_as_conflict
from app.admin.fields import Field, FormData, from_object, read_form, to_data
from app.db import SessionDep
from app.deps import AdminUser
from app.errors import AppError, Conflict, NotFound, is_htmx
from app.i18n import gettext, later, shown, translated
from app.models import User
from app.web import redirect, render

Service = Callable[..., Any]
Route = tuple[str, Callable[..., Response], str, str]  # path suffix, endpoint, method, action


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class RowAction:
    """A button on a list row, posting to /admin/<slug>/<key>/<action>."""

    action: str
    label: str
    show: Callable[[Any], bool]
    confirm: str = ""
    danger: bool = False


@dataclass(frozen=True)
class Resource:
    slug: str
    title: str
    singular: str
    fields: tuple[Field, ...]
    columns: tuple[Column, ...]
    lister: Callable[..., Page[Any]]
    getter: Callable[[Session, str], Any]
    creator: Service
    updater: Service | None = None
    deleter: Service | None = None
    key: Callable[[Any], str] = lambda obj: str(obj.id)
    intro: str = ""
    per_page: int = 50
    edit_extra: str | None = None
    # What edit_extra shows beside the object (e.g. a crossing's closures).
    extra_context: Callable[[Session, Any], dict[str, Any]] | None = None
    row_actions: tuple[RowAction, ...] = ()
    # What a create answers instead of going back to the list, when it has something to
    # show once (a generated initial password); None: back to the list.
    created_page: Callable[[Request, Any], Response | None] | None = None

    @property
    def url(self) -> str:
        return f"/admin/{self.slug}"

    def edit_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.create_only)

    def choices(self, session: Session) -> dict[str, list[tuple[str, str]]]:
        return {f.name: f.choices(session) for f in self.fields if f.choices is not None}

    def find(self, session: Session, key: str) -> Any:
        obj = self.getter(session, key)
        if obj is None:
            raise NotFound(later("No such %(what)s %(key)s", what=self.singular, key=repr(key)))
        return obj


async def form_data(request: Request) -> FormData:
    """The posted form as lists of strings (files are not admin input)."""
    form = await request.form()
    return {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}


FormDep = Annotated[FormData, Depends(form_data)]
LIST, FORM, CONFIRM = "admin/list.html", "admin/form.html", "admin/confirm.html"


def form_page(
    request: Request, session: Session, res: Resource, *, obj: Any = None,
    values: dict[str, Any] | None = None, error: AppError | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """The create (obj None) or edit form, with the errors of a failed save; `extra` goes
    to the edit_extra part (what was typed there and its errors)."""
    fields = res.fields if obj is None else res.edit_fields()
    ctx = {
        "res": res, "obj": obj, "fields": fields, "choices": res.choices(session),
        "action": res.url if obj is None else f"{res.url}/{res.key(obj)}",
        "values": values if values is not None else ({} if obj is None else
                                                     from_object(fields, obj)),
        # Services speak English (the API shows their words as they are); the page
        # shows each message in the reader's language.
        "errors": shown(error.errors) if isinstance(error, FieldErrors) else {},
        "form_error": None if error is None or isinstance(error, FieldErrors)
        else str(translated(error.message)),
    }
    if obj is not None and res.extra_context is not None:
        ctx.update(res.extra_context(session, obj))
    ctx.update(extra or {})
    status = 200 if error is None else error.status
    return render(request, FORM, ctx, block="form", status_code=status)


def save(
    request: Request, session: Session, res: Resource, form: FormData, user: User,
    call: Callable[[dict[str, Any]], Any], obj: Any = None,
) -> Response:
    """Run a create or update; commit and go back to the list, or show the form again."""
    fields = res.fields if obj is None else res.edit_fields()
    values = read_form(fields, form)
    try:
        with integrity_as_conflict(session):
            saved = call(to_data(fields, values))
            key = res.key(saved)
            session.commit()
    except AppError as exc:
        # Services check everything before their first write: nothing to undo here.
        if exc.status not in (409, 422):
            raise
        return form_page(request, session, res, obj=obj, values=values, error=exc)
    if obj is None and res.created_page is not None:
        page = res.created_page(request, saved)
        if page is not None:
            return page
    done = gettext("Saved %(what)s %(key)s.") if obj is not None else gettext(
        "Created %(what)s %(key)s.")
    return redirect(request, res.url, flash=done % {"what": gettext(res.singular), "key": key})


def _stale(res: Resource, obj: Any) -> Conflict:
    return Conflict(later(
        "This %(what)s was changed by someone else since you opened the form (it is now at "
        "version %(version)s). Your input is kept below: save again to replace their change "
        "with yours, or cancel to see theirs.", what=res.singular, version=obj.version))


def check_version(session: Session, res: Resource, obj: Any, seen: str) -> None:
    """Refuse a save from a form opened before the last save (version in a hidden field)."""
    if not hasattr(obj, "version"):
        return
    if not seen.strip().isdigit():
        raise AppError(later("The form has no version of the %(what)s; open it again",
                             what=res.singular), 422,
                       details=[{"path": "version", "message": later("is required")}])
    if int(seen) != obj.version:
        raise _stale(res, obj)


def bump_version(session: Session, res: Resource, obj: Any, seen: str) -> None:
    """Compare-and-set the version after the update: a save committed since this one
    read the row (PostgreSQL) makes it a conflict, and every write is undone."""
    if not hasattr(obj, "version"):
        return
    model = type(obj)
    table = model.__table__
    keys = sa_inspect(model).primary_key
    identity = sa_inspect(obj).identity
    result = session.execute(
        update(table)
        .where(*(column == value for column, value in zip(keys, identity, strict=True)),
               table.c.version == int(seen))
        .values(version=int(seen) + 1)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise _stale(res, obj)
    session.expire(obj, ["version"])


def _delete(
    request: Request, session: Session, res: Resource, key: str, user: User
) -> Response:
    assert res.deleter is not None
    with integrity_as_conflict(session):
        res.deleter(session, res.find(session, key), user)
        session.commit()
    message = gettext("Deleted %(what)s %(key)s.") % {"what": gettext(res.singular), "key": key}
    if is_htmx(request):
        # The row goes away in place; the toast arrives out of band.
        return render(request, LIST, {"message": message}, block="deleted")
    return redirect(request, res.url, flash=message)


def add_routes(router: APIRouter, res: Resource) -> None:
    """Register the list, form and delete routes of one resource (admins only)."""

    def list_page(request: Request, session: SessionDep, user: AdminUser,
                  q: str = "", page: int = 1) -> Response:
        found = res.lister(session, q=q, page=page, per_page=res.per_page)
        return render(request, LIST, {"res": res, "page": found}, block="rows")

    def new_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
        return form_page(request, session, res)

    def create(request: Request, session: SessionDep, user: AdminUser, form: FormDep) -> Response:
        return save(request, session, res, form, user, lambda d: res.creator(session, d, user))

    def edit_page(key: str, request: Request, session: SessionDep, user: AdminUser) -> Response:
        return form_page(request, session, res, obj=res.find(session, key))

    def update(key: str, request: Request, session: SessionDep, user: AdminUser,
               form: FormDep) -> Response:
        obj, updater = res.find(session, key), res.updater
        assert updater is not None
        seen = (form.get("version") or [""])[0]

        def versioned(data: dict[str, Any]) -> Any:
            check_version(session, res, obj, seen)
            saved = updater(session, obj, data, user)
            bump_version(session, res, obj, seen)
            return saved

        return save(request, session, res, form, user, versioned, obj=obj)

    def confirm_page(key: str, request: Request, session: SessionDep, user: AdminUser) -> Response:
        return render(request, CONFIRM, {"res": res, "obj": res.find(session, key), "key": key})

    def delete(key: str, request: Request, session: SessionDep, user: AdminUser) -> Response:
        return _delete(request, session, res, key, user)

    routes: list[Route] = [
        ("", list_page, "GET", "list"), ("/new", new_page, "GET", "new"),
        ("", create, "POST", "create"),
    ]
    if res.updater is not None:
        routes += [("/{key}/edit", edit_page, "GET", "edit"), ("/{key}", update, "POST", "update")]
    if res.deleter is not None:
        routes += [("/{key}/delete", confirm_page, "GET", "confirm_delete"),
                   ("/{key}/delete", delete, "POST", "delete")]
    _register(router, res, routes)


def _register(router: APIRouter, res: Resource, routes: list[Route]) -> None:
    for suffix, endpoint, method, action in routes:
        router.add_api_route(res.url + suffix, endpoint, methods=[method],
                             name=f"admin_{res.slug}_{action}", include_in_schema=False)
