"""Pydantic models of `jointops-repatriation/1` (the problem) and `-plan/1` (its answer).

Shape, types and ranges only; cross-references and whole-document rules are in
`app.solver.repatriation.load`, which reports every problem at once with its JSON path.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.solver.schema import DailyTime, NonEmptyStr, NonNegativeInt, PositiveInt

PROBLEM_FORMAT = "jointops-repatriation/1"
PLAN_FORMAT = "jointops-repatriation-plan/1"

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
# A horizon of more than a year is not a hand-over plan but a policy; it also bounds the
# model's size (cohorts x points x days variables).
HorizonDays = Annotated[int, Field(strict=True, ge=1, le=366)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Horizon(_Model):
    start: date
    days: HorizonDays


class Place(_Model):
    """A holding site or an escort base (a hand-over point is a place of its own kind)."""

    id: NonEmptyStr
    name: NonEmptyStr


class Road(_Model):
    """Driving time both ways between two places (sites, bases or points)."""

    a: NonEmptyStr
    b: NonEmptyStr
    minutes: NonNegativeInt


class Cohort(_Model):
    id: NonEmptyStr
    nationality: CountryCode
    count: PositiveInt
    site: NonEmptyStr
    release: date
    vulnerable: bool = False


class Screening(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: DailyTime = Field(alias="from")
    to: DailyTime


class ReceivingAgency(_Model):
    country: CountryCode
    name: NonEmptyStr


class Point(_Model):
    """A crossing or an airport where a receiving agency takes persons over."""

    id: NonEmptyStr
    name: NonEmptyStr
    kind: Literal["crossing", "airport"]
    capacity: PositiveInt  # persons a day
    screening: Screening
    handover_minutes: NonNegativeInt = 60
    agencies: list[ReceivingAgency]


class EscortUnit(_Model):
    id: NonEmptyStr
    base: NonEmptyStr
    persons_per_trip: PositiveInt
    vehicle: str | None = None


class Duty(_Model):
    """The escorts' working day: every trip leaves its base at `start` and must be back
    within `minutes`."""

    start: DailyTime = "06:00"
    minutes: PositiveInt = 720


class Pin(_Model):
    """A published batch the planner pinned: the plan must hand over at least `persons`
    of the cohort at the point on the day, on a trip of the escort unit."""

    cohort: NonEmptyStr
    point: NonEmptyStr
    day: date
    persons: PositiveInt
    escort: NonEmptyStr


class Problem(_Model):
    format: Literal["jointops-repatriation/1"]
    name: str = ""
    timezone: NonEmptyStr = "UTC"
    horizon: Horizon
    sites: list[Place]
    bases: list[Place] = []
    points: list[Point]
    roads: list[Road]
    cohorts: list[Cohort]
    escorts: list[EscortUnit]
    duty: Duty = Duty()
    pinned: list[Pin] = []


class Batch(_Model):
    """Part of a cohort handed over at a point on a day and time, under one escort trip."""

    cohort: NonEmptyStr
    point: NonEmptyStr
    day: date
    time: DailyTime
    persons: PositiveInt
    escort: NonEmptyStr


class Tasking(_Model):
    """One escort trip: base -> holding site -> hand-over point -> base, on one day."""

    unit: NonEmptyStr
    day: date
    site: NonEmptyStr
    point: NonEmptyStr
    depart: DailyTime
    handover: DailyTime
    duty_minutes: NonNegativeInt  # from leaving its base to being back there
    route: list[NonEmptyStr]
    persons: PositiveInt


class Left(_Model):
    """Persons of a cohort not handed over within the horizon, and why."""

    cohort: NonEmptyStr
    persons: PositiveInt
    reasons: list[str] = []


class Objective(_Model):
    """Lexicographic, most important first (docs/repatriation-format.md)."""

    vulnerable_left: NonNegativeInt
    persons_left: NonNegativeInt
    vulnerable_person_days: NonNegativeInt
    person_days: NonNegativeInt
    trips: NonNegativeInt


class RepatriationPlan(_Model):
    format: Literal["jointops-repatriation-plan/1"]
    batches: list[Batch]
    taskings: list[Tasking]
    left: list[Left] = []
    objective: Objective | None = None
    solver: dict[str, object] = {}
