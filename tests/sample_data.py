"""The repository's sample scenarios (tests/data), made by `jointops sample` (see its README).

Tests read these, never ../shared: a fresh clone has only what is in the repository.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
TINY = DATA / "tiny.json"  # jointops sample --preset tiny
SMALL = DATA / "small.json"  # jointops sample --preset small
SCARCE = DATA / "scarce.json"  # see SCARCE_KNOBS
# Every optional field of the format, small enough to solve in a test.
SCARCE_KNOBS = {"operations": 40, "units": 90, "days": 3, "seed": 2}
