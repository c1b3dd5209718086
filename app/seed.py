"""A realistic, deterministic demo board: real geography, units, operations in every state."""

from __future__ import annotations

import functools
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from app.accounts.service import hash_password
from app.models import (
    Approval,
    ApprovalKind,
    Country,
    Decision,
    Operation,
    OperationState,
    Plan,
    Role,
    Tasking,
    TaskingStatus,
    Unit,
    User,
)
from app.solver.schema import PLAN_FORMAT, SCENARIO_FORMAT, format_instant
from app.transfer.service import import_scenario

GEOGRAPHY = Path(__file__).parent / "seed_data" / "geography.json"
UNIT_COUNT = 300
SLOT = timedelta(minutes=15)
CAPABILITIES = [
    "tactical",
    "investigation",
    "cyber",
    "border_patrol",
    "river_patrol",
    "k9",
    "forensics",
    "interpreter",
]
CODE_NAMES = [
    "Mekong Dawn",
    "Golden Triangle Sweep",
    "Lancang Shield",
    "River Lantern",
    "Jade Net",
    "Silent Current",
    "Bamboo Gate",
    "Monsoon Hammer",
    "Dragon Ferry",
    "Teak Curtain",
    "Delta Watch",
    "Cobra Crossing",
    "Mountain Echo",
    "Paddy Light",
    "Lotus Key",
    "Iron Bridge",
    "Night Orchid",
    "Salween Sentinel",
    "Kunming Relay",
    "Tonle Sap Tide",
    "Emerald Ridge",
    "Hill Tribe Guardian",
    "Red River Lock",
    "Mae Sai Quiet",
    "Elephant Gate",
    "Sapphire Coast",
    "Cloud Forest",
    "Black Kite",
    "Twin Rivers",
    "Moonlit Ferry",
    "Silk Thread",
    "Falcon Ledger",
    "Copper Lantern",
    "Tiger Ford",
    "Rain Veil",
    "Blue Pagoda",
]
# The workflow states in the order they are dealt out to the demo operations.
STATE_CYCLE = [
    OperationState.approved,
    OperationState.proposed,
    OperationState.scheduled,
    OperationState.draft,
    OperationState.approved,
    OperationState.executing,
    OperationState.completed,
    OperationState.declined,
    OperationState.scheduled,
    OperationState.aborted,
    OperationState.proposed,
    OperationState.approved,
]
DEMO_PASSWORDS = {role: f"demo-{role.value}" for role in Role}


@dataclass
class DemoLogin:
    username: str
    password: str
    role: str
    agency: str | None


@dataclass
class DemoSummary:
    logins: list[DemoLogin] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def existing_demo_logins(session: Session) -> list[DemoLogin]:
    """The demo accounts still on the board (their passwords are the demo ones unless changed)."""
    users = session.exec(select(User).order_by(col(User.id))).all()
    demo = [
        u
        for u in users
        if u.username == "admin" or u.username.endswith(("-planner", "-liaison", "-unit-officer"))
    ]
    return [DemoLogin(u.username, DEMO_PASSWORDS[u.role], u.role.value, u.agency_id) for u in demo]


def board_is_empty(session: Session) -> bool:
    """True when no country exists yet (a fresh database)."""
    return session.exec(select(func.count()).select_from(Country)).one() == 0


