"""docs/validation-rules.md (ASVS 5.0 2.1.1) is what scripts/validation_rules.py writes
from the models today: a field, a limit or a body added without the document fails."""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

import pytest

from app.config import ROOT


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "validation_rules", ROOT / "scripts" / "validation_rules.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_validation_rules_document_is_generated_from_the_models() -> None:
    script = _script()
    written = (ROOT / "docs" / "validation-rules.md").read_text(encoding="utf-8")
    assert written == script.render(), (
        "docs/validation-rules.md is stale: run .venv/bin/python scripts/validation_rules.py")
    # Every JSON body of the API is in the table, each model it names has its section.
    spec = script._spec()
    bodies = {f"{method.upper()} {path}" for path, operations in spec["paths"].items()
              for method, operation in operations.items() if operation.get("requestBody")}
    listed = set(re.findall(r"^\| `([A-Z]+ /[^`]+)` \|", written, re.M))
    assert bodies and listed == bodies
    for model in set(re.findall(r"\]\(#(\w+)\)", written)):
        assert re.search(rf"^### {model}$", written, re.M | re.I), model
    # The limits are the models' own: one of them, read from the model.
    from app.operations.schemas import OperationCreateIn

    limit = OperationCreateIn.model_fields["code_name"].metadata
    assert any(getattr(m, "max_length", None) == 100 for m in limit)
    assert "| `code_name` | string | yes | minLength 1; maxLength 100 |" in written


def test_every_checking_function_named_exists() -> None:
    written = (ROOT / "docs" / "validation-rules.md").read_text(encoding="utf-8")
    named = re.findall(r"`(app/[\w/]+\.py)` `(\w+)`", written)
    assert len(named) > 10
    for path, function in named:
        assert re.search(rf"^def {function}\(", (ROOT / path).read_text(encoding="utf-8"),
                         re.M), (path, function)


def _test_exists(reference: str) -> bool:
    import ast

    path, _, name = reference.partition("::")
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return any(isinstance(node, ast.FunctionDef) and node.name == name
               for node in tree.body)


def test_every_cross_field_rule_names_a_test_that_exists() -> None:
    # 2.1.2: the rules that relate fields, each with the test that breaks it.
    written = (ROOT / "docs" / "validation-rules.md").read_text(encoding="utf-8")
    section = written.split("## Cross-field and contextual rules", 1)[1]
    cited = re.findall(r"`(tests/[\w/]+\.py::\w+)` \|$", section, re.M)
    assert len(cited) == len(re.findall(r"^\| .* \|$", section, re.M)) - 4  # two headers
    assert len(cited) >= 13
    missing = [reference for reference in cited if not _test_exists(reference)]
    assert missing == []
    # The window rules of an operation are among them, read from the validators.
    for rule in ("The latest end is after the earliest start.",
                 "The duration fits between the earliest start and the latest end."):
        assert rule in section


def test_a_cross_field_validator_without_its_rule_and_test_stops_the_generator() -> None:
    from pydantic import BaseModel, ValidationInfo, field_validator

    class WindowProbe(BaseModel):
        start: int
        end: int

        @field_validator("end")
        @classmethod
        def _after(cls, value: int, info: ValidationInfo) -> int:
            return value

    class SpanProbe(BaseModel):
        start: int
        end: int

        @field_validator("end")
        @classmethod
        def _after(cls, value: int, info: ValidationInfo) -> int:
            """The end is after the start.

            Test: tests/x.py::test_y"""
            return value

    # As if they were the board's models (the generator reads app.* models only).
    WindowProbe.__module__ = SpanProbe.__module__ = "app.probe"
    script = _script()
    with pytest.raises(SystemExit, match=r"WindowProbe\._after"):
        script.cross_field_rules({"WindowProbe", "SpanProbe"})
    [row] = script.cross_field_rules({"SpanProbe"})
    assert row[:3] == ("[SpanProbe](#spanprobe)", "`end`", "The end is after the start.")
    assert row[4] == "tests/x.py::test_y"
