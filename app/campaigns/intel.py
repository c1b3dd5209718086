"""Intelligence notes under originator control.

A note is visible to its originator agency and to the agencies it was released to
(release approved and not withdrawn), and only to their planners and liaison officers;
administrators are not readers by office. A note on an operation or a campaign is also
hidden from whoever may not see that operation or campaign. Visibility is checked on
every request, so a withdrawn release takes effect on the next one. Every read of a
note's text writes an AuditEvent ("read", who, when).

| step             | who may                                                           |
| ---------------- | ----------------------------------------------------------------- |
| write a note     | planners and liaison officers (their agency is the originator)    |
| release          | the originator: approved at once; a recipient: a request that the |
|                  | originator approves                                               |
| approve/withdraw | the originator agency's planners and liaison officers             |
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import exists, false, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app import antivirus
from app import audit as trail
from app.access import visible_operations_query
from app.campaigns import service
from app.errors import Conflict, Forbidden, NotFound
from app.i18n import N_, later
from app.models import (
    Agency,
    Campaign,
    IntelNote,
    NoteAttachment,
    NoteRelease,
    NoteTLP,
    Operation,
    Region,
    ReleaseState,
    Role,
    Target,
    TargetKind,
    User,
    utcnow,
)

READER_ROLES = (Role.planner, Role.liaison)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=20000)
    tlp: NoteTLP
    reliability: str = Field(pattern=r"^[A-F]$")
    credibility: int = Field(ge=1, le=6)
    # "campaign:3", "operation:OP-1234ABCD" or "target:7"
    subject: str = Field(min_length=3, max_length=64)

    @field_validator("subject")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value.partition(":")[0] not in ("campaign", "operation", "target"):
            raise ValueError("attach the note to a campaign, an operation or a target")
        return value


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    kind: TargetKind
    region_id: str = Field(min_length=1, max_length=32)
    location: str = Field(default="", max_length=300)


def visible_notes_query(user: User) -> SelectOfScalar[IntelNote]:
    """The notes this user may read now."""
    query = select(IntelNote)
    if user.role not in READER_ROLES or user.agency_id is None:
        return query.where(false())
    released = exists().where(col(NoteRelease.note_id) == col(IntelNote.id),
                              col(NoteRelease.agency_id) == user.agency_id,
                              col(NoteRelease.state) == ReleaseState.approved)
    ops = visible_operations_query(user).subquery()
    campaigns = service.visible_campaigns_query(user).subquery()
    return query.where(
        or_(col(IntelNote.originator_agency_id) == user.agency_id, released),
        or_(col(IntelNote.operation_id).is_(None),
            col(IntelNote.operation_id).in_(select(ops.c.id))),
        or_(col(IntelNote.campaign_id).is_(None),
            col(IntelNote.campaign_id).in_(select(campaigns.c.id))))


def get_visible_note(session: Session, *, user: User, note_id: int) -> IntelNote:
    note = session.exec(visible_notes_query(user).where(IntelNote.id == note_id)).first()
    if note is None:
        raise NotFound(N_("No such note"))
    return note


def search(session: Session, *, user: User, q: str | None) -> list[IntelNote]:
    """The notes the user may read, newest first; `q` matches title or text."""
    query = visible_notes_query(user)
    if q:
        # autoescape: a typed % or _ is a character, not a wildcard (ASVS 5.0 1.2.9).
        query = query.where(or_(col(IntelNote.title).icontains(q, autoescape=True),
                                col(IntelNote.text).icontains(q, autoescape=True)))
    return list(session.exec(query.order_by(col(IntelNote.id).desc()).limit(200)))


def record_read(session: Session, *, user: User, note: IntelNote, via: str) -> None:
    """Who read what, when: one audit event per read of the note's text."""
    trail.record(session, actor=user, action="read", object_type="note", object_id=note.id,
                 details={"via": via})


def subject_choices(session: Session, user: User) -> list[tuple[str, str]]:
    """What a note may be attached to: campaigns and operations the user sees, targets."""
    campaigns = session.exec(service.visible_campaigns_query(user)
                             .order_by(col(Campaign.name))).all()
    operations = session.exec(visible_operations_query(user)
                              .order_by(col(Operation.code_name)).limit(300)).all()
    targets = session.exec(select(Target).order_by(col(Target.name))).all()
    return ([(f"campaign:{c.id}", f"Campaign: {c.name}") for c in campaigns]
            + [(f"operation:{o.id}", f"Operation: {o.code_name}") for o in operations]
            + [(f"target:{t.id}", f"Target: {t.name} ({t.kind.value}, {t.region_id})")
               for t in targets])


def validate(session: Session, *, user: User, data: dict[str, Any]) -> NoteIn:
    errors: dict[str, str] = {}
    result: NoteIn | None = None
    try:
        result = NoteIn.model_validate(data)
    except ValidationError as exc:
        errors.update(service.pydantic_errors(exc))
    if result is not None and result.subject not in dict(subject_choices(session, user)):
        errors["subject"] = "not a campaign, operation or target you may attach a note to"
    if errors or result is None:
        raise service.InvalidInput(errors, "The note is not valid; see the fields marked")
    return result


def create(session: Session, *, data: NoteIn, actor: User) -> IntelNote:
    if actor.role not in READER_ROLES or actor.agency_id is None:
        raise Forbidden(N_("Only planners and liaison officers of an agency write notes"))
    kind, _, key = data.subject.partition(":")
    note = IntelNote(title=data.title.strip(), text=data.text, tlp=data.tlp,
                     reliability=data.reliability, credibility=data.credibility,
                     originator_agency_id=actor.agency_id, created_by_id=actor.id,
                     campaign_id=int(key) if kind == "campaign" else None,
                     operation_id=key if kind == "operation" else None,
                     target_id=int(key) if kind == "target" else None)
    session.add(note)
    session.flush()
    _audit(session, actor, "create", note)
    return note


