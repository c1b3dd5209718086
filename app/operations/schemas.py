"""Input and output models of operations: validation with per-field locations.

Cross-field rules sit in field validators of the later field so that each error carries
the path of the field to fix (`duration_minutes`, `fixed_start`, `sites.0.region_id` ...).
Rules that need the database read the validation context (known agencies); the service
checks site regions itself, as pydantic does not hand the context to nested SQLModels.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationInfo, computed_field, field_validator
from sqlmodel import Field, SQLModel

from app.i18n import later
from app.models import (
    TLP,
    ApprovalKind,
    Decision,
    OperationPublic,
    OperationState,
    OperationUpdate,
    RequirementCreate,
)
from app.models.operations import OperationBase, SiteBase
from app.operations import priority as levels

PRIORITY_LEVEL = ("Priority as a level: 1 Critical (top), 2 High, 3 Medium, 4 Low, 5 Routine. "
                  "Sets `priority` to the level's solver weight (256, 64, 16, 4, 1); give one "
                  "of the two, or both agreeing.")


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError(later("give the time with a UTC offset, e.g. 2026-12-02T03:00Z"))
    return value


class SiteIn(SiteBase):
    """A site as entered: existing sites keep their id, new ones get one on save."""

    id: str | None = Field(default=None, max_length=32)
    requirements: list[RequirementCreate] = Field(min_length=1)

    @field_validator("requirements")
    @classmethod
    def _capabilities_once(cls, value: list[RequirementCreate]) -> list[RequirementCreate]:
        seen: set[str] = set()
        for requirement in value:
            if requirement.capability in seen:
                raise ValueError(later("capability %(name)s is repeated in this site",
                                       name=repr(requirement.capability)))
            seen.add(requirement.capability)
        return value


class CordonIn(SQLModel):
    """The cordon an operation asks for (docs/cordon-format.md): the crossings to seal, or
    every crossing within `within_km` of a site; the seal runs from `lead_minutes` before
    H-hour to `tail_minutes` after the end, with `units_per_side` border-control units of
    each side's own country."""

    crossings: list[str] | None = Field(
        default=None, description="crossing ids to seal (or give within_km)")
    within_km: float | None = Field(
        default=None, ge=0, le=20_000,
        description="instead of crossings: every crossing within this many km of a site")
    lead_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    tail_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    units_per_side: int = Field(default=1, ge=1, le=20)
    allow_own_passages: bool = False

    @field_validator("crossings")
    @classmethod
    def _crossings_once(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return None
        if len(value) != len(set(value)):
            raise ValueError(later("a crossing is listed twice"))
        return sorted(value)

    @field_validator("within_km")
    @classmethod
    def _one_of(cls, value: float | None, info: ValidationInfo) -> float | None:
        """A cordon names its crossings or gives a radius in km: one of the two, not both.

        Test: tests/operations/test_cordon.py::test_api_errors_name_the_cordon_field"""
        crossings = info.data.get("crossings")
        if value is None and not crossings:
            raise ValueError(later("choose the crossings to seal, or give a radius in km"))
        if value is not None and crossings:
            raise ValueError(later("give either the crossings or a radius, not both"))
        return value


class OperationIn(OperationBase):
    """A whole operation as created or edited (the Create model of the workflow)."""

    sites: list[SiteIn] = Field(min_length=1)
    cordon: CordonIn | None = None

    @field_validator("earliest_start", "latest_end", "fixed_start")
    @classmethod
    def _with_offset(cls, value: datetime | None) -> datetime | None:
        return _aware(value)

    @field_validator("lead_agency_id")
    @classmethod
    def _known_agency(cls, value: str, info: ValidationInfo) -> str:
        """The lead agency is one the board knows (the service passes the agencies in
        the validation context).

        Test: tests/operations/test_service.py::test_validation_errors_name_the_field"""
        agencies = (info.context or {}).get("agencies")
        if agencies is not None and value not in agencies:
            raise ValueError(later("unknown agency %(agency)s", agency=repr(value)))
        return value

    @field_validator("latest_end")
    @classmethod
    def _after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        """The latest end is after the earliest start.

        Test: tests/operations/test_service.py::test_validation_errors_name_the_field"""
        start = info.data.get("earliest_start")
        if start is not None and value.tzinfo and value <= start:
            raise ValueError(later("the latest end must be after the earliest start"))
        return value

    @field_validator("duration_minutes")
    @classmethod
    def _fits_window(cls, value: int, info: ValidationInfo) -> int:
        """The duration fits between the earliest start and the latest end.

        Test: tests/operations/test_service.py::test_validation_errors_name_the_field"""
        start, end = info.data.get("earliest_start"), info.data.get("latest_end")
        if start is not None and end is not None and (end - start).total_seconds() < value * 60:
            raise ValueError(later(
                "the window (earliest start to latest end) is shorter than this"))
        return value

    @field_validator("fixed_start")
    @classmethod
    def _inside_window(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        """A fixed start is not before the earliest start, and the fixed start plus the
        duration is not after the latest end.

        Test: tests/operations/test_service.py::test_validation_errors_name_the_field"""
        start, end = info.data.get("earliest_start"), info.data.get("latest_end")
        minutes = info.data.get("duration_minutes")
        if value is None or start is None or end is None or minutes is None:
            return value
        if value < start or (end - value).total_seconds() < minutes * 60:
            raise ValueError(later(
                "the fixed start leaves the window (start + duration must fit)"))
        return value

    @field_validator("sites")
    @classmethod
    def _site_ids_once(cls, value: list[SiteIn]) -> list[SiteIn]:
        ids = [site.id for site in value if site.id]
        if len(ids) != len(set(ids)):
            raise ValueError(later("a site id is repeated"))
        return value


class OperationCreateIn(OperationIn):
    """API create body: the lead agency defaults to the caller's own."""

    lead_agency_id: str | None = Field(default=None, max_length=32)  # type: ignore[assignment]
    # The solver weight, as before the levels (kept for existing clients) ...
    priority: int | None = Field(  # type: ignore[assignment]
        default=None, ge=1, le=1_000_000,
        description="The solver weight (the sum over scheduled operations is maximised); "
                    "or give priority_level")
    # ... or the level officers use.
    priority_level: int | None = Field(default=None, ge=1, le=5, description=PRIORITY_LEVEL)


class OperationPatch(OperationUpdate):
    """A partial change (API PATCH); `version` is the one the caller read."""

    sites: list[SiteIn] | None = None
    # Absent: the cordon stays as it is; null: the operation has no cordon any more.
    cordon: CordonIn | None = None
    priority_level: int | None = Field(default=None, ge=1, le=5, description=PRIORITY_LEVEL)
    # A change to what was approved cancels the published orders and restarts approvals;
    # without this the edit is refused (409) with the list of what it would cancel.
    confirm_cancel: bool = False


class RequirementOut(SQLModel):
    capability: str
    count: int


class SiteOut(SQLModel):
    id: str
    region_id: str
    country_code: str
    objective: str
    min_personnel: int | None
    lat: float | None = None
    lon: float | None = None
    requirements: list[RequirementOut]


class ApprovalOut(SQLModel):
    country_code: str
    kind: ApprovalKind
    decision: Decision | None
    by: str | None = None
    at: datetime | None = None
    reason: str | None = None


class OperationOut(OperationPublic):
    """An operation with its sites and the approval state per host country."""

    host_countries: list[str]
    sites: list[SiteOut]
    approvals: list[ApprovalOut]
    cordon: CordonIn | None = None

    @computed_field(description="The level `priority` reaches: 1 Critical (top) to 5 Routine")
    def priority_level(self) -> int:
        return levels.level_of(self.priority).number

    @computed_field(description="The level's name: Critical, High, Medium, Low, Routine")
    def priority_name(self) -> str:
        return levels.level_of(self.priority).name


class OperationSummary(SQLModel):
    id: str
    code_name: str
    state: OperationState
    lead_agency_id: str
    priority: int
    tlp: TLP
    earliest_start: datetime
    latest_end: datetime
    version: int
    host_countries: list[str]

    @computed_field(description="The level `priority` reaches: 1 Critical (top) to 5 Routine")
    def priority_level(self) -> int:
        return levels.level_of(self.priority).number

    @computed_field(description="The level's name: Critical, High, Medium, Low, Routine")
    def priority_name(self) -> str:
        return levels.level_of(self.priority).name


def apply_priority_level(doc: dict[str, object], level: int | None) -> None:
    """Set the document's `priority` weight from a level (API bodies), or say what clashes."""
    if level is None:
        return
    from app.operations.service import InvalidOperation

    weight = levels.weight_of(level)
    given = doc.get("priority")
    if given is not None and given != weight:
        raise InvalidOperation(
            {"priority_level": f"level {level} is weight {weight}, but priority is {given}: "
                               "give one of the two"})
    doc["priority"] = weight


class DecisionIn(SQLModel):
    """A host country's decision on one kind of approval."""

    country_code: str | None = Field(default=None, max_length=2)
    kind: ApprovalKind = ApprovalKind.host
    decision: Decision
    reason: str | None = Field(default=None, max_length=2000)
    # Required: a decision is on the content the approver read, not on whatever is there.
    version: int = Field(description="the operation's version the decision is on")


class StepIn(SQLModel):
    """A workflow step: the version read (required), and a reason where the step wants one."""

    version: int = Field(description="the operation's version the step acts on")
    reason: str | None = Field(default=None, max_length=2000)


class PendingOut(SQLModel):
    """A decision waiting for the caller's country."""

    operation_id: str
    code_name: str
    version: int
    country_code: str
    kind: ApprovalKind
