"""Reasons an operation cannot be staffed at any start of its window: travel time, crossing
hours, unit availability, and sites that can be staffed only at different times.

A site is "possible" at a start when simple necessary conditions hold (enough units of
each capability can be there, one of the host country, enough personnel). When they fail
at every start, that is a proof; the reason names the obstacle of the units that never
make it.
"""

from __future__ import annotations

from collections import defaultdict

from app.solver.diagnose_static import eligible_units
from app.solver.instance import Instance, availability_exact
from app.solver.reach import AVAILABILITY, CROSSING, TRAVEL, unit_failure
from app.solver.schema import Crossing, Operation, Site, Unit
from app.solver.staffing import Candidate
from app.solver.wording import demonym, id_list, minute_time, short_time, site_label, window_phrase


def timing_reasons(
    instance: Instance, operation: Operation, starts: list[int], found: list[Candidate]
) -> list[str]:
    """Why no start works, or an empty list when every necessary condition can be met."""
    reasons: list[str] = []
    possible: dict[str, list[int]] = {}
    for site in operation.sites:
        mine = [c for c in found if c.site.id == site.id]
        possible[site.id] = [s for s in starts if site_possible(instance, site, mine, s)]
        if not possible[site.id]:
            reasons.extend(_site_reasons(instance, operation, site, mine, starts))
    common = set.intersection(*(set(p) for p in possible.values()))
    if not reasons and not common:
        parts = [f"{sid} only at {_ranges(instance, p)}" for sid, p in possible.items()]
        reasons.append(
            f"its {len(operation.sites)} sites cannot be staffed at the same H-hour: "
            + "; ".join(parts)
        )
    elif not reasons:
        reasons.extend(_distinct_reason(operation, found, sorted(common)))
    if operation.fixed_start is not None:
        reasons = [f"fixed start cannot be met: {r}" for r in reasons]
    return reasons


def _distinct_reason(operation: Operation, found: list[Candidate], common: list[int]) -> list[str]:
    """At the starts where every site is possible, are there enough different units?"""
    needed = sum(r.count for site in operation.sites for r in site.requirements)
    best = max(len({u.id for u in _present(found, s)}) for s in common)
    if best >= needed:
        return []
    return [
        f"not enough units can be there at once: its sites need {needed} different units "
        f"at one start {window_phrase(operation)[3:]}, at most {best} can be there"
    ]


def _present(mine: list[Candidate], start: int, capability: str | None = None) -> list[Unit]:
    return [c.unit for c in mine if start in c.starts and capability in (None, c.capability)]


def site_possible(instance: Instance, site: Site, mine: list[Candidate], start: int) -> bool:
    """Necessary conditions for staffing the site at this start."""
    host = instance.site_country(site)
    present = {u.id: u for u in _present(mine, start)}
    if sum(r.count for r in site.requirements) > len(present):
        return False
    if not any(instance.unit_country(u) == host for u in present.values()):
        return False
    return _best_headcount(site, mine, start) >= site.required_personnel and all(
        len(_present(mine, start, r.capability)) >= r.count for r in site.requirements
    )


def _best_headcount(site: Site, mine: list[Candidate], start: int) -> int:
    """An upper bound of the personnel the site can get at this start."""
    return sum(
        sum(
            sorted((u.personnel for u in _present(mine, start, r.capability)), reverse=True)[
                : r.count
            ]
        )
        for r in site.requirements
    )


def _site_reasons(
    instance: Instance, operation: Operation, site: Site, mine: list[Candidate], starts: list[int]
) -> list[str]:
    """Why the site is possible at no start: the first condition that never holds."""
    label, when = site_label(site), window_phrase(operation)
    reasons = _requirement_reasons(instance, operation, site, mine, starts)
    if reasons:
        return reasons
    host = instance.site_country(site)
    if not any(instance.unit_country(u) == host for s in starts for u in _present(mine, s)):
        never = [
            u
            for r in site.requirements
            for u in eligible_units(instance, operation, site, r.capability)
            if instance.unit_country(u) == host
        ]
        head = f"{label}: no {demonym(instance, host)} unit can be there {when}"
        return [_with_failures(instance, operation, site, never, starts, head)]
    best = max(_best_headcount(site, mine, s) for s in starts)
    if best < site.required_personnel:
        return [
            f"{label}: headcount cannot reach min_personnel {site.required_personnel} "
            f"{when}: the units that can be there at one start bring at most {best}"
        ]
    return [
        f"{label}: at no start {when[3:]} can enough units be there for all its "
        "requirements at once (a unit fills one requirement)"
    ]


def _requirement_reasons(
    instance: Instance, operation: Operation, site: Site, mine: list[Candidate], starts: list[int]
) -> list[str]:
    """Requirements that too few units can reach at any one start."""
    label, when = site_label(site), window_phrase(operation)
    reasons = []
    for requirement in site.requirements:
        capability, count = requirement.capability, requirement.count
        best = max(len(_present(mine, s, capability)) for s in starts)
        if best >= count:
            continue
        reach = {c.unit.id for c in mine if c.capability == capability}
        never = [
            u for u in eligible_units(instance, operation, site, capability) if u.id not in reach
        ]
        head = (
            f"{label}: no {capability} unit that may act there can be there {when}"
            if best == 0
            else f"{label}: not enough {capability} units can be there {when}: "
            f"{count} needed, at most {best} can be there at one start"
        )
        reasons.append(_with_failures(instance, operation, site, never, starts, head))
    return reasons


