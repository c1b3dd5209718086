"""Reasons an operation can never be staffed, whatever the time: capability, jurisdiction,
roads and crossings, counts, host-nation presence and headcount.

Every reason is a proof: it names a rule that no choice of start or units can satisfy.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations

from app.solver.instance import Instance
from app.solver.schema import Operation, Site, Unit
from app.solver.wording import country_name, demonym, id_list, plural, site_label, units_phrase


def exclusion(instance: Instance, unit: Unit, operation: Operation, site: Site) -> str | None:
    """Why the unit may never act at the site (jurisdiction or no way there), or None."""
    home, away = instance.unit_country(unit), instance.site_country(site)
    if home == away:
        if unit.operating_regions is not None and site.region not in unit.operating_regions:
            return f"{site.region} is outside their operating regions"
        if instance.distance(unit.base, site.region) is None:
            return f"no road leads from their base to {site.region}"
        return _too_far(instance, unit, site)
    home_name, away_name = country_name(instance, home), country_name(instance, away)
    if not operation.foreign_support:
        return f"{operation.id} has no foreign-support consent from {away_name}"
    if (home, away) not in instance.agreements:
        return f"{home_name} has no agreement to deploy into {away_name}"
    ways = _ways_across(instance, unit, site)
    if ways is None:
        return f"no border crossing joins {home_name} and {away_name}"
    if not ways:
        return f"no road leads from their base through a crossing into {away_name} to {site.region}"
    return _too_far(instance, unit, site)


def _too_far(instance: Instance, unit: Unit, site: Site) -> str | None:
    """The instance drops routes whose round trip alone exceeds the horizon."""
    if instance.routes(unit.base, site.region):
        return None
    return f"the round trip from their base to {site.region} is longer than the planning horizon"


def _ways_across(instance: Instance, unit: Unit, site: Site) -> list[str] | None:
    """Crossings between the two countries with roads on both sides (None: no crossing)."""
    home, away = instance.unit_country(unit), instance.site_country(site)
    countries = instance.region_country
    joined = False
    ways = []
    for crossing in instance.scenario.crossings:
        ends = {countries[crossing.a]: crossing.a, countries[crossing.b]: crossing.b}
        if set(ends) != {home, away}:
            continue
        joined = True
        if (
            instance.distance(unit.base, ends[home]) is not None
            and instance.distance(ends[away], site.region) is not None
        ):
            ways.append(crossing.id)
    return ways if joined else None


def why_excluded(
    instance: Instance, operation: Operation, site: Site, units: list[Unit], what: str
) -> str:
    """`3 Thai units have the capability but Thailand has no agreement ...; 1 Lao unit ...`."""
    groups: dict[str, list[str]] = defaultdict(list)
    for unit in units:
        reason = exclusion(instance, unit, operation, site)
        if reason is not None:
            groups[reason].append(instance.unit_country(unit))
    parts = []
    for reason, countries in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        verb = "has" if len(countries) == 1 else "have"
        parts.append(f"{_subject(instance, countries)} {verb} {what} but {reason}")
    return "; ".join(parts)


def _subject(instance: Instance, countries: list[str]) -> str:
    """`3 Thai units`, or `5 units (3 Thai, 2 Lao)` when several countries share a reason."""
    counts = Counter(countries)
    if len(counts) == 1:
        return units_phrase(instance, countries[0], len(countries))
    detail = ", ".join(
        f"{n} {demonym(instance, c)}" for c, n in sorted(counts.items(), key=lambda kv: -kv[1])
    )
    return f"{len(countries)} units ({detail})"


def eligible_units(
    instance: Instance, operation: Operation, site: Site, capability: str
) -> list[Unit]:
    """Units that may fill the requirement: capability, jurisdiction and a way there."""
    return [u for u in instance.scenario.units if instance.may_fill(u, operation, site, capability)]


def static_reasons(instance: Instance, operation: Operation) -> list[str]:
    """Every time-independent reason the operation cannot be staffed (empty: none found)."""
    reasons: list[str] = []
    eligible_anywhere: set[str] = set()
    for site in operation.sites:
        site_reasons, eligible = _site_reasons(instance, operation, site)
        reasons.extend(site_reasons)
        eligible_anywhere |= eligible
    needed = sum(r.count for s in operation.sites for r in s.requirements)
    if not reasons and len(eligible_anywhere) < needed:
        sites, units = plural(len(operation.sites), "site"), plural(len(eligible_anywhere), "unit")
        reasons.append(
            f"not enough eligible units: its {sites} need {needed} units at once but only "
            f"{units} may fill any of them, and a unit serves at most one site per operation"
        )
    return reasons


def _site_reasons(
    instance: Instance, operation: Operation, site: Site
) -> tuple[list[str], set[str]]:
    """The site's static reasons and the ids of every unit eligible for one of its needs."""
    reasons = []
    by_capability: dict[str, list[Unit]] = {}
    for requirement in site.requirements:
        eligible = eligible_units(instance, operation, site, requirement.capability)
        by_capability[requirement.capability] = eligible
        reason = _requirement_reason(
            instance, operation, site, requirement.capability, requirement.count, eligible
        )
        if reason:
            reasons.append(reason)
    distinct = {u.id: u for units in by_capability.values() for u in units}
    if not reasons:
        reasons.extend(_site_total_reasons(instance, operation, site, by_capability, distinct))
    return reasons, set(distinct)


