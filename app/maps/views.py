"""Map data and the GeoJSON export: each under exactly the access rule of its page.

The operation's map and export take the operation page's dependencies (board roles and
lookup-or-404 with need-to-know), the run's map the run page's (planners, the plan cut
to the operations the reader may see), the tasking map My tasking's (the unit's own
officers, its agency's liaisons and the planning staff).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.db import SessionDep
from app.deps import CurrentUser, PlannerUser, RowId, VisibleOperation
from app.maps import service
from app.maps.features import MEDIA_TYPE
from app.operations.views import BoardUser
from app.planning.service import get_run
from app.planning.tasking import escort_duties, upcoming, viewable_units
from app.web import attachment

router = APIRouter(tags=["maps"])


def geojson(document: dict[str, Any], *, download: str | None = None) -> Response:
    headers = {"Content-Disposition": attachment(download)} if download else {}
    return Response(json.dumps(document, ensure_ascii=False), media_type=MEDIA_TYPE,
                    headers=headers)


@router.get("/operations/{operation_id}/map")
def operation_map(session: SessionDep, user: BoardUser, operation: VisibleOperation) -> Response:
    """The operation page's map: sites, units' bases, crossings and routes (GeoJSON)."""
    return geojson(service.operation_map(session, operation=operation))


@router.get("/operations/{operation_id}/export.geojson")
def operation_export(session: SessionDep, user: BoardUser,
                     operation: VisibleOperation) -> Response:
    """The same map as a GeoJSON file to download (for GIS tools)."""
    return geojson(service.operation_map(session, operation=operation),
                   download=f"{operation.id}.geojson")


@router.get("/planning/runs/{run_id}/map")
def run_map(session: SessionDep, user: PlannerUser, run_id: RowId,
            first: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> Response:
    """The routes of a run's plan, of the operations this planner may see (the page of
    them from `first`, as the run page shows)."""
    return geojson(service.plan_map(session, run=get_run(session, run_id=run_id), user=user,
                                    first=first))


@router.get("/tasking/map")
def tasking_map(session: SessionDep, user: CurrentUser,
                unit: Annotated[str | None, Query(max_length=32)] = None) -> Response:
    """My tasking's map: the unit's live orders, base to site via the crossing, and its
    escort trips, base to holding site to hand-over point."""
    units = viewable_units(session, user=user, unit_id=unit or None)
    deployments = upcoming(session, units=units, user=user)
    escorts = escort_duties(session, units=units, user=user)
    return geojson(service.tasking_map(session, deployments=deployments, escorts=escorts))
