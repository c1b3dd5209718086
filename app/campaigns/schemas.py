"""Input documents of campaigns and after-action reports (one family each, `...In`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.i18n import later
from app.models import TLP, Metric

NonNegative = Annotated[int, Field(ge=0, le=10_000_000_000)]
CURRENCIES = ("USD", "THB", "CNY", "LAK", "MMK", "KHR", "VND")
DEVICE_UNITS = ("items", "phones", "computers", "SIM cards")
VEHICLE_UNITS = ("vehicles", "boats", "motorcycles")


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metric: Metric
    # A country code ("MM"), a region id ("MM-MYW"), or "" for the whole campaign area.
    scope: str = Field(default="", max_length=32)
    target: int = Field(ge=1, le=10_000_000)


class PhaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int | None = None
    name: str = Field(min_length=1, max_length=120)
    starts_on: date
    ends_on: date
    goals: list[GoalIn] = Field(default_factory=list, max_length=50)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(later("give the phase a name"))
        return value.strip()

    @field_validator("ends_on")
    @classmethod
    def _ordered(cls, value: date, info: ValidationInfo) -> date:
        """A phase does not end before it starts.

        Test: tests/campaigns/test_service.py::test_campaign_validation_names_each_field"""
        # A field check (not a model check) so it shows even when a goal is wrong too.
        starts = info.data.get("starts_on")
        if starts is not None and value < starts:
            raise ValueError(later("the phase ends before it starts"))
        return value


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=5000)
    agencies: list[str] = Field(min_length=1, max_length=50)
    phases: list[PhaseIn] = Field(min_length=1, max_length=20)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(later("give the campaign a name"))
        return value.strip()


class PartIn(BaseModel):
    """One host country's figures: counts are non-negative integers, each with its unit."""

    model_config = ConfigDict(extra="forbid")
    victims_identified: NonNegative = 0
    victims_referred: NonNegative = 0
    fugitives_at_large: NonNegative = 0
    persons_repatriated: NonNegative = 0
    compounds_dismantled: NonNegative = 0
    sites_empty: NonNegative = 0
    sites_forewarned: NonNegative = 0
    cash_seized: NonNegative = 0
    cash_unit: str = "USD"
    devices_seized: NonNegative = 0
    devices_unit: str = "items"
    vehicles_seized: NonNegative = 0
    vehicles_unit: str = "vehicles"
    # Nationality code -> persons detained.
    detained: dict[str, NonNegative] = Field(default_factory=dict)

    @field_validator("cash_unit")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value not in CURRENCIES:
            raise ValueError(f"unknown currency {value!r}; use one of {', '.join(CURRENCIES)}")
        return value

    @field_validator("devices_unit")
    @classmethod
    def _devices(cls, value: str) -> str:
        if value not in DEVICE_UNITS:
            raise ValueError(f"unknown unit {value!r}; use one of {', '.join(DEVICE_UNITS)}")
        return value

    @field_validator("vehicles_unit")
    @classmethod
    def _vehicles(cls, value: str) -> str:
        if value not in VEHICLE_UNITS:
            raise ValueError(f"unknown unit {value!r}; use one of {', '.join(VEHICLE_UNITS)}")
        return value

    @model_validator(mode="after")
    def _referred(self) -> PartIn:
        """A country's part does not refer more victims than it identified.

        Test: tests/campaigns/test_service.py::test_report_figures_validate"""
        if self.victims_referred > self.victims_identified:
            raise ValueError(later("more victims referred than identified"))
        return self


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lessons: str = Field(default="", max_length=10000)
    lessons_tlp: TLP = TLP.AMBER
    # Host country code -> its part.
    parts: dict[str, PartIn] = Field(default_factory=dict)


class PhaseChoice(BaseModel):
    phase_id: int | None = None
