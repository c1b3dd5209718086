"""The database side of a feed: which taskings it may show, loaded as plain data.

Columns are selected one by one rather than as ORM entities: loading 500 Tasking
objects through the identity map was most of the time of a 500-event feed.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Collection
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    or_,
    true,
    type_coerce,
)
from sqlalchemy import select as sa_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col

from app.access import visible_operations_query
from app.feeds.blocks import block_key
from app.feeds.events import CANCEL_GRACE, CrossingPassage, Place, TaskingView
from app.models import (
    Country,
    Crossing,
    EscortTrip,
    Operation,
    OperationState,
    Region,
    Role,
    Site,
    Tasking,
    TaskingStatus,
    Unit,
    User,
    UTCDateTime,
)
from app.models.feeds import FeedKind, FeedSubscription

_home = aliased(Region)
_home_country = aliased(Country)
_site_country = aliased(Country)
_withdrawn = col(Tasking.status) == TaskingStatus.cancelled
_aborted = col(Operation.state) == OperationState.aborted


class _UtcText(FunctionElement[str]):
    """An instant as the text SQLite stores: `2026-12-02 03:00:00.000000`, in UTC."""

    type = String()
    inherit_cache = True


@compiles(_UtcText)
def _utc_text_as_stored(element: _UtcText, compiler: Any, **kw: Any) -> str:
    # SQLite keeps instants as that text already.
    return str(compiler.process(element.clauses, **kw))


@compiles(_UtcText, "postgresql")
def _utc_text_on_postgresql(element: _UtcText, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"


def _instant(column: Any, key: str) -> Any:
    """An instant column read as UTC text, labelled `key` (see _utc)."""
    # Text on every backend: _utc parses it straight into an aware value, and the block
    # key hashes the row's repr, which for psycopg's datetimes cost twice as much as
    # building the views (bench/feeds.py on PostgreSQL). The UTCDateTime and DateTime
    # processors, then tagging naive values as UTC, were most of the time of loading
    # a 500-event feed on SQLite.
    return _UtcText(col(column)).label(key)


def _text(column: Any, key: str) -> Any:
    """An enum column read as its plain value (a StrEnum compares equal to it)."""
    # Converting 1,500 values back into enum members was a tenth of the load time.
    return type_coerce(col(column), String()).label(key)


COLUMNS: tuple[Any, ...] = (
    col(Tasking.uid).label("uid"),
    col(Tasking.operation_id).label("operation_id"),
    _text(Tasking.status, "status"),
    col(Tasking.sequence).label("sequence"),
    _instant(Tasking.updated_at, "updated_at"),
    _instant(Tasking.cancelled_at, "cancelled_at"),
    _instant(Tasking.start, "start"),
    _instant(Tasking.depart, "depart"),
    _instant(Tasking.return_at, "return_at"),
    _instant(Tasking.cross_out, "cross_out"),
    _instant(Tasking.cross_back, "cross_back"),
    col(Tasking.capability).label("capability"),
    col(Operation.code_name).label("code_name"),
    _text(Operation.tlp, "tlp"),
    _text(Operation.state, "op_state"),
    _instant(Operation.updated_at, "op_updated"),
    col(Unit.callsign).label("callsign"),
    col(_home_country.timezone).label("home_tz"),
    col(Region.name).label("region"),
    col(_site_country.code).label("country"),
    col(_site_country.timezone).label("site_tz"),
    col(Crossing.name).label("crossing_name"),
    col(Crossing.timezone).label("crossing_tz"),
    # A cordon post (docs/cordon-format.md): its side of the sealed crossing.
    col(Tasking.side).label("side"),
    _instant(Tasking.end, "end"),
    col(Tasking.retired_uid).label("retired_uid"),
    _instant(Tasking.uid_retired_at, "uid_retired_at"),
)


# The officer feed, the one every phone polls, has a condition shared by all officers
# (their unit a parameter), so its statements are built and keyed once: building the
# nine-table select and its cache key on every request cost more than running it.
_OWN_UNIT = col(Tasking.unit_id) == bindparam("unit_id")


class Scope(NamedTuple):
    """The condition on taskings that a feed may show, and its parameters' values."""

    condition: ColumnElement[bool]
    params: dict[str, Any]


