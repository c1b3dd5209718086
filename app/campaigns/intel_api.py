"""Intelligence notes under /api/v1: the notes the caller may read; every read audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from sqlmodel import Session

from app.campaigns import intel
from app.campaigns.intel_views import NoteUser, VisibleNote
from app.db import SessionDep, writes_on_read
from app.models import IntelNote
from app.operations.api import NOT_FOUND

router = APIRouter(tags=["intelligence"])


def _note_json(session: Session, note: IntelNote, *, with_text: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": note.id, "title": note.title, "tlp": note.tlp.value,
        "originator": note.originator_agency_id,
        "grading": f"{note.reliability}{note.credibility}",
        "campaign_id": note.campaign_id, "operation_id": note.operation_id,
        "target_id": note.target_id, "created_at": note.created_at.isoformat()}
    if with_text:
        doc["text"] = note.text
        doc["releases"] = [{"id": r.id, "agency_id": r.agency_id, "state": r.state.value}
                           for r in intel.releases_of(session, note.id or 0)]
    return doc


@router.get("/api/v1/intel/notes", summary="List the intelligence notes I may read")
def api_notes(session: SessionDep, user: NoteUser,
              q: Annotated[str | None, Query(max_length=100)] = None) -> list[dict[str, Any]]:
    """The notes the caller may read now (no text: reading one is audited)."""
    return [_note_json(session, n, with_text=False)
            for n in intel.search(session, user=user, q=(q or "").strip() or None)]


@router.post("/api/v1/intel/notes", status_code=201,
             summary="File an intelligence note for my agency")
def api_create_note(session: SessionDep, user: NoteUser,
                    body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    note = intel.create(session, data=intel.validate(session, user=user, data=body),
                        actor=user)
    session.commit()
    return _note_json(session, note, with_text=True)


@router.get("/api/v1/intel/notes/{note_id}", summary="Read one note with its text (audited)",
            responses=NOT_FOUND)
@writes_on_read  # audits the read
def api_note(session: SessionDep, user: NoteUser, note: VisibleNote) -> dict[str, Any]:
    """One note with its text (the read is audited)."""
    intel.record_read(session, user=user, note=note, via="api")
    session.commit()
    return _note_json(session, note, with_text=True)


@router.post("/api/v1/intel/notes/{note_id}/releases",
             summary="Release a note to another agency, or ask for it", responses=NOT_FOUND)
def api_release(session: SessionDep, user: NoteUser, note: VisibleNote,
                body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    row = intel.release(session, note=note, agency_id=str(body.get("agency_id", "")),
                        actor=user)
    session.commit()
    return {"id": row.id, "agency_id": row.agency_id, "state": row.state.value}
