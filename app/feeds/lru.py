"""A small thread-safe least-recently-used map (feed routes run in a thread pool)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most `limit()` entries; the least recently read or written goes first.

    The limit is a function so that it is read at each write (tests lower it).
    """

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The entry for key, now the most recently used; None if absent."""
        return self.get_many((key,)).get(key)

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        """The entries present for these keys, each now recently used."""
        found: dict[K, V] = {}
        with self._lock:
            for key in keys:
                value = self._entries.get(key)
                if value is not None:
                    found[key] = value
                    self._entries.move_to_end(key)
        return found

    def put_many(self, entries: Mapping[K, V]) -> None:
        """Keep these entries, dropping the least recently used beyond the limit."""
        with self._lock:
            for key, value in entries.items():
                self._entries[key] = value
                self._entries.move_to_end(key)
            while len(self._entries) > self._limit():
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
