"""The whole-document rules of `jointops-scenario/1`, checked on the raw JSON data.

They run on the raw dict (not the pydantic model) so that they are reported together
with shape errors. Values of the wrong type are skipped here: the shape check reports
them. Each rule yields `(json_path, message)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.i18n import N_, later
from app.solver.schema import parse_instant

Found = Iterator[tuple[str, str]]
Entries = list[tuple[str, dict[str, Any]]]
DAY_MINUTES = 1440
MINUTE = timedelta(minutes=1)


def check_scenario_rules(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """Every whole-document problem of a raw scenario dict, as (path, message)."""
    known = _Known(doc)
    problems = list(known.duplicates)
    for rule in (_horizon_rules, _country_rules, _region_rules, _road_rules, _crossing_rules):
        problems.extend(rule(doc, known))
    for rule in (_agreement_rules, _agency_rules, _unit_rules, _operation_rules):
        problems.extend(rule(doc, known))
    return problems


# ---- raw-data helpers ----------------------------------------------------------------


def entries(container: Any, key: str, prefix: str = "") -> Entries:
    """The dict items of `container[key]` (when it is a list) with their JSON paths."""
    value = container.get(key) if isinstance(container, dict) else None
    if not isinstance(value, list):
        return []
    path = f"{prefix}.{key}" if prefix else key
    return [(f"{path}[{i}]", item) for i, item in enumerate(value) if isinstance(item, dict)]


def text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) else None


def integer(item: dict[str, Any], key: str) -> int | None:
    value = item.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def instant(item: Any, key: str) -> datetime | None:
    """The instant at `item[key]`, or None when absent or malformed (reported elsewhere)."""
    if not isinstance(item, dict) or item.get(key) is None:
        return None
    try:
        return parse_instant(item[key])
    except ValueError:
        return None


def zone(name: str) -> ZoneInfo | None:
    """The IANA zone of that name, or None when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def daily_minutes(value: Any) -> int | None:
    """`HH:MM` as minutes after midnight (`24:00` is 1440), None when malformed."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return None
    hours, minutes = value[:2], value[3:]
    if not (hours.isdigit() and minutes.isdigit()):
        return None
    return int(hours) * 60 + int(minutes)


class _Known:
    """The ids each list declares; duplicates are recorded as problems."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.duplicates: list[tuple[str, str]] = []
        self.countries = self._index(entries(doc, "countries"), "code", N_("country code"))
        self.region_country = self._index(entries(doc, "regions"), "id", N_("region id"),
                                          "country")
        self.agency_country = self._index(entries(doc, "agencies"), "id", N_("agency id"),
                                          "country")
        # A region or agency of an unknown country is reported once, not again by every
        # rule that compares countries.
        for mapping in (self.region_country, self.agency_country):
            for key, country in mapping.items():
                mapping[key] = country if country in self.countries else None
        self.crossings = self._index(entries(doc, "crossings"), "id", N_("crossing id"))
        self._index(entries(doc, "units"), "id", N_("unit id"))
        self._index(entries(doc, "operations"), "id", N_("operation id"))
        sites = [s for path, op in entries(doc, "operations") for s in entries(op, "sites", path)]
        self._index(sites, "id", N_("site id"))

    def _index(
        self, items: Entries, key: str, what: str, value_key: str | None = None
    ) -> dict[str, Any]:
        """Map each id to `item[value_key]` (or its path), recording repeated ids."""
        seen: dict[str, str] = {}
        values: dict[str, Any] = {}
        for path, item in items:
            ident = text(item, key)
            if ident is None:
                continue
            if ident in seen:
                self.duplicates.append(
                    (f"{path}.{key}", later("duplicate %(what)s %(id)s (first at %(first)s)",
                                            what=what, id=repr(ident), first=seen[ident]))
                )
                continue
            seen[ident] = path
            values[ident] = text(item, value_key) if value_key else path
        return values


def lookup(mapping: dict[str, Any], value: Any) -> Any:
    """`mapping[value]` when value is a known string id, else None."""
    return mapping.get(value) if isinstance(value, str) else None


def _unknown(item: dict[str, Any], key: str, path: str, known: Any, what: str) -> Found:
    value = text(item, key)
    if value is not None and value not in known:
        yield f"{path}.{key}", later("unknown %(what)s %(value)s", what=what, value=repr(value))


# ---- the rules -----------------------------------------------------------------------


