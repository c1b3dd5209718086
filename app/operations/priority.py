"""Priority as police officers read it, 1 (top) to 5, and the solver weight behind it.

The solver maximises the sum of the weights of the operations it schedules (spec:
`priority` is a weight), so the levels map to weights here, and only here. Each level
weighs four times the next: the solver gives up one operation of a level only for at
least four of the level below (or one above).

Operations store the weight (the column, the solver's scenario and API field `priority`
are unchanged). Weights set before the levels, or through the API as a number, are shown
as the level whose weight they reach (7 reads "4 Low"); a form keeps such a weight as it
is unless another level is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    number: int
    name: str
    weight: int

    @property
    def label(self) -> str:
        return f"{self.number} {self.name}"


LEVELS = (
    Level(1, "Critical", 256),
    Level(2, "High", 64),
    Level(3, "Medium", 16),
    Level(4, "Low", 4),
    Level(5, "Routine", 1),
)
BY_NUMBER = {level.number: level for level in LEVELS}
DEFAULT = BY_NUMBER[3]


def weight_of(number: int) -> int:
    """The solver weight of level `number` (1 to 5)."""
    return BY_NUMBER[number].weight


def level_of(weight: int) -> Level:
    """The level a weight reaches: the highest whose weight is not above it."""
    for level in LEVELS:
        if weight >= level.weight:
            return level
    return LEVELS[-1]


def label(weight: int | str | None) -> str:
    """"2 High" for a weight (templates); an unreadable value is shown as it is."""
    try:
        return level_of(int(weight)).label  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(weight or "")
