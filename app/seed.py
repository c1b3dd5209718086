"""A realistic, deterministic demo board: real geography, units, operations in every state.

The board is built the way its users would build it: the scenario is imported, the
operations meant to be scheduled are solved (greedy, deterministic) from the planning
scenario, the plan is validated and published by the planning service (which writes the
tasking orders), and the operations service then aborts some and marks others executing
or completed. The seed never writes a tasking order itself.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ortools
from sqlmodel import Session, col, func, select

from app.accounts.service import hash_password, verify_password
from app.campaigns.demo import seed_campaign
from app.config import get_settings
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
    User,
    utcnow,
)
from app.operations import service as operations
from app.planning.publish import publish_plan
from app.planning.scenario import pinned_operations, planning_scenario
from app.repatriation.demo import seed_repatriation
from app.solver.greedy import Greedy
from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.model.plan import build_plan, solution_from_operations
from app.solver.schema import SCENARIO_FORMAT, format_instant
from app.solver.validate import validate_plan
from app.transfer.service import import_scenario

GEOGRAPHY = Path(__file__).parent / "seed_data" / "geography.json"
# Hand-made operations whose orders cross a border, with the units they need.
SHOWCASE = Path(__file__).parent / "seed_data" / "showcase.json"
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
CODE_NAMES: list[str] = json.loads(
    (Path(__file__).parent / "seed_data" / "code_names.json").read_text(encoding="utf-8")
)["code_names"]
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
ROLES = [Role.admin.value, Role.coordinator.value, Role.planner.value, Role.liaison.value,
         Role.unit_officer.value]
# The states of operations that are planned and published (and then run, or aborted).
PLANNED = {
    OperationState.scheduled,
    OperationState.executing,
    OperationState.completed,
    OperationState.aborted,
}
STEPS = {
    OperationState.executing: ("execute",),
    OperationState.completed: ("execute", "complete"),
}
ABORT_REASON = "Targets moved across the border the night before; no-go."
# The coordination centre's planner publishes the demo plans.
# The coordination centre plans and publishes the whole board (an agency's planner may
# publish only plans that leave the operations it may not see as they are).
PUBLISHER = "coordinator"


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


class DemoRefused(RuntimeError):
    """Demo data or demo passwords where they must not be: outside the dev environment."""


def refuse_demo_outside_dev(environment: str) -> None:
    """The demo's 25 accounts have their passwords in the README: dev machines only."""
    if environment != "dev":
        raise DemoRefused(
            f"refusing to seed demo data: JOINTOPS_ENVIRONMENT is {environment!r}, and the demo "
            "accounts' passwords are published in the README. Demo data is for "
            "JOINTOPS_ENVIRONMENT=dev only; create the first administrator with "
            "`jointops create-admin`."
        )


def demo_password_accounts(session: Session) -> list[str]:
    """The active accounts whose password is still the demo one of their role.

    One argon2 check per distinct (hash, role): the seed gives every account of a role
    the same hash, so a seeded board costs five checks, a real one one per account.
    """
    found: list[str] = []
    verdicts: dict[tuple[str, Role], bool] = {}
    users = session.exec(select(User).where(col(User.is_active)).order_by(col(User.id)))
    for user in users:
        key = (user.password_hash, user.role)
        if key not in verdicts:
            try:
                verdicts[key] = verify_password(DEMO_PASSWORDS[user.role], user.password_hash)
            except ValueError:  # not an argon2 hash at all: not a demo password either
                verdicts[key] = False
        if verdicts[key]:
            found.append(user.username)
    return found


