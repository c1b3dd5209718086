"""The campaign and report forms: flat fields to input documents and back.

Field names are paths of the input documents (`phases.0.goals.1.target`,
`parts.MM.detained.CN`), so an error's location names the field it belongs next to.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData

from app.campaigns.schemas import PartIn
from app.models import Campaign, Goal, Phase

_PHASE = re.compile(r"^phases\.(\d+)\.(id|name|starts_on|ends_on)$")
_GOAL = re.compile(r"^phases\.(\d+)\.goals\.(\d+)\.(metric|scope|target)$")
ROW_ACTION = re.compile(r"^(add_phase|remove_phase|add_goal|remove_goal)(?::(\d+)(?:\.(\d+))?)?$")
_PART = re.compile(r"^parts\.([A-Z]{2})\.([a-z_]+)$")
_DETAINED = re.compile(r"^parts\.([A-Z]{2})\.detained\.([A-Z]{2,3})$")


def blank_goal() -> dict[str, Any]:
    return {"metric": "arrests", "scope": "", "target": ""}


def blank_phase() -> dict[str, Any]:
    return {"id": "", "name": "", "starts_on": "", "ends_on": "", "goals": [blank_goal()]}


def blank_campaign(agency_id: str | None) -> dict[str, Any]:
    return {"name": "", "description": "", "agencies": [agency_id] if agency_id else [],
            "phases": [blank_phase()]}


def from_campaign(campaign: Campaign, agencies: list[str], phases: list[Phase],
                  goals: list[Goal]) -> dict[str, Any]:
    return {
        "name": campaign.name, "description": campaign.description, "agencies": agencies,
        "phases": [{
            "id": str(p.id), "name": p.name, "starts_on": p.starts_on.isoformat(),
            "ends_on": p.ends_on.isoformat(),
            "goals": [{"metric": g.metric.value, "scope": g.region_id or g.country_code or "",
                       "target": str(g.target)} for g in goals if g.phase_id == p.id],
        } for p in phases],
    }


def parse_campaign(form: FormData) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": str(form.get("name", "")),
                           "description": str(form.get("description", "")),
                           "agencies": [str(a) for a in form.getlist("agencies")]}
    phases: dict[int, dict[str, Any]] = {}
    for key, value in form.multi_items():
        if match := _PHASE.match(key):
            phase = phases.setdefault(int(match[1]), {**blank_phase(), "goals": {}})
            phase[match[2]] = str(value)
        elif match := _GOAL.match(key):
            phase = phases.setdefault(int(match[1]), {**blank_phase(), "goals": {}})
            phase["goals"].setdefault(int(match[2]), blank_goal())[match[3]] = str(value)
    doc["phases"] = [{**p, "goals": [p["goals"][j] for j in sorted(p["goals"])]}
                     for _, p in sorted(phases.items())]
    return doc


def apply_row_action(doc: dict[str, Any], action: str) -> None:
    match = ROW_ACTION.match(action)
    if match is None:
        return
    verb, i, j = match[1], match[2], match[3]
    phases: list[dict[str, Any]] = doc["phases"]
    if verb == "add_phase":
        phases.append(blank_phase())
        return
    if i is None or not int(i) < len(phases):
        return
    if verb == "remove_phase":
        phases.pop(int(i))
    elif verb == "add_goal":
        phases[int(i)]["goals"].append(blank_goal())
    elif j is not None and int(j) < len(phases[int(i)]["goals"]):
        phases[int(i)]["goals"].pop(int(j))


def campaign_input(doc: dict[str, Any]) -> dict[str, Any]:
    """The raw document made ready for validation: empty ids and scopes as None / ""."""
    return {**doc, "phases": [
        {**p, "id": p.get("id") or None, "starts_on": p.get("starts_on") or None,
         "ends_on": p.get("ends_on") or None,
         "goals": [{**g, "target": g.get("target") or None} for g in p["goals"]]}
        for p in doc["phases"]]}


def parse_report(form: FormData, hosts: list[str]) -> dict[str, Any]:
    """The report form: one part per host country; empty counts are 0, text stays as typed."""
    parts: dict[str, dict[str, Any]] = {c: {"detained": {}} for c in hosts}
    for key, value in form.multi_items():
        if match := _DETAINED.match(key):
            if match[1] in parts and str(value).strip():
                parts[match[1]]["detained"][match[2]] = str(value).strip()
        elif (match := _PART.match(key)) and match[2] in PartIn.model_fields \
                and match[1] in parts:
            parts[match[1]][match[2]] = str(value).strip() or "0"
    return {"lessons": str(form.get("lessons", "")),
            "lessons_tlp": str(form.get("lessons_tlp", "AMBER")), "parts": parts}
