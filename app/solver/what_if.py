"""What would help most: hypothetical changes to a scenario, each solved on its own.

Pure: scenario and plan documents in, ranked changes out (no database, no web). The board
runs `analyse` as a background solver run (app/planning/worker.py) and shows the ranking.

A *gap* is a region and capability that a reason of an unscheduled operation names at one
of its sites there (every capability of its sites when no reason names one). The worst
gaps weigh the most priority left unscheduled. For each, one change at a time:
- `agreement`: the missing agreement from a country that has units of the capability and
  a crossing into the site's country (only for operations with foreign-support consent,
  the only ones an agreement can help, rule 6 of the spec);
- `offer`: a mutual-support offer not yet accepted, as its agreement (app/campaigns/offers);
- `units`: N more units of the capability based in the region (N: the most any gap site
  there asks for, at most MAX_NEW_UNITS), of an agency of that country.
Each change is solved with the baseline's plan as a hint, and ranked by the priority it
schedules beyond the baseline.
"""

from __future__ import annotations

import copy
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.schema import ScheduledOperation
from app.solver.solve import Progress, SolveOptions, solve

MAX_GAPS = 5
MAX_HYPOTHESES = 8
MAX_NEW_UNITS = 3
# Personnel of an added unit when no unit of the capability exists to take a median from.
DEFAULT_PERSONNEL = 10


def named_capabilities(reasons: Iterable[str], capabilities: Iterable[str]) -> set[str]:
    """The capabilities among `capabilities` that one of the reasons names (whole words)."""
    text = "\n".join(reasons)
    return {c for c in capabilities
            if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text)}


def gaps(document: dict[str, Any], plan: dict[str, Any], *, focus: set[str] | None = None
         ) -> list[dict[str, Any]]:
    """The gaps of the plan's unscheduled operations (among `focus`, None: all), worst
    first: {region, capability, priority, operations, count}."""
    operations = {op["id"]: op for op in document.get("operations", [])}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in plan.get("unscheduled", []):
        op = operations.get(entry.get("id"))
        if op is None or (focus is not None and op["id"] not in focus):
            continue
        needs = [(s["region"], r["capability"], int(r["count"]))
                 for s in op.get("sites", []) for r in s.get("requirements", [])]
        named = named_capabilities(entry.get("reasons") or [], {c for _, c, _ in needs})
        for region, capability, count in needs:
            # A reason naming no capability (travel time, crossing hours, units held by
            # other operations) makes each of them a suspect: the solves will tell.
            if named and capability not in named:
                continue
            gap = found.setdefault((region, capability), {
                "region": region, "capability": capability, "priority": 0,
                "operations": [], "count": 0})
            if op["id"] not in gap["operations"]:
                gap["operations"].append(op["id"])
                gap["priority"] += int(op["priority"])
            gap["count"] = max(gap["count"], count)
    return sorted(found.values(), key=lambda g: (-g["priority"], g["region"], g["capability"]))


def hypotheses(document: dict[str, Any], plan: dict[str, Any], *,
               offers: Iterable[dict[str, Any]] = (), focus: set[str] | None = None,
               max_gaps: int = MAX_GAPS, limit: int = MAX_HYPOTHESES) -> list[dict[str, Any]]:
    """The changes worth a solve, for the worst gaps: [{key, kind, label, change, gap}].

    `offers`: pending offers as {offer, from, to, units} (app.campaigns.offers)."""
    country_of = {r["id"]: r["country"] for r in document.get("regions", [])}
    name_of = {r["id"]: r.get("name", r["id"]) for r in document.get("regions", [])}
    agency_home = {a["id"]: a["country"] for a in document.get("agencies", [])}
    agreed = {(a["from"], a["to"]) for a in document.get("agreements", [])}
    joined = {frozenset((country_of.get(x["a"]), country_of.get(x["b"])))
              for x in document.get("crossings", [])}
    has_capability: dict[str, set[str]] = defaultdict(set)
    for unit in document.get("units", []):
        for capability in unit.get("capabilities", []):
            has_capability[capability].add(agency_home.get(unit["agency"], ""))
    consent = {op["id"]: bool(op.get("foreign_support")) for op in document.get("operations", [])}
    pending = list(offers)
    found: dict[str, dict[str, Any]] = {}

    def add(key: str, kind: str, label: str, change: dict[str, Any], gap: dict[str, Any]) -> None:
        found.setdefault(key, {"key": key, "kind": kind, "label": label, "change": change,
                               "gap": {"region": gap["region"], "capability": gap["capability"],
                                       "operations": list(gap["operations"])}})

    for gap in gaps(document, plan, focus=focus)[:max_gaps]:
        host = country_of.get(gap["region"], "")
        where = f"{name_of.get(gap['region'], gap['region'])} ({host})"
        if any(consent.get(op) for op in gap["operations"]):
            for home in sorted(has_capability[gap["capability"]] - {host, ""}):
                if (home, host) not in agreed and frozenset((home, host)) in joined:
                    add(f"agreement:{home}>{host}", "agreement",
                        f"an agreement for {home} units to deploy into {host}",
                        {"from": home, "to": host}, gap)
            for offer in pending:
                if offer["to"] == host and (offer["from"], host) not in agreed:
                    add(f"offer:{offer['offer']}", "offer",
                        f"offer {offer['offer']} accepted: {len(offer['units'])} "
                        f"{offer['from']} unit(s) for {host}",
                        {"offer": offer["offer"], "from": offer["from"], "to": host}, gap)
        agencies = sorted(a for a, c in agency_home.items() if c == host)
        if agencies:
            count = max(1, min(MAX_NEW_UNITS, gap["count"]))
            add(f"units:{gap['region']}:{gap['capability']}:{count}", "units",
                f"{count} more {gap['capability']} unit{'s' if count > 1 else ''} in {where}",
                {"region": gap["region"], "capability": gap["capability"], "count": count,
                 "agency": agencies[0]}, gap)
    return list(found.values())[:limit]


