"""Accounts: passwords, sign-in with its throttle, second factor, server-side sessions.

Sign-in verifies the password (argon2, deliberately slow) outside any write transaction:
it reads what it needs, ends that read, verifies, then writes in one short transaction.
On SQLite a write transaction holds the database's one write lock, and verifying inside
it made every other write wait behind each sign-in (bench/sign_in_contention.py).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import os
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, delete, select

from app import audit, digests
from app.accounts import throttle, totp
from app.accounts.passwords import password_problem
from app.config import get_settings
from app.db import reading_first
from app.errors import AppError, TooManyRequests
from app.i18n import N_, later
from app.models import Notice, RecoveryCode, User, UserCreate, UserSession, utcnow

password_hash = PasswordHash((Argon2Hasher(),))

SIGNED_IN, SIGN_IN_FAILED = "auth.sign_in", "auth.sign_in_failed"
SIGN_IN_LOCKED = "auth.sign_in_locked"
# Compatibility names: the per-pair limit and its window (see app/accounts/throttle.py).
MAX_FAILED_SIGN_INS = throttle.MAX_PER_PAIR
SIGN_IN_WINDOW = throttle.WINDOW
# A session's last use is written at most this often (a write per request would not do).
TOUCH_EVERY = timedelta(minutes=1)
PENDING_SECOND_FACTOR = timedelta(minutes=5)
SIGN_IN_REFUSED = "auth.sign_in_refused"


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so both failures take the same time.
    return hash_password("not-a-real-password")


# Password hashes computed at once per process: one per core. argon2id takes 64 MiB and
# its lanes of CPU for each; 24 sign-ins at once made 24 of them share two cores, and
# the thread holding the SQLite write lock (another sign-in's short write) then waited
# for CPU behind them all (bench/sign_in_contention.py). Extra sign-ins queue here, with
# no transaction open.
ARGON2_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    with ARGON2_SLOTS:
        return password_hash.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    with ARGON2_SLOTS:
        return password_hash.verify(password, hashed)


def token_digest(token: str) -> str:
    """The digest stored instead of a new secret token (app/digests.py)."""
    return digests.digest(token)


def create_user(session: Session, *, user_in: UserCreate, initial: bool = False) -> User:
    """Create a user account (the caller commits). `initial`: the password is one an
    administrator gives the user, to be changed at first sign-in (`set_initial_password`);
    otherwise it is the user's own (the first administrator, `create-admin`)."""
    if session.exec(select(User).where(User.username == user_in.username)).first():
        raise AppError(later("username %(name)s is taken", name=repr(user_in.username)), 409)
    user = User.model_validate(user_in, update={"password_hash": hash_password(user_in.password)})
    if initial:
        _mark_initial(user)
    session.add(user)
    session.flush()
    return user


def _mark_initial(user: User, now: datetime | None = None) -> None:
    user.password_must_change = True
    user.initial_password_expires_at = (now or utcnow()) + timedelta(
        hours=get_settings().initial_password_hours)


def set_initial_password(session: Session, *, user: User, password: str) -> None:
    """Give `user` an initial password from an administrator (a new account or a reset):
    it opens one sign-in, after which the user must choose their own, and is refused after
    JOINTOPS_INITIAL_PASSWORD_HOURS (ASVS 5.0 6.4.1). The caller checked the policy."""
    user.password_hash = hash_password(password)
    _mark_initial(user)
    session.add(user)


def initial_password_expired(user: User, now: datetime | None = None) -> bool:
    """Is this an administrator's initial password, never changed and now too old?"""
    expires = user.initial_password_expires_at
    return user.password_must_change and expires is not None and expires <= (now or utcnow())


class InitialPasswordExpired(AppError):
    """The right password, but an initial one the user never replaced in time."""

    def __init__(self) -> None:
        super().__init__(N_("Your initial password has expired: ask an administrator to set "
                            "a new one."), 403)


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (no throttle: see `sign_in`)."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(password, _dummy_hash())
        return None
    if not verify_password(password, user.password_hash) or not user.is_active:
        return None
    return user