def scope_filter(sub: FeedSubscription, user: User) -> Scope:
    """The taskings that this feed may show."""
    # A condition on the tasking row itself, not "id IN (SELECT id ...)": PostgreSQL,
    # before it has statistics on a freshly loaded table, planned that self-join as a
    # 500 x 500 nested loop (0.5 s).
    if sub.kind == FeedKind.officer:
        # The officer's unit as it is now; no unit, no taskings.
        return Scope(_OWN_UNIT, {"unit_id": user.unit_id})
    if sub.kind == FeedKind.unit:
        viewer = user
    else:
        # What the agency may see, whoever of it (or an admin) holds the feed.
        viewer = User.model_construct(role=Role.liaison, agency_id=sub.target_id)
    visible = visible_operations_query(viewer).with_only_columns(col(Operation.id))
    # Visibility comes from live taskings only; the cancellation of one of the agency's
    # own units still reaches its feeds (for the grace period), but nothing else of an
    # operation it was taken off: not the re-planned H-hour, staging or other units.
    own_units = sa_select(col(Unit.id)).where(col(Unit.agency_id) == viewer.agency_id)
    own_cancelled = and_(_withdrawn, col(Tasking.unit_id).in_(own_units))
    seen = or_(col(Tasking.operation_id).in_(visible), own_cancelled)
    if sub.kind == FeedKind.unit:
        return Scope(and_(col(Tasking.unit_id) == sub.target_id, seen), {})
    return Scope(seen, {})


def _statement(build: Callable[[ColumnElement[bool]], Select[Any]], scope: Scope) -> Select[Any]:
    """The statement `build` makes for the scope; built once for the officer feed."""
    if scope.condition is _OWN_UNIT:
        return _OFFICER_STATEMENTS[build]
    return build(scope.condition)


