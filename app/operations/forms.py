"""The operation form: flat HTML fields to an input document, row add/remove, display values.

Field names are the paths of the input model (`sites.0.requirements.1.count`), so an
error's location is also the name of the field it belongs next to.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import FormData

SCALARS = ("code_name", "description", "lead_agency_id", "priority", "earliest_start",
           "latest_end", "duration_minutes", "fixed_start", "tlp")
TIMES = ("earliest_start", "latest_end", "fixed_start")
_SITE = re.compile(r"^sites\.(\d+)\.(id|region_id|objective|min_personnel)$")
_REQ = re.compile(r"^sites\.(\d+)\.requirements\.(\d+)\.(capability|count)$")
ROW_ACTION = re.compile(r"^(add_site|remove_site|add_req|remove_req)(?::(\d+)(?:\.(\d+))?)?$")


def blank_site() -> dict[str, Any]:
    """An empty site row with one empty requirement row."""
    return {"id": "", "region_id": "", "objective": "", "min_personnel": "",
            "requirements": [blank_requirement()]}


def blank_requirement() -> dict[str, Any]:
    return {"capability": "", "count": "1"}


def blank_document(lead_agency_id: str | None) -> dict[str, Any]:
    """What the "new operation" form starts from."""
    doc: dict[str, Any] = {name: "" for name in SCALARS}
    doc.update(lead_agency_id=lead_agency_id or "", priority="10", duration_minutes="240",
               tlp="AMBER", foreign_support_requested=False, sites=[blank_site()])
    return doc


def parse(form: FormData) -> dict[str, Any]:
    """The posted fields as a document with the raw strings (rows in index order)."""
    doc: dict[str, Any] = {name: str(form.get(name, "")) for name in SCALARS}
    doc["foreign_support_requested"] = form.get("foreign_support_requested") in ("on", "true")
    sites: dict[int, dict[str, Any]] = {}
    for key, value in form.multi_items():
        if match := _SITE.match(key):
            site = sites.setdefault(int(match[1]), {**blank_site(), "requirements": {}})
            site[match[2]] = str(value)
        elif match := _REQ.match(key):
            site = sites.setdefault(int(match[1]), {**blank_site(), "requirements": {}})
            row = site["requirements"].setdefault(int(match[2]), blank_requirement())
            row[match[3]] = str(value)
    doc["sites"] = [
        {**site, "requirements": [site["requirements"][j] for j in sorted(site["requirements"])]}
        for _, site in sorted(sites.items())
    ]
    return doc


def apply_row_action(doc: dict[str, Any], action: str) -> int | None:
    """Add or remove a site or requirement row in place; the index of a new site row."""
    match = ROW_ACTION.match(action)
    if match is None:
        return None
    verb, i, j = match[1], match[2], match[3]
    sites: list[dict[str, Any]] = doc["sites"]
    if verb == "add_site":
        sites.append(blank_site())
        return len(sites) - 1
    if i is None or not int(i) < len(sites):
        return None
    site = sites[int(i)]
    if verb == "remove_site":
        sites.pop(int(i))
    elif verb == "add_req":
        site["requirements"].append(blank_requirement())
    elif j is not None and int(j) < len(site["requirements"]):
        site["requirements"].pop(int(j))
    return None


def to_input(doc: dict[str, Any]) -> dict[str, Any]:
    """The raw document made ready for validation: UTC times, empty optionals as None."""
    data = {key: value for key, value in doc.items() if key != "sites"}
    for name in TIMES:
        value = (data.get(name) or "").strip()
        data[name] = (value + "Z" if value and _naive(value) else value) or None
    data["sites"] = [
        {**site, "id": site.get("id") or None,
         "min_personnel": site.get("min_personnel") or None}
        for site in doc["sites"]
    ]
    return data


LABELS = {"code_name": "Code name", "lead_agency_id": "Lead agency", "tlp": "TLP label",
          "earliest_start": "Earliest start", "latest_end": "Latest end",
          "duration_minutes": "Duration", "fixed_start": "Fixed H-hour", "sites": "Sites",
          "min_personnel": "min. personnel", "region_id": "region"}


def field_label(path: str) -> str:
    """A field path as the words the form shows: `sites.1.region_id` -> `Site 2: region`."""
    if match := re.match(r"^sites\.(\d+)\.requirements\.(\d+)\.(\w+)$", path):
        return f"Site {int(match[1]) + 1}, requirement {int(match[2]) + 1}: {match[3]}"
    if match := re.match(r"^sites\.(\d+)\.(\w+)$", path):
        return f"Site {int(match[1]) + 1}: {LABELS.get(match[2], match[2])}"
    return LABELS.get(path, path.replace("_", " ").capitalize())


def _naive(value: str) -> bool:
    return not (value.endswith(("Z", "z")) or re.search(r"[+-]\d\d:?\d\d$", value))


def from_input(doc: dict[str, Any]) -> dict[str, Any]:
    """An input document (`service.as_input`) as form values: times as UTC `datetime-local`."""
    data = dict(doc)
    for name in TIMES:
        value = data.get(name)
        data[name] = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") if isinstance(
            value, datetime) else (value or "")
    for key in ("tlp",):
        data[key] = getattr(data[key], "value", data[key])
    data["sites"] = [
        {**site, "min_personnel": "" if site["min_personnel"] is None else site["min_personnel"]}
        for site in doc["sites"]
    ]
    return data
