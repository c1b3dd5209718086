"""The operation form: flat HTML fields to an input document, row add/remove, display values.

Field names are the paths of the input model (`sites.0.requirements.1.count`), so an
error's location is also the name of the field it belongs next to.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from app.i18n import N_, gettext, later
from app.operations import priority

SCALARS = ("code_name", "description", "lead_agency_id", "priority", "earliest_start",
           "latest_end", "duration_minutes", "fixed_start", "tlp", "commander",
           "commander_phone", "radio_net")
TIMES = ("earliest_start", "latest_end", "fixed_start")
_SITE = re.compile(r"^sites\.(\d+)\.(id|region_id|objective|min_personnel|lat|lon)$")
_REQ = re.compile(r"^sites\.(\d+)\.requirements\.(\d+)\.(capability|count)$")
# Times are typed as 24-hour wall-clock time in the chosen zone ("2026-12-02 21:30").
_LOCAL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::\d{2})?$")
TIME_HINT = N_("type the date and 24-hour time as YYYY-MM-DD HH:MM, e.g. 2026-12-02 21:30")
ROW_ACTION = re.compile(r"^(add_site|remove_site|add_req|remove_req)(?::(\d+)(?:\.(\d+))?)?$")


def blank_site() -> dict[str, Any]:
    """An empty site row with one empty requirement row."""
    return {"id": "", "region_id": "", "objective": "", "min_personnel": "", "lat": "",
            "lon": "", "requirements": [blank_requirement()]}


def blank_requirement() -> dict[str, Any]:
    return {"capability": "", "count": "1"}


# The cordon fields (docs/cordon-format.md): `cordon_mode` says whether the operation
# seals chosen crossings, every crossing within a radius, or none.
CORDON_MODES = ("", "crossings", "radius")
CORDON_NUMBERS = ("within_km", "lead_minutes", "tail_minutes", "units_per_side")


def blank_cordon() -> dict[str, Any]:
    return {"mode": "", "crossings": [], "within_km": "", "lead_minutes": "60",
            "tail_minutes": "60", "units_per_side": "1", "allow_own_passages": False}


def parse_cordon(form: FormData) -> dict[str, Any]:
    """The cordon fields as typed (kept as strings so a bad value comes back as typed)."""
    mode = str(form.get("cordon_mode", ""))
    cordon = {"mode": mode if mode in CORDON_MODES else "",
              "crossings": [str(c) for c in form.getlist("cordon.crossings") if str(c)],
              "allow_own_passages": form.get("cordon.allow_own_passages") in ("on", "true")}
    cordon.update({name: str(form.get(f"cordon.{name}", "")).strip() for name in CORDON_NUMBERS})
    return cordon


def cordon_input(cordon: dict[str, Any] | None) -> dict[str, Any] | None:
    """The typed cordon made ready for validation: None without one; the crossings or the
    radius as the mode says; a blank number left to the model's error."""
    if not cordon or not cordon.get("mode"):
        return None
    data: dict[str, Any] = {
        name: (cordon.get(name) or None) for name in CORDON_NUMBERS if name != "within_km"}
    data = {name: value for name, value in data.items() if value is not None}
    data["allow_own_passages"] = bool(cordon.get("allow_own_passages"))
    if cordon["mode"] == "crossings":
        data["crossings"] = list(cordon.get("crossings") or [])
    else:
        radius = str(cordon.get("within_km") or "").replace(",", ".")
        data["within_km"] = radius or None
    return data


def cordon_errors(doc: dict[str, Any]) -> dict[str, str]:
    """The mode's own field left empty, said at that field."""
    cordon = doc.get("cordon") or {}
    if cordon.get("mode") == "crossings" and not cordon.get("crossings"):
        return {"cordon.crossings": later("choose at least one crossing to seal")}
    if cordon.get("mode") == "radius" and not cordon.get("within_km"):
        return {"cordon.within_km": later("give the radius in km, e.g. 30")}
    return {}


def cordon_form(cordon: dict[str, Any] | None) -> dict[str, Any]:
    """A stored cordon (CordonIn's fields) as form values."""
    if cordon is None:
        return blank_cordon()
    radius = cordon.get("within_km")
    return {"mode": "crossings" if radius is None else "radius",
            "crossings": list(cordon.get("crossings") or []),
            "within_km": "" if radius is None else f"{radius:g}",
            **{name: str(cordon[name]) for name in CORDON_NUMBERS if name != "within_km"},
            "allow_own_passages": bool(cordon.get("allow_own_passages"))}


