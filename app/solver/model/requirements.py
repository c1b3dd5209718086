"""Requirements (rule 3), headcount (rule 4) and host-nation presence (rule 5).

`fills[(unit, site, capability)]` is true when the unit fills one requirement of the site.
Each requirement gets exactly `count` fills when its operation is scheduled, none
otherwise; a unit fills at most one requirement per operation.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from app.solver.model.candidates import Candidate
from app.solver.model.windows import OperationVars

FillKey = tuple[str, str, str]  # (unit, site, capability)


def add_fill_vars(
    model: cp_model.CpModel, candidates: list[Candidate]
) -> dict[FillKey, cp_model.IntVar]:
    """One literal per (unit, site, capability) a candidate may fill."""
    return {
        (c.unit, c.site, capability): model.new_bool_var(f"fills[{c.unit},{c.site},{capability}]")
        for c in candidates
        for capability in c.capabilities
    }


def add_requirement_counts(
    model: cp_model.CpModel,
    operation: OperationVars,
    fills: dict[FillKey, cp_model.IntVar],
) -> None:
    """Exactly `count` units per requirement when scheduled (rules 2 and 3)."""
    by_requirement: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    for (_, site_id, capability), literal in fills.items():
        by_requirement[(site_id, capability)].append(literal)
    for site in operation.operation.sites:
        for requirement in site.requirements:
            literals = by_requirement.get((site.id, requirement.capability), [])
            if len(literals) < requirement.count:
                model.add(operation.is_scheduled == 0)
            model.add(sum(literals) == requirement.count * operation.is_scheduled)


def add_unit_once(model: cp_model.CpModel, fills: dict[FillKey, cp_model.IntVar]) -> None:
    """A unit appears at most once in one operation (the fills passed are of one operation)."""
    by_unit: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for (unit, _, _), literal in fills.items():
        by_unit[unit].append(literal)
    for literals in by_unit.values():
        if len(literals) > 1:
            model.add_at_most_one(literals)


def add_headcount_and_host(
    model: cp_model.CpModel,
    operation: OperationVars,
    candidates: list[Candidate],
    fills: dict[FillKey, cp_model.IntVar],
) -> None:
    """Personnel at each site reach `min_personnel`; at least one host-nation unit."""
    by_site: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_site[candidate.site].append(candidate)
    for site in operation.operation.sites:
        site_candidates = by_site.get(site.id, [])
        personnel = []
        host = []
        for c in site_candidates:
            for capability in c.capabilities:
                literal = fills[(c.unit, c.site, capability)]
                personnel.append(c.personnel * literal)
                if c.host:
                    host.append(literal)
        if site.required_personnel:
            model.add(sum(personnel) >= site.required_personnel * operation.is_scheduled)
        if not host:
            model.add(operation.is_scheduled == 0)
        else:
            model.add(sum(host) >= operation.is_scheduled)
