"""JSON API for administrators: units, crossings, agencies and regions (read), units
(written)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.admin import geo, org
from app.admin.common import Page, get_or_404
from app.admin.schemas import UnitCreateIn, UnitUpdateIn
from app.db import SessionDep
from app.deps import AdminUser
from app.models import (
    Agency,
    AgencyPublic,
    Crossing,
    CrossingPublic,
    Region,
    RegionPublic,
    Unit,
    UnitPublic,
)

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    responses={401: {"description": "Not signed in"}, 403: {"description": "Not an admin"}},
)
P = TypeVar("P", bound=BaseModel)

SearchQ = Annotated[str, Query(max_length=100, description="substring of id, name, ...")]
PageNo = Annotated[int, Query(ge=1, description="1-based page number")]
PerPage = Annotated[int, Query(ge=1, le=200, description="items per page")]


class PageOut(BaseModel, Generic[P]):
    """One page of a list."""

    items: list[P]
    total: int
    page: int
    per_page: int
    pages: int


def _page(found: Page[Any], public: type[P]) -> PageOut[P]:
    items = [public.model_validate(item, from_attributes=True) for item in found.items]
    return PageOut[P](items=items, total=found.total, page=found.page,
                      per_page=found.per_page, pages=found.pages)


def _lister(lister: Callable[..., Page[Any]], public: type[P]) -> Callable[..., PageOut[P]]:
    def list_items(session: SessionDep, user: AdminUser, q: SearchQ = "", page: PageNo = 1,
                   per_page: PerPage = 50) -> PageOut[P]:
        return _page(lister(session, q=q, page=page, per_page=per_page), public)

    return list_items


def _getter(model: type[Any], public: type[P], what: str) -> Callable[..., P]:
    def get_item(key: str, session: SessionDep, user: AdminUser) -> P:
        return public.model_validate(get_or_404(session, model, key, what), from_attributes=True)

    return get_item


RESOURCES: list[tuple[str, Callable[..., Page[Any]], type[Any], type[BaseModel], str]] = [
    ("units", org.list_units, Unit, UnitPublic, "unit"),
    ("crossings", geo.list_crossings, Crossing, CrossingPublic, "crossing"),
    ("agencies", org.list_agencies, Agency, AgencyPublic, "agency"),
    ("regions", geo.list_regions, Region, RegionPublic, "region"),
]

for _path, _lister_fn, _model, _public, _what in RESOURCES:
    router.add_api_route(
        f"/{_path}", _lister(_lister_fn, _public), methods=["GET"],
        response_model=PageOut[_public],  # type: ignore[valid-type]
        name=f"admin_api_list_{_path}", summary=f"List {_path} (search, pages)",
        description="Admins only. `q` filters by a substring of the id, name and similar.",
    )
    router.add_api_route(
        f"/{_path}/{{key}}", _getter(_model, _public, _what), methods=["GET"],
        response_model=_public, name=f"admin_api_get_{_what}",
        summary=f"Read one {_what} by its id",
        description="Admins only. 404 when there is no such id.",
        responses={404: {"description": f"No such {_what}"}},
    )


# Units are written through the same use cases as the admin form: the same rules, the same
# field messages (422 with `errors[].path` naming the field, e.g. an unknown capability).
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such unit"},
    422: {"description": "A field breaks a rule; `errors` names each field"},
}


@router.post("/units", response_model=UnitPublic, status_code=201, summary="Add a unit",
             responses=_WRITE_ERRORS)
def create_unit(body: UnitCreateIn, session: SessionDep, user: AdminUser) -> UnitPublic:
    """Admins only. Capabilities must be on the managed list (Admin › Capabilities)."""
    unit = org.create_unit(session, data=body.model_dump(mode="json"), actor=user)
    session.commit()
    return UnitPublic.model_validate(unit, from_attributes=True)


@router.put("/units/{key}", response_model=UnitPublic, summary="Change a unit",
            responses=_WRITE_ERRORS)
def update_unit(key: str, body: UnitUpdateIn, session: SessionDep, user: AdminUser) -> UnitPublic:
    """Admins only. Capabilities must be on the managed list (Admin › Capabilities)."""
    unit = get_or_404(session, Unit, key, "unit")
    unit = org.update_unit(session, unit=unit, data=body.model_dump(mode="json"), actor=user)
    session.commit()
    return UnitPublic.model_validate(unit, from_attributes=True)
