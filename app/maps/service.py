"""The maps' GeoJSON: an operation, a solver run's plan, and a unit's tasking.

Callers pass only what the user may see (the operation from the lookup-or-404
dependency, a run's scenario and plan cut by app.planning.visibility, the deployments of
My tasking); nothing here widens it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.maps.features import (
    EscortLeg,
    Leg,
    Point,
    base_feature,
    collection,
    crossing_feature,
    escort_route_feature,
    handover_feature,
    midpoint,
    route_feature,
    site_feature,
)
from app.models import (
    Country,
    Crossing,
    HandoverPoint,
    Operation,
    Region,
    Requirement,
    Site,
    SolverRun,
    Tasking,
    TaskingStatus,
    Unit,
    User,
)
from app.planning.tasking import Deployment
from app.planning.timeline import page_of
from app.planning.visibility import hidden_busy_units, plan_for, scenario_for, visible_ids
from app.repatriation.tasking import EscortDuty
from app.solver.loader import load_plan, load_scenario
from app.solver.schema import Plan as SolverPlan
from app.solver.schema import Scenario
from app.web import fmt_utc


@dataclass
class SiteSpot:
    site_id: str
    operation_id: str
    operation_name: str
    objective: str
    region_id: str
    requirements: str
    lat: float | None = None
    lon: float | None = None


@dataclass
class MapBuilder:
    """Gathers sites, units and legs, then places them with the board's geography."""

    session: Session
    sites: dict[str, SiteSpot] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    legs: list[Leg] = field(default_factory=list)
    # Cordon posts by crossing: "CS-1: cordon post of OP-1, Tachileik side, seal ...".
    posts: dict[str, list[str]] = field(default_factory=dict)
    # Crossings shown although no route uses them (those of the host countries).
    extra_crossings: set[str] = field(default_factory=set)
    # Escort trips of hand-over plans, with the holding site region each starts from.
    escorts: list[tuple[EscortLeg, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # The whole geography is a few dozen rows: read it once.
        self.regions = {r.id: r for r in self.session.exec(select(Region))}
        self.countries = {c.code: c for c in self.session.exec(select(Country))}
        self.crossings = {c.id: c for c in self.session.exec(select(Crossing))}
        self.points: dict[str, HandoverPoint | None] = {}

    def add_site(self, site: Site, operation: Operation) -> None:
        self.sites[site.id] = SiteSpot(
            site.id, operation.id, operation.code_name, site.objective, site.region_id,
            ", ".join(f"{r.count} × {r.capability}" for r in site.requirements),
            site.lat, site.lon)

    def add_tasking(self, tasking: Tasking, unit: Unit) -> None:
        if tasking.site_id is None:  # a cordon post: told at its crossing, no route
            self.add_post(unit, tasking.operation_id, tasking.crossing_id or "",
                          tasking.post_region_id or "", tasking.start, tasking.end)
            return
        crossing = self.crossings.get(tasking.crossing_id or "")
        self.units[unit.id] = unit
        self.legs.append(Leg(
            unit.id, unit.callsign, tasking.capability, tasking.operation_id,
            tasking.site_id, tasking.depart, tasking.start, tasking.end, tasking.return_at,
            crossing.id if crossing else None, crossing.name if crossing else None,
            crossing.timezone if crossing else None, tasking.cross_out, tasking.cross_back))

    def add_post(self, unit: Unit, operation_id: str, crossing_id: str, region_id: str,
                 start: datetime, end: datetime) -> None:
        """A cordon post: its unit's base, and a line in its crossing's details."""
        self.units[unit.id] = unit
        side = self.region_label(region_id)[0]
        self.posts.setdefault(crossing_id, []).append(
            f"{unit.callsign}: cordon post of {operation_id}, {side} side, sealed "
            f"{fmt_utc(start)} – {fmt_utc(end)}")

    def add_escort(self, duty: EscortDuty) -> None:
        """An escort trip: its unit's base, its route, and its hand-over told at its point."""
        trip = duty.trip
        self.units[duty.unit.id] = duty.unit
        self.escorts.append((EscortLeg(
            trip.uid, duty.unit.id, duty.unit.callsign, trip.point_id, duty.point,
            trip.persons, duty.depart_at, duty.handover_at, duty.return_at, duty.timezone,
            duty.crossing.id if duty.crossing else None), trip.site_region_id))
        self.points.setdefault(trip.point_id, duty.handover_point)

    def handover_point(self, leg: EscortLeg) -> Point | None:
        """Where a trip hands over: its crossing's point, else its point's region."""
        crossing = self.crossings.get(leg.crossing_id or "")
        if crossing is not None:
            return self.crossing_point(crossing)
        point = self.points.get(leg.point_id)
        return self.region_point(point.region_id) if point else None

    def region_point(self, region_id: str) -> Point | None:
        region = self.regions.get(region_id)
        return Point(region.lat, region.lon) if region else None

    def region_label(self, region_id: str) -> tuple[str, str]:
        region = self.regions.get(region_id)
        if region is None:
            return region_id, ""
        country = self.countries.get(region.country_code)
        return region.name, country.name if country else region.country_code

    def crossing_point(self, crossing: Crossing) -> Point | None:
        if crossing.lat is not None and crossing.lon is not None:
            return Point(crossing.lat, crossing.lon)
        a, b = self.region_point(crossing.a_id), self.region_point(crossing.b_id)
        return midpoint(a, b) if a and b else None

    def site_point(self, spot: SiteSpot) -> Point | None:
        if spot.lat is not None and spot.lon is not None:
            return Point(spot.lat, spot.lon)
        return self.region_point(spot.region_id)

    def crossings_of_countries(self, codes: Iterable[str]) -> None:
        wanted = set(codes)
        self.extra_crossings |= {
            c.id for c in self.crossings.values()
            if {self._country(c.a_id), self._country(c.b_id)} & wanted}

    def _country(self, region_id: str) -> str | None:
        region = self.regions.get(region_id)
        return region.country_code if region else None

    def build(self, **properties: Any) -> dict[str, Any]:
        features: list[dict[str, Any]] = []
        for spot in self.sites.values():
            at = self.site_point(spot)
            if at is None:
                continue
            region, country = self.region_label(spot.region_id)
            features.append(site_feature(
                site_id=spot.site_id, operation_id=spot.operation_id,
                operation_name=spot.operation_name, objective=spot.objective, region=region,
                country=country, at=at, own_point=spot.lat is not None,
                requirements=spot.requirements))
        for unit in self.units.values():
            at = self.region_point(unit.base_region_id)
            if at is None:
                continue
            region, country = self.region_label(unit.base_region_id)
            features.append(base_feature(unit_id=unit.id, callsign=unit.callsign,
                                         agency=unit.agency_id, region=region,
                                         country=country, at=at))
        handovers: dict[str, list[str]] = {}
        for escort, _ in self.escorts:
            handovers.setdefault(escort.crossing_id or escort.point_id, []).append(
                escort.handover_line())
        used = ({leg.crossing_id for leg in self.legs if leg.crossing_id} | set(self.posts)
                | {escort.crossing_id for escort, _ in self.escorts if escort.crossing_id})
        for crossing_id in sorted(used | self.extra_crossings):
            crossing = self.crossings.get(crossing_id)
            at = self.crossing_point(crossing) if crossing else None
            if crossing is None or at is None:
                continue
            joins = " and ".join(", ".join(self.region_label(r))
                                 for r in (crossing.a_id, crossing.b_id))
            passages = [f"{leg.callsign}: {leg.crossing_times().split(': ', 1)[1]}"
                        for leg in self.legs if leg.crossing_id == crossing_id]
            passages += self.posts.get(crossing_id, []) + handovers.get(crossing_id, [])
            features.append(crossing_feature(
                crossing_id=crossing.id, name=crossing.name, joins=joins,
                timezone=crossing.timezone, at=at, own_point=crossing.lat is not None,
                passages=passages))
        for leg in self.legs:
            path = self._path(leg)
            if len(path) >= 2:
                features.append(route_feature(leg, path))
        features += self._escort_features(handovers)
        return collection(features, **properties)

    def _escort_features(self, handovers: dict[str, list[str]]) -> list[dict[str, Any]]:
        """Each trip's route, and the hand-over points that are not border crossings."""
        features = []
        for point_id, point in self.points.items():
            at = self.region_point(point.region_id) if point else None
            if point is None or point.crossing_id or at is None:
                continue  # a crossing's hand-overs are told at the crossing
            region, country = self.region_label(point.region_id)
            features.append(handover_feature(
                point_id=point_id, name=point.name, kind=str(point.kind), region=region,
                country=country, at=at, trips=handovers.get(point_id, [])))
        for escort, site_region in self.escorts:
            unit = self.units.get(escort.unit_id)
            base = self.region_point(unit.base_region_id) if unit else None
            stops = (base, self.region_point(site_region), self.handover_point(escort), base)
            path = [p for p in stops if p is not None]
            if len(path) >= 2:
                features.append(escort_route_feature(escort, path))
        return features

    def _path(self, leg: Leg) -> list[Point]:
        unit = self.units.get(leg.unit_id)
        spot = self.sites.get(leg.site_id)
        start = self.region_point(unit.base_region_id) if unit else None
        end = self.site_point(spot) if spot else None
        crossing = self.crossings.get(leg.crossing_id or "")
        via = self.crossing_point(crossing) if crossing else None
        return [p for p in (start, via, end) if p is not None]


def with_requirements(session: Session, sites: Iterable[Site]) -> None:
    """Load the requirements of these sites in one statement (`add_site` lists them):
    a lazy load each was a statement per site on every operation page."""
    pending = {site.id: site for site in sites if "requirements" in inspect(site).unloaded}
    if not pending:
        return
    found: dict[str, list[Requirement]] = {site_id: [] for site_id in pending}
    query = (select(Requirement).where(col(Requirement.site_id).in_(list(pending)))
             .order_by(col(Requirement.id)))
    for requirement in session.exec(query):
        found[requirement.site_id].append(requirement)
    for site_id, site in pending.items():
        set_committed_value(site, "requirements", found[site_id])


def operation_map(session: Session, *, operation: Operation) -> dict[str, Any]:
    """One operation: its sites, the units of its live orders with their bases and routes,
    the crossings those use and the other crossings of its host countries."""
    builder = MapBuilder(session)
    with_requirements(session, operation.sites)
    for site in operation.sites:
        builder.add_site(site, operation)
    rows = session.exec(
        select(Tasking, Unit).join(Unit, col(Unit.id) == col(Tasking.unit_id))
        .where(Tasking.operation_id == operation.id, Tasking.status == TaskingStatus.active)
        .order_by(col(Tasking.depart), col(Tasking.id))).all()
    for tasking, unit in rows:
        builder.add_tasking(tasking, unit)
    builder.crossings_of_countries(
        builder.regions[s.region_id].country_code for s in operation.sites
        if s.region_id in builder.regions)
    return builder.build(name=f"{operation.code_name} ({operation.id})",
                         operation_id=operation.id, tlp=operation.tlp.value)


def run_map(session: Session, *, run: SolverRun, scenario: Scenario,
            plan: SolverPlan) -> dict[str, Any]:
    """A run's plan: the sites of the operations it schedules, and each unit's route.

    `scenario` and `plan` are already cut to the operations the reader may see.
    """
    builder = MapBuilder(session)
    operations = {op.id: op for op in scenario.operations}
    site_rows = {s.id: s for s in session.exec(select(Site).where(col(Site.id).in_(
        [a.site for op in plan.operations for a in op.assignments])))}
    units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(
        [a.unit for op in plan.operations for a in op.assignments]
        + [p.unit for op in plan.operations for p in op.cordon or []])))}
    ends = {c.id: (c.a, c.b) for c in scenario.crossings}
    for scheduled in plan.operations:
        op = operations.get(scheduled.id)
        if op is None:
            continue
        end = scheduled.start + timedelta(minutes=op.duration_minutes)
        for site in op.sites:
            row = site_rows.get(site.id)
            builder.sites[site.id] = SiteSpot(
                site.id, op.id, op.name, row.objective if row else "", site.region,
                ", ".join(f"{r.count} × {r.capability}" for r in site.requirements),
                row.lat if row else None, row.lon if row else None)
        for a in scheduled.assignments:
            unit = units.get(a.unit)
            if unit is None:
                continue
            builder.units[unit.id] = unit
            crossing = builder.crossings.get(a.crossing or "")
            builder.legs.append(Leg(
                unit.id, unit.callsign, a.capability, op.id, a.site, a.depart,
                scheduled.start, end, a.return_,
                crossing.id if crossing else None, crossing.name if crossing else None,
                crossing.timezone if crossing else None, a.cross_out, a.cross_back))
        for post in scheduled.cordon or []:
            unit = units.get(post.unit)
            if unit is not None and post.crossing in ends:
                region = ends[post.crossing][0 if post.side == "a" else 1]
                builder.add_post(unit, op.id, post.crossing, region, post.start, post.end)
    return builder.build(name=f"Plan of solver run {run.id}", run_id=run.id)


