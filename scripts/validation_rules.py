"""Write docs/validation-rules.md (ASVS 5.0 2.1.1, 2.1.2): the input validation rules of
every JSON request body of the API, generated from the models that check them, then the
rules that relate fields to each other or to the board's data.

Typed bodies come from the OpenAPI document (the pydantic models FastAPI validates
with); bodies taken as a JSON object and checked by a service are listed in OBJECT_BODIES
with the model or function that checks them. Every model is then tabled field by field:
type, whether it is required, and its constraints. tests/security/test_validation_rules.py
fails when the document differs from what this writes, or when a body is not covered.

The cross-field rules are read from the validators themselves: every model validator, and
every field validator that reads other fields or the validation context (it takes
`info`), of a model in the document. Each must say its rule in its docstring and name its
test on a last line `Test: tests/...py::test_name`; one that does not stops this script.
Checks that services make against the board's data are listed in SERVICE_RULES.

    python scripts/validation_rules.py        # rewrites docs/validation-rules.md
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "validation-rules.md"

# Bodies taken as a JSON object: the model that validates them (module:Class), or the
# function that checks them field by field, with the fields it takes.
OBJECT_BODIES: dict[str, tuple[str, str]] = {
    "POST /api/v1/campaigns": ("app.campaigns.schemas:CampaignIn",
                               "`app/campaigns/service.py` `validate`"),
    "PUT /api/v1/campaigns/{campaign_id}": (
        "app.campaigns.schemas:CampaignIn", "`app/campaigns/service.py` `validate`, and "
        "`version` (integer, the one read)"),
    "PUT /api/v1/operations/{operation_id}/phase": (
        "", "`{phase_id}`: a phase of a campaign the lead agency takes part in, or null "
        "(`app/campaigns/service.py` `parse_phase`)"),
    "PUT /api/v1/operations/{operation_id}/report": (
        "app.campaigns.schemas:ReportIn", "`app/campaigns/reports.py` `validate`, and "
        "`version` (integer, 0 for a new report)"),
    "POST /api/v1/operations/{operation_id}/report/submit": (
        "", "`{version}`: the integer read (`app/campaigns/reports.py` `submit`)"),
    "POST /api/v1/operations/{operation_id}/report/confirm": (
        "", "`{country_code, version}`: a host country the caller confirms for, and the "
        "integer version read "
        "(`app/campaigns/reports.py` `confirm`)"),
    "POST /api/v1/intel/notes": ("app.campaigns.intel:NoteIn",
                                 "`app/campaigns/intel.py` `validate`"),
    "POST /api/v1/intel/notes/{note_id}/releases": (
        "", "`{agency_id}`: an agency the note may be released to "
        "(`app/campaigns/intel.py` `release`)"),
    "POST /api/v1/repatriation/cohorts": (
        "", "`{nationality_code, count (1 to 100000), holding_agency_id, site_region_id, "
        "release_on, vulnerable}`, any other field refused "
        "(`app/repatriation/service.py` `validate_cohort`)"),
    "POST /api/v1/repatriation/cohorts/{cohort_id}": (
        "", "`{version, count, site_region_id, release_on, vulnerable}` as for a new cohort; "
        "the count not below the persons already scheduled or handed over "
        "(`app/repatriation/service.py` `update_cohort`)"),
    "POST /api/v1/repatriation/runs": (
        "", "`{country (string), days (integer, 1 to 60, default 30), time_limit (number of "
        "seconds, default 10)}` (`app/repatriation/api.py` `start_run`, "
        "`app/repatriation/planning.py` `start_run`)"),
    "POST /api/v1/repatriation/batches/{batch_id}/pin": (
        "", "`{version (integer), pinned (boolean, default true)}` "
        "(`app/repatriation/api.py` `pin_batch`)"),
    "POST /api/v1/repatriation/batches/{batch_id}/confirm": (
        "", "`{version (integer)}` (`app/repatriation/api.py` `confirm_batch`)"),
    "POST /api/v1/campaigns/{campaign_id}/offers": (
        "", "`{phase_id, from_agency_id, to_country, unit_ids, note}`: a phase of this "
        "campaign, a participating agency (a planner's own), another country, units of that "
        "agency (`app/campaigns/offers.py` `validate`)"),
    "POST /api/v1/campaigns/{campaign_id}/offers/{offer_id}/decision": (
        "", "`{state: accepted, declined or withdrawn; version (integer); reason}` "
        "(`app/campaigns/capacity_api.py` `decide_offer`)"),
}
# Typed bodies that a service checks further, against the board's data.
FURTHER_CHECKS: dict[str, str] = {
    "POST /api/v1/operations": "`app/operations/service.py` `validate`: known regions and "
    "agencies, a site's point whole, the cordon",
    "PATCH /api/v1/operations/{operation_id}": "`app/operations/service.py` `validate`, on "
    "the operation as it would be after the change",
    "POST /api/v1/admin/units": "`app/admin/org.py` `create_unit`: capabilities on the "
    "managed list, base and operating regions in the agency's country",
    "PUT /api/v1/admin/units/{key}": "`app/admin/org.py` `update_unit`, as for a new unit",
    "POST /api/v1/solver-runs": "`app/planning/service.py` `start_run`: the time limit from "
    "1 s up to `JOINTOPS_MAX_TIME_LIMIT_SECONDS`, 1 to 8 workers, a seed not negative",
}
# Rules that services check against the board's data: the function (`path` `name`), the
# rule, and the test that breaks it.
SERVICE_RULES: tuple[tuple[str, str, str], ...] = (
    ("`app/operations/service.py` `_region_errors`",
     "each site of an operation has a region, one the board knows",
     "tests/operations/test_service.py::test_validation_errors_name_the_field"),
    ("`app/campaigns/service.py` `parse_phase`",
     "an operation's campaign phase belongs to a campaign its lead agency takes part in",
     "tests/campaigns/test_service.py::test_phase_must_be_of_a_campaign_of_the_lead_agency"),
    ("`app/admin/org.py` `_check_places`",
     "a unit's base region is in its agency's country, and so is every operating region",
     "tests/admin/test_units_agencies.py::test_unit_rules"),
    ("`app/campaigns/offers.py` `validate`",
     "an offer names a phase of this campaign, the planner's own agency, another country "
     "than that agency's, and units of that agency",
     "tests/campaigns/test_capacity.py::test_an_offer_is_validated_field_by_field"),
    ("`app/repatriation/service.py` `update_cohort`",
     "a cohort's count does not drop below the persons already scheduled or handed over",
     "tests/repatriation/test_cohort_edit.py::"
     "test_the_count_cannot_drop_below_scheduled_and_handed_over"),
)
# Schema keywords that constrain a value, in the order they are written.
RULES = ("minLength", "maxLength", "pattern", "minimum", "exclusiveMinimum", "maximum",
         "exclusiveMaximum", "minItems", "maxItems", "enum", "const", "format")


def _spec() -> dict[str, Any]:
    from app.main import create_app

    spec: dict[str, Any] = create_app().openapi()
    return spec


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"[{schema['$ref'].rsplit('/', 1)[1]}](#{schema['$ref'].rsplit('/', 1)[1].lower()})"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " or ".join(_type(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return "object" if extra is True else f"object of {_type(extra)}"
    return str(kind)


def _rules(schema: dict[str, Any]) -> str:
    parts = []
    for variant in [schema, *schema.get("anyOf", []), *schema.get("allOf", [])]:
        for key in RULES:
            if key in variant:
                parts.append(f"{key} {json.dumps(variant[key], ensure_ascii=False)}")
    if "default" in schema:
        parts.append(f"default {json.dumps(schema['default'], ensure_ascii=False)}")
    return "; ".join(parts).replace("|", "\\|") or "-"


def _table(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name}", ""]
    if schema.get("description"):
        lines += [" ".join(schema["description"].split()), ""]
    if schema.get("enum"):
        return [*lines, "One of: " + ", ".join(f"`{v}`" for v in schema["enum"]), ""]
    required = set(schema.get("required", []))
    extra = schema.get("additionalProperties")
    lines += ["| field | type | required | rules |", "| --- | --- | --- | --- |"]
    for field, sub in schema.get("properties", {}).items():
        kind = _type(sub).replace("|", "\\|")
        needed = "yes" if field in required else "no"
        lines.append(f"| `{field}` | {kind} | {needed} | {_rules(sub)} |")
    lines += ["", "Other fields: " + ("refused (422)." if extra is False else "ignored."), ""]
    return lines


def _models(spec: dict[str, Any], roots: set[str]) -> dict[str, dict[str, Any]]:
    """The schemas named by `roots`, and every schema they refer to."""
    schemas: dict[str, dict[str, Any]] = dict(spec["components"]["schemas"])
    for _, (target, _) in OBJECT_BODIES.items():
        if target:
            module, cls = target.split(":")
            model = getattr(__import__(module, fromlist=[cls]), cls)
            document = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(document.pop("$defs", {}))
            schemas[cls] = document
    found: dict[str, dict[str, Any]] = {}
    todo = sorted(roots)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found[name] = schemas[name]
        text = json.dumps(schemas[name])
        todo += [ref.split('"')[0] for ref in text.split('"$ref": "#/components/schemas/')[1:]]
    return dict(sorted(found.items()))


def _classes(names: set[str]) -> list[type[Any]]:
    """The board's pydantic models named `names` (the ones the document tables)."""
    from pydantic import BaseModel

    found: list[type[Any]] = []
    todo: list[type[Any]] = [BaseModel]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("app.") and cls.__name__ in names and cls not in found:
            found.append(cls)
    return found


