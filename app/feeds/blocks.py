"""Rendered VEVENT blocks by content key: in this process first, then in the database.

Describing and encoding 500 events is two thirds of a feed rendered from scratch
(bench/feeds.py), and a restart or a second web process would otherwise do it all again
for every subscriber. A block is in its subscriber's language (app.feeds.events speaks
it), so each language has its own key (`in_language`). The key hashes everything a block
is rendered from: the tasking's row as loaded (names, times, state, TLP), its
operation's time zones, the feed variant, and the source of the code that renders it.
So a block is never stale: any change gives a new key, and the old block is merely
unused until it is pruned by age.

New blocks are written off the request path, with the feed uses (app.feeds.uses);
losing them costs only a render, so a failed write is not retried.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Collection
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import String, any_, bindparam, delete, insert
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col

from app.feeds.lru import Lru
from app.i18n import CATALOGUES, DEFAULT
from app.models import FeedEventBlock, utcnow

# The code a block's bytes depend on: a new release renders anew, never serves old text.
_RENDERER_FILES = ("events.py", "ical.py", "queries.py")
RENDERER = hashlib.sha256(
    b"".join((Path(__file__).parent / name).read_bytes() for name in _RENDERER_FILES)
).hexdigest()[:16]
MEMORY_ENTRIES = 8192
# Blocks older than this are deleted (and rendered again if still in use).
KEEP = timedelta(days=30)
PRUNE_EVERY = timedelta(hours=1)

_BLOCK_COLUMNS = (col(FeedEventBlock.key), col(FeedEventBlock.block))
_SELECT_BLOCKS = sa_select(*_BLOCK_COLUMNS).where(
    col(FeedEventBlock.key).in_(bindparam("keys", expanding=True))
)
# PostgreSQL takes the keys as one array: 500 separate bound parameters cost more to
# render and send than the query itself (13 ms of a 90 ms feed, bench/feeds.py).
_SELECT_BLOCKS_PG = sa_select(*_BLOCK_COLUMNS).where(
    col(FeedEventBlock.key) == any_(bindparam("keys", type_=postgresql.ARRAY(String)))
)


def block_key(show_unit: bool, row: tuple[Any, ...], zones: tuple[str, ...]) -> str:
    """The content key of the block rendered from this loaded row."""
    source = f"{RENDERER}|{show_unit}|{row!r}|{zones!r}"
    return hashlib.blake2b(source.encode(), digest_size=16).hexdigest()


def in_language(key: str, language: str) -> str:
    """The key of the block rendered from the same row in `language`: English keeps the
    content key itself; another language adds its code and its catalogue's contents, so
    a corrected translation is rendered anew like any other change."""
    if language == DEFAULT:
        return key
    source = f"{key}|{language}|{_catalogue_digest(language)}"
    return hashlib.blake2b(source.encode(), digest_size=16).hexdigest()


@cache
def _catalogue_digest(language: str) -> str:
    path = CATALOGUES / f"{language}.po"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else ""


class BlockCache:
    """Blocks by key: an LRU in this process over the database table, plus new ones to write."""

    def __init__(self) -> None:
        self._memory: Lru[str, bytes] = Lru(lambda: MEMORY_ENTRIES)
        self._pending: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._pruned_at: datetime | None = None

    def get_many(self, session: Session, keys: Collection[str]) -> dict[str, bytes]:
        """The blocks known for these keys, from memory or the database."""
        found = self._memory.get_many(keys)
        missing = [key for key in keys if key not in found]
        if missing:
            connection = session.connection()
            pg = connection.dialect.name == "postgresql"
            statement = _SELECT_BLOCKS_PG if pg else _SELECT_BLOCKS
            rows = connection.execute(statement, {"keys": missing}).all()
            stored = {key: bytes(block) for key, block in rows}
            self._memory.put_many(stored)
            found.update(stored)
        return found

    def add(self, blocks: dict[str, bytes]) -> None:
        """Keep newly rendered blocks, and queue them for the database."""
        if not blocks:
            return
        self._memory.put_many(blocks)
        with self._lock:
            self._pending.update(blocks)

    def pending(self) -> int:
        """How many new blocks wait to be written."""
        with self._lock:
            return len(self._pending)

    def write_pending(self, session: Session, now: datetime | None = None) -> int:
        """Insert the queued blocks (keys another process wrote first are skipped), and
        prune old ones at most every PRUNE_EVERY. The caller commits."""
        now = now or utcnow()
        with self._lock:
            batch, self._pending = self._pending, {}
        if batch:
            rows = [{"key": k, "block": b, "created_at": now} for k, b in batch.items()]
            session.execute(_insert_ignoring_duplicates(session), rows)
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            prune(session, before=now - KEEP)
        return len(batch)

    def clear(self) -> None:
        """Forget the blocks in memory (what a restart forgets; the table stays)."""
        with self._lock:
            self._memory.clear()


def _insert_ignoring_duplicates(session: Session) -> Any:
    table = SQLModel.metadata.tables[FeedEventBlock.__tablename__]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["key"])
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=["key"])
    return insert(table)


def prune(session: Session, *, before: datetime) -> int:
    """Delete blocks made before `before`; returns how many."""
    result: Any = session.execute(
        delete(FeedEventBlock).where(col(FeedEventBlock.created_at) < before)
    )
    return int(result.rowcount or 0)


block_cache = BlockCache()
