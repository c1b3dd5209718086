"""The create and edit forms, and the fragment that adds or removes rows in place."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from app.admin.capabilities import known_capabilities
from app.campaigns import service as campaigns
from app.config import get_settings
from app.db import SessionDep
from app.deps import VisibleOperation
from app.errors import AppError, Conflict, Forbidden
from app.i18n import N_, gettext, later, shown
from app.models import (
    TLP,
    Agency,
    Country,
    Crossing,
    Operation,
    OperationState,
    Region,
    Role,
    User,
)
from app.operations import forms, service
from app.operations import permissions as perm
from app.operations.views import BoardUser
from app.web import redirect, render

router = APIRouter(tags=["operations"])
TEMPLATE = "operations/form.html"


async def _form(request: Request) -> FormData:
    # Field names are dynamic (one per row); the routes stay plain `def` on a thread.
    return await request.form()


Posted = Annotated[FormData, Depends(_form)]


def _zone_groups(session: Session) -> list[tuple[str, str]]:
    """("TH LA", "Asia/Bangkok")...: each time zone of the board's countries, once."""
    groups: dict[str, list[str]] = {}
    for code, zone in session.exec(select(Country.code, Country.timezone)
                                   .order_by(col(Country.code))):
        groups.setdefault(zone, []).append(code)
    return sorted(((" ".join(codes), zone) for zone, codes in groups.items()),
                  key=lambda group: group[1])


def _user_zone(session: Session, user: User) -> str:
    """Times are typed in the user's own zone by default: their agency's country's."""
    agency = session.get(Agency, user.agency_id) if user.agency_id else None
    country = session.get(Country, agency.country_code) if agency else None
    return country.timezone if country else "UTC"


def _choices(session: Session, user: User) -> dict[str, Any]:
    capabilities = known_capabilities(session)
    return {
        "zones": _zone_groups(session), "echo": forms.echo, "time_hint": forms.time_hint,
        "regions": session.exec(select(Region).order_by(col(Region.country_code),
                                                        col(Region.name))).all(),
        "agencies": session.exec(select(Agency).order_by(col(Agency.id))).all()
        if user.role == Role.admin else [],
        "tlps": list(TLP), "capabilities": capabilities,
        "crossings": session.exec(select(Crossing).order_by(col(Crossing.name))).all(),
        "phase_choices": campaigns.phase_choices(session, lead_agency_id=user.agency_id,
                                                 user=user),
    }


def form_draft_key(session_id: str) -> str:
    """The AES-256 key (base64url) the form's script encrypts its draft with in the tab.

    It comes with each form page and the browser never stores it: derived from the
    board's secret key and the signed-in session, it is not sent again once the session
    ends, so a draft left in the tab's storage can no longer be read (ASVS 5.0 14.3.3).
    """
    secret = hashlib.sha256(("form-draft:" + get_settings().secret_key).encode()).digest()
    key = hmac.new(secret, session_id.encode(), "sha256").digest()
    return base64.urlsafe_b64encode(key).decode("ascii").rstrip("=")


def _page(
    request: Request, session: SessionDep, user: User, doc: dict[str, Any], *,
    op: Operation | None = None, version: int | None = None, errors: dict[str, str] | None = None,
    conflict: str | None = None, status: int = 200, focus: int | None = None,
    impact: service.EditImpact | None = None,
) -> Response:
    # Messages are made in English (the API speaks it); the page shows them translated.
    ctx = {"data": doc, "op": op, "version": version, "errors": shown(errors or {}),
           "impact": impact,
           "conflict": conflict, "focus": focus, "label": forms.field_label,
           "draft_key": form_draft_key(request.state.session_id),
           **_choices(session, user)}
    return render(request, TEMPLATE, ctx, block="sites", status_code=status)


@router.get("/operations/new")
def new_page(request: Request, session: SessionDep, user: BoardUser) -> Response:
    """An empty operation form."""
    if not perm.may_create(user):
        raise Forbidden(N_("Only liaison officers and administrators create operations"))
    doc = forms.blank_document(user.agency_id)
    doc["time_zone"] = _user_zone(session, user)
    return _page(request, session, user, doc)


@router.post("/operations/new")
def create(request: Request, session: SessionDep, user: BoardUser, form: Posted) -> Response:
    """Save a new draft; a row button only changes the rows (the no-JavaScript path)."""
    doc, action = _read(form, user, lead=None)
    if action:
        return _rows(request, session, user, doc, action, op=None, version=None)
    try:
        data = _validate(session, doc)
        phase_id = _phase(session, doc)
        operation = service.create(session, data=data, actor=user)
        campaigns.assign_phase(session, operation=operation, phase_id=phase_id, actor=user)
    except service.InvalidOperation as exc:
        return _page(request, session, user, doc, errors=exc.errors, status=422)
    except IntegrityError as exc:
        session.rollback()
        return _page(request, session, user, doc, errors=_refused(exc), status=422)
    session.commit()
    return redirect(request, f"/operations/{operation.id}", flash=gettext("Draft saved."))