def seed_demo(session: Session, *, now: datetime | None = None, seed: int = 2026) -> DemoSummary:
    """Fill an empty board with the demo world (flushes; the caller commits)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    rng = random.Random(seed)
    doc = _scenario(rng, now)
    states = {op["id"]: STATE_CYCLE[i % len(STATE_CYCLE)] for i, op in enumerate(doc["operations"])}
    _place_in_time(doc, states, now)
    result = import_scenario(session, data=doc)
    _apply_states(session, rng, states, now)
    summary = DemoSummary(counts=result.counts)
    summary.logins = _demo_users(session, doc)
    session.flush()
    return summary


def _scenario(rng: random.Random, now: datetime) -> dict[str, Any]:
    geo = json.loads(GEOGRAPHY.read_text(encoding="utf-8"))
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    doc: dict[str, Any] = {
        "format": SCENARIO_FORMAT,
        "name": "JointOps demo board",
        "horizon": {
            "start": format_instant(day - timedelta(days=7)),
            "end": format_instant(day + timedelta(days=21)),
        },
        "slot_minutes": 15,
        **{
            key: geo[key]
            for key in ("countries", "regions", "roads", "crossings", "agreements", "agencies")
        },
    }
    doc["units"] = _units(rng, geo)
    doc["operations"] = _operations(rng, geo, day)
    return doc


def _units(rng: random.Random, geo: dict[str, Any]) -> list[dict[str, Any]]:
    regions_of: dict[str, list[str]] = {}
    for region in geo["regions"]:
        regions_of.setdefault(region["country"], []).append(region["id"])
    units = []
    for n in range(1, UNIT_COUNT + 1):
        agency = rng.choice(geo["agencies"])
        caps = sorted(rng.sample(CAPABILITIES, rng.choice([1, 1, 2, 2, 3])))
        unit = {
            "id": f"U-D{n:04d}",
            "agency": agency["id"],
            "callsign": f"{agency['id'].split('-')[1]}-{n:03d}",
            "capabilities": caps,
            "personnel": rng.randint(4, 24),
            "base": rng.choice(regions_of[agency["country"]]),
        }
        if rng.random() < 0.1:
            unit["operating_regions"] = sorted(
                rng.sample(regions_of[agency["country"]], 2) + [unit["base"]]
            )
        units.append(unit)
    return units


def _operations(rng: random.Random, geo: dict[str, Any], day: datetime) -> list[dict[str, Any]]:
    regions_of: dict[str, list[str]] = {}
    for region in geo["regions"]:
        regions_of.setdefault(region["country"], []).append(region["id"])
    partners = {
        c["code"]: [a["to"] for a in geo["agreements"] if a["from"] == c["code"]]
        for c in geo["countries"]
    }
    operations = []
    for n, code_name in enumerate(CODE_NAMES, start=1):
        lead = rng.choice(geo["agencies"])
        countries = [lead["country"]]
        if partners[lead["country"]] and rng.random() < 0.5:
            countries.append(rng.choice(partners[lead["country"]]))
        sites = []
        for s in range(rng.randint(1, 3)):
            needs = rng.sample(CAPABILITIES[:5], rng.randint(1, 2))
            sites.append(
                {
                    "id": f"S-D{n:03d}-{s + 1}",
                    "region": rng.choice(regions_of[countries[s % len(countries)]]),
                    "requirements": [{"capability": c, "count": rng.randint(1, 2)} for c in needs],
                    "min_personnel": rng.choice([0, 10, 20]),
                }
            )
        start = day + timedelta(days=rng.randint(1, 12), minutes=15 * rng.randint(0, 95))
        duration = rng.choice([180, 240, 360, 480])
        operations.append(
            {
                "id": f"OP-D{n:03d}",
                "name": code_name,
                "lead_agency": lead["id"],
                "priority": rng.randint(1, 10),
                "earliest_start": format_instant(start),
                "latest_end": format_instant(start + timedelta(minutes=duration, hours=36)),
                "duration_minutes": duration,
                "foreign_support": len(countries) > 1,
                "sites": sites,
            }
        )
    return operations


def _place_in_time(doc: dict[str, Any], states: dict[str, OperationState], now: datetime) -> None:
    """Move executing operations to now and completed ones to the past."""
    slot_now = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    for op in doc["operations"]:
        state = states[op["id"]]
        if state == OperationState.executing:
            start = slot_now - timedelta(hours=1)
        elif state == OperationState.completed:
            start = slot_now - timedelta(days=3)
        else:
            continue
        op["earliest_start"] = format_instant(start)
        op["latest_end"] = format_instant(start + timedelta(minutes=op["duration_minutes"]))


def _apply_states(
    session: Session, rng: random.Random, states: dict[str, OperationState], now: datetime
) -> None:
    """Turn the imported (approved) operations into a board with every workflow state."""
    plan = Plan(
        document={
            "format": PLAN_FORMAT,
            "scenario": "JointOps demo board",
            "operations": [],
            "unscheduled": [],
        },
        is_published=True,
        published_at=now,
        created_at=now,
    )
    session.add(plan)
    session.flush()
    pool = _UnitPool(list(session.exec(select(Unit).order_by(col(Unit.id)))))
    for op_id, state in states.items():
        op = session.get(Operation, op_id)
        assert op is not None
        op.state = state
        if state in (OperationState.draft, OperationState.proposed):
            _withdraw_approvals(session, op, keep_lead_host=state == OperationState.proposed)
        elif state == OperationState.declined:
            _decline(session, op, now)
        elif state != OperationState.approved:
            _task(session, rng, op, plan, pool, now)
        session.add(op)
    session.flush()


def _withdraw_approvals(session: Session, op: Operation, *, keep_lead_host: bool) -> None:
    approvals = session.exec(select(Approval).where(Approval.operation_id == op.id)).all()
    lead_country = op.lead_agency_id.split("-")[0]
    for approval in approvals:
        keep = (
            keep_lead_host
            and approval.kind == ApprovalKind.host
            and (approval.country_code == lead_country)
        )
        if not keep:
            session.delete(approval)
    session.flush()


def _decline(session: Session, op: Operation, now: datetime) -> None:
    approval = session.exec(
        select(Approval).where(Approval.operation_id == op.id, Approval.kind == ApprovalKind.host)
    ).first()
    reason = "Host nation has an ongoing operation in the area; propose a later window."
    if approval is not None:
        approval.decision, approval.reason, approval.at = Decision.declined, reason, now
        session.add(approval)
    op.decline_reason = reason


def _task(
    session: Session,
    rng: random.Random,
    op: Operation,
    plan: Plan,
    pool: _UnitPool,
    now: datetime,
) -> None:
    """Give each requirement domestic units that are free, as a published tasking."""
    start = op.earliest_start
    end = start + timedelta(minutes=op.duration_minutes)
    taken: set[str] = set()
    for site in op.sites:
        country = site.region_id.split("-")[0]
        for requirement in site.requirements:
            for _ in range(requirement.count):
                window = (start, end)
                unit = pool.free(country, site.region_id, requirement.capability, window, taken)
                if unit is None:
                    continue
                travel = timedelta(minutes=rng.choice([45, 90, 150, 240]))
                pool.busy.setdefault(unit.id, []).append((start - travel, end + travel))
                taken.add(unit.id)
                tasking = Tasking(
                    uid=tasking_uid(op.id, unit.id),
                    operation_id=op.id,
                    unit_id=unit.id,
                    site_id=site.id,
                    capability=requirement.capability,
                    start=start,
                    end=end,
                    depart=start - travel,
                    return_at=end + travel,
                    plan_id=plan.id,
                    updated_at=now,
                )
                if op.state == OperationState.aborted:
                    tasking.status, tasking.sequence = TaskingStatus.cancelled, 1
                    tasking.cancelled_at = now
                session.add(tasking)
    session.flush()


def tasking_uid(operation_id: str, unit_id: str) -> str:
    """A stable calendar UID for the tasking of a unit in an operation."""
    return f"{uuid.uuid5(uuid.NAMESPACE_URL, f'jointops/{operation_id}/{unit_id}')}@jointops"


@dataclass
class _UnitPool:
    """The demo units and the busy intervals given to them so far."""

    units: list[Unit]
    busy: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)

    def free(
        self,
        country: str,
        region: str,
        capability: str,
        window: tuple[datetime, datetime],
        taken: set[str],
    ) -> Unit | None:
        """The first unit of `country` able to act at `region`, free around `window`."""
        start, end = window
        margin = timedelta(hours=5)
        for unit in self.units:
            if unit.id in taken or not unit.agency_id.startswith(f"{country}-"):
                continue
            if capability not in unit.capabilities:
                continue
            if unit.operating_regions is not None and region not in unit.operating_regions:
                continue
            if all(e <= start - margin or s >= end + margin for s, e in self.busy.get(unit.id, [])):
                return unit
        return None


@functools.cache
def _demo_hashes() -> dict[Role, str]:
    # argon2id is slow on purpose; the demo passwords are hashed once per process.
    return {role: hash_password(password) for role, password in DEMO_PASSWORDS.items()}


def _demo_users(session: Session, doc: dict[str, Any]) -> list[DemoLogin]:
    """An admin, and a planner, liaison officer and unit officer for every agency."""
    hashes = _demo_hashes()
    logins = [_add_user(session, "admin", Role.admin, None, None, hashes)]
    tasked = set(session.exec(select(Tasking.unit_id)))
    for agency in doc["agencies"]:
        own = [u["id"] for u in doc["units"] if u["agency"] == agency["id"]]
        unit = next((u for u in own if u in tasked), own[0] if own else None)
        for role in (Role.planner, Role.liaison, Role.unit_officer):
            username = f"{agency['id'].lower()}-{role.value.replace('_', '-')}"
            logins.append(
                _add_user(
                    session,
                    username,
                    role,
                    agency["id"],
                    unit if role == Role.unit_officer else None,
                    hashes,
                )
            )
    session.flush()
    return logins


def _add_user(
    session: Session,
    username: str,
    role: Role,
    agency: str | None,
    unit: str | None,
    hashes: dict[Role, str],
) -> DemoLogin:
    session.add(
        User(
            username=username,
            full_name=f"Demo {role.value.replace('_', ' ')}" + (f" ({agency})" if agency else ""),
            role=role,
            agency_id=agency,
            unit_id=unit,
            password_hash=hashes[role],
        )
    )
    return DemoLogin(username, DEMO_PASSWORDS[role], role.value, agency)