def apply_change(document: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """A copy of the scenario with one hypothetical change made."""
    changed = copy.deepcopy(document)
    if "from" in change:  # an agreement, or an offer accepted (its agreement)
        pair = {"from": change["from"], "to": change["to"]}
        if pair not in changed.setdefault("agreements", []):
            changed["agreements"].append(pair)
        return changed
    people = [u["personnel"] for u in changed.get("units", [])
              if change["capability"] in u.get("capabilities", [])]
    personnel = int(statistics.median(people)) if people else DEFAULT_PERSONNEL
    for n in range(1, int(change["count"]) + 1):
        changed["units"].append({
            "id": f"WHATIF-{change['region']}-{change['capability']}-{n}",
            "agency": change["agency"], "callsign": f"what-if {change['capability']} {n}",
            "capabilities": [change["capability"]], "personnel": max(1, personnel),
            "base": change["region"]})
    return changed


def _priorities(document: dict[str, Any]) -> dict[str, int]:
    return {op["id"]: int(op["priority"]) for op in document.get("operations", [])}


def analyse(
    document: dict[str, Any],
    *,
    offers: Iterable[dict[str, Any]] = (),
    focus: set[str] | None = None,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    on_step: Callable[[int, int, str], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Solve the baseline, then each hypothesis of its worst gaps; the ranked result:
    {baseline: {priority, scheduled, unscheduled}, priorities, gaps, hypotheses: [{key,
    kind, label, change, gap, priority, unlocked, gained, lost, status}]} best first.
    `on_step(step, steps, label)` before each solve. A stop request ends it early: the
    hypotheses not solved are left out."""
    started = time.monotonic()

    def run(doc: dict[str, Any], hint: list[ScheduledOperation]) -> tuple[dict[str, Any], str]:
        result = solve(Instance(load_scenario(doc)), SolveOptions(
            time_limit=time_limit, workers=workers, seed=seed, preferred=hint,
            on_progress=on_progress, should_stop=should_stop, include_timing=False))
        return result.plan.to_json_dict(), result.status

    if on_step:
        on_step(0, 1, "baseline")
    base_plan, base_status = run(document, [])
    scheduled = {op["id"] for op in base_plan["operations"]}
    hint = [ScheduledOperation.model_validate(op) for op in base_plan["operations"]]
    priority = _priorities(document)
    base_priority = sum(priority[op] for op in scheduled)
    found = hypotheses(document, base_plan, offers=offers, focus=focus)
    ranked = []
    for step, hypothesis in enumerate(found, start=1):
        if should_stop and should_stop():
            break
        if on_step:
            on_step(step, len(found) + 1, hypothesis["label"])
        plan, status = run(apply_change(document, hypothesis["change"]), hint)
        if should_stop and should_stop():
            break  # cut short: its plan says nothing about the change
        now = {op["id"] for op in plan["operations"]}
        total = sum(priority[op] for op in now)
        short_search = total < base_priority
        if short_search:
            # Every change only adds options (an agreement, units), so the baseline plan is
            # still valid with it: a worse plan is the search running out of time on a
            # larger model (measured on the large sample under load), not the change.
            now, total = scheduled, base_priority
        gained, lost = sorted(now - scheduled), sorted(scheduled - now)
        ranked.append({**hypothesis, "priority": total, "unlocked": total - base_priority,
                       "gained": gained, "lost": lost, "status": status,
                       "short_search": short_search})
    ranked.sort(key=lambda h: (-h["unlocked"], h["key"]))
    return {
        "baseline": {"priority": base_priority, "status": base_status,
                     "scheduled": sorted(scheduled),
                     "unscheduled": sorted(set(priority) - scheduled)},
        "priorities": priority,
        "gaps": gaps(document, base_plan, focus=focus)[:MAX_GAPS],
        "hypotheses": ranked,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