def blank_document(lead_agency_id: str | None) -> dict[str, Any]:
    """What the "new operation" form starts from."""
    doc: dict[str, Any] = {name: "" for name in SCALARS}
    doc.update(lead_agency_id=lead_agency_id or "",
               priority=str(priority.DEFAULT.weight), duration_minutes="240",
               tlp="AMBER", foreign_support_requested=False, sites=[blank_site()],
               time_zone="UTC", cordon=blank_cordon())
    return doc


def parse(form: FormData) -> dict[str, Any]:
    """The posted fields as a document with the raw strings (rows in index order)."""
    doc: dict[str, Any] = {name: str(form.get(name, "")) for name in SCALARS}
    # A post without a zone (an old page, a script) means UTC, as the times always did.
    doc["time_zone"] = str(form.get("time_zone") or "UTC")
    doc["foreign_support_requested"] = form.get("foreign_support_requested") in ("on", "true")
    doc["cordon"] = parse_cordon(form)
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
    """The raw document made ready for validation: UTC times, empty optionals as None.

    Times without an offset are wall-clock times in the document's `time_zone`.
    """
    data = {key: value for key, value in doc.items()
            if key not in ("sites", "time_zone", "cordon")}
    data["cordon"] = cordon_input(doc.get("cordon"))
    zone = _zone(doc.get("time_zone"))
    for name in TIMES:
        value = (data.get(name) or "").strip()
        local = parse_local(value) if value and _naive(value) else None
        if local is not None and zone is not None:
            value = local.replace(tzinfo=zone).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        data[name] = value or None
    data["sites"] = [
        {**site, "id": site.get("id") or None,
         "min_personnel": site.get("min_personnel") or None,
         "lat": _degrees(site.get("lat")), "lon": _degrees(site.get("lon"))}
        for site in doc["sites"]
    ]
    return data


def _degrees(value: Any) -> str | None:
    """A typed coordinate made ready to parse: blank is None; a decimal comma (20,35), as
    many officers' keyboards type it, is a point."""
    text = str(value or "").strip()
    return text.replace(",", ".") if text else None


def time_errors(doc: dict[str, Any], zones: list[str]) -> dict[str, str]:
    """Messages for a zone not on the list and for times not typed as YYYY-MM-DD HH:MM."""
    errors: dict[str, str] = {}
    if doc.get("time_zone", "UTC") not in ["UTC", *zones]:
        errors["time_zone"] = later("choose a time zone from the list")
    for name in TIMES:
        value = (doc.get(name) or "").strip()
        if value and _naive(value) and parse_local(value) is None:
            errors[name] = later(TIME_HINT)
    return errors


def capability_errors(doc: dict[str, Any], known: set[str]) -> dict[str, str]:
    """A message for each requirement naming a capability not on the managed list.

    The typed text stays in the field (the form is shown again as posted); an empty one
    is left to the model's own "at least 1 character" message.
    """
    errors: dict[str, str] = {}
    for i, site in enumerate(doc.get("sites") or []):
        for j, req in enumerate(site.get("requirements") or []):
            name = str(req.get("capability") or "").strip()
            if name and name not in known:
                errors[f"sites.{i}.requirements.{j}.capability"] = later(
                    "%(name)s is not on the list of capabilities: choose one from the "
                    "list, or ask an administrator to add it", name=repr(name))
    return errors


def parse_local(value: str) -> datetime | None:
    """`2026-12-02 21:30` (or with a T) as a naive datetime; None if it is not one."""
    match = _LOCAL.match(value.strip())
    if match is None:
        return None
    try:
        year, month, day, hour, minute = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute)
    except ValueError:  # 2026-02-30, 25:00 ...
        return None


def _zone(name: Any) -> ZoneInfo | None:
    if name in (None, "", "UTC"):
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(str(name))
    except (ValueError, KeyError, OSError):
        return None


