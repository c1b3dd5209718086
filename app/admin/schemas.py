"""What the admin forms may submit: Create/Update models with the scenario spec's rules.

The shared models in `app.models` keep storage shapes; these add the stricter checks an
administrator's typing needs (HH:MM windows, RFC 3339 availability, clean lists).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator, model_validator
from sqlmodel import SQLModel

from app.accounts.passwords import check_password
from app.i18n import N_, later
from app.models import Role
from app.solver.schema import DailyTime, Instant, format_instant

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
CODE_PATTERN = r"^[A-Z]{2}$"
AGENCY_PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,31}$"
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$"
PATTERN_HINTS = {
    r"^[a-z0-9][a-z0-9_-]{0,63}$": later("use up to 64 lower-case letters, digits, '_' or "
                                         "'-', such as border_patrol"),
    ID_PATTERN: later("use up to 32 letters, digits, '-', '_' or '.'"),
    CODE_PATTERN: later("use a two-letter country code such as TH"),
    AGENCY_PATTERN: later("use up to 32 capital letters, digits or '-', such as TH-RTP"),
    USERNAME_PATTERN: later("use 2 to 64 letters, digits, '.', '_', '-' or '@'"),
}


def check_timezone(name: str) -> str:
    """The name of an IANA zone without daylight saving (version 1 has none)."""
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(later("%(zone)s is not a valid IANA time zone (e.g. Asia/Bangkok)",
                               zone=repr(name))) from None
    offsets = {datetime(2026, month, 1, tzinfo=zone).utcoffset() for month in (1, 4, 7, 10)}
    if len(offsets) > 1:
        raise ValueError(later("%(zone)s has daylight saving time, which the board does not "
                               "support", zone=name))
    return name


def _clean_list(values: list[str]) -> list[str]:
    """Stripped, without blanks or repeats, in the given order."""
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


class DailyWindow(SQLModel):
    """One daily opening in the crossing's local time; never spans midnight."""

    from_: DailyTime = Field(alias="from")
    to: DailyTime

    @model_validator(mode="after")
    def _ordered(self) -> DailyWindow:
        if not self.from_ < self.to:
            raise ValueError(later("from must be before to (%(start)s–%(end)s)",
                                   start=self.from_, end=self.to))
        return self

    def stored(self) -> dict[str, str]:
        return {"from": self.from_, "to": self.to}


class AvailabilityWindow(SQLModel):
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> AvailabilityWindow:
        """A unit's availability window starts before it ends.

        Test: tests/admin/test_units_agencies.py::test_unit_rules"""
        if not self.start < self.end:
            raise ValueError(later("start must be before end (%(start)s – %(end)s)",
                                   start=format_instant(self.start),
                                   end=format_instant(self.end)))
        return self

    def stored(self) -> dict[str, str]:
        return {"start": format_instant(self.start), "end": format_instant(self.end)}


class RegionUpdateIn(SQLModel):
    name: str = Field(min_length=1, max_length=100)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class RegionCreateIn(RegionUpdateIn):
    id: str = Field(pattern=ID_PATTERN)
    country_code: str = Field(pattern=CODE_PATTERN)


class RoadIn(SQLModel):
    a_id: str = Field(min_length=1, max_length=32)
    b_id: str = Field(min_length=1, max_length=32)
    minutes: int = Field(ge=0, le=100_000)

    @model_validator(mode="after")
    def _two_ends(self) -> RoadIn:
        if self.a_id == self.b_id:
            raise ValueError(later("a road joins two different regions"))
        return self


