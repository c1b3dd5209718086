"""Cordons (an extension of `jointops-scenario/1`, docs/cordon-format.md): what a cordon
seals, when, and who may staff its posts.

Shared by the model, the greedy, the validator and the diagnosis, so that all of them
read a cordon the same way. Pure: no solver, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import asin, cos, radians, sin, sqrt

from app.solver.schema import Crossing, Operation, Region, Scenario, Unit

# The capability a unit needs to staff a post: the sample generator's and the published
# samples' name for border-control units.
CORDON_CAPABILITY = "border_patrol"
SIDES = ("a", "b")
EARTH_RADIUS_KM = 6371.0


def distance_km(one: Region, other: Region) -> float:
    """Great-circle distance between two regions' reference points (haversine)."""
    lat1, lon1, lat2, lon2 = map(radians, (one.lat, one.lon, other.lat, other.lon))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))


def sealed_crossings(scenario: Scenario, operation: Operation) -> list[str]:
    """The crossing ids the operation's cordon seals, in the scenario's crossing order.

    `within_km`: a crossing is near a site when one of its two ends (regions) is within
    that many kilometres of the site's region.
    """
    cordon = operation.cordon
    if cordon is None:
        return []
    if cordon.crossings is not None:
        wanted = set(cordon.crossings)
        return [c.id for c in scenario.crossings if c.id in wanted]
    radius = cordon.within_km or 0.0
    regions = {r.id: r for r in scenario.regions}
    site_regions = [regions[s.region] for s in operation.sites if s.region in regions]
    near = []
    for crossing in scenario.crossings:
        ends = [regions[end] for end in (crossing.a, crossing.b) if end in regions]
        if any(distance_km(end, site) <= radius for end in ends for site in site_regions):
            near.append(crossing.id)
    return near


def side_region(crossing: Crossing, side: str) -> str:
    """The region at one side (`a` or `b`) of the crossing."""
    return crossing.a if side == "a" else crossing.b


@dataclass(frozen=True)
class PostNeed:
    """One side of one sealed crossing: `count` border-control units of `country`."""

    operation: str
    crossing: str
    side: str
    region: str
    country: str
    count: int


def post_needs(scenario: Scenario, operation: Operation) -> list[PostNeed]:
    """Every post the operation's cordon must staff (empty without a cordon)."""
    if operation.cordon is None:
        return []
    crossings = {c.id: c for c in scenario.crossings}
    region_country = {r.id: r.country for r in scenario.regions}
    needs = []
    for crossing_id in sealed_crossings(scenario, operation):
        crossing = crossings[crossing_id]
        for side in SIDES:
            region = side_region(crossing, side)
            needs.append(
                PostNeed(
                    operation.id,
                    crossing_id,
                    side,
                    region,
                    region_country[region],
                    operation.cordon.units_per_side,
                )
            )
    return needs


def post_problem(unit: Unit, unit_country: str, need: PostNeed) -> str | None:
    """Why the unit may not staff the post (capability, sovereignty, regions), or None.

    A post is sovereign: only units of the side's own country, with the border-control
    capability, and (when the unit has operating regions) only in one of them.
    """
    if CORDON_CAPABILITY not in unit.capabilities:
        return f"{unit.id} lacks the {CORDON_CAPABILITY} capability"
    if unit_country != need.country:
        return (
            f"{unit.id} is a unit of {unit_country}; the {need.side} side of "
            f"{need.crossing} ({need.region}) is in {need.country}"
        )
    if unit.operating_regions is not None and need.region not in unit.operating_regions:
        return f"{need.region} is outside the operating regions of {unit.id}"
    return None
