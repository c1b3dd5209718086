"""Accounts: password hashing, authentication and server-side sessions."""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, col, delete, select

from app.config import get_settings
from app.errors import AppError
from app.models import AuditEvent, User, UserCreate, UserSession, utcnow

password_hash = PasswordHash((Argon2Hasher(),))


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so both failures take the same time.
    return password_hash.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return password_hash.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    return password_hash.verify(password, hashed)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest stored instead of a secret token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, *, user_in: UserCreate) -> User:
    """Create a user account (the caller commits)."""
    if session.exec(select(User).where(User.username == user_in.username)).first():
        raise AppError(f"username {user_in.username!r} is taken", 409)
    user = User.model_validate(user_in, update={"password_hash": hash_password(user_in.password)})
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(password, _dummy_hash())
        return None
    if not verify_password(password, user.password_hash) or not user.is_active:
        return None
    return user


# Online guessing: after this many wrong passwords for one username within the window
# (since its last successful sign-in), the username is refused, right password or not,
# until the oldest of those failures leaves the window. Kept in the audit trail, so every
# web process sees the same count and each attempt is on record.
MAX_FAILED_SIGN_INS = 5
SIGN_IN_WINDOW = timedelta(minutes=15)
SIGNED_IN, SIGN_IN_FAILED = "auth.sign_in", "auth.sign_in_failed"


class SignInLocked(AppError):
    """Too many wrong passwords for a username: wait `retry_after`."""

    def __init__(self, retry_after: timedelta) -> None:
        minutes = max(1, math.ceil(retry_after / timedelta(minutes=1)))
        super().__init__(
            f"Too many failed sign-ins for this username. Try again in {minutes} minute(s),"
            " or ask an administrator to check the account.",
            429,
        )
        self.retry_after = retry_after


def sign_in(
    session: Session, *, username: str, password: str, now: datetime | None = None
) -> User | None:
    """`authenticate`, throttled per username; the attempt is audited either way.

    Raises SignInLocked, without checking the password, while the username is locked.
    """
    now = now or utcnow()
    failures = _failures_since_last_success(session, username, now)
    if len(failures) >= MAX_FAILED_SIGN_INS:
        raise SignInLocked(failures[-MAX_FAILED_SIGN_INS] + SIGN_IN_WINDOW - now)
    user = authenticate(session, username=username, password=password)
    session.add(
        AuditEvent(
            at=now,
            actor_id=user.id if user else None,
            action=SIGNED_IN if user else SIGN_IN_FAILED,
            object_type="user",
            object_id=username[:64],
        )
    )
    session.flush()
    return user


def _failures_since_last_success(session: Session, username: str, now: datetime) -> list[datetime]:
    """When this username's failed sign-ins within the window happened, oldest first."""
    query = (
        select(AuditEvent.at, AuditEvent.action)
        .where(
            col(AuditEvent.at) > now - SIGN_IN_WINDOW,
            col(AuditEvent.object_type) == "user",
            col(AuditEvent.object_id) == username[:64],
            col(AuditEvent.action).in_((SIGNED_IN, SIGN_IN_FAILED)),
        )
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    failures: list[datetime] = []
    for at, action in session.exec(query):
        failures = [*failures, at] if action == SIGN_IN_FAILED else []
    return failures


def start_session(session: Session, *, user: User) -> tuple[str, UserSession]:
    """Open a server-side session; returns the cookie token (never stored) and the row."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(minutes=get_settings().session_lifetime_minutes)
    row = UserSession(
        id=token_digest(token),
        user_id=user.id,
        expires_at=utcnow() + lifetime,
        csrf_token=secrets.token_urlsafe(32),
    )
    session.add(row)
    session.flush()
    return token, row


def lookup_session(session: Session, *, token: str) -> tuple[User, UserSession] | None:
    """The live session of this cookie token and its active user, or None."""
    row = session.get(UserSession, token_digest(token))
    if row is None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return user, row


def end_session(session: Session, *, token: str) -> None:
    """Log out: the session stops working at once."""
    session.exec(delete(UserSession).where(col(UserSession.id) == token_digest(token)))
    session.flush()


def end_all_sessions(session: Session, *, user_id: int) -> None:
    """End every session of a user (on disable, role change, password change)."""
    session.exec(delete(UserSession).where(col(UserSession.user_id) == user_id))
    session.flush()


def set_active(session: Session, *, user: User, active: bool) -> User:
    """Enable or disable an account; disabling ends its sessions immediately."""
    user.is_active = active
    session.add(user)
    if not active and user.id is not None:
        end_all_sessions(session, user_id=user.id)
    session.flush()
    return user


def purge_expired_sessions(session: Session) -> int:
    """Delete expired sessions; returns how many."""
    result = session.exec(delete(UserSession).where(col(UserSession.expires_at) <= utcnow()))
    session.flush()
    return int(result.rowcount or 0)