def releases_of(session: Session, note_id: int) -> list[NoteRelease]:
    return list(session.exec(select(NoteRelease).where(NoteRelease.note_id == note_id)
                             .order_by(col(NoteRelease.agency_id))))


def is_originator(user: User, note: IntelNote) -> bool:
    return user.role in READER_ROLES and user.agency_id == note.originator_agency_id


def release(session: Session, *, note: IntelNote, agency_id: str, actor: User) -> NoteRelease:
    """Originator: released at once. A recipient: a request for the originator to approve."""
    if session.get(Agency, agency_id) is None:
        raise service.InvalidInput({"agency_id": f"unknown agency {agency_id!r}"})
    if agency_id == note.originator_agency_id:
        raise service.InvalidInput({"agency_id": "the originator already holds the note"})
    row = session.exec(select(NoteRelease).where(NoteRelease.note_id == note.id,
                                                 NoteRelease.agency_id == agency_id)).first()
    state = ReleaseState.approved if is_originator(actor, note) else ReleaseState.requested
    if row is not None and row.state == ReleaseState.approved:
        raise Conflict(later("The note is already released to %(agency)s", agency=agency_id))
    row = row or NoteRelease(note_id=note.id or 0, agency_id=agency_id, state=state)
    row.state, row.requested_by_id, row.at = state, actor.id, utcnow()
    row.decided_by_id = actor.id if state == ReleaseState.approved else None
    session.add(row)
    session.flush()
    _audit(session, actor, "release" if state == ReleaseState.approved else "request_release",
           note, agency=agency_id)
    return row


def decide(session: Session, *, note: IntelNote, release_id: int, approve: bool,
           actor: User) -> NoteRelease:
    """The originator approves a requested release, or withdraws any release."""
    if not is_originator(actor, note):
        raise Forbidden(N_("Only the originator agency approves or withdraws releases"))
    row = session.get(NoteRelease, release_id)
    if row is None or row.note_id != note.id:
        raise NotFound(N_("No such release"))
    if approve and row.state != ReleaseState.requested:
        raise Conflict(N_("Only a requested release can be approved"))
    row.state = ReleaseState.approved if approve else ReleaseState.withdrawn
    row.decided_by_id, row.at = actor.id, utcnow()
    session.add(row)
    session.flush()
    _audit(session, actor, "approve_release" if approve else "withdraw_release", note,
           agency=row.agency_id)
    return row


def create_target(session: Session, *, data: dict[str, Any], actor: User) -> Target:
    if actor.role not in READER_ROLES or actor.agency_id is None:
        raise Forbidden(N_("Only planners and liaison officers of an agency add targets"))
    try:
        given = TargetIn.model_validate(data)
    except ValidationError as exc:
        raise service.InvalidInput(service.pydantic_errors(exc)) from None
    if session.get(Region, given.region_id) is None:
        raise service.InvalidInput({"region_id": f"unknown region {given.region_id!r}"})
    target = Target(**given.model_dump(), created_by_agency_id=actor.agency_id)
    session.add(target)
    session.flush()
    return target


def _audit(session: Session, actor: User, action: str, note: IntelNote, **details: Any) -> None:
    trail.record(session, actor=actor, action=action, object_type="note", object_id=note.id,
                 details=details)


# --- attachments ------------------------------------------------------------------------

MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024
# The type is decided from the bytes, never from what the browser claims.
ALLOWED_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
TEXT_SUFFIXES = {".txt": "text/plain", ".csv": "text/csv"}


def _file_error(message: str) -> service.InvalidInput:
    return service.InvalidInput({"file": message}, f"The file cannot be attached: {message}")


def sniff(filename: str, data: bytes) -> str:
    """The allowed type of these bytes, or InvalidInput naming what is wrong."""
    for content_type, magics in ALLOWED_TYPES.items():
        if data.startswith(magics):
            return content_type
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in TEXT_SUFFIXES:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise _file_error("a .txt or .csv file must be UTF-8 text") from None
        return TEXT_SUFFIXES[suffix]
    raise _file_error("only PDF, PNG, JPEG, plain text and CSV files can be attached")


def attach(session: Session, *, note: IntelNote, filename: str, data: bytes,
           actor: User) -> NoteAttachment:
    """Keep a file with the note (originator only; size and type checked)."""
    if not is_originator(actor, note):
        raise Forbidden(N_("Only the originator agency attaches files to its notes"))
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    if not name:
        raise _file_error("choose a file")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise _file_error(f"the file is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB")
    if not data:
        raise _file_error("the file is empty")
    content_type = sniff(name, data)
    antivirus.check(data, what=f"attachment {name!r} to note {note.id}")
    row = NoteAttachment(note_id=note.id or 0, filename=name, content_type=content_type,
                         size=len(data), data=data, uploaded_by_id=actor.id)
    session.add(row)
    session.flush()
    _audit(session, actor, "attach", note, filename=name, size=len(data))
    return row


def attachments_of(session: Session, note_id: int) -> list[tuple[int, str, str, int]]:
    """(id, filename, type, size) of a note's files, without their bytes."""
    rows = session.exec(select(NoteAttachment.id, NoteAttachment.filename,
                               NoteAttachment.content_type, NoteAttachment.size)
                        .where(NoteAttachment.note_id == note_id)
                        .order_by(col(NoteAttachment.id))).all()
    return [(int(i or 0), f, t, s) for i, f, t, s in rows]
