"""A tiny two-country world (Thailand, Myanmar) for solver tests.

Import it relatively inside tests/solver (`from .builders import ...`); from elsewhere
under tests/, pytest's rootdir-less import puts tests/ on the path, so it is
`from solver.builders import ...` (`tests.solver.builders` needs a `tests/__init__.py`)::

    from .builders import make_scenario, scenario_dict, unit, operation, site

    scenario = make_scenario()                      # a validated `Scenario`
    doc = scenario_dict()                           # the same as a plain JSON dict
    doc = scenario_dict(slot_minutes=30)            # any top-level key replaced
    add_units(doc, unit("U-TH9", capabilities=["k9"], base="TH-MSI"))
    add_operations(doc, operation("OP-9", sites=[site("S-9", "TH-CRI", {"k9": 1})]))
    scenario = make_scenario(doc)                   # validate a (modified) dict

The world (horizon 2026-12-01T00:00Z .. 2026-12-04T00:00Z, 15-minute slots):

- regions TH-CRI (Chiang Rai), TH-MSI (Mae Sai), MM-TAC (Tachileik), MM-KTG (Kengtung);
  roads TH-CRI–TH-MSI 60 min, MM-TAC–MM-KTG 120 min; no road between countries.
- crossing X-MSI-TAC: TH-MSI <-> MM-TAC, transit 30 min, 1 lane, Asia/Bangkok,
  open 06:00–22:00 local (23:00Z–15:00Z).
- agreement TH -> MM (Thai units may work in Myanmar, not the reverse).
- agencies TH-RTP (TH), MM-MPF (MM).
- units: U-TH1 tactical 10 pers. @TH-CRI; U-TH2 investigation 5 pers. @TH-CRI;
  U-MM1 tactical 12 pers. @MM-TAC; U-MM2 tactical+investigation 6 pers. @MM-KTG.
- OP-1 (priority 3, foreign support, 2026-12-02T00:00Z..12:00Z, 120 min):
  S-1 at MM-TAC needs tactical x2, min 15 personnel; S-2 at TH-MSI needs investigation x1.
- OP-2 (priority 1, no foreign support, 2026-12-01T00:00Z..2026-12-03T00:00Z, 60 min):
  S-3 at TH-CRI needs tactical x1.

`valid_plan_dict()` is a hand-checked valid plan for it (both operations scheduled;
U-TH1 crosses to Tachileik), objective `VALID_PLAN_OBJECTIVE` = (priority 4, travel 300);
`make_plan(doc)` validates a plan dict; `assignment(...)` builds one assignment dict.
"""

from __future__ import annotations

import copy
from typing import Any

from app.solver.loader import load_plan, load_scenario
from app.solver.schema import Plan, Scenario

Doc = dict[str, Any]

_BASE: Doc = {
    "format": "jointops-scenario/1",
    "name": "builder-th-mm",
    "horizon": {"start": "2026-12-01T00:00:00Z", "end": "2026-12-04T00:00:00Z"},
    "slot_minutes": 15,
    "countries": [
        {"code": "TH", "name": "Thailand", "timezone": "Asia/Bangkok"},
        {"code": "MM", "name": "Myanmar", "timezone": "Asia/Yangon"},
    ],
    "regions": [
        {"id": "TH-CRI", "name": "Chiang Rai", "country": "TH", "lat": 19.91, "lon": 99.83},
        {"id": "TH-MSI", "name": "Mae Sai", "country": "TH", "lat": 20.43, "lon": 99.88},
        {"id": "MM-TAC", "name": "Tachileik", "country": "MM", "lat": 20.45, "lon": 99.88},
        {"id": "MM-KTG", "name": "Kengtung", "country": "MM", "lat": 21.29, "lon": 99.6},
    ],
    "roads": [
        {"a": "TH-CRI", "b": "TH-MSI", "minutes": 60},
        {"a": "MM-TAC", "b": "MM-KTG", "minutes": 120},
    ],
    "crossings": [
        {
            "id": "X-MSI-TAC",
            "name": "Mae Sai - Tachileik",
            "a": "TH-MSI",
            "b": "MM-TAC",
            "transit_minutes": 30,
            "lanes": 1,
            "timezone": "Asia/Bangkok",
            "open": [{"from": "06:00", "to": "22:00"}],
        }
    ],
    "agreements": [{"from": "TH", "to": "MM"}],
    "agencies": [
        {"id": "TH-RTP", "name": "Royal Thai Police", "country": "TH"},
        {"id": "MM-MPF", "name": "Myanmar Police Force", "country": "MM"},
    ],
}


def unit(
    id: str,
    *,
    agency: str = "TH-RTP",
    capabilities: list[str] | None = None,
    personnel: int = 10,
    base: str = "TH-CRI",
    **extra: Any,
) -> Doc:
    """A unit dict; `extra` adds keys such as `operating_regions` or `available`."""
    return {
        "id": id,
        "agency": agency,
        "callsign": f"CS-{id}",
        "capabilities": capabilities or ["tactical"],
        "personnel": personnel,
        "base": base,
        **extra,
    }


def site(id: str, region: str, requirements: dict[str, int] | None = None, **extra: Any) -> Doc:
    """A site dict; `requirements` maps capability to count (default one tactical)."""
    reqs = requirements or {"tactical": 1}
    return {
        "id": id,
        "region": region,
        "requirements": [{"capability": c, "count": n} for c, n in reqs.items()],
        **extra,
    }


