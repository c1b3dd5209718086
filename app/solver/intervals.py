"""Half-open intervals `[start, end)` of any ordered type: whole minutes or exact instants.

The solver subtracts intervals in minutes (a unit's free time less its fixed bookings)
and on exact instants (a crossing's openings less its dated closures); one function
serves both, so touching and overlapping cases are decided the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...
    def __le__(self, other: Any, /) -> bool: ...


T = TypeVar("T", bound=_Ordered)


def subtract(
    windows: Iterable[tuple[T, T]], removed: Iterable[tuple[T, T]]
) -> list[tuple[T, T]]:
    """The parts of `windows` outside every `removed` interval, in the order of `windows`.

    Intervals are half-open, so a removed interval that only touches a window takes
    nothing from it. `removed` may be unsorted and overlap itself. Empty intervals
    (`start >= end`) are ignored on both sides and never produced.
    """
    cuts = sorted((start, end) for start, end in removed if start < end)
    result: list[tuple[T, T]] = []
    for start, end in windows:
        cursor = start
        for cut_start, cut_end in cuts:
            if cut_end <= cursor:
                continue
            if end <= cut_start:
                break  # cuts are sorted by start: none further reaches this window
            if cursor < cut_start:
                result.append((cursor, cut_start))
            cursor = cut_end
            if end <= cursor:
                break
        if cursor < end:
            result.append((cursor, end))
    return result
