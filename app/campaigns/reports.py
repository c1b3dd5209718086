"""After-action reports: filed by the lead, one part per host country, confirmed by each.

| step     | from state          | to                         | who may                        |
| -------- | ------------------- | -------------------------- | ------------------------------ |
| save     | (none), draft,      | draft (confirmations of a  | lead agency's liaison, admin;  |
|          | submitted           | submitted one are cleared) | operation completed or aborted |
| submit   | draft               | submitted                  | lead agency's liaison, admin   |
| confirm  | submitted           | confirmed once every host  | liaison of that host country,  |
| (a part) |                     | country confirmed its part | admin                          |

Every step is a compare-and-set on the report's `version`: a save from a stale form is
refused with a 409 naming who changed it and when. Every step writes an AuditEvent.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import Session, col, select

from app import audit as trail
from app.campaigns.schemas import PartIn, ReportIn
from app.campaigns.service import InvalidInput, changed_by_message, pydantic_errors
from app.errors import Conflict, Forbidden
from app.i18n import N_, later
from app.models import (
    Detention,
    Nationality,
    Operation,
    OperationState,
    Report,
    ReportPart,
    ReportState,
    Role,
    User,
    utcnow,
)
from app.operations import permissions as perm

FINISHED = {OperationState.completed, OperationState.aborted}


def report_of(session: Session, operation_id: str) -> Report | None:
    return session.exec(select(Report).where(Report.operation_id == operation_id)).first()


def parts_of(session: Session, report_id: int) -> list[ReportPart]:
    return list(session.exec(select(ReportPart).where(ReportPart.report_id == report_id)
                             .order_by(col(ReportPart.country_code))))


def detentions_of(session: Session, part_ids: list[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {pid: {} for pid in part_ids}
    for row in session.exec(select(Detention).where(col(Detention.part_id).in_(part_ids))
                            .order_by(col(Detention.nationality_code))):
        found[row.part_id][row.nationality_code] = row.count
    return found


def nationalities(session: Session) -> list[Nationality]:
    return list(session.exec(select(Nationality).order_by(col(Nationality.name))))


def may_file(user: User, operation: Operation) -> bool:
    return user.role == Role.admin or (
        user.role == Role.liaison and user.agency_id == operation.lead_agency_id)


def may_confirm_for(session: Session, user: User, operation: Operation,
                    report: Report | None) -> list[str]:
    """Host countries whose part this user may confirm now."""
    if report is None or report.state != ReportState.submitted:
        return []
    assert report.id is not None
    open_parts = [p.country_code for p in parts_of(session, report.id) if p.confirmed_at is None]
    if user.role == Role.admin:
        return open_parts
    country = perm.user_country(session, user) if user.role == Role.liaison else None
    return [country] if country in open_parts else []


def as_input(session: Session, operation: Operation, report: Report | None) -> dict[str, Any]:
    """The report as an input document (blank parts for every host country if none yet)."""
    hosts = perm.host_countries(session, operation.id)
    doc: dict[str, Any] = {"lessons": "", "lessons_tlp": "AMBER",
                           "parts": {c: PartIn().model_dump() for c in hosts}}
    if report is None:
        return doc
    assert report.id is not None
    doc["lessons"], doc["lessons_tlp"] = report.lessons, report.lessons_tlp.value
    parts = parts_of(session, report.id)
    held = detentions_of(session, [p.id for p in parts if p.id is not None])
    for part in parts:
        assert part.id is not None
        values = part.model_dump(include=set(PartIn.model_fields) - {"detained"})
        doc["parts"][part.country_code] = {**values, "detained": held[part.id]}
    return doc


def validate(session: Session, *, operation: Operation, data: dict[str, Any]) -> ReportIn:
    """Figures checked (non-negative integers, units, known nationalities, host countries)."""
    errors: dict[str, str] = {}
    result: ReportIn | None = None
    try:
        result = ReportIn.model_validate(data)
    except ValidationError as exc:
        errors.update(pydantic_errors(exc))
    known = set(session.exec(select(Nationality.code)))
    hosts = set(perm.host_countries(session, operation.id))
    parts = data.get("parts") if isinstance(data.get("parts"), dict) else {}
    for country, part in (parts or {}).items():
        if country not in hosts:
            errors.setdefault(f"parts.{country}", f"{country} is not a host country of this "
                                                  "operation")
        detained = part.get("detained") if isinstance(part, dict) else None
        for code in detained or {}:
            if code not in known:
                errors.setdefault(f"parts.{country}.detained.{code}",
                                  f"unknown nationality {code!r}; ask an administrator to "
                                  "add it to the list")
    if errors or result is None:
        raise InvalidInput(errors, "The report is not valid; see the figures marked")
    return result


def save(session: Session, *, operation: Operation, data: ReportIn, version: int,
         actor: User) -> Report:
    """Create or update the report (version 0: there is none yet)."""
    if not may_file(actor, operation):
        raise Forbidden(N_("Only the lead agency's liaison officers file this report"))
    if operation.state not in FINISHED:
        raise Conflict(later("This operation is %(state)s; a report is filed once it is "
                             "completed or aborted", state=str(operation.state)))
    report = report_of(session, operation.id)
    if report is None:
        if version != 0:
            raise Conflict(_changed_by(session, operation.id))
        report = Report(operation_id=operation.id, created_by_id=actor.id,
                        lessons=data.lessons, lessons_tlp=data.lessons_tlp)
        session.add(report)
        session.flush()
        before = None
    else:
        if report.state == ReportState.confirmed:
            raise Conflict(N_("This report is confirmed by every host country; it cannot change"))
        before = ReportState(report.state)
        _compare_and_set(session, report, version, state=ReportState.draft,
                         lessons=data.lessons, lessons_tlp=data.lessons_tlp)
    assert report.id is not None
    _replace_parts(session, report.id, data)
    _audit(session, actor, "save" if before else "create", operation.id,
           state_from=before.value if before else None,
           confirmations_cleared=before == ReportState.submitted or None)
    session.refresh(report)
    return report


def _replace_parts(session: Session, report_id: int, data: ReportIn) -> None:
    for part in parts_of(session, report_id):
        session.delete(part)
    session.flush()
    for country, given in sorted(data.parts.items()):
        values = given.model_dump(exclude={"detained"})
        part = ReportPart(report_id=report_id, country_code=country, **values)
        session.add(part)
        session.flush()
        assert part.id is not None
        session.add_all(Detention(part_id=part.id, nationality_code=code, count=n)
                        for code, n in sorted(given.detained.items()) if n)
    session.flush()


def submit(session: Session, *, operation: Operation, version: int, actor: User) -> Report:
    """Send the draft to the host countries for confirmation."""
    if not may_file(actor, operation):
        raise Forbidden(N_("Only the lead agency's liaison officers submit this report"))
    report = report_of(session, operation.id)
    if report is None or report.state != ReportState.draft:
        raise Conflict(N_("Only a draft report can be submitted"))
    assert report.id is not None
    if not parts_of(session, report.id):
        raise InvalidInput({"parts": "the report has no host country part"},
                           "The report has no host country part: add a site first")
    _compare_and_set(session, report, version, state=ReportState.submitted,
                     submitted_at=utcnow())
    _audit(session, actor, "submit", operation.id)
    return report


def confirm(session: Session, *, operation: Operation, country: str | None, version: int,
            actor: User) -> Report:
    """A host country confirms its part; the last confirmation confirms the report."""
    report = report_of(session, operation.id)
    allowed = may_confirm_for(session, actor, operation, report)
    if report is None or report.state != ReportState.submitted:
        raise Conflict(N_("Only a submitted report can be confirmed"))
    if country is None and len(allowed) == 1:
        country = allowed[0]
    if country is None or country not in allowed:
        raise Forbidden(N_("You may not confirm a part of this report for that country"))
    assert report.id is not None
    part = next(p for p in parts_of(session, report.id) if p.country_code == country)
    now = utcnow()
    # Compare-and-set first: a concurrent confirmation or edit makes this one a 409.
    _compare_and_set(session, report, version)
    part.confirmed_by_id, part.confirmed_at = actor.id, now
    session.add(part)
    session.flush()
    done = all(p.confirmed_at is not None for p in parts_of(session, report.id))
    if done:
        session.execute(update(Report).where(col(Report.id) == report.id)
                        .values(state=ReportState.confirmed, confirmed_at=now)
                        .execution_options(synchronize_session=False))
        session.expire(report)
    _audit(session, actor, "confirm", operation.id, country=country,
           state_to=ReportState.confirmed.value if done else None)
    return report


def _compare_and_set(session: Session, report: Report, version: int, **values: Any) -> None:
    result = session.execute(
        update(Report).where(col(Report.id) == report.id, col(Report.version) == version)
        .values(version=version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False))
    session.expire(report)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_changed_by(session, report.operation_id))



def _audit(session: Session, actor: User, action: str, operation_id: str,
           **details: Any) -> None:
    clean = {k: v for k, v in details.items() if v is not None}
    trail.record(session, actor=actor, action=action, object_type="report",
                 object_id=operation_id, details=clean)




DEFAULT_NATIONALITIES = [
    ("CN", "Chinese"), ("TH", "Thai"), ("LA", "Lao"), ("MM", "Myanmar"), ("KH", "Cambodian"),
    ("VN", "Vietnamese"), ("ID", "Indonesian"), ("PH", "Filipino"), ("MY", "Malaysian"),
    ("IN", "Indian"), ("KR", "South Korean"), ("ET", "Ethiopian"), ("KE", "Kenyan"),
]


def ensure_nationalities(session: Session) -> None:
    """The starting list (as the migration inserts it) where the table is empty."""
    if session.exec(select(Nationality.code)).first() is None:
        session.add_all(Nationality(code=c, name=n) for c, n in DEFAULT_NATIONALITIES)
        session.flush()


def _changed_by(session: Session, operation_id: str) -> str:
    return changed_by_message(session, object_type="report", object_id=operation_id,
                              noun="report", tail=" (yours are not saved)")
