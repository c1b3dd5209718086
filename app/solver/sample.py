"""Deterministic sample scenarios (jointops-scenario/1) on the real Lancang-Mekong geography.

Tests and benchmarks need planning problems of any size without reading files from outside
the repository. `generate(knobs)` builds one from a seeded random source, so the same knobs
always give byte-identical JSON (`to_json`). The geography (six countries, 42 regions, roads,
15 crossings with their real hours, time zones and lanes, the agreements and agencies) is the
one the board's demo seed uses: app/seed_data/geography.json.

Two named shapes set the defaults: `plentiful` looks like the published samples (15-minute
grid, real crossing hours, units without limits), `scarce` is the hard case (5-minute grid,
every crossing one lane open 08:00-17:30, 400 operations for 900 units in four days, many
units limited to a few regions or away part of the time, a fifth of the starts fixed).

Pure: no database, no web; only the standard library and the geography file.
"""

from __future__ import annotations

import copy
import json
import random
import re
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.solver.schema import SCENARIO_FORMAT

GEOGRAPHY = Path(__file__).resolve().parent.parent / "seed_data" / "geography.json"
HORIZON_START = datetime(2026, 12, 1, tzinfo=UTC)

# Weights as in the published samples: tactical and investigation units are common.
CAPABILITY_WEIGHTS = {
    "tactical": 30,
    "investigation": 20,
    "border_patrol": 8,
    "forensics": 7,
    "interpreter": 6,
    "cyber": 5,
    "river_patrol": 5,
    "k9": 5,
}
# What sites ask for: mostly tactical and investigation teams, as in the samples; the rare
# specialists are asked for rarely, or nothing could ever be scheduled.
REQUIREMENT_WEIGHTS = {
    "tactical": 50,
    "investigation": 28,
    "cyber": 6,
    "forensics": 5,
    "interpreter": 5,
    "k9": 4,
    "border_patrol": 2,
    "river_patrol": 1,
}
PERSONNEL = [4, 6, 8, 10, 12, 16, 20]
PRIORITIES = [1, 2, 3, 5, 8, 10]
PRIORITY_WEIGHTS = [3, 3, 6, 8, 3, 3]
DURATIONS = [120, 180, 240, 360, 480]
DURATION_WEIGHTS = [5, 4, 8, 4, 4]
# The share of sites that name a minimum headcount (about a third in the samples).
MIN_PERSONNEL_SHARE = 0.35
# Among units with an availability gap, the share whose windows are written as two that
# touch at the gap's edge or reach past the horizon: the spec allows both.
UNUSUAL_WINDOWS_SHARE = 0.2
MAX_PLACES_PER_SITE = 4
# The share of a multi-site strike's further sites that lie in a neighbouring country.
CROSS_BORDER_SITE_SHARE = 0.15
HOURS = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")


class SampleError(ValueError):
    """A knob out of range; the message names the knob and what it must be."""

    def __init__(self, knob: str, reason: str) -> None:
        super().__init__(f"{knob}: {reason}")
        self.knob = knob
        self.reason = reason


@dataclass(frozen=True)
class Knobs:
    """Everything a sample depends on. `seed` picks one of the many such scenarios."""

    shape: str = "plentiful"
    operations: int = 20
    units: int = 80
    days: int = 7
    slot_minutes: int = 15
    # None keeps each crossing's real lanes / real opening hours; hours are daily windows
    # in each crossing's local time, "08:00-17:30" or "06:00-12:00,13:00-24:00"; "always"
    # writes no `open` (open at every instant).
    lanes: int | None = None
    crossing_hours: str | None = None
    # Requested unit places (sum of requirement counts) per unit over the whole scenario.
    scarcity: float = 1.2
    region_limited: float = 0.0
    availability_gaps: float = 0.0
    fixed_starts: float = 0.0
    multi_site: float = 0.5
    foreign_support: float = 0.5
    # The share of operations that ask for a cordon (docs/cordon-format.md). Drawn from
    # a random stream of its own: at 0 every other byte of a sample stays as it was.
    cordons: float = 0.0
    seed: int = 0


