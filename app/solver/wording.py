"""Short labels for messages a liaison officer reads: countries, sites, units, times."""

from __future__ import annotations

from datetime import UTC, datetime

from app.solver.instance import Instance
from app.solver.schema import Operation, Site, Unit

# How the region's officers name each other's units; other countries use their name.
_DEMONYMS = {
    "CN": "Chinese",
    "KH": "Cambodian",
    "LA": "Lao",
    "MM": "Myanmar",
    "TH": "Thai",
    "VN": "Vietnamese",
}


def country_name(instance: Instance, code: str) -> str:
    """The country's name as the scenario spells it."""
    return next((c.name for c in instance.scenario.countries if c.code == code), code)


def demonym(instance: Instance, code: str) -> str:
    """`Thai` for TH; the country's name where no adjective is known."""
    return _DEMONYMS.get(code, country_name(instance, code))


def site_label(site: Site) -> str:
    return f"site {site.id} ({site.region})"


def units_phrase(instance: Instance, country: str, count: int) -> str:
    """`3 Thai units`, `1 Myanmar unit`."""
    return f"{count} {demonym(instance, country)} unit{'' if count == 1 else 's'}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def id_list(units: list[Unit], limit: int = 5) -> str:
    """`U-1, U-2 and 3 more`."""
    ids = [u.id for u in units]
    if len(ids) <= limit:
        return ", ".join(ids)
    return ", ".join(ids[:limit]) + f" and {len(ids) - limit} more"


def short_time(value: datetime) -> str:
    """`2026-12-02 03:00Z`: the UTC minute, enough for a reason text; seconds (and their
    fraction) only when there are some, since a grid or window off the minute is often
    the very reason (`2026-12-01 00:00:30.5Z`)."""
    utc = value.astimezone(UTC)
    if not utc.second and not utc.microsecond:
        return utc.strftime("%Y-%m-%d %H:%MZ")
    fraction = f".{utc.microsecond:06d}".rstrip("0") if utc.microsecond else ""
    return utc.strftime("%Y-%m-%d %H:%M:%S") + fraction + "Z"


def minute_time(instance: Instance, minutes: int) -> str:
    return short_time(instance.instant(minutes))


def window_phrase(operation: Operation) -> str:
    """`at its fixed start ...` or `at any start in its window ... – ...`."""
    if operation.fixed_start is not None:
        return f"at its fixed start {short_time(operation.fixed_start)}"
    return (
        f"at any start in its window {short_time(operation.earliest_start)}"
        f" – {short_time(operation.latest_end)}"
    )
