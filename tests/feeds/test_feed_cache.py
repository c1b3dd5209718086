"""The in-process cache of rendered feeds: fingerprint match, time limit, size limit."""

from __future__ import annotations

import pytest

from app.feeds import service
from app.feeds.service import _FeedCache, _Rendered


def _entry(fingerprint: tuple[int, ...], made_at: float) -> _Rendered:
    return _Rendered(fingerprint, b"BEGIN:VCALENDAR", "etag", made_at)


def test_entry_served_only_for_the_same_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service.time, "monotonic", lambda: 1000.0)
    cache = _FeedCache()
    cache.put(("k",), _entry((1, 2), 1000.0))
    assert cache.get(("k",), (1, 2)) is not None
    assert cache.get(("k",), (1, 3)) is None
    assert cache.get(("other",), (1, 2)) is None


def test_entry_expires_after_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _FeedCache()
    cache.put(("k",), _entry((1,), 1000.0))
    monkeypatch.setattr(service.time, "monotonic", lambda: 1000.0 + service.CACHE_SECONDS)
    assert cache.get(("k",), (1,)) is not None
    monkeypatch.setattr(service.time, "monotonic", lambda: 1001.0 + service.CACHE_SECONDS)
    assert cache.get(("k",), (1,)) is None


def test_least_recently_used_entry_goes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "CACHE_ENTRIES", 2)
    monkeypatch.setattr(service.time, "monotonic", lambda: 0.0)
    cache = _FeedCache()
    cache.put(("a",), _entry((1,), 0.0))
    cache.put(("b",), _entry((1,), 0.0))
    assert cache.get(("a",), (1,)) is not None  # "a" is now the most recent
    cache.put(("c",), _entry((1,), 0.0))
    assert cache.get(("b",), (1,)) is None
    assert cache.get(("a",), (1,)) is not None
    assert cache.get(("c",), (1,)) is not None
