"""Operations, their sites and requirements, and host-nation approvals."""

from datetime import datetime
from enum import StrEnum
from typing import Any, Optional

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Field, Relationship, SQLModel

from app.models.base import UTCDateTime, enum_type, utcnow


class OperationState(StrEnum):
    draft = "draft"
    proposed = "proposed"
    approved = "approved"
    scheduled = "scheduled"
    executing = "executing"
    completed = "completed"
    declined = "declined"
    aborted = "aborted"


class TLP(StrEnum):
    RED = "RED"
    AMBER = "AMBER"
    GREEN = "GREEN"
    CLEAR = "CLEAR"


class ApprovalKind(StrEnum):
    host = "host"
    foreign_support = "foreign_support"


class Decision(StrEnum):
    approved = "approved"
    declined = "declined"


def _fk(target: str, *, cascade: bool = False) -> sa.Column:  # type: ignore[type-arg]
    """A required, indexed string foreign key (sa_column, so ON DELETE can be set)."""
    return sa.Column(
        sa.String(32),
        sa.ForeignKey(target, ondelete="CASCADE" if cascade else None),
        nullable=False,
        index=True,
    )


class OperationBase(SQLModel):
    code_name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=5000)
    lead_agency_id: str = Field(foreign_key="agencies.id", index=True, max_length=32)
    priority: int = Field(ge=1, le=1_000_000)
    earliest_start: datetime = Field(sa_type=UTCDateTime)
    latest_end: datetime = Field(sa_type=UTCDateTime)
    duration_minutes: int = Field(ge=1)
    fixed_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    foreign_support_requested: bool = False
    tlp: TLP = Field(default=TLP.AMBER, sa_type=enum_type(TLP, "tlp"))
    # Who commands on the ground and how the units reach them: a tasked officer's page
    # and tasking order show these (empty: not given).
    commander: str = Field(default="", max_length=200)
    commander_phone: str = Field(default="", max_length=64)
    radio_net: str = Field(default="", max_length=200)


class Operation(OperationBase, table=True):
    __tablename__ = "operations"
    __table_args__ = (
        sa.CheckConstraint("priority > 0", name="priority_positive"),
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
        sa.CheckConstraint("latest_end > earliest_start", name="window_ordered"),
    )
    id: str = Field(primary_key=True, max_length=32)
    state: OperationState = Field(
        default=OperationState.draft,
        sa_type=enum_type(OperationState, "operation_state"),
        index=True,
    )
    # Optimistic concurrency: a form carries the version it was read at; an update
    # with a stale version is a 409 conflict.
    version: int = Field(default=1)
    decline_reason: str | None = Field(default=None, max_length=2000)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    sites: list["Site"] = Relationship(
        back_populates="operation",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "Site.id"},
    )
    # The cordon the operation asks for (docs/cordon-format.md), or None.
    cordon: Optional["OperationCordon"] = Relationship(  # noqa: UP045 (SQLModel needs it)
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "uselist": False,
                                "lazy": "selectin"},
    )


class OperationCreate(OperationBase):
    @model_validator(mode="after")
    def _window_fits(self) -> "OperationCreate":
        span = (self.latest_end - self.earliest_start).total_seconds() / 60
        if span < self.duration_minutes:
            raise ValueError("the window is shorter than the duration")
        return self


class OperationUpdate(SQLModel):
    code_name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=5000)
    priority: int | None = Field(default=None, ge=1, le=1_000_000)
    earliest_start: datetime | None = None
    latest_end: datetime | None = None
    duration_minutes: int | None = Field(default=None, ge=1)
    fixed_start: datetime | None = None
    foreign_support_requested: bool | None = None
    tlp: TLP | None = None
    commander: str | None = Field(default=None, max_length=200)
    commander_phone: str | None = Field(default=None, max_length=64)
    radio_net: str | None = Field(default=None, max_length=200)
    version: int


class OperationPublic(OperationBase):
    id: str
    state: OperationState
    version: int
    decline_reason: str | None
    created_at: datetime
    updated_at: datetime


class SiteBase(SQLModel):
    region_id: str = Field(foreign_key="regions.id", index=True, max_length=32)
    objective: str = Field(default="", max_length=200)
    # NULL keeps "not given" apart from an explicit 0 so scenario export is lossless.
    min_personnel: int | None = Field(default=None, ge=0)
    # Where the site is (WGS 84 degrees), picked on the map or typed; both or neither.
    # Without them the maps place the site at its region. The solver never reads them.
    # No CHECK constraint: on SQLite adding one rebuilds the table, and dropping `sites`
    # with foreign keys on would cascade to its requirements (the forms check instead).
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class Site(SiteBase, table=True):
    __tablename__ = "sites"
    __table_args__ = (
        sa.CheckConstraint("min_personnel IS NULL OR min_personnel >= 0", name="min_personnel"),
    )
    id: str = Field(primary_key=True, max_length=32)
    operation_id: str = Field(sa_column=_fk("operations.id", cascade=True))

    operation: Operation = Relationship(back_populates="sites")
    requirements: list["Requirement"] = Relationship(
        back_populates="site",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "Requirement.id"},
    )


