"""Helpers of the admin tests: audit rows, field errors, a published tasking."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta

from httpx import Response
from sqlmodel import Session, col, select

from app.models import AuditEvent, Tasking

# The identity check an administrator makes before opening an account, resetting its
# password or removing its second factor (ASVS 5.0 6.4.3, 6.4.4).
IDENTITY = {"identity_method": "in_person", "identity_reference": "police ID ending 4711"}


def audit_rows(session: Session, action: str) -> list[AuditEvent]:
    """The audit rows of one action, oldest first."""
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
    return list(session.exec(query))


def field_error(response: Response, field: str) -> str:
    """The message shown next to a form field (unescaped), or '' when there is none."""
    found = re.search(rf'<p id="err-{re.escape(field)}" class="field-error">(.*?)</p>',
                      response.text, re.S)
    return html.unescape(found.group(1)) if found else ""


def publish_tasking(  # type: ignore[no-untyped-def]
    session: Session, make_operation, unit_id: str, day: int = 0, **extra: object
) -> Tasking:
    """A published tasking of `unit_id` in a new one-site operation (`day` days later: a
    unit's active orders may not overlap)."""
    op = make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}})
    start = datetime(2026, 12, 2, 3, tzinfo=UTC) + timedelta(days=day)
    tasking = Tasking(
        uid=f"t-{uuid.uuid4().hex}@jointops", operation_id=op.id, unit_id=unit_id,
        site_id=op.sites[0].id, capability="tactical", start=start,
        end=start + timedelta(hours=4), depart=start - timedelta(hours=2),
        return_at=start + timedelta(hours=6), **extra,
    )
    session.add(tasking)
    session.flush()
    return tasking
