"""Load and check `jointops-scenario/1` and `jointops-plan/1` documents.

`load_scenario` rejects a scenario as a whole and lists every problem at once, each with
its JSON path in the spec's key names (`operations[3].sites[0].region: unknown region
'XX'`). The pydantic models check shape, types and ranges; the whole-document rules
(`app.solver.loader_rules`) run on the raw data too, so both kinds are reported together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from app.i18n import Deferred, later, pydantic_message
from app.solver.schema import Plan, Scenario


@dataclass(frozen=True)
class Problem:
    """One reason a document is rejected, at a JSON path (`""` is the whole document)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DocumentError(ValueError):
    """A document broke the spec; `problems` lists every reason, `str()` one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ScenarioError(DocumentError):
    """A scenario broke the spec; nothing of it may be imported."""


class PlanError(DocumentError):
    """A plan document is malformed (its validity against a scenario is `validate_plan`)."""


def json_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """A pydantic location as a JSON path: `('operations', 3, 'sites')` -> `operations[3].sites`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _pydantic_problems(exc: ValidationError) -> list[Problem]:
    """Each error with pydantic's English, as a message the catalogues know when it is one
    (a validator's `later(…)`, pydantic's own words): the board's import page shows it in
    the reader's language."""
    problems = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        known = pydantic_message(error)
        problems.append(Problem(json_path(error["loc"]),
                                known if isinstance(known, Deferred) and known == message
                                else message))
    return problems


def read_document(data: dict[str, Any] | str | bytes | Path | BaseModel) -> Any:
    """The JSON value of `data`: a dict as is, JSON text, or a path to a JSON file.

    A `str` is taken as JSON text when it starts with `{` or `[`, else as a file path.
    Raises `DocumentError` for unreadable files and invalid JSON (with line and column).
    """
    if isinstance(data, Path) or (isinstance(data, str) and data.lstrip()[:1] not in "{["):
        try:
            data = Path(data).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DocumentError([Problem("", later("cannot read %(file)s: %(problem)s",
                                                   file=str(data), problem=str(exc)))]) from None
    if isinstance(data, str | bytes):
        try:
            return json.loads(data)
        except json.JSONDecodeError as exc:
            message = later("invalid JSON at line %(line)s, column %(column)s: %(problem)s",
                            line=exc.lineno, column=exc.colno, problem=exc.msg)
            raise DocumentError([Problem("", message)]) from None
        except UnicodeDecodeError as exc:
            raise DocumentError([Problem("", later("invalid JSON: %(problem)s",
                                                   problem=str(exc)))]) from None
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


def load_scenario(data: dict[str, Any] | str | bytes | Path | Scenario) -> Scenario:
    """Parse and fully check a scenario; raise `ScenarioError` listing every problem."""
    from app.solver.loader_rules import check_scenario_rules

    try:
        doc = read_document(data)
    except DocumentError as exc:
        raise ScenarioError(exc.problems) from None
    problems: list[Problem] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc))
    if isinstance(doc, dict):
        problems.extend(Problem(path, message) for path, message in check_scenario_rules(doc))
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def load_plan(data: dict[str, Any] | str | bytes | Path | Plan) -> Plan:
    """Parse a plan's shape; raise `PlanError` listing every problem with its path."""
    try:
        doc = read_document(data)
    except DocumentError as exc:
        raise PlanError(exc.problems) from None
    try:
        return Plan.model_validate(doc)
    except ValidationError as exc:
        raise PlanError(_pydantic_problems(exc)) from None