def cross_field_rules(names: set[str]) -> list[tuple[str, str, str, str, str]]:
    """(models, field, rule, validator, test) for each validator of the models `names` that
    reads another field or the validation context (`models`: those of `names` it checks,
    itself or by inheritance); a validator without its rule and test in its docstring
    stops here."""
    import inspect

    rules: dict[tuple[str, str], tuple[str, str, str, str, str]] = {}
    models: dict[tuple[str, str], set[str]] = {}
    undocumented = []
    for cls in _classes(names):
        decorators = cls.__pydantic_decorators__
        validators = [*decorators.field_validators.values(),
                      *decorators.model_validators.values()]
        for decorator in validators:
            func = decorator.func
            fields = getattr(decorator.info, "fields", None)
            if fields is not None and "info" not in inspect.signature(func).parameters:
                continue  # a field validator that sees its own value only
            owner, _, name = func.__qualname__.rpartition(".")
            key = (func.__module__, func.__qualname__)
            models.setdefault(key, set()).add(cls.__name__)
            doc = inspect.getdoc(func) or ""
            text, _, test = doc.rpartition("Test:")
            if not text.strip() or not test.strip():
                undocumented.append(f"{func.__module__}.{func.__qualname__}")
                continue
            where = f"`{owner}.{name}` in `{func.__module__.replace('.', '/')}.py`"
            field = ", ".join(f"`{f}`" for f in fields) if fields else "(the whole object)"
            rules[key] = ("", field, " ".join(text.split()), where, test.strip())
    if undocumented:
        raise SystemExit("cross-field validators without `rule ... Test: tests/...::name` in "
                         "their docstring: " + ", ".join(sorted(undocumented)))
    return sorted((", ".join(f"[{m}](#{m.lower()})" for m in sorted(models[key])), *row[1:])
                  for key, row in rules.items())


