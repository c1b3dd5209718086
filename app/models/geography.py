"""Countries, regions, roads, border crossings and deployment agreements."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class CountryBase(SQLModel):
    name: str = Field(min_length=1, max_length=100)
    timezone: str = Field(min_length=1, max_length=64)


class Country(CountryBase, table=True):
    __tablename__ = "countries"
    code: str = Field(primary_key=True, max_length=2)


class CountryCreate(CountryBase):
    code: str = Field(regex=r"^[A-Z]{2}$")


class CountryUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)


class CountryPublic(CountryBase):
    code: str


class RegionBase(SQLModel):
    name: str = Field(min_length=1, max_length=100)
    country_code: str = Field(foreign_key="countries.code", index=True, max_length=2)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Region(RegionBase, table=True):
    __tablename__ = "regions"
    id: str = Field(primary_key=True, max_length=32)
    # Rises on every admin save: a save from a form opened before another's is refused.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class RegionCreate(RegionBase):
    id: str = Field(min_length=1, max_length=32)


class RegionUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class RegionPublic(RegionBase):
    id: str


class Road(SQLModel, table=True):
    """An undirected road link between two regions of one country."""

    __tablename__ = "roads"
    __table_args__ = (sa.CheckConstraint("minutes >= 0", name="minutes_nonnegative"),)
    id: int | None = Field(default=None, primary_key=True)
    a_id: str = Field(foreign_key="regions.id", index=True, max_length=32)
    b_id: str = Field(foreign_key="regions.id", index=True, max_length=32)
    minutes: int


class CrossingBase(SQLModel):
    name: str = Field(min_length=1, max_length=100)
    a_id: str = Field(foreign_key="regions.id", max_length=32)
    b_id: str = Field(foreign_key="regions.id", max_length=32)
    transit_minutes: int = Field(ge=1)
    lanes: int = Field(ge=1)
    timezone: str = Field(min_length=1, max_length=64)
    # Daily windows [{"from": "06:30", "to": "21:00"}] in the crossing's local time;
    # NULL or [] means open at every instant.
    open_windows: list[dict[str, str]] | None = Field(default=None, sa_type=sa.JSON)
    # Where the crossing point is (WGS 84 degrees), for the maps only; both or neither.
    # Without them the maps put it half-way between the regions it joins.
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    # Who to call at the checkpoint before a unit passes (empty: not given).
    checkpoint_contact: str = Field(default="", max_length=200)
    checkpoint_phone: str = Field(default="", max_length=64)

    @field_validator("open_windows")
    @classmethod
    def _windows_ordered(cls, value: Any) -> Any:
        for window in value or []:
            if not window.get("from", "") < window.get("to", ""):
                raise ValueError("each window needs from < to (HH:MM)")
        return value


class Crossing(CrossingBase, table=True):
    __tablename__ = "crossings"
    __table_args__ = (
        sa.CheckConstraint("transit_minutes >= 1", name="transit_positive"),
        sa.CheckConstraint("lanes >= 1", name="lanes_positive"),
        sa.CheckConstraint("a_id <> b_id", name="distinct_ends"),
    )
    id: str = Field(primary_key=True, max_length=32)
    # Rises on every admin save: a save from a form opened before another's is refused.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class CrossingClosure(SQLModel, table=True):
    """A crossing closed on whole local days, `starts_on` to `ends_on` inclusive, in the
    crossing's own time zone (a holiday, works, a security closure). The planning scenario
    takes these hours out of the crossing's open hours (app/planning/closures.py)."""

    __tablename__ = "crossing_closures"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="ordered"),)
    id: int | None = Field(default=None, primary_key=True)
    crossing_id: str = Field(sa_column=sa.Column(
        sa.String(32), sa.ForeignKey("crossings.id", ondelete="CASCADE"), nullable=False,
        index=True))
    starts_on: date
    ends_on: date
    reason: str = Field(min_length=1, max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CrossingCreate(CrossingBase):
    id: str = Field(min_length=1, max_length=32)


class CrossingUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    transit_minutes: int | None = Field(default=None, ge=1)
    lanes: int | None = Field(default=None, ge=1)
    open_windows: list[dict[str, str]] | None = None


class CrossingPublic(CrossingBase):
    id: str


class Agreement(SQLModel, table=True):
    """Units of `from_country` may be deployed into `to_country` (directional)."""

    __tablename__ = "agreements"
    __table_args__ = (sa.CheckConstraint("from_country <> to_country", name="distinct"),)
    from_country: str = Field(foreign_key="countries.code", primary_key=True, max_length=2)
    to_country: str = Field(foreign_key="countries.code", primary_key=True, max_length=2)