def _some(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """The condition, for the taskings whose UIDs are in the `uids` parameter only."""
    return and_(condition, col(Tasking.uid).in_(bindparam("uids", expanding=True)))


def _listed() -> ColumnElement[bool]:
    """Live taskings, and cancelled ones after the `cutoff` parameter (the grace period)."""
    # An aborted operation cancels its taskings from the moment the operation changed.
    cancel_time = func.coalesce(
        Tasking.cancelled_at, case((_withdrawn, Tasking.updated_at), else_=Operation.updated_at)
    )
    return or_(~or_(_withdrawn, _aborted), cancel_time > bindparam("cutoff", type_=UTCDateTime))


def _feed_select(columns: Any, scope: ColumnElement[bool]) -> Select[Any]:
    return (
        sa_select(*columns)
        .select_from(Tasking)
        .join(Operation, col(Operation.id) == Tasking.operation_id)
        .join(Unit, col(Unit.id) == Tasking.unit_id)
        .join(_home, col(_home.id) == Unit.base_region_id)
        .join(_home_country, col(_home_country.code) == _home.country_code)
        .outerjoin(Site, col(Site.id) == Tasking.site_id)
        # A raid order's place is its site's region; a cordon post's, its side's region.
        .join(Region, col(Region.id) == func.coalesce(Site.region_id, Tasking.post_region_id))
        .join(_site_country, col(_site_country.code) == Region.country_code)
        .outerjoin(Crossing, col(Crossing.id) == Tasking.crossing_id)
        .where(scope, _listed())
    )


def fingerprint(session: Session, *, sub: FeedSubscription, user: User) -> tuple[Any, ...]:
    """A cheap summary that changes whenever a tasking or operation of the feed changes.

    It covers every tasking of the scope, listed or not: cancelled taskings leaving the
    feed as time passes is the cache entry's business (service._Rendered.until), and the
    grace-period condition was a third of this query, the one every poll runs.
    """
    scope = scope_filter(sub, user)
    # Through the connection: the ORM's execution layer was a third of this query's cost.
    connection = session.connection()
    return tuple(connection.execute(_statement(_fingerprint_select, scope), scope.params).one())


def fingerprint_with_trips(
    session: Session, *, sub: FeedSubscription, user: User, escort_units: list[str]
) -> tuple[Any, ...]:
    """`fingerprint` followed by the escort trips' (app.feeds.escorts `fingerprint`) of
    `escort_units`, in one statement: the two were half of a 304's statements."""
    if not escort_units:
        return (*fingerprint(session, sub=sub, user=user), 0)
    scope = scope_filter(sub, user)
    params = {**scope.params, "escort_units": escort_units}
    statement = _statement(_fingerprint_with_trips_select, scope)
    return tuple(session.connection().execute(statement, params).one())


def trips_summary(units: Any) -> Select[Any]:
    """What moves whenever a trip of the `units` is issued, changed or cancelled."""
    summary: tuple[Any, ...] = (
        func.count(),
        func.coalesce(func.sum(EscortTrip.id), 0),
        func.coalesce(func.sum(EscortTrip.sequence), 0),
        func.max(EscortTrip.updated_at),
    )
    return sa_select(*summary).where(col(EscortTrip.unit_id).in_(units))


def _fingerprint_with_trips_select(scope: ColumnElement[bool]) -> Select[Any]:
    # Two one-row aggregates side by side (a cross join of one row by one row).
    taskings = _fingerprint_select(scope).subquery("tasking_summary")
    trips = trips_summary(bindparam("escort_units", expanding=True)).subquery("trip_summary")
    return sa_select(*taskings.c, *trips.c).select_from(taskings).join(trips, true())


def _fingerprint_select(scope: ColumnElement[bool]) -> Select[Any]:
    # Only taskings and operations: the other joins of the feed follow foreign keys and
    # cannot drop a row, and their names are covered by the cache's time limit. Every
    # change of a tasking or an operation moves its sequence or updated_at.
    summary: tuple[Any, ...] = (
        func.count(),
        func.coalesce(func.sum(Tasking.id), 0),
        func.coalesce(func.sum(Tasking.sequence), 0),
        func.max(Tasking.updated_at),
        func.max(Operation.updated_at),
    )
    return (
        sa_select(*summary)
        .select_from(Tasking)
        .join(Operation, col(Operation.id) == Tasking.operation_id)
        .where(scope)
    )


class Loaded(NamedTuple):
    """A tasking as loaded, its version (what any edit of it or its operation moves) and
    the content key of its rendered event (app.feeds.blocks)."""

    version: tuple[Any, ...]
    view: TaskingView
    block_key: str


# The columns that move with every edit of a tasking or its operation (the publisher and
# the operation forms bump sequence and updated_at). A feed re-read after a change loads
# again only the taskings whose version moved; names of units, regions and crossings
# are re-read in full at the feed cache's time limit, as before.
_VERSION_KEYS = ("sequence", "updated_at", "cancelled_at", "status", "op_updated", "op_state")
_VERSION_COLUMNS = tuple(c for c in COLUMNS if c.key in ("uid", *_VERSION_KEYS))
_version_of = itemgetter(*(COLUMNS.index(c) for c in _VERSION_COLUMNS[1:]))


def versions(session: Session, *, scope: Scope, now: datetime) -> dict[str, Any]:
    """The version of each tasking of the scope still worth showing at `now`, by UID."""
    params = {**scope.params, "cutoff": now - CANCEL_GRACE}
    rows = session.connection().execute(_statement(_versions_select, scope), params).all()
    return {uid: tuple(version) for uid, *version in rows}


def _versions_select(condition: ColumnElement[bool]) -> Select[Any]:
    return (
        sa_select(*_VERSION_COLUMNS)
        .select_from(Tasking)
        .join(Operation, col(Operation.id) == Tasking.operation_id)
        .where(condition, _listed())
    )


def load_taskings(
    session: Session,
    *,
    scope: Scope,
    now: datetime,
    show_unit: bool = False,
    uids: Collection[str] | None = None,
) -> list[Loaded]:
    """The taskings of the scope still worth showing at `now` (only `uids` if given)."""
    params: dict[str, Any] = {**scope.params, "cutoff": now - CANCEL_GRACE}
    if uids is None:
        builds = (_load_select, _zones_select)
    elif not uids:
        return []
    else:
        builds, params["uids"] = (_load_some_select, _zones_some_select), list(uids)
    # Through the session's connection, as plain rows: the ORM's loading layer cost a
    # third of the query time.
    connection = session.connection()
    rows = connection.execute(_statement(builds[0], scope), params).all()
    zones: dict[str, list[str]] = {}
    if rows:
        for operation_id, zone in connection.execute(_statement(builds[1], scope), params).all():
            zones.setdefault(operation_id, []).append(zone)
    by_operation = {key: tuple(sorted(value)) for key, value in zones.items()}
    # Many taskings share a staging region or a crossing: one Place object each.
    places: dict[tuple[str, str], Place] = {}
    return [
        Loaded(
            _version_of(row),
            _view(row, by_operation, places, show_unit),
            block_key(show_unit, tuple(row), by_operation.get(row[_OPERATION], ())),
        )
        for row in rows
    ]


def _load_select(condition: ColumnElement[bool]) -> Select[Any]:
    return _feed_select(COLUMNS, condition)


def _load_some_select(condition: ColumnElement[bool]) -> Select[Any]:
    return _feed_select(COLUMNS, _some(condition))


def _zones_select(condition: ColumnElement[bool]) -> Select[Any]:
    """The time zones of the countries the sites of the scope's operations are in."""
    # A subquery rather than a list of ids: 500 bound parameters cost more than the query.
    operations = sa_select(col(Tasking.operation_id)).where(condition)
    columns: tuple[Any, ...] = (col(Site.operation_id), col(Country.timezone))
    return (
        sa_select(*columns)
        .join(Region, col(Region.id) == Site.region_id)
        .join(Country, col(Country.code) == Region.country_code)
        .where(col(Site.operation_id).in_(operations))
        .distinct()
    )


def _zones_some_select(condition: ColumnElement[bool]) -> Select[Any]:
    return _zones_select(_some(condition))


# Rows are re-read as plain named tuples: SQLAlchemy's Row resolves each attribute by
# name, which made building the views the slowest step of a 500-event feed.
_Row = namedtuple("_Row", [column.key for column in COLUMNS])  # type: ignore[misc]
_OPERATION = _Row._fields.index("operation_id")


def _utc(value: str) -> datetime:
    """An instant read by _instant as an aware UTC datetime."""
    # One C call instead of parsing, then tagging.
    return datetime.fromisoformat(value + "+00:00")


def _utc_or_none(value: str | None) -> datetime | None:
    return None if value is None else _utc(value)


def _place(places: dict[tuple[str, str], Place], name: str, timezone: str) -> Place:
    key = (name, timezone)
    place = places.get(key)
    if place is None:
        place = places[key] = Place(name, timezone)
    return place


def _view(
    raw: Any,
    zones: dict[str, tuple[str, ...]],
    places: dict[tuple[str, str], Place],
    show_unit: bool,
) -> TaskingView:
    row: Any = _Row._make(raw)
    # The publisher cancels the taskings of an aborted operation; until it has, the feed
    # shows the abort anyway, as a change of status (SEQUENCE + 1) made when the
    # operation changed.
    aborted = row.op_state == OperationState.aborted and row.status != TaskingStatus.cancelled
    start, op_updated = _utc(row.start), _utc(row.op_updated)
    passage = None
    if row.side is not None:  # a cordon post: it seals the crossing, it does not pass it
        return _post_view(row, zones, places, show_unit, aborted, start, op_updated)
    if row.crossing_name is not None:
        where = _place(places, row.crossing_name, row.crossing_tz)
        passage = CrossingPassage(
            where, out=_utc_or_none(row.cross_out), back=_utc_or_none(row.cross_back)
        )
    return TaskingView(
        uid=row.uid,
        code_name=row.code_name,
        tlp=row.tlp,
        state="aborted" if aborted else row.status,
        sequence=row.sequence + (1 if aborted else 0),
        # A renamed operation or a changed TLP label is a change of the event too.
        updated_at=max(_utc(row.updated_at), op_updated),
        depart=_utc(row.depart),
        return_at=_utc(row.return_at),
        h_hour=start,
        # The plan has the unit on site, at its staging region, from H-hour.
        rendezvous_at=start,
        home_timezone=row.home_tz,
        unit_callsign=row.callsign,
        role=row.capability,
        staging=_place(places, f"{row.region} ({row.country})", row.site_tz),
        crossing=passage,
        operation_timezones=tuple(dict.fromkeys((row.home_tz, *zones.get(row.operation_id, ())))),
        cancelled_at=_utc_or_none(row.cancelled_at) or (op_updated if aborted else None),
        show_unit=show_unit,
        retired_uid=row.retired_uid,
        uid_retired_at=_utc_or_none(row.uid_retired_at),
    )


def _post_view(
    row: Any, zones: dict[str, tuple[str, ...]], places: dict[tuple[str, str], Place],
    show_unit: bool, aborted: bool, start: datetime, op_updated: datetime,
) -> TaskingView:
    """A cordon post as its event: the post (crossing and side) is the place, the seal
    its time; no passage and no H-hour of the raid."""
    return TaskingView(
        uid=row.uid, code_name=row.code_name, tlp=row.tlp,
        state="aborted" if aborted else row.status,
        sequence=row.sequence + (1 if aborted else 0),
        updated_at=max(_utc(row.updated_at), op_updated),
        depart=_utc(row.depart), return_at=_utc(row.return_at),
        h_hour=start, rendezvous_at=start, home_timezone=row.home_tz,
        unit_callsign=row.callsign,
        role=f"cordon post, {row.crossing_name} ({row.region} side)",
        staging=_place(places, f"{row.crossing_name}, {row.region} side ({row.country})",
                       row.crossing_tz or row.site_tz),
        operation_timezones=tuple(dict.fromkeys((row.home_tz, *zones.get(row.operation_id, ())))),
        cancelled_at=_utc_or_none(row.cancelled_at) or (op_updated if aborted else None),
        show_unit=show_unit, seal_end=_utc(row.end),
    )


# The officer feed's statements, built when the module is imported: a restarted process
# builds them before it serves, not on its first polls (2 ms of a restart's first feed).
_OFFICER_STATEMENTS: dict[Callable[[ColumnElement[bool]], Select[Any]], Select[Any]] = {
    build: build(_OWN_UNIT)
    for build in (
        _fingerprint_select,
        _fingerprint_with_trips_select,
        _versions_select,
        _load_select,
        _load_some_select,
        _zones_select,
        _zones_some_select,
    )
}
