"""The board's one clock: every "now" in app/ is read here.

Production runs on the system clock. `create_app(clock=...)` and the tests' `clock` fixture
install another one, so code that asks for the time (feeds, tasking, sessions, the demo
seed, the worker's reaping) sees the instant the test chose, whatever today's date is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The machine's current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


_installed: Clock = system_clock


def utcnow() -> datetime:
    """The current instant by the installed clock, timezone-aware in UTC."""
    return _installed()


def installed_clock() -> Clock:
    """The clock `utcnow` reads."""
    return _installed


def install_clock(clock: Clock) -> Clock:
    """Make `clock` the one `utcnow` reads; returns the one it replaces."""
    global _installed
    previous, _installed = _installed, clock
    return previous


@contextmanager
def using_clock(clock: Clock) -> Iterator[Clock]:
    """Install `clock` for the block, then put the previous one back."""
    previous = install_clock(clock)
    try:
        yield clock
    finally:
        install_clock(previous)


class SettableClock:
    """A clock that stands still at `now` until it is set or advanced (tests, demos)."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("a clock's instant must be timezone-aware")
        self.now = now

    def __call__(self) -> datetime:
        return self.now
