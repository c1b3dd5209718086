"""The capacity gap of a campaign: demand, supply and the operations short of a capability.

Per phase, country, region and capability:
- demand: the campaign's operations (not declined) with a site there needing it, and the
  units they ask for in all;
- supply: the units in the register based in that region (and in that country) with it;
- short: the operations of the three kinds below, each counted once per row:
  - no unit able: the proposed or approved operations (waiting for a plan) with a site
    there asking for more units of the capability than the register has units *able to
    serve it*, by the spec's jurisdiction rules (6 and 8) alone: units of the host country
    allowed to act in the region (`operating_regions`), and, when the operation asks for
    foreign support, units of a country with an agreement into the host country and a
    crossing joining the two, or the units of an accepted offer of the operation's phase
    to the host country (only those units: what the offer says, see offers.py). Time,
    distance and other operations are left out, so no solve is needed: a shortage here is
    one no plan can fill;
  - unscheduled: the approved operations the latest plan (of a solver run) left
    unscheduled with a reason naming that capability at a site there;
  - under-staffed: the scheduled or executing ones whose active taskings there fill fewer
    units of it than asked (after a unit was taken off).

Need-to-know: only operations the viewer may see are counted, so nobody learns how many
hidden operations went short. Units are the register's (every planner reads it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app import audit as trail
from app.access import visible_operations_query
from app.campaigns import offers, service
from app.config import get_settings
from app.errors import AppError, Conflict, Forbidden
from app.i18n import N_
from app.models import (
    Agency,
    Agreement,
    Campaign,
    CapacityAnalysis,
    Crossing,
    OfferState,
    Operation,
    OperationPhase,
    OperationState,
    Plan,
    Region,
    Requirement,
    RunKind,
    RunStatus,
    Site,
    SolverRun,
    SupportOffer,
    Tasking,
    TaskingStatus,
    Unit,
    User,
    utcnow,
)
from app.solver.what_if import named_capabilities

# Operations whose demand counts: everything but a draft nobody proposed and a declined one.
DEMAND_STATES = tuple(s for s in OperationState
                      if s not in (OperationState.draft, OperationState.declined))
# Operations waiting for a plan: short when too few units in the register may serve them.
WAITING_STATES = (OperationState.proposed, OperationState.approved)
# Operations whose taskings tell whether they are staffed as asked.
STAFFED_STATES = (OperationState.scheduled, OperationState.executing)
# How many plans are read, newest first, to find each operation's latest verdict: older
# ones were planned on a board that has since moved on.
PLANS_READ = 20
# What an unscheduled operation counts under when no reason names one of its capabilities
# (crossing hours, timing, units held by other operations).
OTHER = ""


@dataclass
class GapRow:
    """One phase × region × capability of the campaign."""

    phase_id: int
    phase: str
    country: str
    region_id: str
    region: str
    capability: str
    demand_operations: int = 0
    demand_units: int = 0
    supply_region: int = 0
    supply_country: int = 0
    no_unit_able: int = 0
    unscheduled: int = 0
    understaffed: int = 0
    # The operations counted short here, each once whatever the kinds that found it.
    short_operations: set[str] = field(default_factory=set, repr=False)

    @property
    def short(self) -> int:
        return len(self.short_operations)

    @property
    def sentence(self) -> str:
        """`Bokeo (LA): 7 operations short of cyber units in Phase 1`."""
        what = f"{self.capability} units" if self.capability else "units (other reasons)"
        ops = "operation" if self.short == 1 else "operations"
        return f"{self.region} ({self.country}): {self.short} {ops} short of {what} in {self.phase}"

    def as_json(self) -> dict[str, Any]:
        return {"phase_id": self.phase_id, "phase": self.phase, "country": self.country,
                "region_id": self.region_id, "region": self.region,
                "capability": self.capability or None,
                "demand_operations": self.demand_operations, "demand_units": self.demand_units,
                "supply_region": self.supply_region, "supply_country": self.supply_country,
                "no_unit_able": self.no_unit_able, "unscheduled": self.unscheduled,
                "understaffed": self.understaffed,
                "short": self.short, "sentence": self.sentence}


@dataclass
class CountryRow:
    """Totals of one country and capability over the campaign."""

    country: str
    capability: str
    demand_units: int = 0
    supply: int = 0
    short: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"country": self.country, "capability": self.capability or None,
                "demand_units": self.demand_units, "supply": self.supply, "short": self.short}


@dataclass
class CapacityGap:
    rows: list[GapRow] = field(default_factory=list)
    countries: list[CountryRow] = field(default_factory=list)
    # Plans whose verdicts were read, and visible approved operations no plan covers yet.
    plans_read: list[int] = field(default_factory=list)
    never_planned: int = 0

    @property
    def worst(self) -> list[GapRow]:
        return [r for r in self.rows if r.short][:10]

    def as_json(self) -> dict[str, Any]:
        return {"rows": [r.as_json() for r in self.rows],
                "countries": [c.as_json() for c in self.countries],
                "worst": [r.sentence for r in self.worst],
                "plans_read": self.plans_read, "never_planned": self.never_planned}


def latest_verdicts(session: Session, operation_ids: set[str]
                    ) -> tuple[dict[str, list[str] | None], list[int]]:
    """Per operation, the reasons of the newest plan that planned it: None when it was
    scheduled, its reasons when it was left out. Operations no plan covers are absent.
    Also the ids of the plans read.

    Plans are what solver runs stored (and the demo's published ones); a capacity
    analysis stores none, so its hypothetical solves are never taken for the board's.
    """
    verdicts: dict[str, list[str] | None] = {}
    plans = session.exec(select(Plan).order_by(col(Plan.id).desc()).limit(PLANS_READ)).all()
    read = []
    for plan in plans:
        if len(verdicts) == len(operation_ids):
            break
        read.append(int(plan.id or 0))
        document = plan.document or {}
        for op in document.get("operations", []):
            if op.get("id") in operation_ids:
                verdicts.setdefault(op["id"], None)
        for op in document.get("unscheduled", []):
            if op.get("id") in operation_ids:
                verdicts.setdefault(op["id"], list(op.get("reasons") or []))
    return verdicts, read


def compute(session: Session, *, campaign: Campaign, viewer: User) -> CapacityGap:
    """The campaign's capacity gap over the operations `viewer` may see."""
    phases = {p.id: p for p in service.phases_of(session, campaign.id or 0)}
    visible = visible_operations_query(viewer).subquery()
    operations = session.exec(
        select(Operation, OperationPhase.phase_id)
        .join(OperationPhase, col(OperationPhase.operation_id) == col(Operation.id))
        .where(col(OperationPhase.phase_id).in_(list(phases)),
               col(Operation.id).in_(select(visible.c.id)),
               col(Operation.state).in_(DEMAND_STATES))).all()
    phase_of = {op.id: phase_id for op, phase_id in operations}
    state_of = {op.id: op.state for op, _ in operations}
    needs = session.execute(
        sa.select(col(Site.operation_id), col(Site.id), col(Site.region_id),
                  col(Requirement.capability),
                  col(Requirement.count))
        .join(Requirement, col(Requirement.site_id) == col(Site.id))
        .where(col(Site.operation_id).in_(list(phase_of)))).all()
    regions = {r.id: r for r in session.exec(select(Region)).all()}
    rows: dict[tuple[int, str, str], GapRow] = {}

    def row(phase_id: int, region_id: str, capability: str) -> GapRow:
        key = (phase_id, region_id, capability)
        if key not in rows:
            region = regions[region_id]
            rows[key] = GapRow(phase_id=phase_id, phase=phases[phase_id].name,
                               country=region.country_code, region_id=region_id,
                               region=region.name, capability=capability)
        return rows[key]

    sites_of: dict[str, list[tuple[str, str, str, int]]] = defaultdict(list)
    for op_id, site_id, region_id, capability, count in needs:
        sites_of[op_id].append((site_id, region_id, capability, count))
        r = row(phase_of[op_id], region_id, capability)
        r.demand_operations += 1
        r.demand_units += count

    verdicts, read = latest_verdicts(session, set(phase_of))
    for op_id, reasons in verdicts.items():
        # Only an operation still waiting for a plan is short for the run's reason; a
        # scheduled one is judged by its taskings, a finished one is history.
        if reasons is None or state_of[op_id] != OperationState.approved:
            continue
        named = named_capabilities(reasons, {cap for _, _, cap, _ in sites_of[op_id]})
        places = {(region_id, cap if cap in named else OTHER)
                  for _, region_id, cap, _ in sites_of[op_id] if cap in named or not named}
        for region_id, capability in places:
            r = row(phase_of[op_id], region_id, capability)
            r.unscheduled += 1
            r.short_operations.add(op_id)

    _count_no_unit_able(session, [op for op, _ in operations if op.state in WAITING_STATES],
                        sites_of, phase_of, regions, row)
    _count_understaffed(session, [op for op in phase_of if state_of[op] in STAFFED_STATES],
                        sites_of, phase_of, row)
    _count_supply(session, rows.values(), regions)
    ordered = sorted(rows.values(), key=lambda r: (-r.short, -r.demand_units, r.phase_id,
                                                    r.country, r.region_id, r.capability))
    return CapacityGap(rows=ordered, countries=_by_country(ordered, session, regions),
                       plans_read=read,
                       never_planned=sum(1 for op, state in state_of.items()
                                         if state == OperationState.approved
                                         and op not in verdicts))


def _count_understaffed(session: Session, staffed: list[str],
                        sites_of: dict[str, list[tuple[str, str, str, int]]],
                        phase_of: dict[str, int], row: Any) -> None:
    """Scheduled or executing operations whose active taskings fill less than asked."""
    filled: Counter[tuple[str, str]] = Counter()
    for site_id, capability in session.exec(
            select(Tasking.site_id, Tasking.capability)
            .where(col(Tasking.operation_id).in_(staffed),
                   col(Tasking.status) == TaskingStatus.active,
                   col(Tasking.site_id).is_not(None))).all():
        filled[(site_id or "", capability)] += 1
    for op_id in staffed:
        short = {(region_id, cap) for site_id, region_id, cap, count in sites_of[op_id]
                 if filled[(site_id, cap)] < count}
        for region_id, capability in short:
            r = row(phase_of[op_id], region_id, capability)
            r.understaffed += 1
            r.short_operations.add(op_id)


def _count_no_unit_able(session: Session, waiting: list[Operation],
                        sites_of: dict[str, list[tuple[str, str, str, int]]],
                        phase_of: dict[str, int], regions: dict[str, Region],
                        row: Any) -> None:
    """Operations waiting for a plan with a site asking for more units of a capability
    than the register has units able to serve there (jurisdiction only: see the module)."""
    if not waiting:
        return
    home = dict(session.exec(select(Agency.id, Agency.country_code)).all())
    units = [(u.id, home.get(u.agency_id, ""), set(u.capabilities or []), u.operating_regions)
             for u in session.exec(select(Unit)).all()]
    agreed = set(session.exec(select(Agreement.from_country, Agreement.to_country)).all())
    joined = {frozenset((regions[a].country_code, regions[b].country_code))
              for a, b in session.exec(select(Crossing.a_id, Crossing.b_id)).all()
              if a in regions and b in regions}
    offered: dict[tuple[int, str], set[str]] = defaultdict(set)
    for phase_id, to_country, unit_ids in session.exec(
            select(SupportOffer.phase_id, SupportOffer.to_country, SupportOffer.unit_ids)
            .where(col(SupportOffer.state) == OfferState.accepted,
                   col(SupportOffer.phase_id).in_(set(phase_of.values())))).all():
        offered[(phase_id, to_country)].update(unit_ids or [])

    def able(op: Operation, region_id: str, capability: str) -> int:
        host = regions[region_id].country_code
        count = 0
        for unit_id, country, capabilities, operating in units:
            if capability not in capabilities:
                continue
            if country == host:
                count += operating is None or region_id in operating
            elif op.foreign_support_requested and frozenset((country, host)) in joined:
                count += ((country, host) in agreed
                          or unit_id in offered[(phase_of[op.id], host)])
        return count

    for op in waiting:
        short = {(region_id, cap) for _, region_id, cap, count in sites_of[op.id]
                 if able(op, region_id, cap) < count}
        for region_id, capability in short:
            r = row(phase_of[op.id], region_id, capability)
            r.no_unit_able += 1
            r.short_operations.add(op.id)


def _units(session: Session) -> list[tuple[str, list[str]]]:
    return [(base, list(caps or [])) for base, caps in
            session.exec(select(Unit.base_region_id, Unit.capabilities)).all()]


def _count_supply(session: Session, rows: Iterable[GapRow], regions: dict[str, Region]) -> None:
    in_region: Counter[tuple[str, str]] = Counter()
    in_country: Counter[tuple[str, str]] = Counter()
    for base, capabilities in _units(session):
        for capability in set(capabilities):
            in_region[(base, capability)] += 1
            in_country[(regions[base].country_code, capability)] += 1
    for r in rows:
        r.supply_region = in_region[(r.region_id, r.capability)]
        r.supply_country = in_country[(r.country, r.capability)]


def _by_country(rows: list[GapRow], session: Session, regions: dict[str, Region]
                ) -> list[CountryRow]:
    totals: dict[tuple[str, str], CountryRow] = {}
    for r in rows:
        total = totals.setdefault((r.country, r.capability),
                                  CountryRow(country=r.country, capability=r.capability))
        total.demand_units += r.demand_units
        total.short += r.short
    supply: Counter[tuple[str, str]] = Counter()
    for base, capabilities in _units(session):
        for capability in set(capabilities):
            supply[(regions[base].country_code, capability)] += 1
    for (country, capability), total in totals.items():
        total.supply = supply[(country, capability)]
    return sorted(totals.values(), key=lambda t: (-t.short, t.country, t.capability))



# --- what would help most -----------------------------------------------------------------

# Seconds each solve of an analysis may take (the baseline and every hypothesis): with up
# to 1 + MAX_HYPOTHESES solves, the large sample's analysis stays within 5 minutes on 2
# cores (bench/capacity.py).
ANALYSIS_TIME_LIMIT = 20.0


def may_analyse(session: Session, user: User, campaign: Campaign) -> bool:
    """Starting an analysis queues solver work: admins and the campaign's planners."""
    return service.may_manage(session, user, campaign)


def start_analysis(session: Session, *, campaign: Campaign, user: User,
                   time_limit: float = ANALYSIS_TIME_LIMIT, workers: int = 2
                   ) -> CapacityAnalysis:
    """Queue a "what would help most" analysis as a background solver run.

    It solves the whole planning scenario (units are shared between operations), and
    looks for gaps among the campaign's operations the starter may see. Pending offers
    that bear on it are tried as if accepted.
    """
    from app.planning.notice import start_no_earlier_than
    from app.planning.queue import defer_solve
    from app.planning.scenario import planning_scenario
    from app.planning.worker import ANALYSIS

    if not may_analyse(session, user, campaign):
        raise Forbidden(N_("Only planners of a participating agency start an analysis"))
    if not 1 <= time_limit <= get_settings().max_time_limit_seconds or not 1 <= workers <= 8:
        raise AppError(N_("The time limit or the number of workers is out of range"), 422)
    active = session.exec(
        select(SolverRun.id).join(CapacityAnalysis,
                                  col(CapacityAnalysis.solver_run_id) == col(SolverRun.id))
        .where(CapacityAnalysis.campaign_id == campaign.id,
               col(SolverRun.status).in_((RunStatus.queued, RunStatus.running,
                                          RunStatus.cancelling)))).first()
    if active is not None:
        raise Conflict(N_("An analysis of this campaign is already under way"))
    document, scenario = planning_scenario(session)
    phases = [p.id for p in service.phases_of(session, campaign.id or 0)]
    visible = visible_operations_query(user).subquery()
    in_scenario = {op.id for op in scenario.operations}
    focus = sorted(set(session.exec(
        select(OperationPhase.operation_id)
        .where(col(OperationPhase.phase_id).in_(phases),
               col(OperationPhase.operation_id).in_(select(visible.c.id))))) & in_scenario)
    if not focus:
        raise Conflict(N_("None of this campaign's operations you may see is approved or "
                          "scheduled: there is nothing to solve"))
    start_no_earlier_than(document, now=utcnow(), fixed=[])
    pending = offers.offer_agreements(session, document, states=(OfferState.offered,))
    run = SolverRun(kind=RunKind.capacity, status=RunStatus.queued, scenario=document,
                    created_by_id=user.id, params={"kind": ANALYSIS, "campaign_id": campaign.id,
                            "time_limit": time_limit, "workers": workers, "seed": 0,
                            "focus": focus, "offers": pending})
    session.add(run)
    session.flush()
    analysis = CapacityAnalysis(campaign_id=campaign.id or 0, solver_run_id=int(run.id or 0),
                                created_by_id=user.id)
    session.add(analysis)
    session.flush()
    defer_solve(session, int(run.id or 0))
    trail.record(session, actor=user, action="capacity_analysis.start",
                 object_type="capacity_analysis", object_id=analysis.id,
                 details={"campaign_id": campaign.id, "solver_run_id": run.id,
                          "operations": len(focus), "offers": [o["offer"] for o in pending]})
    return analysis


def stop_analysis(session: Session, *, campaign: Campaign, user: User) -> SolverRun:
    """Stop the campaign's analysis under way (the hypotheses solved so far are kept)."""
    from app.planning.service import ACTIVE, cancel_run

    if not may_analyse(session, user, campaign):
        raise Forbidden(N_("Only planners of a participating agency stop an analysis"))
    found = latest_analysis(session, campaign)
    if found is None or found[1].status not in ACTIVE:
        raise Conflict(N_("No analysis of this campaign is under way"))
    return cancel_run(session, run=found[1], user=user)


def latest_analysis(session: Session, campaign: Campaign
                    ) -> tuple[CapacityAnalysis, SolverRun] | None:
    """The campaign's newest analysis and its run (without the run's documents)."""
    row = session.exec(
        select(CapacityAnalysis, SolverRun)
        .join(SolverRun, col(SolverRun.id) == col(CapacityAnalysis.solver_run_id))
        .options(defer(SolverRun.scenario), defer(SolverRun.plan))  # type: ignore[arg-type]
        .where(CapacityAnalysis.campaign_id == campaign.id)
        .order_by(col(CapacityAnalysis.id).desc())).first()
    return (row[0], row[1]) if row else None


@dataclass
class Ranked:
    """One change as a viewer may read it: the priority and operations it unlocks among
    the operations they may see."""

    key: str
    kind: str
    label: str
    unlocked: int
    gained: int
    lost: int
    # The solve with the change found less than the baseline in its time (the baseline
    # counts): the change may still help, a longer solve would tell.
    short_search: bool = False


def ranking_for(session: Session, *, analysis: CapacityAnalysis, viewer: User) -> list[Ranked]:
    """The analysis's changes, best first, counted over the operations `viewer` may see.

    A change shows only when the viewer sees one of the operations of the gap it answers:
    a gap among hidden operations is not theirs to know of.
    """
    result = analysis.result or {}
    hypotheses = result.get("hypotheses", [])
    priority: dict[str, int] = result.get("priorities", {})
    named = {op for h in hypotheses
             for op in [*h.get("gained", []), *h.get("lost", []), *h["gap"]["operations"]]}
    seen = set(session.exec(visible_operations_query(viewer)
                            .where(col(Operation.id).in_(named))
                            .with_only_columns(col(Operation.id))).all())  # type: ignore[call-overload]
    ranked = []
    for h in hypotheses:
        if not seen & set(h["gap"]["operations"]):
            continue
        gained = [op for op in h.get("gained", []) if op in seen]
        lost = [op for op in h.get("lost", []) if op in seen]
        ranked.append(Ranked(key=h["key"], kind=h["kind"], label=h["label"],
                             unlocked=sum(priority.get(op, 0) for op in gained)
                             - sum(priority.get(op, 0) for op in lost),
                             gained=len(gained), lost=len(lost),
                             short_search=bool(h.get("short_search"))))
    return sorted(ranked, key=lambda r: (-r.unlocked, r.key))


def analysis_json(session: Session, *, analysis: CapacityAnalysis, run: SolverRun,
                  viewer: User) -> dict[str, Any]:
    """Status, progress and (once finished) the ranking the viewer may read."""
    progress = run.progress or {}
    return {"id": analysis.id, "status": run.status.value,
            "step": progress.get("step", 0), "steps": progress.get("steps", 1),
            "current": progress.get("current"), "elapsed": progress.get("elapsed"),
            "error": run.error,
            "ranking": [r.__dict__ for r in ranking_for(session, analysis=analysis,
                                                        viewer=viewer)]}