def _horizon_rules(doc: dict[str, Any], known: _Known) -> Found:
    start, end = instant(doc.get("horizon"), "start"), instant(doc.get("horizon"), "end")
    if start and end and start >= end:
        yield "horizon", later("start must be before end")
    slot = integer(doc, "slot_minutes")
    if slot is not None and slot > 0 and DAY_MINUTES % slot:
        yield "slot_minutes", later("%(slot)s does not divide 1440 (the minutes of a day)",
                                    slot=slot)


def _country_rules(doc: dict[str, Any], known: _Known) -> Found:
    for path, country in entries(doc, "countries"):
        name = text(country, "timezone")
        if name and zone(name) is None:
            yield f"{path}.timezone", later("unknown IANA time zone %(zone)s", zone=repr(name))


def _region_rules(doc: dict[str, Any], known: _Known) -> Found:
    for path, region in entries(doc, "regions"):
        yield from _unknown(region, "country", path, known.countries, N_("country"))


def _road_rules(doc: dict[str, Any], known: _Known) -> Found:
    for path, road in entries(doc, "roads"):
        yield from _unknown(road, "a", path, known.region_country, N_("region"))
        yield from _unknown(road, "b", path, known.region_country, N_("region"))
        a = lookup(known.region_country, road.get("a"))
        b = lookup(known.region_country, road.get("b"))
        if a and b and a != b:
            yield path, later("road joins two countries (%(a)s in %(a_country)s, %(b)s in "
                              "%(b_country)s)", a=road["a"], a_country=a, b=road["b"],
                              b_country=b)


def _crossing_rules(doc: dict[str, Any], known: _Known) -> Found:
    for path, crossing in entries(doc, "crossings"):
        yield from _unknown(crossing, "a", path, known.region_country, N_("region"))
        yield from _unknown(crossing, "b", path, known.region_country, N_("region"))
        a = lookup(known.region_country, crossing.get("a"))
        b = lookup(known.region_country, crossing.get("b"))
        if a and b and a == b:
            yield path, later("crossing joins two regions of one country (%(country)s)",
                              country=a)
        for window_path, window in entries(crossing, "open", path):
            opens, closes = daily_minutes(window.get("from")), daily_minutes(window.get("to"))
            if opens is not None and closes is not None and opens >= closes:
                yield window_path, later("from %(opens)s must be before to %(closes)s",
                                         opens=window["from"], closes=window["to"])
        for window_path, window in entries(crossing, "closed", path):
            start, end = instant(window, "start"), instant(window, "end")
            if start and end and start >= end:
                yield window_path, later("start must be before end")
        yield from _crossing_zone_rules(doc, path, crossing)


def _crossing_zone_rules(doc: dict[str, Any], path: str, crossing: dict[str, Any]) -> Found:
    name = text(crossing, "timezone")
    if not name:
        return
    local = zone(name)
    if local is None:
        yield f"{path}.timezone", later("unknown IANA time zone %(zone)s", zone=repr(name))
        return
    start, end = instant(doc.get("horizon"), "start"), instant(doc.get("horizon"), "end")
    if start and end and start < end:
        change = offset_change(local, start, end)
        if change is not None:
            yield (
                f"{path}.timezone",
                later("time zone %(zone)s changes its UTC offset within the horizon (near "
                      "%(near)s); daylight saving is not supported", zone=repr(name),
                      near=change.isoformat()),
            )


def offset_change(local: ZoneInfo, start: datetime, end: datetime) -> datetime | None:
    """An instant in `[start, end)` whose UTC offset in `local` differs from `start`'s."""
    # Offsets change at most a few times a year and never back within an hour, so
    # hourly samples (and the last instant) find any change.
    first = start.astimezone(local).utcoffset()
    step = max(timedelta(hours=1), (end - start) / 200_000)
    moment = start
    while moment < end:
        if moment.astimezone(local).utcoffset() != first:
            return moment
        moment += step
    last = end - timedelta(microseconds=1)
    return last if last.astimezone(local).utcoffset() != first else None


def _agreement_rules(doc: dict[str, Any], known: _Known) -> Found:
    for path, agreement in entries(doc, "agreements"):
        yield from _unknown(agreement, "from", path, known.countries, N_("country"))
        yield from _unknown(agreement, "to", path, known.countries, N_("country"))
        if text(agreement, "from") and agreement.get("from") == agreement.get("to"):
            yield path, later("from and to are the same country %(country)s",
                              country=repr(agreement["from"]))


