"""Serve a feed: look the token up, check access now, load the taskings, render, remember.

Membership and roles are read on every request, so a moved officer's old feed shows
nothing of the old unit and a disabled account's feeds answer 404 at once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, bindparam, true, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app import digests
from app.accounts import throttle
from app.config import get_settings
from app.feeds import escorts, events
from app.feeds.blocks import block_cache, in_language
from app.feeds.events import (
    CANCEL_GRACE,
    cancelled_since,
    event_order,
    retired_event,
    shows_retired,
    still_listed,
    tasking_block,
)
from app.feeds.ical import calendar_bytes, event_block
from app.feeds.lru import Lru
from app.feeds.queries import (
    Loaded,
    Scope,
    fingerprint_with_trips,
    load_taskings,
    scope_filter,
    versions,
)
from app.feeds.tokens import audit, may_hold, unit_agency
from app.feeds.uses import Use
from app.i18n import DEFAULT, LANGUAGES, current_language, gettext, speaking
from app.models import FeedToken, SignInCounter, Tasking, User, utcnow
from app.models.feeds import FeedKind, FeedSubscription

# Rendered feeds kept in this process, keyed by what they show; an entry is reused only
# while the database fingerprint of its taskings is unchanged, and for at most
# CACHE_SECONDS, which bounds how long a renamed region or unit can stay stale.
CACHE_SECONDS = 300
CACHE_ENTRIES = 128
# An amended feed re-reads at most this many changed taskings by UID, else all of them.
RELOAD_AT_MOST = 50


@dataclass(frozen=True)
class Feed:
    """A rendered feed and the validators a client caches it by."""

    body: bytes
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class Holder:
    """A live token, what it shows and its owner, as read on this request."""

    token_id: int
    token_hash: str
    created_at: datetime
    sub: FeedSubscription
    user: User


_SUB_FIELDS = ("kind", "target_id", "last_modified", "etag")
_USER_FIELDS = (
    "id", "username", "full_name", "role", "agency_id", "unit_id", "is_active", "language"
)
_HOLDER_COLUMNS: tuple[Any, ...] = (
    col(FeedToken.id).label("token_id"),
    col(FeedToken.token_hash).label("token_hash"),
    col(FeedToken.created_at).label("created_at"),
    *(col(getattr(FeedSubscription, name)).label(f"sub_{name}") for name in _SUB_FIELDS),
    *(col(getattr(User, name)).label(f"user_{name}") for name in _USER_FIELDS),
)



def _miss_counter(column: Any, label: str) -> Any:
    """The poller's address's counter of unknown tokens (app.accounts.throttle), read
    beside the token: NULL when the address has none."""
    return (
        sa_select(column).where(col(SignInCounter.key) == bindparam("miss_key"))
        .scalar_subquery().label(label)
    )


# Built once, with the hash as a parameter: building and keying the statement on every
# request cost more than running it. The address's throttle counter comes in the same
# statement (a second query was a quarter of a 304's database time).
_LOOKUP = (
    sa_select(
        *_HOLDER_COLUMNS,
        _miss_counter(col(SignInCounter.window_start), "miss_window_start"),
        _miss_counter(col(SignInCounter.failures), "miss_failures"),
    )
    .join(FeedSubscription, col(FeedSubscription.token_id) == FeedToken.id)
    .join(User, col(User.id) == FeedToken.user_id)
    .where(
        col(FeedToken.token_hash).in_(bindparam("token_hashes", expanding=True)),
        col(FeedToken.revoked_at).is_(None),
    )
)


def lookup(session: Session, *, secret: str) -> Holder | None:
    """The live token of this secret with its subscription and owner, or None."""
    return _lookup(session, secret=secret, miss_key=None)[0]


def _lookup(
    session: Session, *, secret: str, miss_key: str | None
) -> tuple[Holder | None, Any]:
    """The live token (or None) and the row's mapping (window start and failures of the
    `miss_key` counter; None when no token was found)."""
    # Columns through the session's connection, not ORM entities through the session:
    # every phone polls this path, and the ORM layers were most of a lookup's cost.
    params = {"token_hashes": digests.candidates(secret), "miss_key": miss_key}
    row = session.connection().execute(_LOOKUP, params).first()
    if row is None:
        return None, None
    values = row._mapping
    sub = FeedSubscription.model_construct(
        token_id=values["token_id"], **{name: values[f"sub_{name}"] for name in _SUB_FIELDS}
    )
    user = User.model_construct(**{name: values[f"user_{name}"] for name in _USER_FIELDS})
    holder = Holder(values["token_id"], values["token_hash"], values["created_at"], sub, user)
    return holder, values


@dataclass(frozen=True)
class Outcome:
    """What a request for a secret came to: the feed (None answers 404), and its use."""

    feed: Feed | None
    use: Use | None = None
    # A read-only pass met something to write (a new Last-Modified mark, lost access).
    needs_write: bool = False
    # The poller's address sent too many unknown tokens: the wait before it may ask again.
    wait: timedelta | None = None


NOT_FOUND = Outcome(None)
NEEDS_WRITE = Outcome(None, needs_write=True)


def serve(
    session: Session,
    *,
    secret: str,
    now: datetime | None = None,
    writing: bool = True,
    miss_key: str | None = None,
) -> Outcome:
    """The feed behind a secret; no feed for unknown, revoked or no longer allowed.

    With `writing=False` nothing is written: a request that would have to write gets
    NEEDS_WRITE instead, and is served again in a write transaction. Nearly every poll
    writes nothing, so it runs as a reader (on SQLite, without the one write lock).

    With `miss_key` (app.accounts.throttle `feed_miss_key` of the poller's address), an
    address over MAX_FEED_MISSES unknown tokens gets only the wait, even for a right
    token, so a prober cannot learn which guess was right.
    """
    now = now or utcnow()
    holder, values = _lookup(session, secret=secret, miss_key=miss_key)
    if miss_key is not None:
        if values is None:
            wait = throttle.over_limit(session, [(miss_key, throttle.MAX_FEED_MISSES)], now)
        else:
            wait = throttle.wait_of(values["miss_window_start"], values["miss_failures"],
                                    throttle.MAX_FEED_MISSES, now)
        if wait is not None:
            return Outcome(None, wait=wait)
    if holder is None:
        return NOT_FOUND
    sub, user = holder.sub, holder.user
    if not may_hold(user, sub, unit_agency(session, sub)):
        if not writing:
            return NEEDS_WRITE
        # Access is gone for good (disabled, role or unit changed): drop the token.
        _update(session, FeedToken, col(FeedToken.id) == holder.token_id, revoked_at=now)
        audit(
            session,
            action="feed.token.revoked",
            token_id=holder.token_id,
            actor_id=None,
            reason="access lost",
        )
        return NOT_FOUND
    # The events speak the owner's language, whoever polls: a calendar app sends no
    # language cookie, and the feed is the owner's.
    with speaking(language_of(user)):
        body, etag, newest = _content(session, holder=holder, now=now)
    feed = _remember(sub, etag=etag, body=body, newest=newest, now=now)
    if (sub.etag, sub.last_modified) != (etag, feed.last_modified):
        if not writing:
            return NEEDS_WRITE
        served = col(FeedSubscription.token_id) == holder.token_id
        _update(session, FeedSubscription, served, etag=etag, last_modified=feed.last_modified)
    # Written later, in a batch (app.feeds.uses): not worth a write transaction per poll.
    return Outcome(feed, Use(holder.token_id, user.id, at=utcnow(), served_at=now))


def language_of(user: User) -> str:
    """The language a user's feeds are written in (English until they choose one)."""
    return user.language if user.language in LANGUAGES else DEFAULT


def _update(session: Session, model: Any, where: Any, **values: object) -> None:
    session.exec(update(model).where(where).values(**values))  # type: ignore[call-overload]


@dataclass(frozen=True)
class _Rendered:
    fingerprint: tuple[Any, ...]
    body: bytes
    etag: str
    # When its taskings were last loaded in full (the time limit counts from there).
    made_at: float
    # What it was rendered from, by UID: an amendment re-reads only what changed.
    taskings: dict[str, Loaded] = field(default_factory=dict)
    # The newest change among its events, and when the first cancelled one leaves the
    # feed (the fingerprint does not see time pass).
    newest: datetime | None = None
    until: datetime | None = None


class _FeedCache:
    """The rendered feeds of this process, by what they show."""

    def __init__(self) -> None:
        self._entries: Lru[tuple[Any, ...], _Rendered] = Lru(lambda: CACHE_ENTRIES)

    def get(self, key: tuple[Any, ...], fingerprint: tuple[Any, ...]) -> _Rendered | None:
        """The entry for key if it was made from this fingerprint recently enough."""
        entry = self.recent(key)
        return entry if entry is not None and entry.fingerprint == fingerprint else None

    def recent(self, key: tuple[Any, ...]) -> _Rendered | None:
        """The entry for key if it was loaded in full recently enough, whatever its data."""
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry.made_at > CACHE_SECONDS:
            return None
        return entry

    def put(self, key: tuple[Any, ...], entry: _Rendered) -> None:
        """Keep an entry, dropping the least recently used beyond CACHE_ENTRIES."""
        self._entries.put_many({key: entry})

    def clear(self) -> None:
        """Forget everything (benchmarks measure the cold path with it)."""
        self._entries.clear()


feed_cache = _FeedCache()


def clear_caches() -> None:
    """Forget every rendered feed and event and every memoised piece of them, as a
    restart does (the benchmark's cold case; keep this list complete)."""
    feed_cache.clear()
    # Only the blocks in memory: the database table outlives a restart, by design.
    block_cache.clear()
    events.zone_label.cache_clear()
    ZoneInfo.clear_cache()


def _content(session: Session, *, holder: Holder, now: datetime) -> tuple[bytes, str, datetime]:
    """The feed's bytes, their SHA-256 and the newest change among its taskings (in the
    current language, which the caller sets to the owner's)."""
    sub, user = holder.sub, holder.user
    name = feed_name(sub, user)
    # Everything the scope and the calendar name depend on, besides the fingerprint; the
    # language too, so an owner who changes language is not served the old words.
    key = (holder.token_hash, name, user.unit_id, user.agency_id, str(user.role),
           language_of(user))
    escort_units = escorts.unit_ids(session, sub=sub, user=user)
    current = fingerprint_with_trips(session, sub=sub, user=user, escort_units=escort_units)
    entry = feed_cache.recent(key)
    if entry is None or entry.fingerprint != current or (entry.until and now >= entry.until):
        entry = _render(session, holder=holder, name=name, current=current, previous=entry, now=now)
        feed_cache.put(key, entry)
    newest = max(t for t in (holder.created_at, entry.newest) if t is not None)
    return entry.body, entry.etag, newest


def _render(
    session: Session,
    *,
    holder: Holder,
    name: str,
    current: tuple[Any, ...],
    previous: _Rendered | None,
    now: datetime,
) -> _Rendered:
    """The feed rendered for the `current` fingerprint (reading what changed since
    `previous` only)."""
    taskings, made_at = _load(session, holder=holder, previous=previous, now=now)
    # Escort trips of hand-over plans go in beside the taskings (app.feeds.escorts).
    trips = escorts.load(session, escorts.unit_ids(session, sub=holder.sub, user=holder.user),
                         now=now, show_unit=holder.sub.kind == FeedKind.agency)
    listed = [loaded for loaded in (*taskings.values(), *trips)
              if still_listed(loaded.view, now)]
    listed.sort(key=lambda loaded: event_order(loaded.view))
    views = [loaded.view for loaded in listed]
    refresh = get_settings().feed_refresh_minutes
    # Orders issued under the reversible uuid5 UID: the old entry is cancelled, after
    # the others (a handful, once: not worth the block cache).
    retired = [view for view in views if shows_retired(view, now, holder.created_at)]
    blocks = _blocks(session, listed) + [event_block(retired_event(view)) for view in retired]
    body = calendar_bytes(name, blocks, refresh_minutes=refresh)
    newest = max((view.updated_at for view in views), default=None)
    ends = [cancelled_since(view) + CANCEL_GRACE for view in views if view.is_cancelled]
    ends += [view.uid_retired_at + CANCEL_GRACE for view in retired if view.uid_retired_at]
    return _Rendered(
        current,
        body,
        hashlib.sha256(body).hexdigest(),
        made_at,
        taskings,
        newest=newest,
        until=min(ends, default=None),
    )


def prerender(
    session: Session, *, operation_ids: Collection[str], now: datetime | None = None
) -> int:
    """Render and store the events of these operations' taskings in every feed variant,
    in each language a feed is read in.

    The publisher calls it, so the first polls after a publication (all subscribers at
    once, each feed all new) find their events in the block table instead of rendering
    them; returns how many events were looked at.
    """
    if not operation_ids:
        return 0
    return prerender_where(session, col(Tasking.operation_id).in_(sorted(operation_ids)), now=now)


def prerender_where(
    session: Session,
    condition: ColumnElement[bool],
    *,
    now: datetime | None = None,
    store: bool = True,
) -> int:
    """Render the events of the listed taskings matching `condition` (on the tables of
    the feed query) in every feed variant and every language a live feed is read in,
    unless they are stored already.

    The admin pages call it after renaming a unit, region or crossing, which changes
    the events of every tasking that names it. New blocks are written in the caller's
    transaction, or with `store=False` left to the feed-use writer. Returns how many
    events were looked at.
    """
    now = now or utcnow()
    count = 0
    languages = languages_read(session)
    for show_unit in (False, True):  # unit and officer feeds, then agency feeds
        listed = load_taskings(session, scope=Scope(condition, {}), now=now, show_unit=show_unit)
        for language in languages:
            with speaking(language):
                _blocks(session, listed)
        count += len(listed)
    if store:
        block_cache.write_pending(session, now)
    return count


def warm_up(session: Session, *, now: datetime | None = None) -> int:
    """Render every listed event not stored yet, when a web process starts.

    After a release whose renderer changed, every stored block has an outdated key: this
    renders them all once, before the subscribers' polls would each render their own.
    Otherwise it only finds them stored. Runs in a read transaction: the blocks are left
    to the feed-use writer.
    """
    return prerender_where(session, true(), now=now, store=False)


_LANGUAGES_READ = (
    sa_select(col(User.language))
    .join(FeedToken, col(FeedToken.user_id) == User.id)
    .where(col(FeedToken.revoked_at).is_(None))
    .distinct()
)


def languages_read(session: Session) -> list[str]:
    """The languages live feeds are written in, English first (prerendering the others
    for nobody would only fill the block table)."""
    found = {DEFAULT}
    for (code,) in session.connection().execute(_LANGUAGES_READ):
        found.add(code if code in LANGUAGES else DEFAULT)
    return sorted(found, key=lambda code: (code != DEFAULT, code))


def _blocks(session: Session, listed: list[Loaded]) -> list[bytes]:
    """The encoded events in the current language, from the block cache where it has
    them, rendered otherwise."""
    language = current_language.get()
    keys = [in_language(loaded.block_key, language) for loaded in listed]
    found = block_cache.get_many(session, keys)
    rendered = {
        key: tasking_block(loaded.view)
        for key, loaded in zip(keys, listed, strict=True)
        if key not in found
    }
    block_cache.add(rendered)
    return [found.get(key) or rendered[key] for key in keys]


def _load(
    session: Session, *, holder: Holder, previous: _Rendered | None, now: datetime
) -> tuple[dict[str, Loaded], float]:
    """The feed's taskings by UID, and when they were loaded in full.

    After an amendment (a `previous` rendering of the same feed, within the time limit)
    only the taskings whose version moved are loaded again: reloading all 500 was most
    of the time of an amended feed.
    """
    sub, user = holder.sub, holder.user
    scope = scope_filter(sub, user)
    show_unit = sub.kind == FeedKind.agency
    if previous is not None:
        listed = versions(session, scope=scope, now=now)
        kept = {
            uid: loaded
            for uid, loaded in previous.taskings.items()
            if listed.get(uid) == loaded.version
        }
        changed = [uid for uid in listed if uid not in kept]
        # Hundreds of bound UIDs cost more than loading everything again.
        if len(changed) <= RELOAD_AT_MOST:
            fresh = load_taskings(session, scope=scope, now=now, show_unit=show_unit, uids=changed)
            return {**kept, **{loaded.view.uid: loaded for loaded in fresh}}, previous.made_at
    loaded = load_taskings(session, scope=scope, now=now, show_unit=show_unit)
    return {item.view.uid: item for item in loaded}, time.monotonic()


def _remember(
    sub: FeedSubscription, *, etag: str, body: bytes, newest: datetime, now: datetime
) -> Feed:
    """The feed with a Last-Modified that never moves backwards from what was served."""
    last = max(sub.last_modified, newest).replace(microsecond=0)
    if sub.etag is not None and sub.etag != etag and last <= sub.last_modified:
        # The content changed without a newer change time (a tasking dropped out after
        # its grace period, an officer moved): it changed now, and in a later second
        # than before, so If-Modified-Since (one-second resolution) sees it.
        last = max(now.replace(microsecond=0), sub.last_modified + timedelta(seconds=1))
    return Feed(body=body, etag=f'"{etag}"', last_modified=last)


def feed_name(sub: FeedSubscription, user: User) -> str:
    """The calendar's display name in the app."""
    if sub.kind == FeedKind.officer:
        return f"JointOps - {user.full_name or user.username}"
    if sub.kind == FeedKind.unit:
        return gettext("JointOps - unit %(unit)s") % {"unit": sub.target_id}
    return gettext("JointOps - %(agency)s operations") % {"agency": sub.target_id}


def is_fresh(feed: Feed, *, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """Whether the client's copy is current (RFC 9110 13.1: If-None-Match wins)."""
    if if_none_match:
        if if_none_match.strip() == "*":
            return True
        # Weak comparison, as If-None-Match asks for (RFC 9110 13.1.2).
        candidates = (c.strip().removeprefix("W/") for c in if_none_match.split(","))
        return feed.etag in candidates
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and feed.last_modified <= since
    return False
