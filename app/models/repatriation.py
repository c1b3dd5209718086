"""Repatriation: hand-over points, escort capacities, cohorts, plans, batches and trips.

A cohort is a count of detained persons of one nationality held by one agency at one
place, never a list of people (issue 13, privacy): no table here has a field for names.
A published plan turns into hand-over batches (part of a cohort -> point -> day and time)
and escort trips; the receiving agency confirms each batch once it has taken the persons
over. The solve itself runs as a `solver_runs` row of kind `repatriation`.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, enum_type, utcnow


class PointKind(StrEnum):
    crossing = "crossing"
    airport = "airport"


class CohortSource(StrEnum):
    manual = "manual"
    report = "report"


class BatchState(StrEnum):
    scheduled = "scheduled"
    handed_over = "handed_over"
    # Replaced by a later published plan before it happened.
    cancelled = "cancelled"


class HandoverPoint(SQLModel, table=True):
    """A crossing or an airport where receiving agencies take their nationals over."""

    __tablename__ = "handover_points"
    __table_args__ = (
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("handover_minutes >= 0", name="handover_nonneg"),
        sa.CheckConstraint("screening_to > screening_from", name="screening_ordered"),
    )
    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    kind: PointKind = Field(sa_type=enum_type(PointKind, "point_kind"))
    # Where escorts drive to (the holding side of a crossing, the airport's region).
    region_id: str = Field(foreign_key="regions.id", index=True, max_length=32)
    crossing_id: str | None = Field(default=None, foreign_key="crossings.id", max_length=32)
    capacity: int  # persons a day
    screening_from: str = Field(max_length=5)  # HH:MM, local time of the region's country
    screening_to: str = Field(max_length=5)
    handover_minutes: int = 60
    version: int = Field(default=1)


class PointAgency(SQLModel, table=True):
    """A receiving agency at a point: its country's nationals may be handed over there."""

    __tablename__ = "handover_point_agencies"
    point_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("handover_points.id", ondelete="CASCADE"),
        primary_key=True))
    agency_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("agencies.id"), primary_key=True))


class EscortCapacity(SQLModel, table=True):
    """How many persons a unit with the `escort` capability carries on one trip."""

    __tablename__ = "escort_capacities"
    __table_args__ = (sa.CheckConstraint("persons_per_trip >= 1", name="persons_positive"),)
    unit_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True))
    persons_per_trip: int
    vehicle: str | None = Field(default=None, max_length=64)


class Cohort(SQLModel, table=True):
    """Detained persons of one nationality held by one agency at one place (a count)."""

    __tablename__ = "repatriation_cohorts"
    __table_args__ = (
        sa.CheckConstraint("count >= 1", name="count_positive"),
        # One click on a report makes one cohort per nationality, and only once.
        sa.UniqueConstraint("report_id", "holding_agency_id", "nationality_code"),
    )
    id: int | None = Field(default=None, primary_key=True)
    nationality_code: str = Field(foreign_key="nationalities.code", max_length=3, index=True)
    count: int
    holding_agency_id: str = Field(foreign_key="agencies.id", max_length=32, index=True)
    site_region_id: str = Field(foreign_key="regions.id", max_length=32)
    release_on: date
    vulnerable: bool = False
    source: CohortSource = Field(default=CohortSource.manual,
                                 sa_type=enum_type(CohortSource, "cohort_source"))
    report_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("after_action_reports.id", ondelete="SET NULL"),
        nullable=True))
    version: int = Field(default=1)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RepatriationPlan(SQLModel, table=True):
    """A jointops-repatriation-plan/1 document of one holding country, kept for review
    and, once published, turned into batches and escort trips."""

    __tablename__ = "repatriation_plans"
    # One published plan per holding country.
    __table_args__ = (
        sa.Index("uq_repatriation_plans_published", "holding_country", unique=True,
                 sqlite_where=sa.text("is_published"), postgresql_where=sa.text("is_published")),
    )
    id: int | None = Field(default=None, primary_key=True)
    holding_country: str = Field(foreign_key="countries.code", max_length=2, index=True)
    document: dict[str, Any] = Field(sa_type=sa.JSON)
    solver_run_id: int | None = Field(default=None, foreign_key="solver_runs.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    is_published: bool = False
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by_id: int | None = Field(default=None, foreign_key="users.id")


class HandoverBatch(SQLModel, table=True):
    """Part of a cohort handed over at a point, on a day and time, under one escort trip."""

    __tablename__ = "handover_batches"
    __table_args__ = (sa.CheckConstraint("persons >= 1", name="persons_positive"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("repatriation_plans.id", ondelete="CASCADE"),
        nullable=False, index=True))
    cohort_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("repatriation_cohorts.id", ondelete="CASCADE"),
        nullable=False, index=True))
    point_id: str = Field(foreign_key="handover_points.id", max_length=32, index=True)
    day: date
    time: str = Field(max_length=5)  # HH:MM local
    at: datetime = Field(sa_type=UTCDateTime)  # day and time as an instant
    persons: int
    escort_unit_id: str = Field(foreign_key="units.id", max_length=32)
    state: BatchState = Field(default=BatchState.scheduled,
                              sa_type=enum_type(BatchState, "batch_state"))
    version: int = Field(default=1)
    # Pinned by a planner of the holding country: the next solve keeps it (and a
    # publish carries the pin over to the new plan's copy of it).
    pinned: bool = False
    confirmed_by_id: int | None = Field(default=None, foreign_key="users.id")
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EscortTrip(SQLModel, table=True):
    """One escort trip of a published plan: base -> holding site -> point -> base.

    Like a raid's tasking order it is the unit's calendar event: one row per unit and
    day, `uid` issued once and never regenerated, `sequence` raised on every change of
    time, place, load or status, and a trip a later plan drops is cancelled, not deleted.
    """

    __tablename__ = "escort_trips"
    __table_args__ = (sa.CheckConstraint("persons >= 1", name="persons_positive"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("repatriation_plans.id", ondelete="CASCADE"),
        nullable=False, index=True))
    unit_id: str = Field(foreign_key="units.id", max_length=32, index=True)
    day: date
    site_region_id: str = Field(foreign_key="regions.id", max_length=32)
    point_id: str = Field(foreign_key="handover_points.id", max_length=32)
    depart: str = Field(max_length=5)
    handover: str = Field(max_length=5)
    duty_minutes: int
    route: list[str] = Field(sa_type=sa.JSON)
    persons: int
    cancelled: bool = False
    uid: str = Field(max_length=100, unique=True)
    sequence: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
