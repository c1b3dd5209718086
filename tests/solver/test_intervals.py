"""`subtract`: the one interval subtraction behind free time (minutes) and crossing
openings less closures (exact instants)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.solver.intervals import subtract


@pytest.mark.parametrize(
    ("windows", "removed", "expected"),
    [
        pytest.param([(0, 100)], [], [(0, 100)], id="nothing removed"),
        pytest.param([], [(0, 100)], [], id="no windows"),
        pytest.param([(0, 100)], [(20, 30)], [(0, 20), (30, 100)], id="hole in the middle"),
        pytest.param([(0, 100)], [(0, 100)], [], id="exact full cover"),
        pytest.param([(10, 20), (30, 40)], [(0, 50)], [], id="one cut covers all windows"),
        pytest.param([(0, 100)], [(100, 120)], [(0, 100)], id="touching at the end"),
        pytest.param([(10, 100)], [(0, 10)], [(10, 100)], id="touching at the start"),
        pytest.param([(0, 100)], [(0, 10)], [(10, 100)], id="cut at the start"),
        pytest.param([(0, 100)], [(90, 100)], [(0, 90)], id="cut at the end"),
        pytest.param([(0, 100)], [(-5, 10), (95, 200)], [(10, 95)], id="cuts beyond the window"),
        pytest.param(
            [(0, 100)], [(20, 30), (30, 40)], [(0, 20), (40, 100)], id="touching cuts join"
        ),
        pytest.param(
            [(0, 100)], [(50, 60), (10, 20)], [(0, 10), (20, 50), (60, 100)], id="unsorted cuts"
        ),
        pytest.param(
            [(0, 100)], [(10, 40), (20, 30), (35, 50)], [(0, 10), (50, 100)], id="overlapping cuts"
        ),
        pytest.param([(0, 100)], [(40, 40), (60, 50)], [(0, 100)], id="empty cuts take nothing"),
        pytest.param([(50, 50), (70, 60)], [], [], id="empty windows dropped"),
        pytest.param(
            [(0, 10), (20, 30), (40, 50)],
            [(5, 25), (45, 60)],
            [(0, 5), (25, 30), (40, 45)],
            id="one cut spans a gap between windows",
        ),
    ],
)
def test_subtract_on_minutes(
    windows: list[tuple[int, int]], removed: list[tuple[int, int]], expected: list[tuple[int, int]]
) -> None:
    assert subtract(windows, removed) == expected


def test_subtract_on_exact_instants_keeps_fractions() -> None:
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    half_second = timedelta(seconds=0.5)
    hour = timedelta(hours=1)
    windows = [(t0, t0 + 10 * hour)]
    closed = [(t0 + 2 * hour + half_second, t0 + 3 * hour), (t0 + 9 * hour, t0 + 12 * hour)]
    assert subtract(windows, closed) == [
        (t0, t0 + 2 * hour + half_second),
        (t0 + 3 * hour, t0 + 9 * hour),
    ]


def test_subtract_compares_instants_across_offsets() -> None:
    """Instants in different offsets are compared exactly, never as strings."""
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    bangkok = timezone(timedelta(hours=7))
    window = [(t0, t0 + timedelta(hours=10))]
    # 09:00 +07:00 is 02:00 UTC; 12:00 +07:00 is 05:00 UTC.
    closed = [(datetime(2026, 12, 1, 9, tzinfo=bangkok), datetime(2026, 12, 1, 12, tzinfo=bangkok))]
    assert subtract(window, closed) == [
        (t0, t0 + timedelta(hours=2)),
        (t0 + timedelta(hours=5), t0 + timedelta(hours=10)),
    ]