@router.get("/operations/{operation_id}/edit")
def edit_page(
    request: Request, session: SessionDep, user: BoardUser, operation: VisibleOperation
) -> Response:
    """The form filled with the operation as it is now, and its version."""
    if "edit" not in perm.allowed_actions(session, user, operation):
        raise Forbidden(N_("You may not edit this operation now"))
    doc = forms.from_input(service.as_input(operation), _user_zone(session, user))
    found = campaigns.phase_of(session, operation.id)
    doc["campaign_phase_id"] = str(found[1].id) if found else ""
    return _page(request, session, user, doc, op=operation, version=operation.version)


@router.post("/operations/{operation_id}/edit")
def save(
    request: Request, session: SessionDep, user: BoardUser, operation: VisibleOperation,
    form: Posted,
) -> Response:
    """Save the edit if nobody changed the operation since the form was opened (else 409)."""
    doc, action = _read(form, user, lead=operation.lead_agency_id)
    version = _int(form.get("version"))
    before = OperationState(operation.state)
    if action:
        return _rows(request, session, user, doc, action, op=operation, version=version)
    try:
        data = _validate(session, doc)
        phase_id = _phase(session, doc)
        service.update_operation(session, operation=operation, data=data,
                                 version=version or 0, actor=user,
                                 confirm_cancel=form.get("confirm_cancel") == "yes")
        campaigns.assign_phase(session, operation=operation, phase_id=phase_id, actor=user)
    except service.EditNeedsConfirmation as exc:
        # Nothing written: the form comes back with what saving would cancel, and whose.
        return _page(request, session, user, doc, op=operation, version=version,
                     impact=exc.impact, status=409)
    except service.InvalidOperation as exc:
        return _page(request, session, user, doc, op=operation, version=version,
                     errors=exc.errors, status=422)
    except IntegrityError as exc:
        session.rollback()
        return _page(request, session, user, doc, op=operation, version=version,
                     errors=_refused(exc), status=422)
    except Conflict as exc:
        session.rollback()
        return _page(request, session, user, doc, op=operation, version=version,
                     conflict=exc.message, status=409)
    session.commit()
    if before == OperationState.draft:
        message = gettext("Changes saved.")
    elif operation.state == before:
        message = gettext("Amended in place: approvals and tasking orders are kept; units see "
                          "the new text.")
    else:
        message = gettext("Changes saved: the operation went back to the host countries for "
                          "approval.")
    return redirect(request, f"/operations/{operation.id}", flash=message)



@router.post("/operations/form/rows")
def rows(request: Request, session: SessionDep, user: BoardUser, form: Posted) -> Response:
    """Add or remove a site or requirement row; htmx swaps the sites block only."""
    doc, action = _read(form, user, lead=None)
    return _rows(request, session, user, doc, action or "", op=None, version=None)


def _rows(
    request: Request, session: SessionDep, user: User, doc: dict[str, Any], action: str, *,
    op: Operation | None, version: int | None,
) -> Response:
    if forms.ROW_ACTION.match(action) is None:
        raise AppError(N_("Unknown row action"), 400)
    focus = forms.apply_row_action(doc, action)
    return _page(request, session, user, doc, op=op, version=version, focus=focus)


def _read(form: FormData, user: User, *, lead: str | None) -> tuple[dict[str, Any], str]:
    doc = forms.parse(form)
    # The lead agency is fixed on edit, and is the user's own unless an admin creates.
    if lead is not None:
        doc["lead_agency_id"] = lead
    elif user.role != Role.admin:
        doc["lead_agency_id"] = user.agency_id or ""
    doc["campaign_phase_id"] = str(form.get("campaign_phase_id", ""))
    return doc, str(form.get("row_action", ""))


def _phase(session: Session, doc: dict[str, Any]) -> int | None:
    """The chosen campaign phase, checked against the lead agency's campaigns."""
    try:
        return campaigns.parse_phase(session, doc.get("campaign_phase_id"),
                                     lead_agency_id=doc.get("lead_agency_id") or "")
    except campaigns.InvalidInput as exc:
        raise service.InvalidOperation(exc.errors) from None


def _validate(session: Session, doc: dict[str, Any]) -> service.OperationIn:
    """Validate the form: badly typed times and zones are reported with every other error."""
    typed = forms.time_errors(doc, [zone for _, zone in _zone_groups(session)])
    typed |= forms.cordon_errors(doc)
    typed |= forms.capability_errors(doc, set(known_capabilities(session)))
    try:
        data = service.validate(session, data=forms.to_input(doc))
    except service.InvalidOperation as exc:
        raise service.InvalidOperation({**exc.errors, **typed}) from None
    if typed:
        raise service.InvalidOperation(typed)
    return data


def _refused(exc: IntegrityError) -> dict[str, str]:
    """A rule the database enforces that validation missed, as a form-level message.

    Validation should catch every such case by field; this is the safety net that keeps
    the user's input on the page instead of an error page.
    """
    text = str(exc.orig).lower()
    if "foreign key" in text:
        reason = N_("it names a region, agency or capability the board does not know; "
                    "check each site's region and the requirements")
    elif "unique" in text or "duplicate" in text:
        reason = N_("something that must be unique is repeated; check the sites and "
                    "requirements")
    else:
        reason = N_("the database refused it; check the fields below")
    return {"__all__": later("The operation was not saved: %(reason)s. Nothing you typed is "
                             "lost.", reason=reason)}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