class SignInLocked(TooManyRequests):
    """Too many failed sign-ins for this username from this address, or from this address:
    wait `retry_after`."""

    def __init__(self, retry_after: timedelta) -> None:
        minutes = max(1, math.ceil(retry_after / timedelta(minutes=1)))
        super().__init__(
            retry_after,
            f"Too many failed sign-ins for this username from your address. Try again in"
            f" {minutes} minute(s), or ask an administrator to check the account.",
        )


def sign_in(
    session: Session,
    *,
    username: str,
    password: str,
    address: str = "",
    now: datetime | None = None,
) -> User | None:
    """`authenticate`, throttled (app/accounts/throttle.py) and audited with the address.

    Ends any open transaction, verifies the password with no transaction open, then
    writes the outcome; the caller commits. Raises SignInLocked (the attempt audited)
    when the limits were reached before, or by, this attempt.
    """
    now = now or utcnow()
    keys = throttle.limits(username, address)
    session.commit()  # end what the request read before (its session cookie, if any)
    found = None
    # A read transaction of its own (on SQLite without the write lock), ended before
    # argon2 runs; the writes below begin a writer's transaction afterwards.
    with reading_first(session):
        wait = throttle.over_limit(session, keys, now)
        checked = wait is None
        if checked:
            # Five columns: more than sqlmodel's typed `select` overloads take.
            found = session.exec(
                select(User.id, User.password_hash, User.is_active,  # type: ignore[call-overload]
                       User.password_must_change, User.initial_password_expires_at)
                .where(User.username == username)
            ).first()
    user_id: int | None = None
    verified = expired = False
    if checked:
        if found is None:
            verify_password(password, _dummy_hash())
        else:
            user_id = found[0]
            verified = verify_password(password, found[1]) and bool(found[2])
            expired = verified and bool(found[3]) and found[4] is not None and found[4] <= now
        # The short write: only now does SQLite's write lock get taken.
        if verified and not throttle.within_limits(session, keys, now):
            wait = throttle.over_limit(session, keys, now) or throttle.WINDOW
        elif not verified:
            wait = throttle.count_failure(session, keys, now)
    if wait is not None:
        audit.record(session, action=SIGN_IN_LOCKED, object_type="user",
                     object_id=username[:64], address=address or None, at=now,
                     details={"password_checked": checked})
        raise SignInLocked(wait)
    if expired:
        # The right password, so the answer may say why (no username is revealed).
        audit.record(session, actor=session.get(User, user_id), action=SIGN_IN_REFUSED,
                     object_type="user", object_id=username[:64], address=address or None,
                     at=now, details={"reason": "initial_password_expired"})
        session.flush()
        raise InitialPasswordExpired()
    user = session.get(User, user_id) if verified and user_id is not None else None
    audit.record(session, actor=user, action=SIGNED_IN if user else SIGN_IN_FAILED,
                 object_type="user", object_id=username[:64], address=address or None, at=now)
    if user is not None:
        throttle.clear(session, throttle.pair_key(username, address))
        purge_expired_sessions(session, now=now)
        throttle.purge(session, now)
    session.flush()
    return user


# --- sessions -----------------------------------------------------------------------