def _agency_rules(doc: dict[str, Any], known: _Known) -> Found:
    for path, agency in entries(doc, "agencies"):
        yield from _unknown(agency, "country", path, known.countries, N_("country"))


def _unit_rules(doc: dict[str, Any], known: _Known) -> Found:
    for path, unit in entries(doc, "units"):
        yield from _unknown(unit, "agency", path, known.agency_country, N_("agency"))
        yield from _unknown(unit, "base", path, known.region_country, N_("region"))
        home = lookup(known.agency_country, unit.get("agency"))
        base_country = lookup(known.region_country, unit.get("base"))
        if home and base_country and home != base_country:
            yield (
                f"{path}.base",
                later("base %(base)s is in %(country)s, not in the unit's country %(home)s",
                      base=repr(unit["base"]), country=base_country, home=home),
            )
        regions = unit.get("operating_regions")
        for i, region in enumerate(regions if isinstance(regions, list) else []):
            if isinstance(region, str) and region not in known.region_country:
                yield f"{path}.operating_regions[{i}]", later(
                    "unknown %(what)s %(value)s", what=N_("region"), value=repr(region))
        for window_path, window in entries(unit, "available", path):
            start, end = instant(window, "start"), instant(window, "end")
            if start and end and start >= end:
                yield window_path, later("start must be before end")


def _operation_rules(doc: dict[str, Any], known: _Known) -> Found:
    for path, operation in entries(doc, "operations"):
        yield from _unknown(operation, "lead_agency", path, known.agency_country,
                            N_("agency"))
        yield from _window_rules(doc, path, operation)
        yield from _cordon_rules(path, operation, known)
        for site_path, site in entries(operation, "sites", path):
            yield from _unknown(site, "region", site_path, known.region_country,
                                N_("region"))
            seen: set[str] = set()
            for req_path, requirement in entries(site, "requirements", site_path):
                capability = text(requirement, "capability")
                if capability is not None and capability in seen:
                    yield (
                        f"{req_path}.capability",
                        later("capability %(capability)s repeats within the site",
                              capability=repr(capability)),
                    )
                seen.add(capability or "")


def _window_rules(doc: dict[str, Any], path: str, operation: dict[str, Any]) -> Found:
    earliest, latest = instant(operation, "earliest_start"), instant(operation, "latest_end")
    duration = integer(operation, "duration_minutes")
    if earliest is None or latest is None or duration is None:
        return
    # Compared in minutes, not as a timedelta: the spec sets no upper bound on a duration.
    if (latest - earliest) / MINUTE < duration:
        yield (
            f"{path}.duration_minutes",
            later("window earliest_start..latest_end is shorter than duration_minutes "
                  "(%(duration)s)", duration=duration),
        )
        return
    fixed = instant(operation, "fixed_start")
    if fixed is None:
        return
    horizon_start, slot = instant(doc.get("horizon"), "start"), integer(doc, "slot_minutes")
    if (
        horizon_start
        and slot
        and 0 < slot <= DAY_MINUTES
        and (fixed - horizon_start) % (slot * MINUTE)
    ):
        yield f"{path}.fixed_start", later(
            "is off the slot grid (horizon.start + k * %(slot)s minutes)", slot=slot)
    if not earliest <= fixed <= latest - duration * MINUTE:
        yield f"{path}.fixed_start", later(
            "is outside [earliest_start, latest_end - duration_minutes]")


def _cordon_rules(path: str, operation: dict[str, Any], known: _Known) -> Found:
    """The cordon extension (docs/cordon-format.md): what to seal, named exactly once."""
    cordon = operation.get("cordon")
    if not isinstance(cordon, dict):
        return
    where = f"{path}.cordon"
    listed, radius = cordon.get("crossings"), cordon.get("within_km")
    if (listed is None) == (radius is None):
        yield where, later("give exactly one of crossings (a list of crossing ids) or "
                           "within_km")
    seen: set[str] = set()
    for i, crossing in enumerate(listed if isinstance(listed, list) else []):
        if not isinstance(crossing, str):
            continue
        if crossing not in known.crossings:
            yield f"{where}.crossings[{i}]", later("unknown %(what)s %(value)s",
                                                   what=N_("crossing"), value=repr(crossing))
        elif crossing in seen:
            yield f"{where}.crossings[{i}]", later("crossing %(crossing)s is listed twice",
                                                   crossing=repr(crossing))
        seen.add(crossing)
    if isinstance(listed, list) and not listed:
        yield f"{where}.crossings", later(
            "an empty list seals nothing: name at least one crossing")
