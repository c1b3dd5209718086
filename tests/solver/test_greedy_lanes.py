"""The greedy's bookkeeping at scale: lanes answered by bisection, units found by index,
and a greedy that stops when its time is up (issue 9, item 3)."""

from __future__ import annotations

import json
import random

from sample_data import DATA

from app.solver.greedy import Greedy
from app.solver.instance import Instance
from app.solver.loader import load_scenario
from app.solver.model.candidates import Profiles, site_groups, unit_profiles
from app.solver.model.plan import build_plan
from app.solver.model.state import BookingState, CrossingLanes
from app.solver.model.timing import Booking

from .builders import make_scenario
from .solve_helpers import assert_valid


def _scarce() -> Instance:
    return Instance(load_scenario(json.loads((DATA / "scarce.json").read_text())))


def _naive_full(starts: list[int], transit: int, lanes: int, start: int) -> bool:
    """Some instant of [start, start + transit) already has every lane taken."""
    return any(
        sum(1 for p in starts if p <= x < p + transit) >= lanes
        for x in range(start, start + transit)
    )


def test_crossing_lanes_agree_with_counting_every_minute() -> None:
    rng = random.Random(9)
    for lanes in (1, 2, 3):
        transit = 20
        book = CrossingLanes(transit, lanes)
        for _ in range(60):
            start = rng.randrange(0, 600)
            if not _naive_full(book.starts, transit, lanes, start):
                book.add(start)
        for start in range(-30, 650):
            full = _naive_full(book.starts, transit, lanes, start)
            assert book.free(start) is not full, (lanes, start)
            earlier, later = book.next_earlier(start), book.next_later(start)
            if not full:
                assert earlier is None and later is None
                continue
            assert earlier is not None and later is not None
            # The jumps skip only starts that are full too, and always move.
            assert earlier < start < later
            skipped = [*range(earlier + 1, start), *range(start, later)]
            assert all(_naive_full(book.starts, transit, lanes, s) for s in skipped)


def test_a_one_lane_queue_twenty_passages_long_is_waited_out() -> None:
    """Twenty back-to-back passages before the tightest one: the trip goes before them.

    The old search stepped back a third of a transit at a time, 36 times (twelve
    passages): it found no passage and the unit was not used.
    """
    instance = Instance(make_scenario())
    state = BookingState(instance)
    t0 = 36 * 60  # 2026-12-02 12:00Z, the crossing is open 23:00Z-15:00Z
    starts = [t0 - 30 * j for j in range(20)]
    for out, back in zip(starts[::2], starts[1::2], strict=True):
        state.add(
            Booking("OP-X", "S-X", "U-MM1", "tactical", out - 60, back + 90, "X-MSI-TAC", out, back)
        )
    route = instance.routes("TH-CRI", "MM-TAC")[0]
    assert route.crossing == "X-MSI-TAC" and route.to_site == 0
    start = t0 + route.transit
    booking = state.trip("U-TH1", route, start, 60, ("OP-1", "S-1", "tactical"))
    assert booking is not None
    assert booking.cross_out == t0 - 30 * 20
    assert state.lane_free("X-MSI-TAC", booking.cross_out)


class _EveryProfile(Profiles):
    """No index: every profile is looked at, as before."""

    def for_site(self, instance, operation, site):  # type: ignore[no-untyped-def]
        return list(range(len(self.order)))


def test_the_profile_index_finds_every_candidate() -> None:
    instance = _scarce()
    indexed = unit_profiles(instance, instance.unit_available)
    everyone = _EveryProfile()
    everyone.update(indexed)
    everyone.order, everyone.free_times = indexed.order, indexed.free_times
    everyone.passable = indexed.passable
    for operation in instance.scenario.operations:
        for site in operation.sites:
            fast = site_groups(instance, operation, site, profiles=indexed)
            slow = site_groups(instance, operation, site, profiles=everyone)
            assert fast == slow, site.id
    assert any(u.operating_regions for u in instance.scenario.units)


def test_the_greedy_stops_when_its_time_is_up_with_a_valid_partial_plan() -> None:
    instance = _scarce()
    whole = Greedy(instance).run({}, {})
    looks = iter(range(1_000_000))
    planner = Greedy(instance, out_of_time=lambda: next(looks) >= 40)
    partial = planner.run({}, {})
    assert planner.cut_short
    assert 0 < len(partial) < len(whole)
    assert_valid(instance.scenario, build_plan(instance, partial, {"status": "GREEDY"}))
    assert Greedy(instance, out_of_time=lambda: True).run({}, {}) == {}


def test_a_greedy_cut_and_resumed_places_what_a_whole_run_places() -> None:
    """The solve hands over the greedy's first plan early, then resumes it: cut any
    number of times (between operations, among one operation's starts, while ordering),
    it must end with the whole run's plan, not below it."""
    instance = _scarce()
    whole = Greedy(instance).run({}, {})
    looks = iter(range(1_000_000))
    cuts = iter([7, 40, 41, 90, 400, 1_000_000])
    next_cut = [next(cuts)]

    def out_of_time() -> bool:
        if next(looks) < next_cut[0]:
            return False
        next_cut[0] = next(cuts)
        return True

    planner = Greedy(instance, out_of_time=out_of_time)
    plan = planner.run({}, {})
    resumed = 0
    while planner.cut_short:
        plan = planner.resume(plan, {})
        resumed += 1
    assert resumed >= 3
    assert plan == whole
    assert_valid(instance.scenario, build_plan(instance, plan, {"status": "GREEDY"}))


class _CountingGreedy(Greedy):
    """Counts the candidate lists it builds: the work a clock would see."""

    built = 0

    def site_groups(self, operation, site):  # type: ignore[no-untyped-def]
        if site.id not in self.groups:
            self.built += 1
        return super().site_groups(operation, site)


def test_a_greedy_cut_while_ordering_still_places_the_highest_priorities() -> None:
    """Ordering counts every operation's candidates first; cut during that count, the
    greedy placed nothing (scarce 1,600 operations: priority 90 after 30 s). Level by
    level, the top priority is placed before the others are counted."""
    instance = _scarce()
    top = max(o.priority for o in instance.scenario.operations)
    top_sites = sum(len(o.sites) for o in instance.scenario.operations if o.priority == top)
    assert top_sites < sum(len(o.sites) for o in instance.scenario.operations)
    planner = _CountingGreedy(instance)
    planner.out_of_time = lambda: planner.built > top_sites
    partial = planner.run({}, {})
    assert planner.cut_short
    assert partial
    assert {instance.operations[o].priority for o in partial} == {top}
