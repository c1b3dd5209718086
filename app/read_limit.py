"""Reads per signed-in user and minute, counted in this process's memory (ASVS 5.0 2.4.1).

Writes are counted in the database (app/accounts/throttle.py), shared by every process.
Counting reads there too would make every page view a database write; this counter is
per process instead, so with N web processes a user may read up to N times the limit.
It is a brake on scraping and on one account flooding a process, not a quota.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)


class ReadLimit:
    """Fixed one-minute windows per user id; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[int, tuple[datetime, int]] = {}

    def hit(self, user_id: int, *, most: int, now: datetime) -> timedelta | None:
        """Count one read; the wait when it is beyond `most` in its window, else None."""
        with self._lock:
            started, count = self._windows.get(user_id, (now, 0))
            if started <= now - WINDOW or started > now:
                started, count = now, 0
            count += 1
            self._windows[user_id] = (started, count)
            if len(self._windows) > 10_000:  # forget ended windows now and then
                self._windows = {k: v for k, v in self._windows.items()
                                 if v[0] > now - WINDOW}
        return started + WINDOW - now if count > most else None