def render() -> str:
    spec = _spec()
    bodies: list[str] = []
    roots: set[str] = set()
    missing = []
    for path, operations in sorted(spec["paths"].items()):
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if not body:
                continue
            key = f"{method.upper()} {path}"
            schema = body["content"]["application/json"]["schema"]
            refs = [s["$ref"] for s in [schema, *schema.get("anyOf", [])] if "$ref" in s]
            if refs:
                name = refs[0].rsplit("/", 1)[1]
                roots.add(name)
                further = f"; then {FURTHER_CHECKS[key]}" if key in FURTHER_CHECKS else ""
                bodies.append(f"| `{key}` | [{name}](#{name.lower()}) | FastAPI, before the "
                              f"handler runs{further} |")
            elif key in OBJECT_BODIES:
                target, checked = OBJECT_BODIES[key]
                if target:
                    cls = target.split(":")[1]
                    roots.add(cls)
                    bodies.append(f"| `{key}` | [{cls}](#{cls.lower()}) | {checked} |")
                else:
                    bodies.append(f"| `{key}` | - | {checked} |")
            else:
                missing.append(key)
    if missing:
        raise SystemExit(f"no validation rule for {', '.join(missing)}: add it to OBJECT_BODIES")
    lines = [
        "# Input validation rules",
        "",
        "(ASVS 5.0 2.1.1.) Generated by `scripts/validation_rules.py` from the models the",
        "board validates with; do not edit by hand. Every JSON request body of the API and",
        "what checks it, then every model field by field. A body that breaks a rule is",
        "refused with 422 and `errors[]` naming each field (`path`, `message`); nothing of",
        "it is stored. The operation forms go through the same service. Query and path",
        "parameters carry their rules in the OpenAPI document (`/api/openapi.json`); the",
        "import files have their own formats (`docs/points-format.md`,",
        "`docs/closures-format.md`, `docs/cordon-format.md`, `docs/repatriation-format.md`).",
        "",
        "## Request bodies",
        "",
        "| request | body | checked by |",
        "| --- | --- | --- |",
        *bodies,
        "",
        "## Models",
        "",
    ]
    models = _models(spec, roots)
    for name, schema in models.items():
        lines += _table(name, schema)
    lines += [
        "## Cross-field and contextual rules",
        "",
        "(ASVS 5.0 2.1.2.) The rules that relate a field to another field of the body, or to",
        "the board's data. The first table is written from the validators of the models",
        "above: each states its rule and its test in its docstring, and a validator that",
        "reads other fields without them stops the generator. A broken rule is a 422 naming",
        "the field or object (`path`), like the rules above.",
        "",
        "| model | field | rule | checked by | test |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {model} | {field} | {rule} | {where} | `{test}` |"
          for model, field, rule, where, test in cross_field_rules(set(models))),
        "",
        "Checked by services against the board's data:",
        "",
        "| checked by | rule | test |",
        "| --- | --- | --- |",
        *(f"| {where} | {rule} | `{test}` |" for where, rule, test in SERVICE_RULES),
        "",
    ]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    os.environ.setdefault("JOINTOPS_ENVIRONMENT", "test")  # no production checks to write
    DOCUMENT.write_text(render(), encoding="utf-8")
    print(f"{DOCUMENT.relative_to(ROOT)} written")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
