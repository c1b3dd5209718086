"""Pydantic models of the exchange formats `jointops-scenario/1` and `jointops-plan/1`.

These models check shape, types and ranges only. The cross-references and the other
whole-document rules of the spec live in `app.solver.loader`, which reports every
problem at once with its JSON path.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from app.i18n import later

SCENARIO_FORMAT = "jointops-scenario/1"
PLAN_FORMAT = "jointops-plan/1"

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
    # An offset's hours are 00-23 and its minutes 00-59 (RFC 3339 time-numoffset).
    r"([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$"
)
_DAILY_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def parse_instant(value: Any) -> datetime:
    """Parse an RFC 3339 instant with an explicit offset; reject anything looser."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(later("time must carry an offset (Z or ±HH:MM)"))
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(later(
            "%(value)s is not an RFC 3339 instant like 2026-12-01T07:00:00+07:00",
            value=repr(value)))
    text = value.replace("z", "Z").replace("t", "T")
    fraction = _RFC3339.match(value).group(7)  # type: ignore[union-attr]
    if fraction and len(fraction) > 7:
        # Python keeps microseconds; a longer fraction is cut to them (sub-microsecond
        # instants do not occur in planning data).
        text = text.replace(fraction, fraction[:7])
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        # Every instant must have a UTC equivalent (0001-01-01T00:00+01:00 has none).
        parsed.astimezone(UTC)
    except ValueError as exc:
        raise ValueError(later("%(value)s is not a valid date and time: %(problem)s",
                               value=repr(value), problem=str(exc))) from None
    except OverflowError:
        raise ValueError(later("%(value)s is outside the representable range of instants",
                               value=repr(value))) from None
    return parsed


def format_instant(value: datetime) -> str:
    """Format an instant in UTC with a Z suffix (seconds, microseconds when present)."""
    from datetime import UTC

    utc = value.astimezone(UTC)
    text = utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds")
    return text.replace("+00:00", "Z")


Instant = Annotated[
    datetime,
    BeforeValidator(parse_instant),
    PlainSerializer(format_instant, return_type=str),
]


def _check_daily_time(value: Any) -> str:
    if not isinstance(value, str) or not _DAILY_TIME.match(value):
        raise ValueError(later("%(value)s is not a daily time HH:MM between 00:00 and 24:00",
                               value=repr(value)))
    return value


DailyTime = Annotated[str, BeforeValidator(_check_daily_time)]

# The spec sets no upper bound, but CP-SAT works in 64-bit integers: a priority of 10**19
# crashed it, and sums and products of larger values overflow. A billion is far beyond
# any real count, weight or number of minutes, and is refused with a clear message.
LARGEST_INT = 10**9
PositiveInt = Annotated[int, Field(strict=True, ge=1, le=LARGEST_INT)]
NonNegativeInt = Annotated[int, Field(strict=True, ge=0, le=LARGEST_INT)]
NonEmptyStr = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Horizon(_Model):
    start: Instant
    end: Instant


class Country(_Model):
    code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    name: NonEmptyStr
    timezone: NonEmptyStr


Latitude = Annotated[float, Field(strict=True, ge=-90, le=90)]
Longitude = Annotated[float, Field(strict=True, ge=-180, le=180)]


class Region(_Model):
    id: NonEmptyStr
    name: NonEmptyStr
    country: NonEmptyStr
    lat: Latitude
    lon: Longitude


class _OptionalPoint(_Model):
    """Where a site or crossing lies, for maps only (docs/points-format.md): an optional
    extension of version 1 that no rule of a valid plan reads. Both or neither."""

    lat: Latitude | None = None
    lon: Longitude | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> _OptionalPoint:
        if (self.lat is None) != (self.lon is None):
            raise ValueError(later("give both lat and lon, or neither"))
        return self


class Road(_Model):
    a: NonEmptyStr
    b: NonEmptyStr
    minutes: NonNegativeInt