def _requirement_reason(
    instance: Instance,
    operation: Operation,
    site: Site,
    capability: str,
    count: int,
    eligible: list[Unit],
) -> str | None:
    """No unit, or too few units, with the capability may act at the site."""
    holders = [u for u in instance.scenario.units if capability in u.capabilities]
    label = site_label(site)
    if not holders:
        return f"{label}: no unit in the scenario has the capability '{capability}'"
    why = why_excluded(instance, operation, site, holders, "the capability")
    if not eligible:
        return f"{label}: no {capability} unit may act there: {why}"
    if len(eligible) < count:
        text = (
            f"{label}: not enough eligible units: {count} {capability} units are needed but "
            f"only {len(eligible)} may act there ({id_list(eligible)})"
        )
        return f"{text}; {why}" if why else f"{text}, and no other unit has the capability"
    return None


def _site_total_reasons(
    instance: Instance,
    operation: Operation,
    site: Site,
    by_capability: dict[str, list[Unit]],
    distinct: dict[str, Unit],
) -> list[str]:
    """Distinct units, host-nation presence and headcount of one site."""
    label = site_label(site)
    reasons = []
    shortage = _shared_shortage(site, by_capability)
    if shortage:
        reasons.append(f"{label}: not enough eligible units: {shortage}")
    host = instance.site_country(site)
    if not any(instance.unit_country(u) == host for u in distinct.values()):
        reasons.append(_host_reason(instance, operation, site))
    best = sum(
        sum(sorted((u.personnel for u in by_capability[r.capability]), reverse=True)[: r.count])
        for r in site.requirements
    )
    if best < site.required_personnel:
        reasons.append(
            f"{label}: headcount cannot reach min_personnel {site.required_personnel}: "
            f"the units that may act there bring at most {best} personnel"
        )
    return reasons


def _shared_shortage(site: Site, by_capability: dict[str, list[Unit]]) -> str | None:
    """Requirements that together need more units than may fill any of them (Hall's rule).

    A unit fills one requirement, so e.g. tactical x1 and investigation x1 cannot both be
    met by the one unit that has both capabilities.
    """
    requirements = site.requirements
    for size in range(2, len(requirements) + 1):
        for group in combinations(requirements, size):
            units = {u.id: u for r in group for u in by_capability[r.capability]}
            needed = sum(r.count for r in group)
            if len(units) < needed:
                what = " and ".join(f"{r.capability} x{r.count}" for r in group)
                return (
                    f"{what} need {needed} different units at once but only {len(units)} "
                    f"may fill them ({id_list(list(units.values()))}), and a unit fills one "
                    "requirement"
                )
    return None


def _host_reason(instance: Instance, operation: Operation, site: Site) -> str:
    """No unit of the site's own country can fill any of its requirements."""
    host = instance.site_country(site)
    capabilities = [r.capability for r in site.requirements]
    host_holders = [
        u
        for u in instance.scenario.units
        if instance.unit_country(u) == host and set(u.capabilities) & set(capabilities)
    ]
    start = f"{site_label(site)}: no {demonym(instance, host)} unit can be part of it"
    if not host_holders:
        return f"{start}: no {demonym(instance, host)} unit has {' or '.join(capabilities)}"
    why = why_excluded(instance, operation, site, host_holders, "a needed capability")
    return f"{start}: {why}"
