"""Accounts: password hashing, authentication and server-side sessions."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, col, delete, select

from app.config import get_settings
from app.errors import AppError
from app.models import User, UserCreate, UserSession, utcnow

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