def start_session(
    session: Session, *, user: User, user_agent: str = "", address: str = ""
) -> tuple[str, UserSession]:
    """Open a server-side session; returns the cookie token (never stored) and the row."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = timedelta(minutes=get_settings().session_lifetime_minutes)
    row = UserSession(
        id=token_digest(token),
        user_id=user.id,
        created_at=now,
        last_used_at=now,
        expires_at=now + lifetime,
        csrf_token=secrets.token_urlsafe(32),
        user_agent=user_agent[:255],
        address=address[:64],
    )
    session.add(row)
    session.flush()
    return token, row


def idle_limit() -> timedelta:
    return timedelta(minutes=get_settings().session_idle_minutes)


def is_live(row: UserSession, now: datetime) -> bool:
    """Neither past its absolute end nor idle for too long."""
    last = row.last_used_at or row.created_at
    return row.expires_at > now and last + idle_limit() > now


# One statement for both (every signed-in request makes it; two primary-key reads were
# two round trips), built and keyed once with the digest as a parameter.
_SESSION_AND_USER = (
    select(UserSession, User)
    .join(User, col(User.id) == UserSession.user_id)
    .where(col(UserSession.id).in_(bindparam("digests", expanding=True)))
)


def lookup_session(session: Session, *, token: str) -> tuple[User, UserSession] | None:
    """The live session of this cookie token and its active user, or None."""
    found = session.exec(_SESSION_AND_USER, params={"digests": digests.candidates(token)}).first()
    if found is None:
        return None
    row, user = found
    if not is_live(row, utcnow()) or not user.is_active:
        return None
    return user, row


# The pages' navigation badge (app/notices/service.py `unread_count`) in the same
# statement: a page view then reads its caller in one round trip instead of two.
_UNREAD = (
    select(func.count()).select_from(Notice)
    .where(col(Notice.user_id) == User.id, col(Notice.read_at).is_(None))
    .scalar_subquery()
)
_SESSION_USER_AND_UNREAD = _SESSION_AND_USER.add_columns(_UNREAD)


def lookup_session_and_unread(
    session: Session, *, token: str
) -> tuple[User, UserSession, int] | None:
    """`lookup_session` with the user's count of unread notices."""
    found = session.execute(
        _SESSION_USER_AND_UNREAD, params={"digests": digests.candidates(token)}
    ).first()
    if found is None:
        return None
    row, user, unread = found
    if not is_live(row, utcnow()) or not user.is_active:
        return None
    return user, row, int(unread)


def needs_touch(row: UserSession, now: datetime) -> bool:
    return (row.last_used_at or row.created_at) + TOUCH_EVERY <= now


def touch(session: Session, *, session_id: str, now: datetime) -> None:
    """Record a use of the session (for the idle timeout and the list of sessions)."""
    session.exec(  # type: ignore[call-overload]
        update(UserSession).where(col(UserSession.id) == session_id).values(last_used_at=now)
    )


def end_session(session: Session, *, token: str) -> None:
    """Log out: the session stops working at once."""
    session.exec(delete(UserSession).where(col(UserSession.id).in_(digests.candidates(token))))
    session.flush()


def audit_session_end(
    session: Session, *, user: User, action: str, address: str, **details: object
) -> None:
    """Record a sign-out or a session ended from the user's list (ASVS 5.0 16.3.1)."""
    audit.record(session, actor=user, action=action, object_type="user", object_id=user.id,
                 address=address or None, details=details)


def end_user_session(session: Session, *, user_id: int, session_id: str) -> bool:
    """End one of this user's sessions (from their list); False if it is not theirs."""
    result = session.exec(
        delete(UserSession).where(
            col(UserSession.id) == session_id, col(UserSession.user_id) == user_id
        )
    )
    session.flush()
    return bool(result.rowcount)


def end_all_sessions(session: Session, *, user_id: int, keep: str | None = None) -> int:
    """End every session of a user (on disable, role change, password change), except
    `keep` (the session id of the request doing it, when the user changes it themself)."""
    query = delete(UserSession).where(col(UserSession.user_id) == user_id)
    if keep is not None:
        query = query.where(col(UserSession.id) != keep)
    result = session.exec(query)
    session.flush()
    return int(result.rowcount or 0)


def live_sessions(session: Session, *, user_id: int) -> list[UserSession]:
    """The user's live sessions, most recently used first."""
    now = utcnow()
    rows = session.exec(select(UserSession).where(col(UserSession.user_id) == user_id)).all()
    live = [row for row in rows if is_live(row, now)]
    return sorted(live, key=lambda r: r.last_used_at or r.created_at, reverse=True)


def set_active(session: Session, *, user: User, active: bool) -> User:
    """Enable or disable an account; disabling ends its sessions immediately."""
    user.is_active = active
    session.add(user)
    if not active and user.id is not None:
        end_all_sessions(session, user_id=user.id)
    session.flush()
    return user


def purge_expired_sessions(session: Session, *, now: datetime | None = None) -> int:
    """Delete sessions past their absolute end or idle too long; returns how many."""
    now = now or utcnow()
    last_use = func.coalesce(col(UserSession.last_used_at), col(UserSession.created_at))
    result = session.exec(
        delete(UserSession).where(
            (col(UserSession.expires_at) <= now) | (last_use <= now - idle_limit())
        )
        # No RETURNING of the ids (SHA-256 of the cookies' tokens): the solver worker,
        # which applies retention, may not read them (app/db_roles.py WORKER_GRANTS).
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount or 0)


