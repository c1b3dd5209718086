"""Serve a feed: look the token up, check access now, load the taskings, render, remember.

Membership and roles are read on every request, so a moved officer's old feed shows
nothing of the old unit and a disabled account's feeds answer 404 at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.access import visible_operations_query
from app.feeds.events import CANCEL_GRACE, CrossingPassage, Place, TaskingView, feed_events
from app.feeds.ical import render_calendar
from app.feeds.tokens import audit, may_hold, token_hash
from app.models import (
    Country,
    Crossing,
    FeedToken,
    Operation,
    OperationState,
    Region,
    Role,
    Site,
    Tasking,
    TaskingStatus,
    Unit,
    User,
    utcnow,
)
from app.models.feeds import FeedKind, FeedSubscription


@dataclass(frozen=True)
class Feed:
    """A rendered feed and the validators a client caches it by."""

    body: bytes
    etag: str
    last_modified: datetime


def lookup(session: Session, *, secret: str) -> tuple[FeedToken, FeedSubscription, User] | None:
    """The live token of this secret with its subscription and owner, or None."""
    query = (
        select(FeedToken, FeedSubscription, User)
        .join(FeedSubscription, col(FeedSubscription.token_id) == FeedToken.id)
        .join(User, col(User.id) == FeedToken.user_id)
        .where(FeedToken.token_hash == token_hash(secret), col(FeedToken.revoked_at).is_(None))
    )
    row = session.exec(query).first()
    return None if row is None else (row[0], row[1], row[2])


def serve(session: Session, *, secret: str, now: datetime | None = None) -> Feed | None:
    """The feed behind a secret, or None for unknown, revoked or no longer allowed."""
    now = now or utcnow()
    found = lookup(session, secret=secret)
    if found is None:
        return None
    token, sub, user = found
    if not may_hold(user, sub, _unit_agency(session, sub)):
        # Access is gone for good (disabled, role or unit changed): drop the token.
        token.revoked_at = now
        session.add(token)
        audit(
            session,
            action="feed.token.revoked",
            token_id=token.id,
            actor_id=None,
            reason="access lost",
        )
        return None
    show_unit = sub.kind == FeedKind.agency
    taskings = load_taskings(session, query=scope_query(sub, user), now=now, show_unit=show_unit)
    body = render_calendar(feed_name(sub, user), feed_events(taskings, now))
    feed = _remember(sub, body, taskings, token.created_at, now)
    token.last_used_at = now
    session.add_all([token, sub])
    audit(session, action="feed.used", token_id=token.id, actor_id=user.id)
    return feed


def _unit_agency(session: Session, sub: FeedSubscription) -> str | None:
    if sub.kind != FeedKind.unit or sub.target_id is None:
        return None
    unit = session.get(Unit, sub.target_id)
    return unit.agency_id if unit else None


def _remember(
    sub: FeedSubscription,
    body: bytes,
    taskings: list[TaskingView],
    created: datetime,
    now: datetime,
) -> Feed:
    """Keep the ETag served and a Last-Modified that never moves backwards."""
    etag = hashlib.sha256(body).hexdigest()
    newest = max([created, *(t.updated_at for t in taskings)])
    last = max(sub.last_modified, newest)
    if sub.etag is not None and sub.etag != etag and last == sub.last_modified:
        # The content changed without a newer change time (a tasking dropped out after
        # its grace period, an officer moved): the change happened now.
        last = now
    sub.etag, sub.last_modified = etag, last.replace(microsecond=0)
    return Feed(body=body, etag=f'"{etag}"', last_modified=sub.last_modified)


def feed_name(sub: FeedSubscription, user: User) -> str:
    """The calendar's display name in the app."""
    if sub.kind == FeedKind.officer:
        return f"JointOps - {user.full_name or user.username}"
    if sub.kind == FeedKind.unit:
        return f"JointOps - unit {sub.target_id}"
    return f"JointOps - {sub.target_id} operations"


def scope_query(sub: FeedSubscription, user: User) -> Select[Any]:
    """The ids of the taskings this feed may show, as a subquery-ready SELECT."""
    query = select(Tasking.id)
    if sub.kind == FeedKind.officer:
        # The officer's unit as it is now; no unit, no taskings.
        return query.where(Tasking.unit_id == user.unit_id)
    if sub.kind == FeedKind.unit:
        query = query.where(Tasking.unit_id == sub.target_id)
        viewer = user
    else:
        # What the agency may see, whoever of it (or an admin) holds the feed.
        viewer = User.model_construct(role=Role.liaison, agency_id=sub.target_id)
    visible = visible_operations_query(viewer).with_only_columns(col(Operation.id))
    return query.where(col(Tasking.operation_id).in_(visible))  # type: ignore[return-value]


