"""Admin use cases for user accounts: create, role, unit, disable/enable, password reset.

Access is re-checked from the account on every request, but calendar feeds live outside
the session, so every loss of access also revokes the user's feed tokens here.

Opening an account, resetting its password and removing its second factor each need an
identity check (`IdentityCheckIn`: a method from one fixed list and a reference), recorded
in the action's audit row with the administrator who made it: a forgotten password or a
lost factor is proven as strongly as the account was first issued (ASVS 5.0 6.4.3, 6.4.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.passwords import generate_password
from app.admin.common import FieldErrors, Page, apply, audit, check, paginate
from app.admin.schemas import IdentityCheckIn, PasswordIn, UserCreateIn, UserUpdateIn
from app.errors import Conflict
from app.feeds.tokens import revoke_all
from app.i18n import N_, later
from app.models import Agency, Role, Unit, User, UserCreate


def list_users(session: Session, *, q: str = "", page: int = 1, per_page: int = 50) -> Page[User]:
    """Accounts by username, filtered by username, name, role, agency or unit."""
    query = select(User).order_by(col(User.username))
    search = (User.username, User.full_name, User.role, User.agency_id, User.unit_id)
    return paginate(session, query, q=q, search=search, page=page, per_page=per_page)


def _membership(session: Session, user_in: UserUpdateIn) -> tuple[str | None, str | None]:
    """The (agency, unit) the role needs: officers belong to a unit, liaisons to an agency."""
    agency_id, unit_id = user_in.agency_id or None, user_in.unit_id or None
    if agency_id and session.get(Agency, agency_id) is None:
        raise FieldErrors({"agency_id": later("unknown agency %(agency)s",
                                                   agency=repr(agency_id))})
    if user_in.role != Role.unit_officer:
        if unit_id:
            raise FieldErrors({"unit_id": later("only unit officers are attached to a unit")})
        if user_in.role == Role.liaison and not agency_id:
            raise FieldErrors({"agency_id": later(
                "a liaison officer speaks for an agency: choose it")})
        return agency_id, None
    unit = session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        message = (later("unknown unit %(unit)s", unit=repr(unit_id)) if unit_id
                   else later("a unit officer needs a unit"))
        raise FieldErrors({"unit_id": message})
    if agency_id and agency_id != unit.agency_id:
        raise FieldErrors({"unit_id": later(
            "unit %(unit)s belongs to agency %(agency)s, not %(chosen)s", unit=unit.id,
            agency=unit.agency_id, chosen=agency_id)})
    return unit.agency_id, unit.id


@dataclass(frozen=True)
class InitialPassword:
    """An account given an initial password by an administrator: `generated` is the
    password the board made (shown once, never stored plain), None when the administrator
    typed it. Either must be changed at first sign-in, before `expires_at`."""

    user: User
    generated: str | None

    @property
    def id(self) -> int | None:  # the admin pages' key of the created row
        return self.user.id

    @property
    def expires_at(self) -> datetime | None:
        return self.user.initial_password_expires_at


def create_user(session: Session, *, data: Mapping[str, Any], actor: User) -> InitialPassword:
    """Open an account with an initial password (argon2id-hashed, never stored plain):
    the one typed, or, when none is, one the board generates (ASVS 5.0 6.4.1). The
    administrator's identity check of the holder is audited with it."""
    user_in = check(UserCreateIn, data)
    agency_id, unit_id = _membership(session, user_in)
    if session.exec(select(User.id).where(User.username == user_in.username)).first():
        raise FieldErrors({"username": later("username %(name)s is taken",
                                                  name=repr(user_in.username))})
    generated = None if user_in.password else generate_password(username=user_in.username)
    user = accounts.create_user(session, initial=True, user_in=UserCreate(
        username=user_in.username, full_name=(user_in.full_name or "").strip(), role=user_in.role,
        agency_id=agency_id, unit_id=unit_id, password=user_in.password or generated or "",
    ))
    audit(session, actor=actor, action="created", obj_type="user", obj_id=str(user.id),
          username=user.username, role=user.role.value, agency=agency_id, unit=unit_id,
          password_generated=generated is not None, **user_in.audited(actor.username))
    session.flush()
    return InitialPassword(user, generated)


OWN_PASSWORD_REFUSED = N_("You cannot reset your own password here: change it on your "
                          "account page, or ask another administrator")
OWN_FACTOR_REFUSED = N_("You cannot remove your own two-step sign-in: ask another administrator")