def device_label(user_agent: str) -> str:
    """"Firefox on Linux" and the like, from a User-Agent header (for the session list)."""
    ua = user_agent or ""
    browser = next((name for token, name in (
        ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
        ("Safari/", "Safari"), ("curl/", "curl"), ("python-httpx", "a script"),
        ("testclient", "a test client"),
    ) if token in ua), "an unknown browser")
    system = next((name for token, name in (
        ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
        ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"),
    ) if token in ua), "")
    return f"{browser} on {system}" if system else browser


# --- passwords ----------------------------------------------------------------------


def change_own_password(
    session: Session, *, user: User, current: str, new: str, confirm: str, keep: str
) -> int:
    """Change the signed-in user's password (the current one is needed); ends the user's
    other sessions. Returns how many ended. Verifies with no transaction open."""
    assert user.id is not None
    if new != confirm:
        raise AppError(N_("The new password and its confirmation differ"), 422)
    if new == current:
        raise AppError(N_("Choose a new password, not the current one"), 422)
    problem = password_problem(new, username=user.username)
    if problem:
        raise AppError(later("New password refused: %(problem)s", problem=problem), 422)
    user_id = user.id
    _check_current_password(session, user=user, current=current)
    new_hash = hash_password(new)
    fresh = session.get(User, user_id)
    assert fresh is not None
    fresh.password_hash = new_hash
    # The user's own password now: no longer an initial one, and it never expires
    # (ASVS 5.0 6.2.10); it stays until they change it or an administrator resets it.
    fresh.password_must_change, fresh.initial_password_expires_at = False, None
    session.add(fresh)
    ended = end_all_sessions(session, user_id=user_id, keep=keep)
    audit.record(session, actor=fresh, action="auth.password_changed", object_type="user",
                 object_id=str(user_id), details={"other_sessions_ended": ended})
    session.flush()
    return ended


def end_other_sessions(
    session: Session, *, user: User, current: str, keep: str, address: str = ""
) -> int:
    """End every session of `user` but `keep`, once `current` (the password, asked again:
    ASVS 5.0 7.5.2) is right; returns how many ended. Audited."""
    assert user.id is not None
    _check_current_password(session, user=user, current=current, purpose="sessions_end")
    ended = end_all_sessions(session, user_id=user.id, keep=keep)
    audit_session_end(session, user=user, action="auth.session_ended", address=address,
                      current=False, others=ended)
    session.flush()
    return ended


def check_current_password(
    session: Session, *, user: User, current: str, purpose: str
) -> None:
    """Raise unless `current` is the user's password (asked again before a sensitive
    step: ending another session); throttled and audited like a password change."""
    _check_current_password(session, user=user, current=current, purpose=purpose)


def _check_current_password(
    session: Session, *, user: User, current: str, purpose: str = "password_change"
) -> None:
    """Raise unless `current` is the user's password; verifies with no transaction open.

    A stolen session must not become a way to guess the password: wrong ones are
    throttled like sign-ins and audited with the `purpose` (the caller commits even on
    an error)."""
    assert user.id is not None
    user_id, hashed = user.id, user.password_hash
    keys = [(throttle.password_change_key(user_id), throttle.MAX_PER_PAIR)]
    now = utcnow()
    wait = throttle.over_limit(session, keys, now)
    session.commit()
    checked = wait is None
    right = checked and verify_password(current, hashed)
    if checked and not right:
        wait = throttle.count_failure(session, keys, now)
    if not right:
        audit.record(session, actor=user, action="auth.password_change_failed",
                     object_type="user", object_id=str(user_id),
                     details={"throttled": wait is not None, "password_checked": checked,
                              "purpose": purpose})
        session.flush()
        if wait is not None:
            raise TooManyRequests(wait)
        raise AppError(N_("The current password is wrong"), 422)
    throttle.clear(session, throttle.password_change_key(user_id))


