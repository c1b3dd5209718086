"""Campaigns: phased goals over many operations, and the after-action reports that count.

A campaign has participating agencies and dated phases; a phase has goals (a metric, a
country or region, a target). An operation belongs to at most one phase (its own link
table, so the operation model and its form stay the other domains' business). After a
completed or aborted operation its lead files a report with one part per host country;
each host country confirms its own part, and only confirmed parts count toward goals.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.i18n import N_
from app.models.base import UTCDateTime, enum_type, utcnow
from app.models.operations import TLP


class Metric(StrEnum):
    compounds_dismantled = "compounds_dismantled"
    persons_repatriated = "persons_repatriated"
    arrests = "arrests"
    victims_identified = "victims_identified"
    victims_referred = "victims_referred"
    operations_completed = "operations_completed"
    devices_seized = "devices_seized"
    vehicles_seized = "vehicles_seized"


# English, translated where shown (`| translated`, `gettext`).
METRIC_LABELS = {
    Metric.compounds_dismantled: N_("scam compounds dismantled"),
    Metric.persons_repatriated: N_("foreign nationals repatriated"),
    Metric.arrests: N_("arrests"),
    Metric.victims_identified: N_("victims of trafficking identified"),
    Metric.victims_referred: N_("victims referred to protection"),
    Metric.operations_completed: N_("operations completed"),
    Metric.devices_seized: N_("devices seized"),
    Metric.vehicles_seized: N_("vehicles seized"),
}


class ReportState(StrEnum):
    draft = "draft"
    submitted = "submitted"
    confirmed = "confirmed"


def _fk(target: str, *, type_: sa.types.TypeEngine = sa.String(32),  # type: ignore[type-arg]
        cascade: bool = True, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(type_, sa.ForeignKey(target, ondelete="CASCADE" if cascade else None),
                     nullable=nullable, index=True)


class Campaign(SQLModel, table=True):
    __tablename__ = "campaigns"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    description: str = Field(default="", max_length=5000)
    version: int = Field(default=1)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CampaignAgency(SQLModel, table=True):
    __tablename__ = "campaign_agencies"
    campaign_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True))
    agency_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("agencies.id"), primary_key=True))


class Phase(SQLModel, table=True):
    __tablename__ = "campaign_phases"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(sa_column=_fk("campaigns.id", type_=sa.Integer()))
    position: int = Field(default=1)
    name: str = Field(max_length=120)
    starts_on: date
    ends_on: date


class Goal(SQLModel, table=True):
    """A target for one metric in a phase, in one country or one region (never both)."""

    __tablename__ = "campaign_goals"
    __table_args__ = (
        sa.CheckConstraint("target >= 1", name="target_positive"),
        sa.CheckConstraint("country_code IS NULL OR region_id IS NULL", name="one_scope"),
    )
    id: int | None = Field(default=None, primary_key=True)
    phase_id: int = Field(sa_column=_fk("campaign_phases.id", type_=sa.Integer()))
    metric: Metric = Field(sa_type=enum_type(Metric, "campaign_metric"))
    country_code: str | None = Field(default=None, foreign_key="countries.code", max_length=2)
    region_id: str | None = Field(default=None, foreign_key="regions.id", max_length=32)
    target: int


class OperationPhase(SQLModel, table=True):
    """The campaign phase an operation belongs to (at most one)."""

    __tablename__ = "operation_phases"
    operation_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("operations.id", ondelete="CASCADE"), primary_key=True))
    phase_id: int = Field(sa_column=_fk("campaign_phases.id", type_=sa.Integer()))


class Nationality(SQLModel, table=True):
    """The managed list of nationalities a detention can be counted under."""

    __tablename__ = "nationalities"
    code: str = Field(primary_key=True, max_length=3)
    name: str = Field(max_length=100)


class Report(SQLModel, table=True):
    """The after-action report of one operation (draft -> submitted -> confirmed)."""

    __tablename__ = "after_action_reports"
    id: int | None = Field(default=None, primary_key=True)
    operation_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("operations.id", ondelete="CASCADE"), nullable=False,
        unique=True))
    state: ReportState = Field(default=ReportState.draft,
                               sa_type=enum_type(ReportState, "report_state"))
    version: int = Field(default=1)
    lessons: str = Field(default="", max_length=10000)
    lessons_tlp: TLP = Field(default=TLP.AMBER, sa_type=enum_type(TLP, "tlp"))
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


FIGURES = ("victims_identified", "victims_referred", "fugitives_at_large", "persons_repatriated",
           "compounds_dismantled", "sites_empty", "sites_forewarned", "cash_seized",
           "devices_seized", "vehicles_seized")


class ReportPart(SQLModel, table=True):
    """One host country's figures of a report; that country confirms it."""

    __tablename__ = "after_action_parts"
    __table_args__ = (
        sa.UniqueConstraint("report_id", "country_code"),
        *(sa.CheckConstraint(f"{name} >= 0", name=f"{name}_nonneg") for name in FIGURES),
    )
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(sa_column=_fk("after_action_reports.id", type_=sa.Integer()))
    country_code: str = Field(foreign_key="countries.code", max_length=2)
    victims_identified: int = 0
    victims_referred: int = 0
    fugitives_at_large: int = 0
    persons_repatriated: int = 0
    compounds_dismantled: int = 0
    sites_empty: int = 0
    sites_forewarned: int = 0
    cash_seized: int = 0
    cash_unit: str = Field(default="USD", max_length=3)
    devices_seized: int = 0
    devices_unit: str = Field(default="items", max_length=16)
    vehicles_seized: int = 0
    vehicles_unit: str = Field(default="vehicles", max_length=16)
    confirmed_by_id: int | None = Field(default=None, foreign_key="users.id")
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Detention(SQLModel, table=True):
    """Persons detained in one report part, counted by nationality (no names)."""

    __tablename__ = "after_action_detentions"
    __table_args__ = (sa.UniqueConstraint("part_id", "nationality_code"),
                      sa.CheckConstraint("count >= 0", name="count_nonneg"))
    id: int | None = Field(default=None, primary_key=True)
    part_id: int = Field(sa_column=_fk("after_action_parts.id", type_=sa.Integer()))
    nationality_code: str = Field(foreign_key="nationalities.code", max_length=3)
    count: int


