"""The notices page: a user's own notices, mark one or all read."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.db import SessionDep
from app.deps import CurrentUser, RowId
from app.i18n import gettext
from app.notices import service
from app.web import redirect, render

router = APIRouter(tags=["notices"])
TEMPLATE = "notices/index.html"


def _page(request: Request, session: SessionDep, user_id: int, **extra: object) -> Response:
    ctx = {"notices": service.list_notices(session, user_id=user_id),
           "unread": service.unread_count(session, user_id=user_id), **extra}
    return render(request, TEMPLATE, ctx, block="notices")


@router.get("/notices")
def notices_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Notices about the orders of the user's unit, unread first."""
    assert user.id is not None
    return _page(request, session, user.id)


@router.post("/notices/{notice_id}/read")
def read_notice(
    notice_id: RowId, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """Mark one of the user's notices read (another's is 404, as a missing one)."""
    assert user.id is not None
    service.mark_read(session, user_id=user.id, notice_id=notice_id)
    session.commit()
    if request.headers.get("HX-Request") == "true":
        return _page(request, session, user.id)
    return redirect(request, "/notices")


@router.post("/notices/read-all")
def read_all_notices(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Mark every notice of the user read."""
    assert user.id is not None
    count = service.mark_all_read(session, user_id=user.id)
    session.commit()
    message = gettext("Marked %(count)s notice(s) read.") % {"count": count}
    if request.headers.get("HX-Request") == "true":
        return _page(request, session, user.id, message=message)
    return redirect(request, "/notices", flash=message)