def tasking_map(session: Session, *, deployments: list[Deployment],
                escorts: list[EscortDuty] | None = None) -> dict[str, Any]:
    """My tasking: the unit's live orders, each a route from its base to its site, and
    its live escort trips, base to holding site to hand-over point and back."""
    builder = MapBuilder(session)
    for duty in escorts or []:
        if not duty.cancelled:
            builder.add_escort(duty)
    live = [d for d in deployments if d.tasking.status == TaskingStatus.active]
    sites = {s.id: s for s in session.exec(select(Site).where(
        col(Site.id).in_([d.tasking.site_id for d in live if d.tasking.site_id])))}
    with_requirements(session, sites.values())
    for deployment in live:
        site = sites.get(deployment.tasking.site_id or "")
        if site is not None:
            builder.add_site(site, site.operation)
        builder.add_tasking(deployment.tasking, deployment.unit)
    names = ", ".join(sorted({d.unit.callsign for d in deployments}
                             | {d.unit.callsign for d in escorts or []}))
    return builder.build(name=f"Tasking of {names}" if names else "Tasking")



def plan_map(session: Session, *, run: SolverRun, user: User, first: int = 0) -> dict[str, Any]:
    """A run's map for this user: its plan cut to the operations they may see and to the
    page of them from `first` (by H-hour), as the run page shows it (app.planning.review);
    an empty map while the run has no plan."""
    if run.plan is None or run.scenario is None:
        return collection([], name=f"Plan of solver run {run.id}", run_id=run.id)
    ids = visible_ids(session, user=user)
    scenario = load_scenario(scenario_for(ids, run.scenario))
    plan = load_plan(plan_for(ids, run.plan, hidden_busy_units(session, ids)) or {})
    shown, _ = page_of(plan, first)
    return run_map(session, run=run, scenario=scenario, plan=shown)