class DailyWindow(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: DailyTime = Field(alias="from")
    to: DailyTime


class TimeWindow(_Model):
    start: Instant
    end: Instant


class Crossing(_OptionalPoint):
    id: NonEmptyStr
    name: NonEmptyStr
    a: NonEmptyStr
    b: NonEmptyStr
    transit_minutes: PositiveInt
    lanes: PositiveInt
    timezone: NonEmptyStr
    open: list[DailyWindow] | None = None
    # Dated closures (an optional extension of version 1, docs/closures-format.md): no
    # passage may overlap them, whatever the daily hours say.
    closed: list[TimeWindow] | None = None


class Agreement(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: NonEmptyStr = Field(alias="from")
    to: NonEmptyStr


class Agency(_Model):
    id: NonEmptyStr
    name: NonEmptyStr
    country: NonEmptyStr


class Unit(_Model):
    id: NonEmptyStr
    agency: NonEmptyStr
    callsign: NonEmptyStr
    capabilities: Annotated[list[NonEmptyStr], Field(min_length=1)]
    personnel: PositiveInt
    base: NonEmptyStr
    operating_regions: list[NonEmptyStr] | None = None
    available: list[TimeWindow] | None = None


class Requirement(_Model):
    capability: NonEmptyStr
    count: PositiveInt


class Site(_OptionalPoint):
    id: NonEmptyStr
    region: NonEmptyStr
    requirements: Annotated[list[Requirement], Field(min_length=1)]
    min_personnel: NonNegativeInt | None = None

    @property
    def required_personnel(self) -> int:
        return self.min_personnel or 0


class Cordon(_Model):
    """Crossings to seal around an operation (an optional extension of version 1,
    docs/cordon-format.md): listed, or every crossing within `within_km` of a site."""

    crossings: list[NonEmptyStr] | None = None
    within_km: Annotated[float, Field(ge=0, le=20_000)] | None = None
    lead_minutes: NonNegativeInt
    tail_minutes: NonNegativeInt
    units_per_side: PositiveInt
    allow_own_passages: Annotated[bool, Field(strict=True)] = False


class Operation(_Model):
    id: NonEmptyStr
    name: NonEmptyStr
    lead_agency: NonEmptyStr
    priority: PositiveInt
    earliest_start: Instant
    latest_end: Instant
    duration_minutes: PositiveInt
    foreign_support: Annotated[bool, Field(strict=True)]
    fixed_start: Instant | None = None
    sites: Annotated[list[Site], Field(min_length=1)]
    cordon: Cordon | None = None


class Scenario(_Model):
    """A whole planning problem. Use `app.solver.loader.load_scenario` to build one."""

    format: Literal["jointops-scenario/1"]
    name: str
    horizon: Horizon
    slot_minutes: PositiveInt
    countries: list[Country]
    regions: list[Region]
    roads: list[Road]
    crossings: list[Crossing]
    agreements: list[Agreement]
    agencies: list[Agency]
    units: list[Unit]
    operations: list[Operation]


class Assignment(_Model):
    site: NonEmptyStr
    unit: NonEmptyStr
    capability: NonEmptyStr
    depart: Instant
    return_: Instant = Field(alias="return")
    crossing: str | None = None
    cross_out: Instant | None = None
    cross_back: Instant | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CordonPost(_Model):
    """One border-control unit at one side of a sealed crossing (cordon extension).

    `side` is `a` or `b` of the crossing; the unit is at the post from `start` to `end`
    (the seal), and busy from `depart` to `return` (the drive from its base and back).
    """

    crossing: NonEmptyStr
    side: Literal["a", "b"]
    unit: NonEmptyStr
    depart: Instant
    start: Instant
    end: Instant
    return_: Instant = Field(alias="return")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ScheduledOperation(_Model):
    id: NonEmptyStr
    start: Instant
    assignments: list[Assignment]
    cordon: list[CordonPost] | None = None


class ReasonPart(_Model):
    """A piece of a reason. `operations`: the other operations it tells about; a reader
    who may not see one of them reads `hidden` instead (app.planning.visibility)."""

    text: str
    operations: list[str] = Field(default_factory=list)
    hidden: str = ""


class Reason(str):
    """A reason's text that also carries its parts: the diagnosis returns these where a
    reason names other operations, and Unscheduled keeps the parts as `details`."""

    parts: tuple[ReasonPart, ...]

    def __new__(cls, parts: list[ReasonPart]) -> Reason:
        reason = super().__new__(cls, "".join(part.text for part in parts))
        reason.parts = tuple(parts)
        return reason


class Unscheduled(_Model):
    id: NonEmptyStr
    reasons: list[str]
    # The reasons as parts (one list per reason), when one of them names other
    # operations: the board shows each planner only what they may see of them.
    details: list[list[ReasonPart]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _details_of_reasons(cls, data: Any) -> Any:
        """Keep the parts of Reason values (before they are validated into plain str)."""
        if not isinstance(data, dict) or data.get("details") is not None:
            return data
        reasons = data.get("reasons")
        if not isinstance(reasons, list) or not any(isinstance(r, Reason) for r in reasons):
            return data
        details = [list(r.parts) if isinstance(r, Reason) else [ReasonPart(text=str(r))]
                   for r in reasons]
        return {**data, "details": details}


class Objective(_Model):
    priority: int
    travel_minutes: int


class SolverInfo(BaseModel):
    """Informational; free-form beyond the documented keys (seed, workers, versions)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    status: str
    wall_seconds: float | None = None
    priority_bound: int | None = None


class Plan(_Model):
    format: Literal["jointops-plan/1"]
    scenario: str | None = None
    operations: list[ScheduledOperation]
    unscheduled: list[Unscheduled]
    objective: Objective | None = None
    solver: SolverInfo | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data, with the spec's key names (`from`, `return`)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