class CrossingUpdateIn(SQLModel):
    name: str = Field(min_length=1, max_length=100)
    transit_minutes: int = Field(ge=1, le=10_000)
    lanes: int = Field(ge=1, le=1_000)
    timezone: str = Field(min_length=1, max_length=64)
    open_windows: list[DailyWindow] | None = None
    # The crossing point for the maps (optional; else half-way between its regions).
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    checkpoint_contact: str = Field(default="", max_length=200)
    checkpoint_phone: str = Field(default="", max_length=64)

    @field_validator("checkpoint_contact", "checkpoint_phone", mode="before")
    @classmethod
    def _optional_text(cls, value: Any) -> Any:
        return _blank(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("lon")
    @classmethod
    def _whole_point(cls, value: float | None, info: ValidationInfo) -> float | None:
        lat_given = info.data.get("lat") is not None
        if value is None and lat_given:
            raise ValueError(later("give the longitude too, or clear the latitude"))
        if value is not None and not lat_given and "lat" in info.data:
            raise ValueError(later("give the latitude too, or clear the longitude"))
        return value

    def stored_windows(self) -> list[dict[str, str]] | None:
        """None (open at every instant) when no window is given."""
        if not self.open_windows:
            return None
        return sorted((w.stored() for w in self.open_windows), key=lambda w: w["from"])


class CrossingCreateIn(CrossingUpdateIn):
    id: str = Field(pattern=ID_PATTERN)
    a_id: str = Field(min_length=1, max_length=32)
    b_id: str = Field(min_length=1, max_length=32)


class AgreementIn(SQLModel):
    from_country: str = Field(pattern=CODE_PATTERN)
    to_country: str = Field(pattern=CODE_PATTERN)

    @model_validator(mode="after")
    def _directional(self) -> AgreementIn:
        if self.from_country == self.to_country:
            raise ValueError(later("an agreement joins two different countries"))
        return self


def _blank(value: Any) -> Any:
    """An optional text left empty on a form arrives as None: store it as ""."""
    return "" if value is None else value.strip() if isinstance(value, str) else value


class CapabilityUpdateIn(SQLModel):
    description: str = Field(default="", max_length=200)

    @field_validator("description", mode="before")
    @classmethod
    def _optional_text(cls, value: Any) -> Any:
        return _blank(value)


class CapabilityCreateIn(CapabilityUpdateIn):
    # As requirements and scenario files write them: lower case, digits, '_' or '-'.
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")


class AgencyUpdateIn(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    duty_officer: str = Field(default="", max_length=200)
    duty_phone: str = Field(default="", max_length=64)
    liaison_name: str = Field(default="", max_length=200)
    liaison_phone: str = Field(default="", max_length=64)

    @field_validator("duty_officer", "duty_phone", "liaison_name", "liaison_phone",
                     mode="before")
    @classmethod
    def _optional_text(cls, value: Any) -> Any:
        return _blank(value)


class AgencyCreateIn(AgencyUpdateIn):
    id: str = Field(pattern=AGENCY_PATTERN)
    country_code: str = Field(pattern=CODE_PATTERN)


class UnitUpdateIn(SQLModel):
    callsign: str = Field(min_length=1, max_length=64)
    capabilities: list[str]  # non-empty once cleaned: see _some_capability
    personnel: int = Field(ge=1, le=100_000)
    base_region_id: str = Field(min_length=1, max_length=32)
    # None: anywhere in its own country; []: nowhere.
    operating_regions: list[str] | None = None
    # None: always available; []: never.
    availability: list[AvailabilityWindow] | None = None

    @field_validator("capabilities", "operating_regions", mode="after")
    @classmethod
    def _clean(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _clean_list(value)

    @field_validator("capabilities", mode="after")
    @classmethod
    def _some_capability(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(later("give at least one capability"))
        if any(len(c) > 64 for c in value):
            raise ValueError(later("a capability has at most 64 characters"))
        return value

    def stored(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"availability"})
        data["availability"] = (
            None if self.availability is None else [w.stored() for w in self.availability]
        )
        return data


class UnitCreateIn(UnitUpdateIn):
    id: str = Field(pattern=ID_PATTERN)
    agency_id: str = Field(min_length=1, max_length=32)


class IdentityMethod(StrEnum):
    """How an administrator made sure the person asking is the account holder (ASVS 5.0
    6.4.3, 6.4.4): one list for opening an account, resetting its password and removing
    its second factor, so a lost password or factor is proven as strongly as the account
    was first issued."""

    in_person = "in_person"
    video_call_with_liaison = "video_call_with_liaison"
    agency_callback = "agency_callback"


IDENTITY_METHODS: dict[IdentityMethod, str] = {
    IdentityMethod.in_person: N_("Seen in person with official police ID"),
    IdentityMethod.video_call_with_liaison: N_(
        "Video call, confirmed by the agency's liaison officer"),
    IdentityMethod.agency_callback: N_("Call-back on the number the agency registered"),
}


class IdentityCheckIn(SQLModel):
    """The identity check an account action needs: the method and what it rests on (the
    ID document's last digits, the confirming liaison officer's name), for the audit."""

    identity_method: IdentityMethod
    identity_reference: str = Field(min_length=4, max_length=200)

    @field_validator("identity_reference", mode="before")
    @classmethod
    def _trimmed(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise ValueError(later("is required"))
        return value

    def audited(self, actor: str) -> dict[str, str]:
        """The audit details of the check: method, reference and the administrator."""
        return {"identity_method": self.identity_method.value,
                "identity_reference": self.identity_reference, "identity_checked_by": actor}


class UserUpdateIn(SQLModel):
    full_name: str | None = Field(default=None, max_length=200)
    role: Role
    agency_id: str | None = Field(default=None, max_length=32)
    unit_id: str | None = Field(default=None, max_length=32)


class UserCreateIn(UserUpdateIn, IdentityCheckIn):
    username: str = Field(pattern=USERNAME_PATTERN)
    # None: the board generates the initial password (shown once to the administrator).
    password: str | None = Field(default=None, max_length=128)

    @field_validator("password")
    @classmethod
    def _password_policy(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return check_password(value, username=str(info.data.get("username") or ""))


class PasswordIn(IdentityCheckIn):
    # None: the board generates the new initial password (shown once).
    password: str | None = Field(default=None, max_length=128)

    @field_validator("password")
    @classmethod
    def _password_policy(cls, value: str | None) -> str | None:
        return None if value is None else check_password(value)
