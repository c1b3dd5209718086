"""Feed tokens: create, list, revoke, and who may hold which kind of feed.

The secret lives only in the URL the user copies once; the database keeps its digest
(app/digests.py: SHA-256, looked up under every accepted scheme).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, inspect, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from app import audit as trail
from app import digests
from app.errors import AppError, Conflict, NotFound
from app.i18n import N_, later
from app.models import Agency, FeedToken, Role, Unit, User, utcnow
from app.models.feeds import FeedKind, FeedSubscription

TOKEN_BYTES = 32  # 256 bits of secret; the issue asks for at least 128
LABEL_MAX = 100


@dataclass(frozen=True)
class FeedChoice:
    """A feed this user may subscribe to."""

    kind: FeedKind
    target_id: str | None
    title: str

    @property
    def key(self) -> str:
        """The form value naming this choice, e.g. `unit:TH-BPP-31`."""
        return f"{self.kind.value}:{self.target_id or ''}"


def token_hash(secret: str) -> str:
    """The digest stored instead of a new secret."""
    return digests.digest(secret)


def audit(
    session: Session, *, action: str, token_id: int | None, actor_id: int | None, **details: object
) -> None:
    """Append one audit row about a feed token (never with the secret in it)."""
    trail.record(session, actor_id=actor_id, action=action, object_type="feed_token",
                 object_id=token_id, details=details)


def feed_choices(session: Session, *, user: User) -> list[FeedChoice]:
    """The feeds this user may hold now, in the order the page offers them."""
    choices: list[FeedChoice] = []
    if user.role == Role.unit_officer and user.unit_id:
        choices.append(FeedChoice(FeedKind.officer, None, "My taskings (follows my unit)"))
    for unit in _units_for(session, user=user):
        choices.append(FeedChoice(FeedKind.unit, unit.id, f"Unit {unit.callsign}"))
    agencies = _agencies_for(session, user=user)
    for agency_id in agencies:
        choices.append(FeedChoice(FeedKind.agency, agency_id, f"Operations of {agency_id}"))
    return choices


def _units_for(session: Session, *, user: User) -> list[Unit]:
    query = select(Unit).order_by(col(Unit.id))
    if user.role == Role.unit_officer:
        # The unit feed is for the unit's own people (its commander among them).
        query = query.where(Unit.id == user.unit_id)
    elif user.role not in (Role.admin, Role.coordinator):
        query = query.where(Unit.agency_id == user.agency_id)
    return list(session.exec(query))


def _agencies_for(session: Session, *, user: User) -> list[str]:
    if user.role in (Role.admin, Role.coordinator):
        return list(session.exec(select(Agency.id).order_by(col(Agency.id))))
    if user.role in (Role.liaison, Role.planner) and user.agency_id:
        return [user.agency_id]
    return []


def may_hold(user: User, sub: FeedSubscription, unit_agency_id: str | None) -> bool:
    """Whether the user may still read this feed; checked on every request."""
    if not user.is_active:
        return False
    if sub.kind == FeedKind.officer:
        return user.role == Role.unit_officer
    if user.role in (Role.admin, Role.coordinator):
        return True
    if sub.kind == FeedKind.unit:
        if user.role == Role.unit_officer:
            return user.unit_id == sub.target_id
        return user.agency_id is not None and user.agency_id == unit_agency_id
    return user.role in (Role.liaison, Role.planner) and user.agency_id == sub.target_id


def create_token(
    session: Session, *, user: User, label: str, choice_key: str, now: datetime | None = None
) -> tuple[str, FeedToken]:
    """Issue a token for one device; returns the secret (shown once) and the row."""
    assert user.id is not None
    label = " ".join(label.split())
    if not 1 <= len(label) <= LABEL_MAX:
        raise AppError(later("Give the device a name of 1 to %(max)s characters",
                             max=LABEL_MAX), 422)
    choice = next((c for c in feed_choices(session, user=user) if c.key == choice_key), None)
    if choice is None:
        raise AppError(N_("You cannot subscribe to that feed"), 403)
    secret = secrets.token_urlsafe(TOKEN_BYTES)
    created = now or utcnow()
    token = FeedToken(
        user_id=user.id, label=label, token_hash=token_hash(secret), created_at=created
    )
    try:
        # The database holds one live token per user and label (a partial unique index),
        # so two quick submits cannot both pass; a savepoint keeps the session usable.
        with session.begin_nested():
            session.add(token)
    except IntegrityError:
        raise Conflict(
            f"You already have a feed for “{label}”: revoke it first or pick another name"
        ) from None
    assert token.id is not None
    session.add(
        FeedSubscription(
            token_id=token.id, kind=choice.kind, target_id=choice.target_id, last_modified=created
        )
    )
    audit(
        session,
        action="feed.token.created",
        token_id=token.id,
        actor_id=user.id,
        label=label,
        kind=choice.kind.value,
        target=choice.target_id,
    )
    session.flush()
    return secret, token


def list_tokens(session: Session, *, user: User) -> list[tuple[FeedToken, FeedSubscription]]:
    """The user's live tokens with what each shows, oldest first."""
    query = (
        select(FeedToken, FeedSubscription)
        .join(FeedSubscription, col(FeedSubscription.token_id) == FeedToken.id)
        .where(FeedToken.user_id == user.id, col(FeedToken.revoked_at).is_(None))
        .order_by(col(FeedToken.created_at), col(FeedToken.id))
    )
    return [(token, sub) for token, sub in session.exec(query)]


