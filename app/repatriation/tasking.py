"""Escort trips as their units read them: in My tasking and in the units' iCal feeds.

A published hand-over plan gives escort units trips (base -> holding site -> hand-over
point -> base) the way a raid plan gives units tasking orders, and they reach the
officers the same way: `app.planning.tasking` lists them beside the raid deployments
and `app.feeds.service` renders them as events through the raid taskings' own code
(`TaskingView`, the block cache, SEQUENCE and the cancellation grace period).

Need-to-know: escorts are sovereign (they drive in their own country), so a unit's
trips are for its own officers, the people of its country, and the coordination centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.access import sees_whole_board
from app.feeds.events import Place, TaskingView
from app.models import (
    Agency,
    Country,
    Crossing,
    EscortTrip,
    HandoverPoint,
    Region,
    Unit,
    User,
)

# Hand-over plans carry counts of persons, no names, but where and when detained
# persons are moved is not for everyone's calendar cloud.
ESCORT_TLP = "AMBER"


@dataclass
class EscortDuty:
    """One escort trip of a unit, with the names and instants it is read by."""

    trip: EscortTrip
    unit: Unit
    timezone: str  # the unit's country's (escorts drive at home)
    point: str
    site: str
    route: list[str]
    depart_at: datetime
    handover_at: datetime
    return_at: datetime
    # The hand-over point's own row (kind, region, crossing) and, when it is at a border
    # crossing, that crossing: where the map draws the hand-over and the API names it.
    handover_point: HandoverPoint | None = None
    crossing: Crossing | None = None

    @property
    def handover_end(self) -> datetime:
        """When the hand-over at the point is done (the point's hand-over minutes)."""
        minutes = self.handover_point.handover_minutes if self.handover_point else 0
        return self.handover_at + timedelta(minutes=minutes)

    @property
    def cancelled(self) -> bool:
        return self.trip.cancelled


def at_local(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """A day and a local HH:MM in `zone`, as a UTC instant."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)


def may_see_trips(session: Session, user: User, unit: Unit) -> bool:
    """The unit's own officers, people of the unit's country, the coordination centre."""
    if sees_whole_board(user) or user.unit_id == unit.id:
        return True
    if user.agency_id is None:
        return False
    mine = session.get(Agency, user.agency_id)
    theirs = session.get(Agency, unit.agency_id)
    return mine is not None and theirs is not None and mine.country_code == theirs.country_code


def duties(session: Session, *, unit_ids: list[str], cancelled_since: datetime | None = None,
           ending_after: datetime | None = None) -> list[EscortDuty]:
    """The published trips of these units, in time order: live ones, and cancelled ones
    cancelled after `cancelled_since` (all of them without it); with `ending_after`,
    only trips whose unit is back at its base after that instant."""
    if not unit_ids:
        return []
    query = (select(EscortTrip, Unit, Country.timezone)
             .join(Unit, col(Unit.id) == EscortTrip.unit_id)
             .join(Agency, col(Agency.id) == Unit.agency_id)
             .join(Country, col(Country.code) == Agency.country_code)
             .where(col(EscortTrip.unit_id).in_(sorted(set(unit_ids)))))
    if ending_after is not None:
        # A day's trip is back within the day after (duty is at most a day).
        query = query.where(col(EscortTrip.day) >= ending_after.date() - timedelta(days=2))
    rows = session.exec(query.order_by(col(EscortTrip.day), col(EscortTrip.unit_id))).all()
    places = {r.id: f"{r.name} ({r.country_code})" for r in session.exec(select(Region))}
    point_rows = {p.id: p for p in session.exec(select(HandoverPoint))}
    points = {p.id: p.name for p in point_rows.values()}
    crossings = {c.id: c for c in session.exec(select(Crossing).where(col(Crossing.id).in_(
        sorted({p.crossing_id for p in point_rows.values() if p.crossing_id}))))}
    found = []
    for trip, unit, zone_name in rows:
        if trip.cancelled and cancelled_since is not None and (
                trip.cancelled_at is None or trip.cancelled_at <= cancelled_since):
            continue
        zone = ZoneInfo(zone_name)
        depart = at_local(trip.day, trip.depart, zone)
        back = depart + timedelta(minutes=trip.duty_minutes)
        if ending_after is not None and back < ending_after:
            continue
        found.append(EscortDuty(
            trip, unit, zone_name, points.get(trip.point_id, trip.point_id),
            places.get(trip.site_region_id, trip.site_region_id),
            [points.get(p) or places.get(p, p) for p in trip.route],
            depart, at_local(trip.day, trip.handover, zone), back,
            point_rows.get(trip.point_id),
            crossings.get((point_rows[trip.point_id].crossing_id or "")
                          if trip.point_id in point_rows else "")))
    found.sort(key=lambda d: (d.depart_at, d.unit.id))
    return found


def view(duty: EscortDuty, *, show_unit: bool = False) -> TaskingView:
    """The trip as a feed event, rendered by the raid taskings' code."""
    trip = duty.trip
    return TaskingView(
        uid=trip.uid,
        code_name=f"Escort to {duty.point}",
        tlp=ESCORT_TLP,
        state="cancelled" if trip.cancelled else "active",
        sequence=trip.sequence,
        updated_at=trip.updated_at,
        depart=duty.depart_at,
        return_at=duty.return_at,
        h_hour=duty.handover_at,
        home_timezone=duty.timezone,
        unit_callsign=duty.unit.callsign,
        role="escort",
        staging=Place(duty.point, duty.timezone),
        rendezvous_at=duty.handover_at,
        operation_timezones=(duty.timezone,),
        cancelled_at=trip.cancelled_at,
        show_unit=show_unit,
        route=tuple(duty.route),
        persons=trip.persons,
    )


def feed_row(duty: EscortDuty) -> tuple[object, ...]:
    """Everything the trip's event is rendered from (the block cache's key)."""
    trip = duty.trip
    return ("escort", trip.uid, trip.sequence, trip.updated_at.isoformat(),
            trip.cancelled, trip.cancelled_at.isoformat() if trip.cancelled_at else None,
            duty.depart_at.isoformat(), duty.handover_at.isoformat(),
            duty.return_at.isoformat(), duty.timezone, duty.unit.callsign, duty.point,
            tuple(duty.route), trip.persons)
