"""The run review's diff against what the units hold: a table by operation and unit.

Each row is one (operation, unit) order and what publishing the plan would do to it,
classified by app.planning.publish.preview_orders, the function publishing itself counts
with: "added" orders are the ones publishing issues, "moved" the ones it amends,
"dropped" the ones it cancels. The counts therefore reconcile exactly with what the
publish then reports (tests/planning/test_order_diff.py publishes and compares).

Names, not ids, are what a planner reads: operation code names, unit callsigns, the
site's region, the crossing's name, and times in the local time of the site's country
(a crossing passage in the crossing's zone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.models import Country, Crossing, Operation, Region, Site, Tasking, Unit
from app.planning.guard import Disturbed
from app.planning.publish import OrderPreview, order_scope, preview_orders
from app.solver.schema import Plan as PlanDocument
from app.web import fmt_local

# publish_plan's count -> the word the review uses.
KINDS = {"issued": "added", "amended": "moved", "cancelled": "dropped", "unchanged": "unchanged"}


@dataclass
class OrderRow:
    unit: str  # "RTP-K9-1 (TH-RTP)"
    unit_id: str
    kind: str  # added | moved | dropped | unchanged
    site: str
    crossing: str
    before: str  # the order as held now ("" when none)
    after: str  # the order in this plan ("" when withdrawn)
    note: str = ""


@dataclass
class OperationChanges:
    id: str
    name: str
    kind: str  # added | moved | dropped | changed
    h_hour_before: str
    h_hour_after: str
    published: str = ""  # "dropped" / "moved" when a published operation is disturbed
    rows: list[OrderRow] = field(default_factory=list)


@dataclass
class OrderDiff:
    operations: list[OperationChanges]
    counts: dict[str, int]  # added, moved, dropped, unchanged (orders)


@dataclass
class _Names:
    operations: dict[str, str]
    units: dict[str, str]
    sites: dict[str, tuple[str, str]]  # site id -> (name, time zone)
    crossings: dict[str, tuple[str, str]]  # crossing id -> (name, time zone)


def order_diff(
    session: Session, document: PlanDocument, *, ids: set[str] | None,
    disturbed: list[Disturbed],
) -> OrderDiff:
    """What publishing `document` would do to each order, grouped by operation; only the
    operations in `ids` (None: all) are listed and counted."""
    scope = order_scope(session)
    operations = [op for op in document.operations if op.id in scope.durations]
    previews = preview_orders(session, scope, operations, read_only=True, only=ids)
    counts = dict.fromkeys(KINDS.values(), 0)
    for preview in previews:
        counts[KINDS[preview.kind]] += 1
    flagged = {d.id: d.kind for d in disturbed}
    grouped: dict[str, list[OrderPreview]] = {}
    for preview in previews:
        grouped.setdefault(preview.operation_id, []).append(preview)
    shown = {op_id: group for op_id, group in sorted(grouped.items())
             if op_id in flagged or any(p.kind != "unchanged" for p in group)}
    # Names only of what is listed: a plan that keeps most orders lists few of them.
    names = _names(session, [p for group in shown.values() for p in group])
    changed = [_operation(op_id, group, names, flagged.get(op_id, ""))
               for op_id, group in shown.items()]
    return OrderDiff(changed, counts)


def _operation(
    op_id: str, group: list[OrderPreview], names: _Names, published: str
) -> OperationChanges:
    kinds = {KINDS[p.kind] for p in group}
    before = next((p.before for p in group if p.before is not None
                   and p.kind != "issued"), None)
    after = next((p.after for p in group if p.after is not None), None)
    # A cordon post has no site (None): its times are shown in UTC.
    zone = _zone(names, (after or {}).get("site_id") or (before.site_id if before else "") or "")
    old_start = before.start if before is not None else None
    new_start = after["start"] if after is not None else None
    if kinds == {"dropped"}:
        kind = "dropped"
    elif kinds == {"added"}:
        kind = "added"
    elif old_start is not None and new_start is not None and old_start != new_start:
        kind = "moved"
    else:
        kind = "changed"
    rows = [_row(p, names) for p in sorted(group, key=lambda p: names.units.get(p.unit_id, ""))]
    return OperationChanges(op_id, names.operations.get(op_id, op_id), kind,
                            fmt_local(old_start, zone) if old_start else "",
                            fmt_local(new_start, zone) if new_start else "", published, rows)


def _row(preview: OrderPreview, names: _Names) -> OrderRow:
    held = preview.before if preview.kind != "issued" else None
    note = ""
    if preview.kind == "amended" and preview.before is not None \
            and preview.before.status != "active":
        note = "re-issued: the unit's earlier order for it was cancelled"
    site_id = (preview.after or {}).get("site_id") or (held.site_id if held else "") or ""
    crossing_id = (preview.after or {}).get("crossing_id") or (held.crossing_id if held else "")
    return OrderRow(
        unit=names.units.get(preview.unit_id, preview.unit_id), unit_id=preview.unit_id,
        kind=KINDS[preview.kind],
        site=names.sites.get(site_id, (site_id, "UTC"))[0] if site_id else "cordon post",
        crossing=names.crossings.get(crossing_id or "", ("", ""))[0] if crossing_id else "",
        before=_order_text(_held_values(held), names) if held is not None else "",
        after=_order_text(preview.after, names) if preview.after is not None else "",
        note=note,
    )


def _held_values(tasking: Tasking | None) -> dict[str, Any]:
    if tasking is None:
        return {}
    return {name: getattr(tasking, name) for name in (
        "site_id", "start", "end", "depart", "return_at", "crossing_id", "cross_out",
        "cross_back", "capability")}


def _order_text(values: dict[str, Any], names: _Names) -> str:
    """"H-hour 2026-12-05 09:30 (UTC+07:00); depart 06:10, back 14:40; crosses out
    07:00, back 13:30 (Mae Sai, UTC+07:00); as tactical"."""
    zone = _zone(names, values.get("site_id", ""))
    text = (f"H-hour {fmt_local(values['start'], zone)}; depart "
            f"{_clock(values['depart'], zone)}, back {_clock(values['return_at'], zone)}")
    crossing_id = values.get("crossing_id")
    if crossing_id and values.get("cross_out") and values.get("cross_back"):
        name, cz = names.crossings.get(crossing_id, (crossing_id, "UTC"))
        text += (f"; crosses at {name} out {_clock(values['cross_out'], cz)}, back "
                 f"{_clock(values['cross_back'], cz, zone_name=True)}")
    return text + f"; as {values.get('capability', '')}"


