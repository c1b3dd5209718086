"""Why an operation's cordon cannot be staffed (docs/cordon-format.md), in plain words:
which crossing, which side, how many border-control units of which country are missing,
and which of them are busy and with what.

Two kinds, as in the rest of the diagnosis: rules no time can satisfy (too few units of
the side's country with the capability, allowed in the region and with a road to it),
then the plan as it stands (at every start, too few of them are free for the whole seal).
"""

from __future__ import annotations

from app.solver.cordons import CORDON_CAPABILITY, PostNeed, post_needs, post_problem
from app.solver.instance import Instance, Interval
from app.solver.model.timing import inside_any
from app.solver.schema import Operation, Plan, Reason, ReasonPart
from app.solver.wording import minute_time


def _side(need: PostNeed) -> str:
    return f"side {need.side} of {need.crossing} ({need.region}, {need.country})"


def _wanted(need: PostNeed) -> str:
    plural = "s" if need.count > 1 else ""
    return f"{need.count} border-control unit{plural} ({CORDON_CAPABILITY}) of {need.country}"


def able_units(instance: Instance, operation: Operation, need: PostNeed) -> list[tuple[str, int]]:
    """Units that may ever staff the post, with their road minutes to it, nearest first."""
    cordon = operation.cordon
    assert cordon is not None
    seal = cordon.lead_minutes + operation.duration_minutes + cordon.tail_minutes
    found = []
    for unit in instance.scenario.units:
        if post_problem(unit, instance.unit_country(unit), need) is not None:
            continue
        distance = instance.distance(unit.base, need.region)
        if distance is not None and seal + 2 * distance <= instance.horizon_minutes:
            found.append((unit.id, distance))
    return sorted(found, key=lambda pair: (pair[1], pair[0]))


def cordon_static_reasons(instance: Instance, operation: Operation) -> list[str]:
    """Posts that too few units could ever staff, whatever the time."""
    reasons = []
    for need in post_needs(instance.scenario, operation):
        able = able_units(instance, operation, need)
        if len(able) >= need.count:
            continue
        named = ", ".join(u for u, _ in able)
        have = f"only {len(able)} may ({named})" if able else "none may"
        reasons.append(
            f"its cordon cannot be staffed: {_side(need)} needs {_wanted(need)}, and "
            f"{have}: a post takes units of the side's own country, with the "
            f"{CORDON_CAPABILITY} capability, allowed to act in {need.region} and with a "
            "road to it"
        )
    return reasons


def _holders(instance: Instance, plan: Plan) -> dict[str, list[tuple[int, int, str]]]:
    """Each unit's busy minutes in the plan (raid trips and posts) with their operation."""
    held: dict[str, list[tuple[int, int, str]]] = {}
    for scheduled in plan.operations:
        spans = [(a.unit, a.depart, a.return_) for a in scheduled.assignments]
        spans += [(p.unit, p.depart, p.return_) for p in scheduled.cordon or []]
        for unit, depart, ret in spans:
            interval = (instance.floor_minutes(depart), instance.ceil_minutes(ret), scheduled.id)
            held.setdefault(unit, []).append(interval)
    return held


def cordon_busy_reasons(
    instance: Instance, operation: Operation, plan: Plan, starts: list[int]
) -> list[str]:
    """When at every start some post has too few free units: the start that comes
    closest, and for each post short there, who is busy with what (or away)."""
    from app.solver.diagnose import HIDDEN_OPERATION

    cordon = operation.cordon
    if cordon is None or not starts:
        return []
    held = _holders(instance, plan)
    needs = post_needs(instance.scenario, operation)
    able = {(n.crossing, n.side): able_units(instance, operation, n) for n in needs}
    best: tuple[int, int, list[tuple[PostNeed, list[str]]]] | None = None
    for start in starts:
        seal: Interval = (
            start - cordon.lead_minutes,
            start + operation.duration_minutes + cordon.tail_minutes,
        )
        short = []
        missing = 0
        for need in needs:
            units = able[(need.crossing, need.side)]
            free = [u for u, d in units if _free(instance, held, u, seal[0] - d, seal[1] + d)]
            if len(free) < need.count:
                missing += need.count - len(free)
                short.append((need, [u for u, _ in units if u not in free]))
        if missing == 0:
            return []
        if best is None or missing < best[0]:
            best = (missing, start, short)
    assert best is not None
    _, start, short = best
    parts: list[ReasonPart] = [
        ReasonPart(
            text="its cordon cannot be staffed beside this plan: at every start some post "
            f"has too few free units; at {minute_time(instance, start)}, the closest, "
        )
    ]
    for index, (need, taken) in enumerate(short):
        free_count = len(able[(need.crossing, need.side)]) - len(taken)
        lacking = need.count - free_count
        parts.append(
            ReasonPart(
                text=f"{'; ' if index else ''}{_side(need)} needs {_wanted(need)} and "
                f"{lacking} {'is' if lacking == 1 else 'are'} missing ({free_count} free"
            )
        )
        for unit in taken:
            blockers = sorted(
                {op for a, b, op in held.get(unit, []) if op != operation.id}
            )
            if blockers:
                parts.append(ReasonPart(text=f", {unit} busy with "))
                for i, op in enumerate(blockers):
                    comma = ", " if i else ""
                    hidden = f"{comma}{HIDDEN_OPERATION}"
                    parts.append(ReasonPart(text=f"{comma}{op}", operations=[op], hidden=hidden))
            else:
                parts.append(ReasonPart(text=f", {unit} not available then"))
        parts.append(ReasonPart(text=")"))
    return [Reason(parts)]


def _free(
    instance: Instance,
    held: dict[str, list[tuple[int, int, str]]],
    unit: str,
    depart: int,
    ret: int,
) -> bool:
    if depart < 0 or ret > instance.horizon_minutes:
        return False
    if not inside_any(instance.unit_available[unit], depart, ret):
        return False
    return all(b <= depart or a >= ret for a, b, _ in held.get(unit, []))


def cordon_together_reason(instance: Instance, operation: Operation) -> str:
    """The raid and each post can be staffed beside the plan, but not all together."""
    crossings = ", ".join(instance.sealed[operation.id])
    return (
        "its raid can be staffed beside this plan, and every post of its cordon has enough "
        "free border-control units at some start, but the diagnosis found no start at which "
        f"the raid, the posts and the seal of {crossings} fit together (a post's unit may "
        "not also be in the raid; a seal closes its crossings to other operations' "
        "passages, and to the raid's own unless allow_own_passages)"
    )