SHAPES: dict[str, Knobs] = {
    "plentiful": Knobs(),
    "scarce": Knobs(
        shape="scarce",
        operations=400,
        units=900,
        days=4,
        slot_minutes=5,
        lanes=1,
        crossing_hours="08:00-17:30",
        scarcity=2.5,
        region_limited=0.4,
        availability_gaps=0.5,
        fixed_starts=0.2,
    ),
}


# Sizes like the published samples (tiny .. xl), for tests and benchmarks: `jointops sample
# --preset small`. The tiny and small seeds are the ones tests/data was generated with; they
# were picked so that the plan crosses borders and leaves operations out (tests rely on it).
PRESETS: dict[str, Knobs] = {
    "tiny": Knobs(operations=5, units=24, days=3, scarcity=0.9, seed=15),
    "small": Knobs(operations=20, units=80, days=7, seed=2),
    # The published medium .. xl ask for about 1.7 unit places per unit: some left out.
    "medium": Knobs(operations=60, units=250, days=7, scarcity=1.7, seed=13),
    "large": Knobs(operations=250, units=1000, days=14, scarcity=1.7, seed=14),
    "xl": Knobs(operations=1000, units=4000, days=28, scarcity=1.7, seed=0),
    "scarce": SHAPES["scarce"],
}


def preset(name: str, **overrides: Any) -> Knobs:
    """A preset's knobs with `overrides` (None values keep the preset's), checked."""
    if name not in PRESETS:
        raise SampleError("preset", f"unknown preset {name!r} (one of: {', '.join(PRESETS)})")
    return _override(PRESETS[name], overrides)


def knobs_for(shape: str, **overrides: Any) -> Knobs:
    """The shape's defaults with `overrides` (None values keep the default), checked."""
    if shape not in SHAPES:
        raise SampleError("shape", f"unknown shape {shape!r} (one of: {', '.join(SHAPES)})")
    return _override(SHAPES[shape], overrides)


def _override(base: Knobs, overrides: dict[str, Any]) -> Knobs:
    names = {f.name for f in fields(Knobs)} - {"shape"}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise SampleError(unknown[0], "no such knob")
    given = {k: v for k, v in overrides.items() if v is not None}
    knobs = replace(base, **given)
    check_knobs(knobs)
    return knobs