# --- intelligence notes -------------------------------------------------------------------


class NoteTLP(StrEnum):
    """TLP 2.0 labels (notes carry AMBER+STRICT too, unlike operations)."""

    RED = "RED"
    AMBER_STRICT = "AMBER+STRICT"
    AMBER = "AMBER"
    GREEN = "GREEN"
    CLEAR = "CLEAR"


class TargetKind(StrEnum):
    compound = "compound"
    network = "network"


class ReleaseState(StrEnum):
    requested = "requested"
    approved = "approved"
    withdrawn = "withdrawn"


class Target(SQLModel, table=True):
    """A compound or a network, with where it is, that notes can be attached to."""

    __tablename__ = "intel_targets"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: TargetKind = Field(sa_type=enum_type(TargetKind, "target_kind"))
    region_id: str = Field(foreign_key="regions.id", max_length=32, index=True)
    location: str = Field(default="", max_length=300)
    created_by_agency_id: str = Field(foreign_key="agencies.id", max_length=32)


class IntelNote(SQLModel, table=True):
    """An intelligence note, graded with the Admiralty code, under originator control."""

    __tablename__ = "intel_notes"
    __table_args__ = (
        sa.CheckConstraint("reliability IN ('A','B','C','D','E','F')", name="reliability"),
        sa.CheckConstraint("credibility BETWEEN 1 AND 6", name="credibility"),
        sa.CheckConstraint(
            "(CASE WHEN campaign_id IS NULL THEN 0 ELSE 1 END) + "
            "(CASE WHEN operation_id IS NULL THEN 0 ELSE 1 END) + "
            "(CASE WHEN target_id IS NULL THEN 0 ELSE 1 END) = 1", name="one_subject"),
    )
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    text: str = Field(max_length=20000)
    tlp: NoteTLP = Field(sa_type=enum_type(NoteTLP, "note_tlp"))
    originator_agency_id: str = Field(foreign_key="agencies.id", max_length=32, index=True)
    reliability: str = Field(max_length=1)
    credibility: int
    campaign_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True))
    operation_id: str | None = Field(default=None, sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("operations.id", ondelete="CASCADE"), nullable=True))
    target_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("intel_targets.id", ondelete="CASCADE"), nullable=True))
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NoteRelease(SQLModel, table=True):
    """A note released (or asked to be released) to one more agency."""

    __tablename__ = "intel_releases"
    __table_args__ = (sa.UniqueConstraint("note_id", "agency_id"),)
    id: int | None = Field(default=None, primary_key=True)
    note_id: int = Field(sa_column=_fk("intel_notes.id", type_=sa.Integer()))
    agency_id: str = Field(foreign_key="agencies.id", max_length=32, index=True)
    state: ReleaseState = Field(sa_type=enum_type(ReleaseState, "release_state"))
    requested_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NoteAttachment(SQLModel, table=True):
    """A file attached to a note, kept in the database (bytes checked against an allow-list)."""

    __tablename__ = "intel_attachments"
    id: int | None = Field(default=None, primary_key=True)
    note_id: int = Field(sa_column=_fk("intel_notes.id", type_=sa.Integer()))
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=64)
    size: int
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    uploaded_by_id: int | None = Field(default=None, foreign_key="users.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- mutual support and the capacity gap -------------------------------------------------


class OfferState(StrEnum):
    offered = "offered"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"


class SupportOffer(SQLModel, table=True):
    """Units an agency offers to another country for one campaign phase.

    The receiving country accepts or declines; once accepted, the solves whose operations
    fall in the phase get the agreement that lets those units work there (app/campaigns/
    offers.py). Changes are a compare-and-set on `version`.
    """

    __tablename__ = "support_offers"
    id: int | None = Field(default=None, primary_key=True)
    phase_id: int = Field(sa_column=_fk("campaign_phases.id", type_=sa.Integer()))
    from_agency_id: str = Field(foreign_key="agencies.id", max_length=32, index=True)
    to_country: str = Field(foreign_key="countries.code", max_length=2, index=True)
    unit_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    note: str = Field(default="", max_length=2000)
    state: OfferState = Field(default=OfferState.offered,
                              sa_type=enum_type(OfferState, "offer_state"))
    version: int = Field(default=1)
    decision_reason: str = Field(default="", max_length=2000)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CapacityAnalysis(SQLModel, table=True):
    """A "what would help most" analysis of a campaign: one background solver run (the
    run's status and progress), whose worker stores the ranked hypotheses in `result`."""

    __tablename__ = "capacity_analyses"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(sa_column=_fk("campaigns.id", type_=sa.Integer()))
    solver_run_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("solver_runs.id", ondelete="CASCADE"), nullable=False,
        unique=True))
    result: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
