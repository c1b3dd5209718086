"""The explain view of one operation: its H-hour and orders, or why it is unscheduled.

Shared by `jointops explain` and the board. Instants are shown in UTC and in the local
zones concerned: H-hour in every zone its sites touch, a unit's departure and return in
its home zone, a crossing passage in the crossing's zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.solver.diagnose import explain_operation
from app.solver.instance import Instance
from app.solver.schema import Assignment, Plan, ScheduledOperation, format_instant


def at(value: datetime, zone: str) -> dict[str, str]:
    """An instant in UTC and in one zone's local time."""
    local = value.astimezone(ZoneInfo(zone))
    return {"utc": format_instant(value), "local": local.isoformat(), "zone": zone}


def operation_view(instance: Instance, plan: Plan, op_id: str) -> dict[str, Any]:
    """The view of a scheduled or unscheduled operation; KeyError for an unknown id."""
    operation = instance.operations[op_id]
    scheduled = next((op for op in plan.operations if op.id == op_id), None)
    base = {"id": op_id, "name": operation.name, "priority": operation.priority}
    if scheduled is None:
        reasons = explain_operation(instance, operation, plan)
        return {**base, "scheduled": False, "reasons": reasons}
    return {**base, "scheduled": True, **scheduled_view(instance, scheduled)}


def _zone_of_country(instance: Instance, code: str) -> str:
    return next(c.timezone for c in instance.scenario.countries if c.code == code)


def scheduled_view(instance: Instance, scheduled: ScheduledOperation) -> dict[str, Any]:
    """H-hour in UTC and every site's local zone, then the orders site by site."""
    operation = instance.operations[scheduled.id]
    end = scheduled.start + timedelta(minutes=operation.duration_minutes)
    zones = list(
        dict.fromkeys(
            _zone_of_country(instance, instance.region_country[s.region]) for s in operation.sites
        )
    )
    sites = []
    for site in operation.sites:
        orders = [a for a in scheduled.assignments if a.site == site.id]
        sites.append(
            {
                "id": site.id,
                "region": site.region,
                "country": instance.region_country[site.region],
                "units": [_order_view(instance, a) for a in orders],
            }
        )
    return {
        "start": {
            "utc": format_instant(scheduled.start),
            "local": [at(scheduled.start, z) for z in zones],
        },
        "end": {"utc": format_instant(end), "local": [at(end, z) for z in zones]},
        "sites": sites,
    }


def _order_view(instance: Instance, a: Assignment) -> dict[str, Any]:
    """One unit's order: who, as what, which way and when."""
    unit = instance.units.get(a.unit)
    home = _zone_of_country(instance, instance.unit_country(unit)) if unit else "UTC"
    site_region = instance.sites[a.site][1].region if a.site in instance.sites else "?"
    base = unit.base if unit else "?"
    view: dict[str, Any] = {
        "unit": a.unit,
        "callsign": unit.callsign if unit else None,
        "agency": unit.agency if unit else None,
        "capability": a.capability,
        "personnel": unit.personnel if unit else None,
        "route": [base, a.crossing, site_region] if a.crossing else [base, site_region],
        "depart": at(a.depart, home),
        "return": at(a.return_, home),
    }
    crossing = instance.crossings.get(a.crossing) if a.crossing else None
    if crossing and a.cross_out and a.cross_back:
        view["crossing"] = {
            "id": crossing.id,
            "name": crossing.name,
            "out": at(a.cross_out, crossing.timezone),
            "back": at(a.cross_back, crossing.timezone),
        }
    return view


def _local(value: dict[str, str]) -> str:
    """`2026-12-02 09:30 Asia/Yangon`."""
    return f"{datetime.fromisoformat(value['local']):%Y-%m-%d %H:%M} {value['zone']}"


def _when(value: dict[str, str]) -> str:
    """`2026-12-02T03:00:00Z (10:00 Asia/Bangkok)`."""
    return f"{value['utc']} ({_local(value)})"


def format_view(view: dict[str, Any]) -> str:
    """The view as text for people."""
    head = f"{view['id']} {view['name']} (priority {view['priority']})"
    if not view["scheduled"]:
        return "\n".join([f"{head}: not scheduled", *(f"- {r}" for r in view["reasons"])])
    lines = [f"{head}: H-hour {view['start']['utc']}, ends {view['end']['utc']}"]
    lines += [f"  H-hour {_local(t)}" for t in view["start"]["local"]]
    for site in view["sites"]:
        lines.append(f"site {site['id']} ({site['region']}, {site['country']}):")
        for order in site["units"]:
            lines.extend(_order_lines(order))
    return "\n".join(lines)


def _route(steps: list[str]) -> str:
    """`TH-CRI -> X-MSI-TAC -> MM-TAC`, or `MM-TAC (at base)` when the site is at the base."""
    if len(steps) == 2 and steps[0] == steps[1]:
        return f"{steps[0]} (at base)"
    return " -> ".join(steps)


def _order_lines(order: dict[str, Any]) -> list[str]:
    lines = [
        f"  {order['unit']} {order['callsign'] or ''} [{order['agency'] or '?'}] "
        f"{order['capability']}, {order['personnel']} personnel",
        f"    route: {_route(order['route'])}",
        f"    depart {_when(order['depart'])}",
    ]
    crossing = order.get("crossing")
    if crossing:
        lines.append(
            f"    cross out at {crossing['id']} ({crossing['name']}) {_when(crossing['out'])}"
        )
        lines.append(f"    cross back {_when(crossing['back'])}")
    lines.append(f"    return {_when(order['return'])}")
    return lines