def operation(
    id: str,
    *,
    sites: list[Doc],
    priority: int = 1,
    earliest_start: str = "2026-12-01T00:00:00Z",
    latest_end: str = "2026-12-03T00:00:00Z",
    duration_minutes: int = 60,
    foreign_support: bool = False,
    **extra: Any,
) -> Doc:
    """An operation dict; `extra` adds keys such as `fixed_start` or `lead_agency`."""
    doc = {
        "id": id,
        "name": f"Operation {id}",
        "lead_agency": "TH-RTP",
        "priority": priority,
        "earliest_start": earliest_start,
        "latest_end": latest_end,
        "duration_minutes": duration_minutes,
        "foreign_support": foreign_support,
        "sites": sites,
    }
    doc.update(extra)
    return doc


def _default_units() -> list[Doc]:
    return [
        unit("U-TH1", personnel=10),
        unit("U-TH2", capabilities=["investigation"], personnel=5),
        unit("U-MM1", agency="MM-MPF", personnel=12, base="MM-TAC"),
        unit(
            "U-MM2",
            agency="MM-MPF",
            capabilities=["tactical", "investigation"],
            personnel=6,
            base="MM-KTG",
        ),
    ]


def _default_operations() -> list[Doc]:
    return [
        operation(
            "OP-1",
            priority=3,
            earliest_start="2026-12-02T00:00:00Z",
            latest_end="2026-12-02T12:00:00Z",
            duration_minutes=120,
            foreign_support=True,
            lead_agency="MM-MPF",
            sites=[
                site("S-1", "MM-TAC", {"tactical": 2}, min_personnel=15),
                site("S-2", "TH-MSI", {"investigation": 1}),
            ],
        ),
        operation("OP-2", sites=[site("S-3", "TH-CRI", {"tactical": 1})]),
    ]


def scenario_dict(**overrides: Any) -> Doc:
    """The builder world as a fresh JSON dict; keyword arguments replace top-level keys."""
    doc = copy.deepcopy(_BASE)
    doc["units"] = _default_units()
    doc["operations"] = _default_operations()
    doc.update(copy.deepcopy(overrides))
    return doc


def make_scenario(doc: Doc | None = None, **overrides: Any) -> Scenario:
    """A fully checked `Scenario` of `doc` (default: the builder world) with `overrides`."""
    data = copy.deepcopy(doc) if doc is not None else scenario_dict()
    data.update(copy.deepcopy(overrides))
    return load_scenario(data)


def add_units(doc: Doc, *units: Doc) -> Doc:
    """Append units to a scenario dict (in place) and return it."""
    doc["units"].extend(units)
    return doc


def add_operations(doc: Doc, *operations: Doc) -> Doc:
    """Append operations to a scenario dict (in place) and return it."""
    doc["operations"].extend(operations)
    return doc


def valid_plan_dict() -> Doc:
    """A hand-checked valid plan for the default world (priority 4, travel 300 minutes).

    OP-1 starts 2026-12-02T03:00Z (10:00 in Bangkok) and ends 05:00Z.
    S-1: U-MM1 is based at MM-TAC (travel 0); U-TH1 drives TH-CRI -> TH-MSI (60), crosses
    out at 02:00Z (30), waits; back through at 05:00Z, home 06:30Z (travel 180).
    S-2: U-TH2 drives TH-CRI -> TH-MSI and back (travel 120).
    OP-2 starts 2026-12-01T10:00Z; U-TH1 works at its own base (travel 0).
    """
    return copy.deepcopy(_VALID_PLAN)


def assignment(site: str, unit: str, capability: str, depart: str, ret: str, **extra: Any) -> Doc:
    """An assignment dict; `extra` adds `crossing`, `cross_out`, `cross_back`."""
    return {
        "site": site,
        "unit": unit,
        "capability": capability,
        "depart": depart,
        "return": ret,
        **extra,
    }


_VALID_PLAN: Doc = {
    "format": "jointops-plan/1",
    "scenario": "builder-th-mm",
    "operations": [
        {
            "id": "OP-1",
            "start": "2026-12-02T03:00:00Z",
            "assignments": [
                assignment(
                    "S-1", "U-MM1", "tactical", "2026-12-02T03:00:00Z", "2026-12-02T05:00:00Z"
                ),
                assignment(
                    "S-1",
                    "U-TH1",
                    "tactical",
                    "2026-12-02T01:00:00Z",
                    "2026-12-02T06:30:00Z",
                    crossing="X-MSI-TAC",
                    cross_out="2026-12-02T02:00:00Z",
                    cross_back="2026-12-02T05:00:00Z",
                ),
                assignment(
                    "S-2", "U-TH2", "investigation", "2026-12-02T02:00:00Z", "2026-12-02T06:00:00Z"
                ),
            ],
        },
        {
            "id": "OP-2",
            "start": "2026-12-01T10:00:00Z",
            "assignments": [
                assignment(
                    "S-3", "U-TH1", "tactical", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"
                ),
            ],
        },
    ],
    "unscheduled": [],
}

VALID_PLAN_OBJECTIVE = (4, 300)


def make_plan(doc: Doc | None = None) -> Plan:
    """A `Plan` of `doc` (default: `valid_plan_dict()`)."""
    return load_plan(doc if doc is not None else valid_plan_dict())
