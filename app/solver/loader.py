"""Load and check `jointops-scenario/1` and `jointops-plan/1` documents."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.solver.schema import Plan, Scenario


@dataclass(frozen=True)
class Problem:
    """One reason a document is rejected, at a JSON path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DocumentError(ValueError):
    """A document broke the spec; `problems` lists every reason."""

    kind = "document"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ScenarioError(DocumentError):
    """A scenario broke the spec; nothing of it may be imported."""


class PlanError(DocumentError):
    """A plan document is malformed."""


def load_scenario(data: dict[str, Any] | str | Path) -> Scenario:
    """Parse and fully check a scenario; raise `ScenarioError` listing every problem."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([Problem(str(e["loc"]), e["msg"]) for e in exc.errors()]) from None


def load_plan(data: dict[str, Any] | str | Path) -> Plan:
    """Parse a plan's shape; raise `PlanError` listing every problem."""
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError([Problem(str(e["loc"]), e["msg"]) for e in exc.errors()]) from None
