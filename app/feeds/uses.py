"""Each use of a feed token, written off the request path in small batches.

Every phone polls its feed every few minutes; writing "last used" and a poll record
(feed_polls) inside each request made a 304 take a write transaction (on SQLite the
database's one write lock) and cost most of its time. Requests only append the use here;
a background thread writes what has gathered every FLUSH_SECONDS, and the application
writes the rest when it shuts down. Every use still ends up audited, with the time it
happened; a process killed outright loses at most the last FLUSH_SECONDS of them.
The same batches write the feed events rendered since the last one (app.feeds.blocks).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import Session

from app.feeds.blocks import block_cache
from app.models import FeedPoll, FeedToken

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5

SessionSource = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class Use:
    """One served request of a live token."""

    token_id: int
    user_id: int | None
    # When it happened (the audit time), and the feed clock's "now" (its last_used_at).
    at: datetime
    served_at: datetime


class UseLog:
    """Uses waiting to be written, and the thread that writes them."""

    def __init__(self, open_session: SessionSource) -> None:
        self._open_session = open_session
        self._pending: list[Use] = []
        self._lock = threading.Lock()
        # One batch at a time: each takes the write lock anyway, and the order is kept.
        self._flushing = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, use: Use) -> None:
        """Queue one use (cheap: no database)."""
        with self._lock:
            self._pending.append(use)

    def pending(self) -> int:
        """How many uses are not written yet."""
        with self._lock:
            return len(self._pending)

    def flush(self) -> int:
        """Write every queued use now, with the newly rendered feed events
        (app.feeds.blocks); returns how many uses. On failure the uses stay queued."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch and not block_cache.pending():
                return 0
            try:
                with self._open_session() as session:
                    if batch:
                        _write(session, batch)
                    block_cache.write_pending(session)
                    session.commit()
            except BaseException:
                with self._lock:
                    self._pending[:0] = batch
                raise
            return len(batch)

    def start(self, interval: float = FLUSH_SECONDS) -> None:
        """Flush every `interval` seconds in a daemon thread until stop()."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(interval,), name="feed-uses", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (if any) and write what is left."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        self.flush()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.flush()
            except Exception:
                # Kept for the next round (a busy database, a restarting server).
                log.exception("writing %d feed uses failed; retrying", self.pending())


def _write(session: Session, batch: list[Use]) -> None:
    latest: dict[int, datetime] = {}
    for use in batch:
        if use.token_id not in latest or use.served_at > latest[use.token_id]:
            latest[use.token_id] = use.served_at
    # Bulk UPDATE by primary key and one multi-row INSERT: two statements per batch.
    session.execute(
        update(FeedToken),
        [{"id": token_id, "last_used_at": at} for token_id, at in latest.items()],
    )
    # Polls are kept apart from the chained audit trail: many, and summarised per day
    # once past retention (app/retention.py).
    session.execute(
        insert(FeedPoll),
        [{"token_id": use.token_id, "user_id": use.user_id, "at": use.at} for use in batch],
    )