def refuse_demo_passwords(session: Session, environment: str) -> None:
    """Outside dev, refuse to serve while any account still has a demo password."""
    if environment == "dev":
        return
    found = demo_password_accounts(session)
    if found:
        shown = ", ".join(found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
        raise DemoRefused(
            f"refusing to start in {environment}: {len(found)} account(s) still have a demo "
            f"password, which the README publishes: {shown}. Change their passwords or "
            "disable them (or start on a database without demo data)."
        )


def existing_demo_logins(session: Session) -> list[DemoLogin]:
    """The demo accounts still on the board (their passwords are the demo ones unless changed)."""
    users = session.exec(select(User).order_by(col(User.id))).all()
    demo = [
        u
        for u in users
        if u.username in ("admin", "coordinator")
        or u.username.endswith(("-planner", "-liaison", "-unit-officer"))
    ]
    agencies = list(dict.fromkeys(u.agency_id for u in demo if u.agency_id))
    logins = [
        DemoLogin(u.username, DEMO_PASSWORDS[u.role], u.role.value, u.agency_id) for u in demo
    ]
    return _in_order(logins, agencies)


def _in_order(logins: list[DemoLogin], agencies: list[str]) -> list[DemoLogin]:
    """The admin first, then each agency's planner, liaison officer and unit officer."""
    return sorted(
        logins,
        key=lambda lg: (agencies.index(lg.agency) if lg.agency else -1, ROLES.index(lg.role)),
    )


def board_is_empty(session: Session) -> bool:
    """True when no country exists yet (a fresh database)."""
    return session.exec(select(func.count()).select_from(Country)).one() == 0


def seed_demo(session: Session, *, now: datetime | None = None, seed: int = 2026) -> DemoSummary:
    """Fill an empty board with the demo world (flushes; the caller commits).

    Refused (DemoRefused) outside JOINTOPS_ENVIRONMENT=dev.
    """
    refuse_demo_outside_dev(get_settings().environment)
    now = (now or utcnow()).astimezone(UTC)
    rng = random.Random(seed)
    doc = _scenario(rng, now)
    states = _states(doc)
    _place_in_time(doc, states, now)
    result = import_scenario(session, data=doc)
    staff = _demo_staff(session, doc)
    _unplanned_states(session, states, now)
    _plan_and_run(session, states, _user(session, PUBLISHER))
    summary = DemoSummary(counts=result.counts)
    agencies = [agency["id"] for agency in doc["agencies"]]
    summary.logins = _in_order(staff + _unit_officers(session, doc, now), agencies)
    seed_campaign(session, now=now, rng=rng)
    seed_repatriation(session, now=now)
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
    showcase = json.loads(SHOWCASE.read_text(encoding="utf-8"))
    doc["units"] = _units(rng, geo) + showcase["units"]
    doc["operations"] = _operations(rng, geo, day) + [
        _showcase_operation(op, day) for op in showcase["operations"]
    ]
    return doc


def _showcase_operation(op: dict[str, Any], day: datetime) -> dict[str, Any]:
    """A hand-made operation of showcase.json as a scenario operation."""
    start = day + timedelta(days=op["day"], hours=op["hour"])
    end = start + timedelta(minutes=op["duration_minutes"], hours=36)
    doc = {k: v for k, v in op.items() if k not in ("day", "hour", "state")}
    return doc | {"earliest_start": format_instant(start), "latest_end": format_instant(end)}


def _states(doc: dict[str, Any]) -> dict[str, OperationState]:
    """The state each demo operation ends in: dealt in turn, or as showcase.json says."""
    showcase = json.loads(SHOWCASE.read_text(encoding="utf-8"))
    fixed = {op["id"]: OperationState(op["state"]) for op in showcase["operations"]}
    return {
        op["id"]: fixed.get(op["id"]) or STATE_CYCLE[i % len(STATE_CYCLE)]
        for i, op in enumerate(doc["operations"])
    }


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
    """Give executing operations a window around now and completed ones a past window.

    An executing operation starts one or two hours ago (the planner picks), so it is still
    running whichever start it gets; a completed one ran three days ago.
    """
    slot_now = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    for op in doc["operations"]:
        state = states[op["id"]]
        duration = timedelta(minutes=op["duration_minutes"])
        if state == OperationState.executing:
            start, end = slot_now - timedelta(hours=2), slot_now - timedelta(hours=1) + duration
        elif state == OperationState.completed:
            start = slot_now - timedelta(days=3)
            end = start + duration + timedelta(hours=12)
        else:
            continue
        op["earliest_start"] = format_instant(start)
        op["latest_end"] = format_instant(end)


def _unplanned_states(session: Session, states: dict[str, OperationState], now: datetime) -> None:
    """Take the imported (approved) operations that never reach a plan back to their state."""
    for op_id, state in states.items():
        op = session.get(Operation, op_id)
        assert op is not None
        if state in (OperationState.draft, OperationState.proposed):
            _withdraw_approvals(session, op, keep_lead_host=state == OperationState.proposed)
        elif state == OperationState.declined:
            _decline(session, op, now)
        else:
            continue
        op.state = state
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


def _plan_and_run(session: Session, states: dict[str, OperationState], planner: User) -> None:
    """Plan, publish and run the demo operations the way a planner does on the board.

    The first plan takes every operation meant to reach a plan (operations meant to stay
    approved are left for the planner to solve). The second, published, keeps the first
    one's orders and leaves out the operations to be aborted, so their orders are
    cancelled as a planner's publish cancels them; then the operations service aborts
    those and marks the executing and completed ones. Only published plans write orders.
    """
    planned = {op_id for op_id, state in states.items() if state in PLANNED}
    first = _publish(session, planner, planned)
    scheduled = sorted(op["id"] for op in first.document["operations"])
    _publish(session, planner, {i for i in scheduled if states[i] != OperationState.aborted})
    for op_id in scheduled:
        op = session.get(Operation, op_id)
        assert op is not None
        state = states[op_id]
        if state == OperationState.aborted:
            operations.abort(session, operation=op, actor=planner, reason=ABORT_REASON)
        for step in STEPS.get(state, ()):
            operations.advance(session, operation=op, actor=planner, step=step)
    session.flush()


def _publish(session: Session, planner: User, operation_ids: set[str]) -> Plan:
    """Solve these operations of the board's planning scenario (greedy), check, publish."""
    document, _ = planning_scenario(session)
    document["operations"] = [op for op in document["operations"] if op["id"] in operation_ids]
    scenario = load_scenario(document)
    instance = Instance(scenario)
    fixed = solution_from_operations(instance, pinned_operations(session, scenario, set()))
    solution = Greedy(instance).run(fixed, {})
    version = getattr(ortools, "__version__", "unknown")
    info = {"status": "GREEDY", "seed": 0, "workers": 1, "ortools": version}
    plan = build_plan(instance, solution, info)
    report = validate_plan(scenario, plan)
    if not report.valid:  # a solver bug: never publish an invalid demo plan
        raise RuntimeError("the demo plan is invalid: " + "; ".join(map(str, report.violations)))
    row = Plan(document=plan.to_json_dict())
    session.add(row)
    session.flush()
    publish_plan(session, plan=row, user=planner)
    return row


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


@functools.cache
def _demo_hashes() -> dict[Role, str]:
    # argon2id is slow on purpose; the demo passwords are hashed once per process.
    return {role: hash_password(password) for role, password in DEMO_PASSWORDS.items()}


def _demo_staff(session: Session, doc: dict[str, Any]) -> list[DemoLogin]:
    """An admin, the coordination centre, and a planner and a liaison officer for every
    agency."""
    hashes = _demo_hashes()
    logins = [_add_user(session, "admin", Role.admin, None, None, hashes),
              _add_user(session, "coordinator", Role.coordinator, None, None, hashes)]
    for agency in doc["agencies"]:
        for role in (Role.planner, Role.liaison):
            logins.append(
                _add_user(session, _username(agency["id"], role), role, agency["id"], None, hashes)
            )
    session.flush()
    return logins


def _unit_officers(session: Session, doc: dict[str, Any], now: datetime) -> list[DemoLogin]:
    """A unit officer for every agency, of a unit with orders to come where it has one.

    A unit whose orders cross a border comes first, then one with any order to come,
    then one with past orders only, then the agency's first unit.
    """
    hashes = _demo_hashes()
    rank: dict[str, int] = {}
    for tasking in session.exec(select(Tasking).order_by(col(Tasking.id))):
        to_come = tasking.status == TaskingStatus.active and tasking.return_at >= now
        score = 0 if to_come and tasking.crossing_id else 1 if to_come else 2
        rank[tasking.unit_id] = min(score, rank.get(tasking.unit_id, 3))
    logins = []
    for agency in doc["agencies"]:
        own = [u["id"] for u in doc["units"] if u["agency"] == agency["id"]]
        unit = min(own, key=lambda u: (rank.get(u, 3), u)) if own else None
        logins.append(
            _add_user(
                session,
                _username(agency["id"], Role.unit_officer),
                Role.unit_officer,
                agency["id"],
                unit,
                hashes,
            )
        )
    session.flush()
    return logins


def _username(agency: str, role: Role) -> str:
    return f"{agency.lower()}-{role.value.replace('_', '-')}"


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
