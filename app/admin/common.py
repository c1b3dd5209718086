"""Shared pieces of the admin services: field errors, validation, audit, paging, conflicts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app import audit as trail
from app.admin.schemas import PATTERN_HINTS
from app.errors import AppError, Conflict, NotFound
from app.i18n import N_, Deferred, later, pydantic_message
from app.models import Country, Region, User

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class FieldErrors(AppError):
    """Input that breaks a rule: one message per form field (422)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        details = [{"path": name, "message": text} for name, text in self.errors.items()]
        super().__init__(N_("Please correct the marked fields"), 422, details=details)


def _message(err: Mapping[str, Any]) -> str:
    """One field's message, in English; `later` lets the page show it translated."""
    ctx = err.get("ctx") or {}
    kind = err.get("type", "")
    text: str
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        text = later("is required")
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal"):
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤"}[kind]
        limit = next(iter(ctx.values()), "")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        text = later("must be %(sign)s %(limit)s", sign=sign, limit=limit)
    elif kind == "too_short":
        text = later("must not be empty")
    elif kind in ("int_parsing", "int_from_float"):
        text = later("must be a whole number")
    elif kind == "float_parsing":
        text = later("must be a number")
    elif kind == "string_too_short":
        text = later("must have at least %(count)s characters", count=ctx.get("min_length"))
    elif kind == "string_too_long":
        text = later("must have at most %(count)s characters", count=ctx.get("max_length"))
    elif kind == "enum":
        text = later("choose one of %(choices)s", choices=ctx.get("expected", ""))
    elif kind == "string_pattern_mismatch":
        text = PATTERN_HINTS.get(str(ctx.get("pattern")), later("has the wrong format"))
    else:
        text = pydantic_message(err) if err.get("msg") else later("is not valid")
    position = [p for p in err.get("loc", ())[1:] if isinstance(p, int)]
    return later("#%(number)s: %(text)s", number=position[0] + 1, text=text) if position else text


def check(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate input through its Create/Update model; errors become per-field messages."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            loc = err.get("loc", ())
            name = str(loc[0]) if loc else "form"
            errors.setdefault(name, _message(err))  # type: ignore[arg-type]
        raise FieldErrors(errors) from None


def audit(
    session: Session, *, actor: User, action: str, obj_type: str, obj_id: str, **details: Any
) -> None:
    """Append one audit row for an admin change (never with a password in it)."""
    trail.record(session, actor=actor, action=f"admin.{obj_type}.{action}",
                 object_type=obj_type, object_id=obj_id, details=details)


def apply(obj: Any, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set the values on `obj`; returns the changes as {field: [old, new]} for the audit."""
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = [old, new]
            setattr(obj, name, new)
    return changes


def count(session: Session, query: SelectOfScalar[Any]) -> int:
    """How many rows `query` selects."""
    return int(session.exec(select(func.count()).select_from(query.subquery())).one())


@contextmanager
def integrity_as_conflict(session: Session) -> Iterator[None]:
    """Turn a constraint violation that slipped past the checks (a race) into a 409."""
    try:
        yield
    except IntegrityError:
        session.rollback()
        raise Conflict(
            N_("The data changed at the same time in another window: reload and try again")
        ) from None


def refuse_if_used(label: str, uses: Sequence[tuple[int, str, str]]) -> None:
    """409 naming what still refers to `label` (a `later(…)` such as "region %(id)s");
    `uses` holds (count, singular, plural), each a message marked with `N_` that holds
    `%(count)s`: the page reads it in the reader's language, the API in English."""
    parts = [Deferred(one if n == 1 else many, count=n) for n, one, many in uses if n]
    if parts:
        listed: str = parts[0]
        for part in parts[1:]:
            listed = later("%(some)s and %(more)s", some=listed, more=part)
        raise Conflict(later("%(what)s has %(uses)s: remove or reassign them first",
                             what=label, uses=listed))


def get_or_404(session: Session, model: type[T], key: Any, what: str) -> T:
    """The row with this primary key, or NotFound."""
    row = session.get(model, key)
    if row is None:
        raise NotFound(later("No such %(what)s", what=what))
    return row


@dataclass
class Page(Generic[T]):
    """One page of a list, with what the pager needs."""

    items: list[T]
    total: int
    page: int
    per_page: int
    q: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def paginate(
    session: Session,
    query: SelectOfScalar[T],
    *,
    q: str = "",
    search: Sequence[Any] = (),
    page: int = 1,
    per_page: int = 50,
) -> Page[T]:
    """Filter `query` by a case-insensitive substring of any `search` column, then page it."""
    q = q.strip()
    if q and search:
        # autoescape: a typed % or _ is a character, not a wildcard (ASVS 5.0 1.2.9).
        query = query.where(or_(*(func.lower(col(c)).contains(q.lower(), autoescape=True)
                                  for c in search)))
    total = count(session, query)
    per_page = max(1, min(per_page, 200))
    page = max(1, min(page, max(1, -(-total // per_page))))
    items = list(session.exec(query.offset((page - 1) * per_page).limit(per_page)))
    return Page(items, total, page, per_page, q)


def region_label(session: Session, region: Region) -> str:
    """`TH-MSI (Thailand)`: a region with its country's name, for messages."""
    country = session.get(Country, region.country_code)
    return f"{region.id} ({country.name if country else region.country_code})"


def find_region(session: Session, region_id: str | None, field: str) -> Region:
    """The region, or a field error naming the unknown id."""
    region = session.get(Region, region_id) if region_id else None
    if region is None:
        raise FieldErrors({field: later("unknown region %(region)s", region=repr(region_id))})
    return region


def find_country(session: Session, code: str | None, field: str) -> Country:
    """The country, or a field error naming the unknown code."""
    country = session.get(Country, code) if code else None
    if country is None:
        raise FieldErrors({field: later("unknown country %(country)s", country=repr(code))})
    return country