def echo(value: str, zone: str, groups: list[tuple[str, str]]) -> str:
    """What a typed time is in UTC and in the other zones, as the page echoes it live
    (static/js/local-time.js writes the same text): `= 2026-12-02 03:00Z · MM ...`."""
    value = (value or "").strip()
    if not value:
        return ""
    local = parse_local(value) if _naive(value) else None
    tz = _zone(zone)
    if local is None or tz is None:
        return time_hint() if _naive(value) else ""
    instant = local.replace(tzinfo=tz).astimezone(UTC)
    by_offset: dict[Any, tuple[list[str], str]] = {}
    for countries, name in groups:
        offset = instant.astimezone(ZoneInfo(name)).utcoffset()
        by_offset.setdefault(offset, ([], name))[0].extend(countries.split())
    parts = [instant.strftime("%Y-%m-%d %H:%MZ")]
    for offset in sorted(by_offset, reverse=True):
        codes, name = by_offset[offset]
        parts.append(f"{' '.join(codes)} {_local_text(instant, name)}")
    return "= " + " · ".join(parts)


def time_hint() -> str:
    """How to type a time, as a sentence in the reader's language: the echo shows it for a
    time it cannot read (the page hands the same words to local-time.js, `data-hint`)."""
    hint = gettext(TIME_HINT)
    return hint[:1].upper() + hint[1:]


def _local_text(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return f"{local.strftime('%Y-%m-%d %H:%M')} (UTC{offset[:3]}:{offset[3:]})"


# Translated when shown (field_label runs while the page renders).
LABELS = {"code_name": N_("Code name"), "lead_agency_id": N_("Lead agency"),
          "tlp": N_("TLP label"),
          "earliest_start": N_("Earliest start"), "latest_end": N_("Latest end"),
          "duration_minutes": N_("Duration"), "fixed_start": N_("Fixed H-hour"),
          "sites": N_("Sites"),
          "min_personnel": N_("min. personnel"), "region_id": N_("region"),
          "lat": N_("latitude"), "lon": N_("longitude"),
          "time_zone": N_("Times entered in"), "cordon": N_("Cordon"),
          "cordon.crossings": N_("Cordon: crossings to seal"),
          "cordon.within_km": N_("Cordon: radius (km)"),
          "cordon.lead_minutes": N_("Cordon: lead before H-hour"),
          "cordon.tail_minutes": N_("Cordon: tail after the end"),
          "cordon.units_per_side": N_("Cordon: units per side"),
          "commander": N_("Commander on the ground"),
          "commander_phone": N_("Commander's phone"), "radio_net": N_("Radio net")}


REQUIREMENT_FIELDS = {"capability": N_("capability"), "count": N_("count")}


def field_label(path: str) -> str:
    """A field path as the words the form shows: `sites.1.region_id` -> `Site 2: region`."""
    if match := re.match(r"^sites\.(\d+)\.requirements\.(\d+)\.(\w+)$", path):
        return gettext("Site %(site)s, requirement %(requirement)s: %(field)s") % {
            "site": int(match[1]) + 1, "requirement": int(match[2]) + 1,
            "field": gettext(REQUIREMENT_FIELDS.get(match[3], match[3]))}
    if match := re.match(r"^sites\.(\d+)\.(\w+)$", path):
        return gettext("Site %(site)s: %(field)s") % {
            "site": int(match[1]) + 1, "field": gettext(LABELS.get(match[2], match[2]))}
    return gettext(LABELS.get(path, path.replace("_", " ").capitalize()))


def _naive(value: str) -> bool:
    return not (value.endswith(("Z", "z")) or re.search(r"[+-]\d\d:?\d\d$", value))


def from_input(doc: dict[str, Any], zone: str = "UTC") -> dict[str, Any]:
    """An input document (`service.as_input`) as form values: times in `zone`, 24-hour."""
    data = dict(doc)
    tz = _zone(zone) or ZoneInfo("UTC")
    for name in TIMES:
        value = data.get(name)
        data[name] = value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if isinstance(
            value, datetime) else (value or "")
    data["time_zone"] = zone
    data["cordon"] = cordon_form(doc.get("cordon"))
    for key in ("tlp",):
        data[key] = getattr(data[key], "value", data[key])
    data["sites"] = [
        {**site, "min_personnel": "" if site["min_personnel"] is None else site["min_personnel"],
         **{key: "" if site.get(key) is None else site[key] for key in ("lat", "lon")}}
        for site in doc["sites"]
    ]
    return data
