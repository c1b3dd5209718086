"""docs/validation-rules.md (ASVS 5.0 2.1.1) is what scripts/validation_rules.py writes
from the models today: a field, a limit or a body added without the document fails."""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

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