def load_taskings(
    session: Session, *, query: Select[Any], now: datetime, show_unit: bool = False
) -> list[TaskingView]:
    """The taskings of the scope still worth showing at `now`, as plain data."""
    home = aliased(Region)
    home_country = aliased(Country)
    site_country = aliased(Country)
    withdrawn = col(Tasking.status) == TaskingStatus.cancelled
    cancelled = or_(withdrawn, col(Operation.state) == OperationState.aborted)
    # An aborted operation cancels its taskings from the moment the operation changed.
    cancel_time = func.coalesce(
        Tasking.cancelled_at, case((withdrawn, Tasking.updated_at), else_=Operation.updated_at)
    )
    rows = session.exec(
        select(  # type: ignore[call-overload]
            Tasking,
            Operation.code_name,
            Operation.tlp,
            Operation.state,
            Operation.updated_at,
            Unit.callsign,
            home_country.timezone,
            Region.name,
            site_country.code,
            site_country.timezone,
            Crossing.name,
            Crossing.timezone,
        )
        .join(Operation, col(Operation.id) == Tasking.operation_id)
        .join(Unit, col(Unit.id) == Tasking.unit_id)
        .join(home, home.id == Unit.base_region_id)
        .join(home_country, home_country.code == home.country_code)
        .join(Site, col(Site.id) == Tasking.site_id)
        .join(Region, col(Region.id) == Site.region_id)
        .join(site_country, site_country.code == Region.country_code)
        .outerjoin(Crossing, col(Crossing.id) == Tasking.crossing_id)
        .where(col(Tasking.id).in_(query))
        .where(or_(~cancelled, cancel_time > now - CANCEL_GRACE))
    ).all()
    zones = _operation_zones(session, {row[0].operation_id for row in rows})
    return [_view(row, zones, show_unit) for row in rows]


def _operation_zones(session: Session, operation_ids: set[str]) -> dict[str, tuple[str, ...]]:
    """The time zones of the countries each operation's sites are in."""
    if not operation_ids:
        return {}
    query = (
        select(Site.operation_id, Country.timezone)
        .join(Region, col(Region.id) == Site.region_id)
        .join(Country, col(Country.code) == Region.country_code)
        .where(col(Site.operation_id).in_(operation_ids))
        .distinct()
    )
    zones: dict[str, list[str]] = {}
    for operation_id, zone in session.exec(query):
        zones.setdefault(operation_id, []).append(zone)
    return {key: tuple(sorted(value)) for key, value in zones.items()}


def _view(row: Any, zones: dict[str, tuple[str, ...]], show_unit: bool) -> TaskingView:
    (
        tasking,
        code_name,
        tlp,
        op_state,
        op_updated,
        callsign,
        home_tz,
        region,
        country,
        site_tz,
        crossing_name,
        crossing_tz,
    ) = row
    # The publisher cancels taskings of an aborted operation; until it has, the feed
    # shows the abort anyway, as a change of status (SEQUENCE + 1) made when the
    # operation changed.
    aborted = op_state == OperationState.aborted and tasking.status != TaskingStatus.cancelled
    passage = None
    if crossing_name is not None:
        where = Place(crossing_name, crossing_tz)
        passage = CrossingPassage(where, out=tasking.cross_out, back=tasking.cross_back)
    zone_list = (home_tz, *zones.get(tasking.operation_id, ()))
    return TaskingView(
        uid=tasking.uid,
        code_name=code_name,
        tlp=str(tlp),
        state="aborted" if aborted else str(tasking.status),
        sequence=tasking.sequence + (1 if aborted else 0),
        # A renamed operation or a changed TLP label is a change of the event too.
        updated_at=max(tasking.updated_at, op_updated),
        depart=tasking.depart,
        return_at=tasking.return_at,
        h_hour=tasking.start,
        home_timezone=home_tz,
        unit_callsign=callsign,
        role=tasking.capability,
        staging=Place(f"{region} ({country})", site_tz),
        crossing=passage,
        operation_timezones=tuple(dict.fromkeys(zone_list)),
        cancelled_at=tasking.cancelled_at or (op_updated if aborted else None),
        show_unit=show_unit,
    )


def is_fresh(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header matches the ETag (weak comparison, RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    candidates = (c.strip().removeprefix("W/") for c in if_none_match.split(","))
    return etag in candidates
