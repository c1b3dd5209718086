"""Intelligence notes: the pages (visible notes only; every read audited). API: intel_api.py."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select
from starlette.datastructures import FormData, UploadFile

from app.campaigns import intel, service
from app.db import SessionDep, writes_on_read
from app.deps import RowId, require_role
from app.errors import Forbidden, NotFound
from app.i18n import N_, later, shown
from app.models import Agency, IntelNote, NoteAttachment, NoteTLP, Region, Target, TargetKind, User
from app.web import redirect, register_nav, render

router = APIRouter(tags=["intelligence"])
NoteUser = Annotated[User, Depends(require_role(*intel.READER_ROLES))]
register_nav("Intelligence", "/intel", {"planner", "liaison"}, order=26)


def get_visible_note(note_id: RowId, user: NoteUser, session: SessionDep) -> IntelNote:
    """The note of the path if the user may read it now; 404 otherwise."""
    return intel.get_visible_note(session, user=user, note_id=note_id)


VisibleNote = Annotated[IntelNote, Depends(get_visible_note)]


async def _form(request: Request) -> FormData:
    return await request.form()


Posted = Annotated[FormData, Depends(_form)]
NOTE_FIELDS = ("title", "text", "tlp", "reliability", "credibility", "subject")


@router.get("/intel")
def notes_page(request: Request, session: SessionDep, user: NoteUser,
               q: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    """The notes the user may read (titles only: reading one is audited)."""
    notes = intel.search(session, user=user, q=(q or "").strip() or None)
    return render(request, "campaigns/intel_list.html", {"notes": notes, "q": q or ""},
                  block="results")


def _note_form(request: Request, session: Session, user: User, doc: dict[str, Any], *,
               errors: dict[str, str] | None = None, status: int = 200) -> Response:
    ctx = {"data": doc, "errors": shown(errors or {}), "tlps": list(NoteTLP),
           "subjects": intel.subject_choices(session, user), "reliabilities": "ABCDEF",
           "regions": session.exec(select(Region).order_by(col(Region.id))).all(),
           "kinds": list(TargetKind)}
    return render(request, "campaigns/intel_form.html", ctx, status_code=status)


@router.get("/intel/new")
def new_note_page(request: Request, session: SessionDep, user: NoteUser) -> Response:
    doc = {name: "" for name in NOTE_FIELDS} | {"tlp": "AMBER", "credibility": "3",
                                                "reliability": "C"}
    return _note_form(request, session, user, doc)


@router.post("/intel/new")
def create_note(request: Request, session: SessionDep, user: NoteUser,
                form: Posted) -> Response:
    doc = {name: str(form.get(name, "")) for name in NOTE_FIELDS}
    try:
        note = intel.create(session, data=intel.validate(session, user=user, data=doc),
                            actor=user)
    except service.InvalidInput as exc:
        return _note_form(request, session, user, doc, errors=exc.errors, status=422)
    session.commit()
    return redirect(request, f"/intel/{note.id}", flash=N_("Note saved."))


@router.post("/intel/targets")
def create_target(request: Request, session: SessionDep, user: NoteUser,
                  form: Posted) -> Response:
    """A compound or network to attach notes to."""
    doc = {k: str(form.get(k, "")) for k in ("name", "kind", "region_id", "location")}
    try:
        intel.create_target(session, data=doc, actor=user)
    except service.InvalidInput as exc:
        blank = {name: "" for name in NOTE_FIELDS} | {"target": doc}
        errors = {f"target.{k}": v for k, v in exc.errors.items()}
        return _note_form(request, session, user, blank, errors=errors, status=422)
    session.commit()
    return redirect(request, "/intel/new", flash=N_("Target added: attach the note to it."))


def _subject(session: Session, note: IntelNote) -> str:
    if note.target_id is not None:
        target = session.get(Target, note.target_id)
        return f"Target: {target.name} ({target.kind.value}, {target.region_id}" + (
            f", {target.location})" if target and target.location else ")") if target else ""
    return (f"Operation {note.operation_id}" if note.operation_id
            else f"Campaign {note.campaign_id}")


@router.get("/intel/{note_id}")
@writes_on_read  # audits the read
def note_page(request: Request, session: SessionDep, user: NoteUser,
              note: VisibleNote) -> Response:
    """The note's text (the read is audited), its grading and its releases."""
    intel.record_read(session, user=user, note=note, via="page")
    session.commit()
    ctx = {"note": note, "subject": _subject(session, note),
           "releases": intel.releases_of(session, note.id or 0),
           "attachments": intel.attachments_of(session, note.id or 0),
           "max_mib": intel.MAX_ATTACHMENT_BYTES // (1024 * 1024),
           "originator": intel.is_originator(user, note),
           "agencies": session.exec(select(Agency).order_by(col(Agency.id))).all()}
    return render(request, "campaigns/intel_note.html", ctx)


@router.post("/intel/{note_id}/releases")
def release_note(request: Request, session: SessionDep, user: NoteUser, note: VisibleNote,
                 agency_id: Annotated[str, Form(max_length=32)]) -> Response:
    """Release to an agency (originator), or ask the originator to (a recipient)."""
    row = intel.release(session, note=note, agency_id=agency_id, actor=user)
    session.commit()
    message = (later("Released to %(agency)s.", agency=agency_id) if row.state == "approved"
               else later("Release to %(agency)s requested from the originator.",
                          agency=agency_id))
    return redirect(request, f"/intel/{note.id}", flash=message)


@router.post("/intel/{note_id}/releases/{release_id}/{step}")
def decide_release(request: Request, session: SessionDep, user: NoteUser, note: VisibleNote,
                   release_id: int, step: str) -> Response:
    """The originator approves a request or withdraws a release (effective next request)."""
    if step not in ("approve", "withdraw"):
        raise Forbidden(N_("Unknown step"))
    row = intel.decide(session, note=note, release_id=release_id, approve=step == "approve",
                       actor=user)
    session.commit()
    done = (later("Release to %(agency)s approved.", agency=row.agency_id) if step == "approve"
            else later("Release to %(agency)s withdrawn.", agency=row.agency_id))
    return redirect(request, f"/intel/{note.id}", flash=done)


@router.post("/intel/{note_id}/attachments")
def upload(request: Request, session: SessionDep, user: NoteUser, note: VisibleNote,
           form: Posted) -> Response:
    """Attach a file (originator; size limit and type allow-list)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise service.InvalidInput({"file": "choose a file"}, "Choose a file to attach")
    # One byte over the limit is enough to refuse; never read a huge upload whole.
    data = upload.file.read(intel.MAX_ATTACHMENT_BYTES + 1)
    intel.attach(session, note=note, filename=upload.filename or "", data=data, actor=user)
    session.commit()
    return redirect(request, f"/intel/{note.id}", flash=N_("File attached."))


@router.get("/intel/{note_id}/attachments/{attachment_id}")
@writes_on_read  # audits the read
def download(session: SessionDep, user: NoteUser, note: VisibleNote,
             attachment_id: int) -> Response:
    """The file as a download, never rendered inline (the read is audited)."""
    row = session.get(NoteAttachment, attachment_id)
    if row is None or row.note_id != note.id:
        raise NotFound(N_("No such attachment"))
    intel.record_read(session, user=user, note=note, via=f"attachment {row.id}")
    session.commit()
    return Response(row.data, media_type=row.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


# --- API --------------------------------------------------------------------------------
