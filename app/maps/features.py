"""GeoJSON features of the maps, from plain values (no database).

Every feature carries `kind` (site, base, crossing, handover, route: KINDS), a `name`,
and `details`: the lines a popup shows and the text alternative lists, so the map and
its table say the same thing. Coordinates are [lon, lat] (RFC 7946), rounded to about a metre.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.web import fmt_local, fmt_utc

DIGITS = 5
MEDIA_TYPE = "application/geo+json"


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float

    def coordinates(self) -> list[float]:
        return [round(self.lon, DIGITS), round(self.lat, DIGITS)]

    def text(self) -> str:
        """`20.35° N, 99.88° E` as the table shows it."""
        north = f"{abs(self.lat):.4f}° {'N' if self.lat >= 0 else 'S'}"
        east = f"{abs(self.lon):.4f}° {'E' if self.lon >= 0 else 'W'}"
        return f"{north}, {east}"


def midpoint(a: Point, b: Point) -> Point:
    """Half-way between two points (the distances here are short: plain averages do)."""
    return Point((a.lat + b.lat) / 2, (a.lon + b.lon) / 2)


# Every kind of feature the maps draw, in drawing order (routes below, sites on top).
# static/js/map.js has a style for each and templates/_map.html a legend entry.
KINDS = ("route", "crossing", "handover", "base", "site")


def collection(features: list[dict[str, Any]], **properties: Any) -> dict[str, Any]:
    """A FeatureCollection; sites, bases and crossings first, routes last (drawn below)."""
    order = {kind: position for position, kind in enumerate(KINDS)}
    return {"type": "FeatureCollection", "properties": properties,
            "features": sorted(features, key=lambda f: order[f["properties"]["kind"]])}


def point_feature(kind: str, ident: str, name: str, at: Point, details: list[str],
                  **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature", "id": f"{kind}:{ident}",
        "geometry": {"type": "Point", "coordinates": at.coordinates()},
        "properties": {"kind": kind, "id": ident, "name": name, "position": at.text(),
                       "details": details, **properties},
    }


def site_feature(*, site_id: str, operation_id: str, operation_name: str, objective: str,
                 region: str, country: str, at: Point, own_point: bool,
                 requirements: str = "") -> dict[str, Any]:
    placed = "its own point" if own_point else f"the centre of {region} (no point given)"
    details = [f"Operation {operation_name} ({operation_id})",
               f"Objective: {objective}" if objective else "No objective given",
               f"Region: {region}, {country}", f"Placed at {placed}"]
    if requirements:
        details.append(f"Needs: {requirements}")
    return point_feature("site", site_id, f"Site {site_id}", at, details,
                         operation_id=operation_id, region=region, country=country,
                         placed="site" if own_point else "region")


def base_feature(*, unit_id: str, callsign: str, agency: str, region: str, country: str,
                 at: Point) -> dict[str, Any]:
    return point_feature("base", unit_id, f"{callsign} base", at,
                         [f"Unit {callsign} ({unit_id}) of {agency}",
                          f"Based in {region}, {country}"],
                         unit_id=unit_id, callsign=callsign, agency=agency, region=region)


def crossing_feature(*, crossing_id: str, name: str, joins: str, timezone: str, at: Point,
                     own_point: bool, passages: list[str]) -> dict[str, Any]:
    details = [f"Border crossing joining {joins}",
               f"Local time: {timezone}",
               "Placed at its own point" if own_point
               else "Placed half-way between the regions it joins (no point given)"]
    details += passages or ["No route of this map passes here"]
    return point_feature("crossing", crossing_id, name, at, details, timezone=timezone,
                         placed="crossing" if own_point else "midpoint")


@dataclass
class Leg:
    """One unit's journey to a site and back, as the plan or the order has it."""

    unit_id: str
    callsign: str
    capability: str
    operation_id: str
    site_id: str
    depart: datetime
    start: datetime
    end: datetime
    return_at: datetime
    crossing_id: str | None = None
    crossing_name: str | None = None
    crossing_zone: str | None = None
    cross_out: datetime | None = None
    cross_back: datetime | None = None

    def crossing_times(self) -> str:
        """`Mae Sai - Tachileik: out 2026-12-05 06:30 (UTC+07:00) = 23:30Z, back ...`."""
        if not self.crossing_id or self.crossing_zone is None:
            return ""
        parts = [f"{word} {fmt_local(at, self.crossing_zone)} = {fmt_utc(at)}"
                 for word, at in (("out", self.cross_out), ("back", self.cross_back)) if at]
        return f"{self.crossing_name}: {', '.join(parts)}"