# --- language -------------------------------------------------------------------------


def set_language(session: Session, *, user: User, code: str) -> None:
    """Save the language the board speaks to the user (one of app.i18n.LANGUAGES)."""
    from app.i18n import LANGUAGES

    if code not in LANGUAGES:
        choices = ", ".join(LANGUAGES)
        raise AppError(later("Unknown language %(code)s: choose one of %(choices)s",
                             code=repr(code), choices=choices), 422)
    user.language = code
    session.add(user)
    session.flush()


# --- second factor ------------------------------------------------------------------


def second_factor_required(user: User) -> bool:
    """Must this user sign in with TOTP? Every role, outside dev (ASVS 5.0 6.3.3): every
    account sees restricted operations; calendar feeds are read by their token instead."""
    return get_settings().totp_required


def needs_enrolment(user: User) -> bool:
    return second_factor_required(user) and not user.totp_secret


def needs_password_change(user: User) -> bool:
    """Is the user still on an administrator's initial password (change it first)?"""
    return user.password_must_change


def enrol_totp(
    session: Session, *, user: User, secret: str, code: str, current: str | None,
    keep: str | None = None, algorithm: str | None = None,
) -> list[str]:
    """Turn TOTP on with `secret` once `code` proves the app has it; returns ten new
    recovery codes (shown once; only their hashes are kept).

    The codes are HMAC-`algorithm` ones: by default JOINTOPS_TOTP_ALGORITHM's (SHA-256
    unless a fleet's app makes SHA-1 codes only; ASVS 5.0 11.4.1), stored with the secret
    so that a later change of the setting leaves this enrolment working.

    `current` is the user's password, asked again (ASVS 5.0 7.5.1): a session left open
    or stolen must not be enough to put the attacker's phone on the account, or to
    replace the recovery codes. None skips the check (a command-line or test set-up, never
    a web request). Every other session of the user ends, `keep` (the enrolling session's
    id) excepted: a changed factor leaves no session opened without it (ASVS 5.0 7.4.3)."""
    assert user.id is not None
    algorithm = algorithm or totp.configured_algorithm()
    if algorithm not in totp.ALGORITHMS:
        raise ValueError(f"unknown TOTP algorithm {algorithm!r}")
    if current is not None:
        _check_current_password(session, user=user, current=current, purpose="totp_enrolment")
    try:
        step = totp.matching_step(secret, code, utcnow(), after=None, algorithm=algorithm)
    except ValueError:
        raise AppError(N_("The secret is not valid base32: start the set-up again"), 422) from None
    if step is None:
        if algorithm == "sha1":
            raise AppError(N_("That code does not match: check the phone's clock and try the "
                              "code now shown"), 422)
        # An app that ignores the URI's algorithm makes SHA-1 codes from the same key.
        raise AppError(N_("That code does not match. Check the phone's clock and try the "
                          "code now shown. If it still does not match, your app may make "
                          "SHA-1 codes only: add the key to an app that supports SHA-256 "
                          "codes, such as FreeOTP, Aegis, 2FAS, Bitwarden or 1Password."), 422)
    user.totp_secret, user.totp_last_step, user.totp_algorithm = secret, step, algorithm
    session.add(user)
    codes = totp.new_recovery_codes()
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    session.add_all(RecoveryCode(user_id=user.id, code_hash=totp.recovery_digest(c))
                    for c in codes)
    ended = end_all_sessions(session, user_id=user.id, keep=keep)
    audit.record(session, actor=user, action="auth.totp_enrolled", object_type="user",
                 object_id=str(user.id), details={"sessions_ended": ended,
                                                  "algorithm": algorithm})
    session.flush()
    return codes


def remove_totp(
    session: Session, *, user: User, actor: User, details: Mapping[str, Any] | None = None
) -> None:
    """Turn TOTP off (an administrator, for a lost phone; the user enrols again);
    `details` (the administrator's identity check) go into the audit row."""
    assert user.id is not None
    user.totp_secret, user.totp_last_step, user.totp_algorithm = None, None, None
    session.add(user)
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    end_all_sessions(session, user_id=user.id)
    audit.record(session, actor=actor, action="auth.totp_removed", object_type="user",
                 object_id=str(user.id), details=details)
    session.flush()