def revoke_token(session: Session, *, user: User, token_id: int) -> FeedToken:
    """Revoke one of the user's own tokens; someone else's is NotFound."""
    token = session.get(FeedToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound(N_("No such calendar subscription"))
    token.revoked_at = utcnow()
    session.add(token)
    audit(
        session, action="feed.token.revoked", token_id=token.id, actor_id=user.id, reason="by owner"
    )
    session.flush()
    return token


def revoke_all(session: Session, *, user_id: int, actor_id: int | None, reason: str) -> int:
    """Revoke every live token of a user; returns how many."""
    live = select(FeedToken.id).where(
        FeedToken.user_id == user_id, col(FeedToken.revoked_at).is_(None)
    )
    ids = [token_id for token_id in session.exec(live) if token_id is not None]
    return _revoke(session, ids, actor_id=actor_id, reason=reason)


def revoke_lost(session: Session, *, user: User) -> int:
    """Revoke the user's tokens of feeds they may no longer hold (after a move to
    another unit or agency); returns how many. Officer feeds follow the unit."""
    lost = [
        token.id
        for token, sub in list_tokens(session, user=user)
        if token.id is not None and not may_hold(user, sub, unit_agency(session, sub))
    ]
    return _revoke(session, lost, actor_id=None, reason="access lost")


def unit_agency(session: Session, sub: FeedSubscription) -> str | None:
    """The agency of a unit feed's unit (None for other feeds), which may_hold needs."""
    if sub.kind != FeedKind.unit or sub.target_id is None:
        return None
    unit = session.get(Unit, sub.target_id)
    return unit.agency_id if unit else None


def _revoke(session: Session, ids: list[int], *, actor_id: int | None, reason: str) -> int:
    if ids:
        session.exec(  # type: ignore[call-overload]
            update(FeedToken).where(col(FeedToken.id).in_(ids)).values(revoked_at=utcnow())
        )
    for token_id in ids:
        audit(
            session,
            action="feed.token.revoked",
            token_id=token_id,
            actor_id=actor_id,
            reason=reason,
        )
    return len(ids)


@event.listens_for(OrmSession, "before_flush")
def _drop_tokens_of_changed_users(
    session: OrmSession, _context: object, _instances: object
) -> None:
    """Revoke a user's tokens when an account is disabled or changes role, and those of
    feeds a move to another unit or agency takes away, whichever code path makes the
    change (admin page, API, CLI); requests re-check access anyway."""
    if not isinstance(session, Session):
        return
    for obj in list(session.dirty):
        if not isinstance(obj, User) or obj.id is None:
            continue
        state = inspect(obj)
        disabled = state.attrs.is_active.history.has_changes() and not obj.is_active
        if disabled or state.attrs.role.history.has_changes():
            reason = "user disabled" if disabled else "role changed"
            revoke_all(session, user_id=obj.id, actor_id=None, reason=reason)
        elif any(state.attrs[name].history.has_changes() for name in ("unit_id", "agency_id")):
            revoke_lost(session, user=obj)
