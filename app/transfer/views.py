"""Admin pages: import a scenario file, download the board as a scenario."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from app import antivirus
from app.db import SessionDep
from app.deps import AdminUser, PlannerUser
from app.errors import AppError
from app.i18n import N_
from app.models import User
from app.transfer import service
from app.web import register_nav, render

router = APIRouter(tags=["transfer"])
register_nav("Import / export", "/admin/import", {"admin"}, order=90)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# The form the import route parses itself, described for the OpenAPI document.
UPLOAD_FORM: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}}}}}}}


@router.get("/admin/import")
def import_page(request: Request, user: AdminUser) -> Response:
    """The upload form."""
    return render(request, "admin/import.html", {})


@router.post("/admin/import", openapi_extra=UPLOAD_FORM)
async def import_upload(request: Request, session: SessionDep, user: AdminUser) -> Response:
    """Import the uploaded scenario whole, or list every problem with its path.

    The form is parsed here, after the access rule, not declared as a parameter:
    FastAPI parses declared forms (spooling their files) before any dependency runs.
    """
    form = await request.form(max_files=1, max_fields=4)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        missing = [{"path": "file", "message": N_("choose a scenario file to upload")}]
        return render(request, "admin/import.html", {"problems": missing}, block="result",
                      status_code=422)
    return await run_in_threadpool(_import, request, session, user, file)


def _import(request: Request, session: Session, user: User, file: UploadFile) -> Response:
    """The import itself (blocking database work, run off the event loop)."""
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        too_big = [{"path": "", "message": N_("the file is larger than 20 MB")}]
        return render(
            request, "admin/import.html", {"problems": too_big}, block="result", status_code=413
        )
    ctx: dict[str, Any] = {"filename": file.filename}
    try:
        antivirus.check(data, what=f"import {file.filename!r}")
    except AppError as exc:  # infected, or the scanner away: nothing was read or saved
        ctx["problems"] = [{"path": "", "message": exc.message}]
        return render(request, "admin/import.html", ctx, block="result",
                      status_code=exc.status)
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