def unused_recovery_codes(session: Session, *, user_id: int) -> int:
    return int(session.exec(
        select(func.count()).select_from(RecoveryCode)
        .where(col(RecoveryCode.user_id) == user_id, col(RecoveryCode.used_at).is_(None))
    ).one())


def check_second_factor(
    session: Session, *, user: User, code: str, address: str = "", now: datetime | None = None
) -> bool:
    """A TOTP code (each usable once) or an unused recovery code; throttled per user."""
    assert user.id is not None and user.totp_secret
    now = now or utcnow()
    keys = [(throttle.totp_key(user.id), throttle.MAX_PER_PAIR)]
    wait = throttle.over_limit(session, keys, now)
    ok = False
    how = "totp"
    if wait is None:
        # The enrolment's own hash: SHA-1 for one made before SHA-256 (verification of
        # existing material), never a fallback from one to the other.
        step = totp.matching_step(
            user.totp_secret, code, now, after=user.totp_last_step,
            algorithm=user.totp_algorithm or totp.LEGACY_ALGORITHM)
        if step is not None:
            user.totp_last_step = step
            session.add(user)
            ok = True
        else:
            how = "recovery_code"
            row = session.exec(select(RecoveryCode).where(
                col(RecoveryCode.user_id) == user.id,
                col(RecoveryCode.code_hash).in_(totp.recovery_digests(code)),
                col(RecoveryCode.used_at).is_(None),
            )).first()
            if row is not None:
                row.used_at = now
                session.add(row)
                ok = True
        if not ok:
            wait = throttle.count_failure(session, keys, now)
    if wait is not None:
        audit.record(session, actor=user, action=SIGN_IN_LOCKED, object_type="user",
                     object_id=user.username, address=address or None, at=now,
                     details={"step": "second_factor"})
        session.flush()
        raise SignInLocked(wait)
    audit.record(session, actor=user if ok else None,
                 action="auth.second_factor" if ok else "auth.second_factor_failed",
                 object_type="user", object_id=user.username, address=address or None, at=now,
                 details={"with": how} if ok else {})
    if ok:
        throttle.clear(session, throttle.totp_key(user.id))
    session.flush()
    return ok


def pending_token(user_id: int, now: datetime | None = None) -> str:
    """A short-lived, signed note that this user gave the right password (the cookie
    between the password step and the TOTP step)."""
    expires = int(((now or utcnow()) + PENDING_SECOND_FACTOR).timestamp())
    body = f"{user_id}.{expires}.{secrets.token_urlsafe(8)}"
    return f"{body}.{_sign(body)}"


def read_pending_token(token: str, now: datetime | None = None) -> int | None:
    """The user id of a valid, unexpired pending token, else None."""
    body, _, signature = token.rpartition(".")
    # Any key still configured: a cookie signed just before a key rotation still works.
    keys = get_settings().verifying_secret_keys
    if not body or not any(hmac.compare_digest(signature, _sign(body, key)) for key in keys):
        return None
    user_id, expires, _nonce = (body.split(".") + ["", "", ""])[:3]
    if not user_id.isdigit() or not expires.isdigit():
        return None
    if int(expires) <= (now or utcnow()).timestamp():
        return None
    return int(user_id)


def _sign(body: str, secret: str | None = None) -> str:
    """The MAC of `body` under `secret` (the current secret key unless named)."""
    secret = get_settings().secret_key if secret is None else secret
    key = hashlib.sha256(("second-factor:" + secret).encode()).digest()
    return hmac.new(key, body.encode(), "sha256").hexdigest()


@dataclass(frozen=True)
class SessionView:
    id: str
    device: str
    address: str
    last_used_at: datetime
    created_at: datetime
    current: bool


def session_views(session: Session, *, user_id: int, current: str | None) -> list[SessionView]:
    """The user's live sessions as the account page lists them."""
    return [
        SessionView(row.id, device_label(row.user_agent), row.address or "unknown",
                    row.last_used_at or row.created_at, row.created_at, row.id == current)
        for row in live_sessions(session, user_id=user_id)
    ]