def route_feature(leg: Leg, path: list[Point]) -> dict[str, Any]:
    """The route as a line base -> crossing -> site (a schematic, not the roads driven)."""
    via = f" via {leg.crossing_name}" if leg.crossing_name else " (no border crossing)"
    details = [f"{leg.callsign}: {leg.capability} at site {leg.site_id} of {leg.operation_id}",
               f"Departs base {fmt_utc(leg.depart)}, on site {fmt_utc(leg.start)} – "
               f"{fmt_utc(leg.end)}, back at base {fmt_utc(leg.return_at)}"]
    if leg.crossing_id:
        details.append(f"Crossing {leg.crossing_times()}")
    return {
        "type": "Feature", "id": f"route:{leg.unit_id}:{leg.site_id}",
        "geometry": {"type": "LineString", "coordinates": [p.coordinates() for p in path]},
        "properties": {
            "kind": "route", "id": f"{leg.unit_id}:{leg.site_id}",
            "name": f"Route of {leg.callsign}{via}", "details": details,
            "unit_id": leg.unit_id, "callsign": leg.callsign, "capability": leg.capability,
            "operation_id": leg.operation_id, "site_id": leg.site_id,
            "crossing_id": leg.crossing_id, "depart": _iso(leg.depart),
            "start": _iso(leg.start), "end": _iso(leg.end), "return": _iso(leg.return_at),
            "cross_out": _iso(leg.cross_out), "cross_back": _iso(leg.cross_back),
            "label": leg.crossing_times(),
        },
    }


@dataclass
class EscortLeg:
    """One escort trip of a hand-over plan: base -> holding site -> hand-over point -> base."""

    uid: str
    unit_id: str
    callsign: str
    point_id: str
    point: str
    persons: int
    depart: datetime
    handover: datetime
    return_at: datetime
    timezone: str
    crossing_id: str | None = None

    def handover_line(self) -> str:
        """`RTP-ESC: hand-over of 20 persons 2026-12-03 10:00 (UTC+07:00) = 03:00Z`."""
        return (f"{self.callsign}: hand-over of {self.persons} persons at {self.point} "
                f"{fmt_local(self.handover, self.timezone)} = {fmt_utc(self.handover)}")


def handover_feature(*, point_id: str, name: str, kind: str, region: str, country: str,
                     at: Point, trips: list[str]) -> dict[str, Any]:
    """A hand-over point away from a border crossing (an airport), with its trips."""
    return point_feature("handover", point_id, f"Hand-over point {name}", at,
                         [f"Hand-over point ({kind}) in {region}, {country}",
                          "Placed at the centre of its region", *trips],
                         region=region, country=country)


def escort_route_feature(leg: EscortLeg, path: list[Point]) -> dict[str, Any]:
    """The trip as a line base -> holding site -> hand-over point -> base (a schematic)."""
    details = [f"{leg.callsign}: escort of {leg.persons} persons to {leg.point}",
               f"Departs base {fmt_utc(leg.depart)}, hand-over {fmt_utc(leg.handover)}, "
               f"back at base {fmt_utc(leg.return_at)}"]
    return {
        "type": "Feature", "id": f"route:escort:{leg.uid}",
        "geometry": {"type": "LineString", "coordinates": [p.coordinates() for p in path]},
        "properties": {
            "kind": "route", "id": f"escort:{leg.uid}", "escort": True,
            "name": f"Escort route of {leg.callsign} to {leg.point}", "details": details,
            "unit_id": leg.unit_id, "callsign": leg.callsign, "capability": "escort",
            "point_id": leg.point_id, "crossing_id": leg.crossing_id,
            "depart": _iso(leg.depart), "start": _iso(leg.handover),
            "return": _iso(leg.return_at), "label": leg.handover_line(),
        },
    }


def _iso(value: datetime | None) -> str | None:
    return fmt_utc(value, seconds=True).replace(" ", "T") if value else None


KIND_LABELS = {"site": "Site", "base": "Unit base", "crossing": "Border crossing",
               "route": "Route", "handover": "Hand-over point"}


def table_rows(collection_: dict[str, Any]) -> list[dict[str, Any]]:
    """The map as rows for its text alternative: kind, name, position, details."""
    rows = []
    for feature in reversed(collection_["features"]):  # sites first, routes last
        props = feature["properties"]
        rows.append({"kind": KIND_LABELS[props["kind"]], "name": props["name"],
                     "position": props.get("position", ""), "details": props["details"]})
    return rows