def parse_hours(text: str) -> list[dict[str, str]]:
    """Daily windows from "HH:MM-HH:MM[,HH:MM-HH:MM...]"; [] for "always"."""
    if text.strip() == "always":
        return []
    windows = []
    for part in text.split(","):
        match = HOURS.match(part.strip())
        if not match:
            raise SampleError(
                "crossing_hours", f"{part.strip()!r} is not HH:MM-HH:MM (e.g. 08:00-17:30)"
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or m2 > 59 or end > 1440 or start >= end:
            raise SampleError(
                "crossing_hours",
                f"{part.strip()!r} must run forward within one day (00:00 to 24:00)",
            )
        windows.append({"from": f"{h1:02d}:{m1:02d}", "to": f"{h2:02d}:{m2:02d}"})
    return windows


def check_knobs(knobs: Knobs) -> None:
    """Raise SampleError naming the first knob that is out of range."""
    for name, low in (("operations", 1), ("units", 1), ("days", 1), ("slot_minutes", 1)):
        value = getattr(knobs, name)
        if not isinstance(value, int) or value < low:
            raise SampleError(name, f"must be a whole number >= {low}, got {value!r}")
    if 1440 % knobs.slot_minutes:
        raise SampleError("slot_minutes", f"must divide 1440 (a day), got {knobs.slot_minutes}")
    if knobs.lanes is not None and knobs.lanes < 1:
        raise SampleError("lanes", f"must be >= 1, got {knobs.lanes}")
    if knobs.crossing_hours is not None:
        parse_hours(knobs.crossing_hours)
    if not knobs.scarcity > 0:
        raise SampleError("scarcity", f"must be > 0, got {knobs.scarcity}")
    for name in (
        "region_limited",
        "availability_gaps",
        "fixed_starts",
        "multi_site",
        "foreign_support",
        "cordons",
    ):
        value = getattr(knobs, name)
        if not 0.0 <= value <= 1.0:
            raise SampleError(name, f"must be a share between 0 and 1, got {value}")


@lru_cache(maxsize=1)
def geography() -> dict[str, Any]:
    """The real geography, without its provenance note."""
    data = json.loads(GEOGRAPHY.read_text(encoding="utf-8"))
    data.pop("_source", None)
    return data  # type: ignore[no-any-return]


def instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(knobs: Knobs) -> dict[str, Any]:
    """The scenario document of `knobs` (checked first); same knobs, same document."""
    check_knobs(knobs)
    return _Generator(knobs).scenario()


def to_json(scenario: dict[str, Any]) -> str:
    """The canonical text of a generated scenario: what the CLI writes, byte for byte."""
    return json.dumps(scenario, indent=1, ensure_ascii=False) + "\n"


# A sample cordon: the crossings within this distance of a site (the river crossings a
# compound's bosses would flee by), sealed an hour either side, one unit per side.
CORDON_KM = 60
SAMPLE_CORDON = {
    "within_km": CORDON_KM,
    "lead_minutes": 60,
    "tail_minutes": 60,
    "units_per_side": 1,
    "allow_own_passages": True,
}


def add_cordons(operations: list[dict[str, Any]], share: float, seed: int) -> None:
    """Give `share` of the operations (rounded) a cordon, in place, chosen by a random
    stream of its own."""
    rnd = random.Random(f"jointops-sample-cordons/{seed}")
    for index in rnd.sample(range(len(operations)), round(share * len(operations))):
        operations[index]["cordon"] = dict(SAMPLE_CORDON)


class _Generator:
    """One scenario: every random draw comes from one Random(seed), in a fixed order."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.random = random.Random(f"jointops-sample/{knobs.seed}")
        # A copy: the caller owns the document it gets and may change it.
        geo = copy.deepcopy(geography())
        self.geo = geo
        self.held_in: dict[str, set[str]] = {}  # capabilities of each country's units
        self.regions_of: dict[str, list[str]] = {}
        for region in geo["regions"]:
            self.regions_of.setdefault(region["country"], []).append(region["id"])
        self.agencies_of: dict[str, list[str]] = {}
        for agency in geo["agencies"]:
            self.agencies_of.setdefault(agency["country"], []).append(agency["id"])
        # Countries joined by a crossing: where a coordinated strike may span two countries.
        self.neighbours: dict[str, set[str]] = {}
        country_of = {r["id"]: r["country"] for r in geo["regions"]}
        for crossing in geo["crossings"]:
            a, b = country_of[crossing["a"]], country_of[crossing["b"]]
            self.neighbours.setdefault(a, set()).add(b)
            self.neighbours.setdefault(b, set()).add(a)
        self.country_of = country_of
        self.start = HORIZON_START
        self.end = HORIZON_START + timedelta(days=knobs.days)

    def scenario(self) -> dict[str, Any]:
        k = self.knobs
        units = self.units()
        # Sites ask for what their host country's units can do: demand follows the units,
        # and the host-nation unit every site needs (rule 5) exists more often than not.
        country_of_agency = {a["id"]: a["country"] for a in self.geo["agencies"]}
        for unit in units:
            held = self.held_in.setdefault(country_of_agency[unit["agency"]], set())
            held.update(unit["capabilities"])
        name = f"sample-{k.shape}-{k.operations}ops-{k.units}units-{k.days}d-s{k.seed}"
        operations = self.operations()
        if k.cordons:
            name += f"-cordons{k.cordons:g}"
            add_cordons(operations, k.cordons, k.seed)
        return {
            "format": SCENARIO_FORMAT,
            "name": name,
            "horizon": {"start": instant(self.start), "end": instant(self.end)},
            "slot_minutes": k.slot_minutes,
            "countries": self.geo["countries"],
            "regions": self.geo["regions"],
            "roads": self.geo["roads"],
            "crossings": self.crossings(),
            "agreements": self.geo["agreements"],
            "agencies": self.geo["agencies"],
            "units": units,
            "operations": operations,
        }

    def crossings(self) -> list[dict[str, Any]]:
        hours = (
            None if self.knobs.crossing_hours is None else parse_hours(self.knobs.crossing_hours)
        )
        out = []
        for crossing in self.geo["crossings"]:
            crossing = dict(crossing)
            if self.knobs.lanes is not None:
                crossing["lanes"] = self.knobs.lanes
            if hours is not None:
                crossing["open"] = list(hours)
            if not crossing.get("open"):
                crossing.pop("open", None)  # absent: open at every instant
            out.append(crossing)
        return out

    # ---- units ------------------------------------------------------------------------

    def units(self) -> list[dict[str, Any]]:
        k, rnd = self.knobs, self.random
        width = max(4, len(str(k.units)))
        agencies = [a["id"] for a in self.geo["agencies"]]
        country_of_agency = {a["id"]: a["country"] for a in self.geo["agencies"]}
        capabilities = list(CAPABILITY_WEIGHTS)
        weights = list(CAPABILITY_WEIGHTS.values())
        units = []
        for number in range(1, k.units + 1):
            agency = rnd.choice(agencies)
            country = country_of_agency[agency]
            base = rnd.choice(self.regions_of[country])
            held = rnd.choices(capabilities, weights)
            if rnd.random() < 0.3:
                second = rnd.choices(capabilities, weights)[0]
                if second not in held:
                    held.append(second)
            unit: dict[str, Any] = {
                "id": f"U-{number:0{width}d}",
                "agency": agency,
                "callsign": f"{agency.split('-')[1]}-{number:0{width}d}",
                "capabilities": held,
                "personnel": rnd.choice(PERSONNEL),
                "base": base,
            }
            if rnd.random() < k.region_limited:
                unit["operating_regions"] = self.operating_regions(country, base)
            if rnd.random() < k.availability_gaps:
                unit["available"] = self.available_windows()
            units.append(unit)
        return units

    def operating_regions(self, country: str, base: str) -> list[str]:
        """Base and up to two more regions of its own country; now and then none at all."""
        rnd = self.random
        if rnd.random() < 0.05:
            return []  # a unit that may act only abroad
        others = [r for r in self.regions_of[country] if r != base]
        extra = rnd.sample(others, min(len(others), rnd.randint(0, 2)))
        return sorted([base, *extra])

    def available_windows(self) -> list[dict[str, str]]:
        """Available all horizon long but for one gap of 12 to 48 hours."""
        rnd = self.random
        span = int((self.end - self.start).total_seconds() // 3600)
        gap_hours = rnd.randint(12, 48)
        gap_start = self.start + timedelta(hours=rnd.randint(0, max(0, span - 12)))
        gap_end = gap_start + timedelta(hours=gap_hours)
        windows: list[tuple[datetime, datetime]] = []
        if gap_start > self.start:
            windows.append((self.start, gap_start))
        if gap_end < self.end:
            windows.append((gap_end, self.end))
        if not windows:
            return []  # the gap covers the whole horizon: never available
        if rnd.random() < UNUSUAL_WINDOWS_SHARE:
            # The same availability written differently: past the horizon, and in two
            # windows that touch (they join up).
            first_start, first_end = windows[0]
            middle = first_start + (first_end - first_start) / 2
            windows[0] = (first_start - timedelta(days=1), middle)
            windows.insert(1, (middle, first_end))
            last_start, last_end = windows[-1]
            windows[-1] = (last_start, last_end + timedelta(days=1))
        return [{"start": instant(a), "end": instant(b)} for a, b in windows]

    # ---- operations -------------------------------------------------------------------

    def operations(self) -> list[dict[str, Any]]:
        k = self.knobs
        width = max(4, len(str(k.operations)))
        sites_of = [self.site_count() for _ in range(k.operations)]
        places = self.places_per_site(sites_of)
        operations = []
        site_number = 0
        for index in range(k.operations):
            site_places = places[index]
            sites = []
            regions = self.site_regions(len(site_places))
            for region, count in zip(regions, site_places, strict=True):
                site_number += 1
                sites.append(self.site(f"S-{site_number:0{width + 1}d}", region, count))
            operations.append(self.operation(f"OP-{index + 1:0{width}d}", index + 1, sites))
        return operations

    def site_count(self) -> int:
        rnd = self.random
        if rnd.random() >= self.knobs.multi_site:
            return 1
        count = 2
        while count < 8 and rnd.random() < 0.4:
            count += 1
        return count

    def places_per_site(self, sites_of: list[int]) -> list[list[int]]:
        """Unit places per site: one each at least, then `scarcity * units` spread out."""
        rnd = self.random
        places = [[1] * n for n in sites_of]
        target = round(self.knobs.scarcity * self.knobs.units)
        extra = max(0, target - sum(sites_of))
        flat = [(i, j) for i, n in enumerate(sites_of) for j in range(n)]
        # At most MAX_PLACES_PER_SITE per site: one site asking for a whole agency is
        # never schedulable, and then a larger demand tells nothing.
        room = {spot: MAX_PLACES_PER_SITE - 1 for spot in flat}
        while extra and room:
            spot = rnd.choice(flat)
            if room.get(spot, 0) == 0:
                room.pop(spot, None)
                flat = [s for s in flat if s in room]
                continue
            room[spot] -= 1
            places[spot[0]][spot[1]] += 1
            extra -= 1
        return places

    def site_regions(self, count: int) -> list[str]:
        """Regions of one host country; a multi-site strike may reach into a neighbour."""
        rnd = self.random
        # Host countries as often as they have agencies: demand follows the units.
        country = rnd.choice(self.geo["agencies"])["country"]
        regions = []
        for number in range(count):
            host = country
            if number and rnd.random() < CROSS_BORDER_SITE_SHARE:
                host = rnd.choice(sorted(self.neighbours[country]))
            regions.append(rnd.choice(self.regions_of[host]))
        return regions

    def site(self, site_id: str, region: str, places: int) -> dict[str, Any]:
        """`places` unit places split over one to three distinct capabilities."""
        rnd = self.random
        held = self.held_in.get(self.country_of[region], set())
        capabilities = [c for c in REQUIREMENT_WEIGHTS if c in held] or list(REQUIREMENT_WEIGHTS)
        weights = [REQUIREMENT_WEIGHTS[c] for c in capabilities]
        wanted: list[str] = []
        for _ in range(min(places, rnd.randint(1, 3))):
            capability = rnd.choices(capabilities, weights)[0]
            if capability not in wanted:
                wanted.append(capability)
        counts = [1] * len(wanted)
        for _ in range(places - len(wanted)):
            counts[rnd.randrange(len(wanted))] += 1
        site: dict[str, Any] = {
            "id": site_id,
            "region": region,
            "requirements": [
                {"capability": c, "count": n} for c, n in zip(wanted, counts, strict=True)
            ],
        }
        if rnd.random() < MIN_PERSONNEL_SHARE:
            # About what average units bring: sometimes met, sometimes a real constraint.
            site["min_personnel"] = places * rnd.choice([5, 6, 8, 10])
        return site

    def operation(self, op_id: str, number: int, sites: list[dict[str, Any]]) -> dict[str, Any]:
        k, rnd = self.knobs, self.random
        slot = timedelta(minutes=k.slot_minutes)
        slots = int((self.end - self.start) / slot)
        duration = rnd.choices(DURATIONS, DURATION_WEIGHTS)[0]
        # Never longer than the horizon, and on whole minutes.
        duration = min(duration, int((self.end - self.start).total_seconds() // 60))
        length = timedelta(minutes=duration)
        slack = timedelta(hours=rnd.choice([0, 6, 12, 24, 48, 72]))
        latest_first = max(0, int((self.end - length - slack - self.start) / slot))
        earliest = self.start + rnd.randint(0, min(latest_first, slots)) * slot
        latest_end = min(self.end, earliest + length + slack)
        host = self.country_of[sites[0]["region"]]
        operation: dict[str, Any] = {
            "id": op_id,
            "name": f"Operation {number}",
            "lead_agency": rnd.choice(self.agencies_of[host]),
            "priority": rnd.choices(PRIORITIES, PRIORITY_WEIGHTS)[0],
            "earliest_start": instant(earliest),
            "latest_end": instant(latest_end),
            "duration_minutes": duration,
            "foreign_support": rnd.random() < k.foreign_support,
        }
        if rnd.random() < k.fixed_starts:
            last = int((latest_end - length - earliest) / slot)
            operation["fixed_start"] = instant(earliest + rnd.randint(0, last) * slot)
        operation["sites"] = sites
        return operation
