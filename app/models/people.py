"""Agencies, their units, user accounts, server-side sessions and feed tokens."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, enum_type, utcnow


class Role(StrEnum):
    admin = "admin"
    planner = "planner"
    # The joint coordination centre (Lancang-Mekong law-enforcement centre): plans the
    # whole board and sees every operation; an agency planner sees its agency's part.
    coordinator = "coordinator"
    liaison = "liaison"
    unit_officer = "unit_officer"


class AgencyBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    country_code: str = Field(foreign_key="countries.code", index=True, max_length=2)
    # Contacts a tasked unit needs in the field (empty: not given): the agency's duty
    # officer (24 h) and its liaison officer for operations in its country.
    duty_officer: str = Field(default="", max_length=200)
    duty_phone: str = Field(default="", max_length=64)
    liaison_name: str = Field(default="", max_length=200)
    liaison_phone: str = Field(default="", max_length=64)


class Agency(AgencyBase, table=True):
    __tablename__ = "agencies"
    id: str = Field(primary_key=True, max_length=32)
    # Rises on every admin save: a save from a form opened before another's is refused.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class AgencyCreate(AgencyBase):
    id: str = Field(regex=r"^[A-Z0-9][A-Z0-9-]{0,31}$")


class AgencyUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    duty_officer: str | None = Field(default=None, max_length=200)
    duty_phone: str | None = Field(default=None, max_length=64)
    liaison_name: str | None = Field(default=None, max_length=200)
    liaison_phone: str | None = Field(default=None, max_length=64)


class AgencyPublic(AgencyBase):
    id: str


class UnitBase(SQLModel):
    agency_id: str = Field(foreign_key="agencies.id", index=True, max_length=32)
    callsign: str = Field(min_length=1, max_length=64)
    capabilities: list[str] = Field(min_length=1, sa_type=sa.JSON)
    personnel: int = Field(ge=1)
    base_region_id: str = Field(foreign_key="regions.id", index=True, max_length=32)
    # NULL: anywhere in its own country; []: nowhere.
    operating_regions: list[str] | None = Field(default=None, sa_type=sa.JSON)
    # [{"start": RFC 3339, "end": RFC 3339}]; NULL: always available; []: never.
    availability: list[dict[str, Any]] | None = Field(default=None, sa_type=sa.JSON)


class Unit(UnitBase, table=True):
    __tablename__ = "units"
    __table_args__ = (sa.CheckConstraint("personnel >= 1", name="personnel_positive"),)
    id: str = Field(primary_key=True, max_length=32)
    # Rises on every admin save: a save from a form opened before another's is refused.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class UnitCreate(UnitBase):
    id: str = Field(min_length=1, max_length=32)


class UnitUpdate(SQLModel):
    callsign: str | None = Field(default=None, min_length=1, max_length=64)
    capabilities: list[str] | None = Field(default=None, min_length=1)
    personnel: int | None = Field(default=None, ge=1)
    base_region_id: str | None = None
    operating_regions: list[str] | None = None
    availability: list[dict[str, Any]] | None = None


class UnitPublic(UnitBase):
    id: str


class UserBase(SQLModel):
    username: str = Field(min_length=2, max_length=64, unique=True, index=True)
    email: str | None = Field(default=None, max_length=254, unique=True)
    full_name: str = Field(default="", max_length=200)
    role: Role = Field(sa_type=enum_type(Role, "role"))
    agency_id: str | None = Field(default=None, foreign_key="agencies.id", max_length=32)
    unit_id: str | None = Field(default=None, foreign_key="units.id", max_length=32)
    is_active: bool = True


class User(UserBase, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    # Rises on every admin save: a save from a form opened before another's is refused.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # TOTP second factor (RFC 6238): the base32 secret once enrolment is confirmed, and
    # the last 30-second step accepted, so one code cannot be replayed.
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_last_step: int | None = Field(default=None, sa_type=sa.BigInteger)
    # The HMAC hash of that enrolment, a key of app.accounts.totp.ALGORITHMS: "sha256"
    # (new enrolments, unless JOINTOPS_TOTP_ALGORITHM says SHA1) or "sha1" (enrolments
    # made before, verified with it until the user enrols again). None without a secret.
    totp_algorithm: str | None = Field(default=None, max_length=8)
    # The language the board speaks to this user (a code of app.i18n.LANGUAGES), restored
    # into the language cookie at each sign-in. None until the user chooses one: the
    # device's choice on the sign-in page, or the browser's languages, then hold.
    language: str | None = Field(default=None, max_length=8)
    # An initial password an administrator set (typed or generated by the board) works
    # for one sign-in only: the user must choose their own before anything else, and it
    # is refused after `initial_password_expires_at` (ASVS 5.0 6.4.1).
    password_must_change: bool = Field(default=False,
                                       sa_column_kwargs={"server_default": sa.false()})
    initial_password_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserCreate(UserBase):
    password: str = Field(max_length=128)

    @model_validator(mode="after")
    def _password_policy(self) -> "UserCreate":
        from app.accounts.passwords import check_password

        check_password(self.password, username=self.username)
        return self


class UserUpdate(SQLModel):
    email: str | None = Field(default=None, max_length=254)
    full_name: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    agency_id: str | None = None
    unit_id: str | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=12, max_length=128)


class UserPublic(UserBase):
    id: int


class UserSession(SQLModel, table=True):
    """A server-side login session; the cookie holds a token whose SHA-256 is the id."""

    __tablename__ = "user_sessions"
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    csrf_token: str = Field(max_length=64)
    # For the idle timeout and the user's list of sessions ("where am I signed in?").
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_agent: str = Field(default="", max_length=255)
    address: str = Field(default="", max_length=64)


class RecoveryCode(SQLModel, table=True):
    """A one-time code that stands in for the TOTP code once; only its hash is stored."""

    __tablename__ = "recovery_codes"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInCounter(SQLModel, table=True):
    """Failed sign-ins per throttle key ("pair:<user>|<address>", "addr:<address>", ...)
    in the current window; raised by one atomic UPSERT, so parallel attempts all count."""

    __tablename__ = "sign_in_counters"
    key: str = Field(primary_key=True, max_length=200)
    window_start: datetime = Field(sa_type=UTCDateTime)
    failures: int = Field(default=0)


class FeedToken(SQLModel, table=True):
    """A calendar feed secret per user and device; only its hash is stored."""

    __tablename__ = "feed_tokens"
    # One live token per user and device label, held by the database too: two quick
    # submits of the same form must not both get through the service's check.
    __table_args__ = (
        sa.Index(
            "uq_feed_tokens_live_label",
            "user_id",
            "label",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    label: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