class Capability(SQLModel, table=True):
    """One entry of the managed list of capabilities (administrators keep it).

    Requirements and units keep their capability as a string (the scenario exchange
    format does too); the operation form offers this list and refuses a name not on it.
    """

    __tablename__ = "capabilities"
    name: str = Field(primary_key=True, max_length=64)
    description: str = Field(default="", max_length=200)
    # Rises on every admin save: a save from a form opened before another's is refused.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class RequirementBase(SQLModel):
    capability: str = Field(min_length=1, max_length=64)
    count: int = Field(ge=1, le=1000)


class Requirement(RequirementBase, table=True):
    __tablename__ = "requirements"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "capability"),
        sa.CheckConstraint("count >= 1", name="count_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(sa_column=_fk("sites.id", cascade=True))

    site: Site = Relationship(back_populates="requirements")


class RequirementCreate(RequirementBase):
    pass


class SiteCreate(SiteBase):
    id: str = Field(min_length=1, max_length=32)
    requirements: list[RequirementCreate] = Field(min_length=1)


class SitePublic(SiteBase):
    id: str
    operation_id: str


class Approval(SQLModel, table=True):
    """One country's decision on an operation: host consent or consent to foreign units."""

    __tablename__ = "approvals"
    __table_args__ = (sa.UniqueConstraint("operation_id", "country_code", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    operation_id: str = Field(sa_column=_fk("operations.id", cascade=True))
    country_code: str = Field(foreign_key="countries.code", max_length=2)
    kind: ApprovalKind = Field(sa_type=enum_type(ApprovalKind, "approval_kind"))
    decision: Decision = Field(sa_type=enum_type(Decision, "decision"))
    user_id: int | None = Field(default=None, foreign_key="users.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reason: str | None = Field(default=None, max_length=2000)


class UnitConfirmation(SQLModel, table=True):
    """A host country's confirmation of the actual foreign units a plan sends into its
    sites for one operation (issue 11, "consent with eyes open").

    Host approval comes before planning (sites, headcount, countries); this comes after a
    solve, per (operation, host country) and per unit set: `unit_key`, the sorted unit
    ids, is what publishing matches, so a confirmation of another set never counts.
    `units` keeps what the host was shown (callsign, agency, site, times): publishing
    also matches each unit's site and times in it, so a confirmation of the same units
    sent elsewhere or at another time does not count either. `decision` is None while
    pending.
    """

    __tablename__ = "unit_confirmations"
    id: int | None = Field(default=None, primary_key=True)
    operation_id: str = Field(sa_column=_fk("operations.id", cascade=True))
    country_code: str = Field(foreign_key="countries.code", max_length=2, index=True)
    unit_key: str = Field(max_length=4000)
    units: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    requested_by_id: int | None = Field(default=None, foreign_key="users.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decision: Decision | None = Field(default=None, sa_type=enum_type(Decision, "decision"))
    reason: str | None = Field(default=None, max_length=2000)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OperationCordon(SQLModel, table=True):
    """Crossings an operation seals around its raid (issue 13, docs/cordon-format.md):
    the listed ones (cordon_crossings), or, with `within_km`, every crossing one of whose
    ends is that close to a site; from `lead_minutes` before H-hour to `tail_minutes`
    after the end, each side staffed by `units_per_side` border-control units of its own
    country."""

    __tablename__ = "operation_cordons"
    __table_args__ = (
        sa.CheckConstraint("lead_minutes >= 0", name="lead_nonnegative"),
        sa.CheckConstraint("tail_minutes >= 0", name="tail_nonnegative"),
        sa.CheckConstraint("units_per_side >= 1", name="units_positive"),
        sa.CheckConstraint("within_km IS NULL OR within_km >= 0", name="radius_nonnegative"),
    )
    operation_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("operations.id", ondelete="CASCADE"), primary_key=True))
    within_km: float | None = None
    lead_minutes: int = 0
    tail_minutes: int = 0
    units_per_side: int = 1
    allow_own_passages: bool = False

    crossings: list["CordonCrossing"] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin",
                                "order_by": "CordonCrossing.crossing_id"},
    )


class CordonCrossing(SQLModel, table=True):
    """One crossing a listed cordon seals."""

    __tablename__ = "cordon_crossings"
    operation_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("operation_cordons.operation_id", ondelete="CASCADE"),
        primary_key=True))
    crossing_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("crossings.id"), primary_key=True, index=True))