def _with_failures(
    instance: Instance,
    operation: Operation,
    site: Site,
    units: list[Unit],
    starts: list[int],
    head: str,
) -> str:
    """`head: for U-1, U-2 the window is too short ...; for U-3 ...`."""
    groups: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        groups[unit_failure(instance, unit, site, starts, operation.duration_minutes)].append(unit)
    parts = []
    if TRAVEL in groups:
        parts.append(_travel_phrase(instance, operation, site, groups[TRAVEL], starts))
    if CROSSING in groups:
        parts.extend(_crossing_phrases(instance, operation, site, groups[CROSSING], starts))
    if AVAILABILITY in groups:
        parts.append(_availability_phrase(instance, groups[AVAILABILITY]))
    return f"{head}: " + "; ".join(parts) if parts else head


def _travel_phrase(
    instance: Instance, operation: Operation, site: Site, units: list[Unit], starts: list[int]
) -> str:
    """The nearest unit's one-way time against the room the horizon leaves around the window."""

    def one_way(unit: Unit) -> int:
        return instance.routes(unit.base, site.region)[0].one_way

    nearest = min(units, key=lambda u: (one_way(u), u.id))
    need = one_way(nearest)
    before = max(starts)
    after = instance.horizon_minutes - min(starts) - operation.duration_minutes
    opens = (
        f"the planning horizon starts only {before} min before the latest start "
        f"({minute_time(instance, before)})"
    )
    closes = (
        f"the planning horizon ends only {after} min after the earliest end "
        f"({minute_time(instance, min(starts) + operation.duration_minutes)})"
    )
    room = [text for text, short in ((opens, need > before), (closes, need > after)) if short]
    limit = (
        " and ".join(room)
        if room
        else "no start leaves that much time both after the horizon starts and before it ends"
    )
    return (
        f"for {id_list(units)} the window is too short for the travel: the nearest, "
        f"{nearest.id} (based at {nearest.base}), needs {need} min each way, but {limit}"
    )


def _crossing_phrases(
    instance: Instance, operation: Operation, site: Site, units: list[Unit], starts: list[int]
) -> list[str]:
    """One phrase per crossing the units would have to use."""
    users: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        for route in instance.routes(unit.base, site.region):
            if route.crossing is not None:
                users[route.crossing].append(unit)
    phrases = []
    first = instance.ceil_minutes(operation.earliest_start)
    last = instance.floor_minutes(operation.latest_end)
    for crossing_id, crossing_users in sorted(users.items()):
        crossing = instance.crossings[crossing_id]
        opens = instance.crossing_open[crossing_id]
        closed = not any(s < last and first < e for s, e in opens)
        state = (
            "is closed for the whole window"
            if closed
            else "has no opening that gets them across before H-hour and back after the end "
            "within the horizon"
        )
        phrases.append(
            f"for {id_list(crossing_users)} the crossing that would be needed, "
            f"{crossing.id} ({crossing.name}, {_hours(crossing)}), {state}"
        )
    return phrases


def _hours(crossing: Crossing) -> str:
    windows = ", ".join(f"{w.from_}–{w.to}" for w in crossing.open or [])
    hours = f"open {windows} {crossing.timezone}" if windows else "always open"
    closures = [f"{short_time(w.start)} – {short_time(w.end)}" for w in crossing.closed or []]
    return hours + (f", closed {', '.join(closures)}" if closures else "")


def _availability_phrase(instance: Instance, units: list[Unit]) -> str:
    """Which units are unavailable, with their available time (first three stretches)."""
    horizon = instance.scenario.horizon
    details = []
    for unit in units[:3]:
        # As the rules read it: windows joined up, only their part inside the horizon.
        windows = availability_exact(unit.available, horizon.start, horizon.end)
        shown = ", ".join(f"{short_time(s)} – {short_time(e)}" for s, e in windows[:3])
        if len(windows) > 3:
            shown += f" and {len(windows) - 3} more"
        details.append(f"{unit.id} available {shown}" if shown else f"{unit.id} never available")
    verb = "is" if len(units) == 1 else "are"
    return (
        f"{id_list(units)} {verb} not available for the whole round trip at any start "
        f"({'; '.join(details)})"
    )


def _ranges(instance: Instance, starts: list[int]) -> str:
    """`2026-12-02 03:00Z – 2026-12-02 05:00Z, ...`: runs of consecutive slot starts."""
    slot = instance.scenario.slot_minutes
    runs: list[list[int]] = []
    for start in sorted(starts):
        if runs and start - runs[-1][1] == slot:
            runs[-1][1] = start
        else:
            runs.append([start, start])
    texts = [
        minute_time(instance, a)
        if a == b
        else f"{minute_time(instance, a)} – {minute_time(instance, b)}"
        for a, b in runs[:4]
    ]
    return ", ".join(texts) + (f" and {len(runs) - 4} more periods" if len(runs) > 4 else "")