def _refuse_own_credentials(user: User, actor: User, refusal: str) -> None:
    """An administrator's own password or second factor is reset by another one, who
    checks their identity (their own password is changed on their account page)."""
    if user.id == actor.id:
        raise Conflict(refusal)


def _refuse_self_lockout(user: User, actor: User, *, role: Role | None, active: bool) -> None:
    if user.id != actor.id:
        return
    if not active:
        raise Conflict(N_("You cannot disable your own account: ask another administrator"))
    if role is not None and role != Role.admin:
        raise Conflict(N_("You cannot take away your own admin role: ask another administrator"))


def update_user(session: Session, *, user: User, data: Mapping[str, Any], actor: User) -> User:
    """Change name, role, agency or unit; a role change revokes every feed token."""
    user_in = check(UserUpdateIn, data)
    _refuse_self_lockout(user, actor, role=user_in.role, active=True)
    agency_id, unit_id = _membership(session, user_in)
    assert user.id is not None
    revoked = 0
    if user_in.role != user.role:
        # Revoke before the change, so the audit names the administrator who did it.
        revoked = revoke_all(session, user_id=user.id, actor_id=actor.id, reason="role changed")
    changes = apply(user, {"full_name": (user_in.full_name or "").strip(), "role": user_in.role,
                           "agency_id": agency_id, "unit_id": unit_id})
    session.add(user)
    audit(session, actor=actor, action="updated", obj_type="user", obj_id=str(user.id),
          changes={k: [str(v) if v is not None else None for v in pair]
                   for k, pair in changes.items()},
          feed_tokens_revoked=revoked)
    session.flush()
    return user


def set_user_active(session: Session, *, user: User, active: bool, actor: User) -> User:
    """Enable or disable; disabling ends every session and feed token at once."""
    _refuse_self_lockout(user, actor, role=None, active=active)
    assert user.id is not None
    revoked = 0
    if not active:
        revoked = revoke_all(session, user_id=user.id, actor_id=actor.id, reason="user disabled")
    accounts.set_active(session, user=user, active=active)
    audit(session, actor=actor, action="enabled" if active else "disabled", obj_type="user",
          obj_id=str(user.id), username=user.username, feed_tokens_revoked=revoked)
    session.flush()
    return user


def reset_password(
    session: Session, *, user: User, data: Mapping[str, Any], actor: User
) -> InitialPassword:
    """Set a new initial password, typed or (none typed) generated by the board; the old
    one stops working, and the user's sessions and calendar feed tokens end (a reset is
    what follows a suspected compromise, and a feed URL is a credential of its own). The
    user chooses their own at the next sign-in, before it expires (ASVS 5.0 6.4.1); a
    second factor stays, and is asked for before that (6.4.3). Another administrator's,
    with an identity check of the holder, audited."""
    _refuse_own_credentials(user, actor, OWN_PASSWORD_REFUSED)
    password_in = check(PasswordIn, data)
    typed = password_in.password
    if typed and user.username.lower() in typed.lower():
        raise FieldErrors({"password": later("the password must not contain the username")})
    assert user.id is not None
    generated = None if typed else generate_password(username=user.username)
    accounts.set_initial_password(session, user=user, password=typed or generated or "")
    ended = accounts.end_all_sessions(session, user_id=user.id)
    revoked = revoke_all(session, user_id=user.id, actor_id=actor.id, reason="password reset")
    audit(session, actor=actor, action="password_reset", obj_type="user", obj_id=str(user.id),
          username=user.username, sessions_ended=ended, feed_tokens_revoked=revoked,
          password_generated=generated is not None, **password_in.audited(actor.username))
    session.flush()
    return InitialPassword(user, generated)


def end_sessions(session: Session, *, user: User, actor: User) -> int:
    """End every session of a user at once (a lost laptop, a suspected theft)."""
    assert user.id is not None
    ended = accounts.end_all_sessions(session, user_id=user.id)
    audit(session, actor=actor, action="sessions_ended", obj_type="user", obj_id=str(user.id),
          username=user.username, sessions_ended=ended)
    session.flush()
    return ended


def remove_second_factor(
    session: Session, *, user: User, data: Mapping[str, Any], actor: User
) -> None:
    """Turn off a user's TOTP (a lost phone and no recovery code left): their sessions
    end, and they set it up again after their next sign-in. Another administrator's,
    with an identity check of the holder as for a new account (ASVS 5.0 6.4.4), audited."""
    _refuse_own_credentials(user, actor, OWN_FACTOR_REFUSED)
    identity = check(IdentityCheckIn, data)
    accounts.remove_totp(session, user=user, actor=actor,
                         details=identity.audited(actor.username))

