"""Admin pages: import a scenario file, download the board as a scenario."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import Response

from app.db import SessionDep
from app.deps import AdminUser, PlannerUser
from app.transfer import service
from app.web import register_nav, render

router = APIRouter(tags=["transfer"])
register_nav("Import / export", "/admin/import", {"admin"}, order=90)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@router.get("/admin/import")
def import_page(request: Request, user: AdminUser) -> Response:
    """The upload form."""
    return render(request, "admin/import.html", {})


@router.post("/admin/import")
def import_upload(
    request: Request, session: SessionDep, user: AdminUser, file: UploadFile
) -> Response:
    """Import the uploaded scenario whole, or list every problem with its path."""
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        too_big = [{"path": "", "message": "the file is larger than 20 MB"}]
        return render(
            request, "admin/import.html", {"problems": too_big}, block="result", status_code=413
        )
    ctx: dict[str, Any] = {"filename": file.filename}
    try:
        result = service.import_scenario(session, data=data, user=user)
    except service.ScenarioRejected as exc:
        # Nothing was written: the service checks everything before its first write.
        ctx["problems"] = exc.details
        return render(request, "admin/import.html", ctx, block="result", status_code=422)
    session.commit()
    ctx["counts"], ctx["horizon"] = result.counts, result.horizon
    return render(request, "admin/import.html", ctx, block="result")


@router.get("/admin/export.json")
def export_download(session: SessionDep, user: PlannerUser) -> Response:
    """The approved and scheduled operations this user may know of, and all resources."""
    document = service.export_scenario(session, user=user)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="jointops-scenario.json"'},
    )