def _clock(at: datetime, zone: str, *, zone_name: bool = False) -> str:
    """Day and time in `zone` (the zone's offset only when asked)."""
    text = fmt_local(at, zone, with_zone=zone_name)
    return text[5:]  # "12-05 06:10" : the year is in the H-hour


def _zone(names: _Names, site_id: str) -> str:
    return names.sites.get(site_id, ("", "UTC"))[1]


def _names(session: Session, previews: list[OrderPreview]) -> _Names:
    op_ids = {p.operation_id for p in previews}
    unit_ids = {p.unit_id for p in previews}
    operations = {op.id: op.code_name for op in session.exec(
        select(Operation).where(col(Operation.id).in_(op_ids)))}
    units = {u.id: f"{u.callsign} ({u.agency_id})" for u in session.exec(
        select(Unit).where(col(Unit.id).in_(unit_ids)))}
    zones = {c.code: c.timezone for c in session.exec(select(Country))}
    regions = {r.id: r for r in session.exec(select(Region))}
    sites = {}
    for site in session.exec(select(Site).where(col(Site.operation_id).in_(op_ids))):
        region = regions.get(site.region_id)
        name = region.name if region else site.region_id
        if site.objective:
            name = f"{site.objective}, {name}"
        sites[site.id] = (name, zones.get(region.country_code, "UTC") if region else "UTC")
    crossings = {c.id: (c.name, c.timezone) for c in session.exec(select(Crossing))}
    return _Names(operations, units, sites, crossings)
