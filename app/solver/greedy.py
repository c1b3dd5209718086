"""A fast greedy planner: the baseline and the warm start (complete hint) for CP-SAT.

Operations go by priority (highest first), then by how few units could staff them. Each
takes its earliest start at which every site can be staffed with the nearest free units.
Anytime: given an `out_of_time` test, it stops when that says so and returns what it has
placed (`cut_short` tells), so its share of a time limit is a bound, not a wish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from heapq import nlargest
from itertools import islice

from app.solver.cordons import post_needs
from app.solver.greedy_cordons import PostUnits, post_units, staff_cordon
from app.solver.instance import Instance
from app.solver.model.candidates import Candidate, CandidateGroup, site_groups, unit_profiles
from app.solver.model.state import BookingState
from app.solver.model.timing import Booking, OperationSchedule, Solution
from app.solver.schema import Operation, Requirement, Site

# How many starts of one operation are tried between two looks at the clock.
START_CHECK = 16

CandidateOrder = Callable[[Candidate], tuple[int, ...]]

# Orderings tried in turn for one site: nearest first; then host-nation units first
# (rule 5); then the biggest units first (rule 4); then both.
SITE_ORDERS: tuple[CandidateOrder, ...] = (
    lambda c: (c.best_travel,),
    lambda c: (not c.host, c.best_travel),
    lambda c: (-c.personnel, c.best_travel),
    lambda c: (not c.host, -c.personnel, c.best_travel),
)


class NearestFirst:
    """A site's candidates nearest first, made group by group as far as they are read.

    The xl sample has over a thousand candidates per site and the greedy usually needs
    the first few; but a start at which the site cannot be staffed reads them all, and
    a site is tried at many starts, so what is made is kept.
    """

    def __init__(self, groups: list[CandidateGroup], site: str) -> None:
        self.groups = groups
        self.site = site
        self.made: list[list[Candidate]] = []

    def __iter__(self) -> Iterator[Candidate]:
        for index, group in enumerate(self.groups):
            if index == len(self.made):
                self.made.append(group.candidates(self.site))
            yield from self.made[index]


class Greedy:
    """Places operations one by one into a `BookingState`."""

    def __init__(
        self,
        instance: Instance,
        state: BookingState | None = None,
        out_of_time: Callable[[], bool] | None = None,
    ) -> None:
        self.instance = instance
        self.state = state or BookingState(instance)
        self.out_of_time = out_of_time or (lambda: False)
        self.cut_short = False
        self.groups: dict[str, list[CandidateGroup]] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.ordered: dict[tuple[str, int], list[Candidate]] = {}
        self.nearest: dict[str, NearestFirst] = {}
        self.staffable: dict[str, bool] = {}  # host unit and personnel possible (cached)
        self.profiles = unit_profiles(instance, instance.unit_available)
        self.post_units: PostUnits = {}  # border-control units by post (cordons)
        self.tried: set[str] = set()  # operations placed, pinned, or tried at every start

    def sharing_caches(self) -> Greedy:
        """A greedy with an empty booking state that shares this one's candidate caches."""
        other = Greedy(self.instance, BookingState(self.instance), self.out_of_time)
        other.groups, other.counts, other.ordered = self.groups, self.counts, self.ordered
        other.nearest = self.nearest
        other.staffable, other.profiles = self.staffable, self.profiles
        other.post_units = self.post_units
        return other

    def site_groups(self, operation: Operation, site: Site) -> list[CandidateGroup]:
        """The site's candidates by profile, nearest first (cached)."""
        if site.id not in self.groups:
            self.groups[site.id] = site_groups(
                self.instance, operation, site, profiles=self.profiles
            )
        return self.groups[site.id]

    def able_counts(self, operation: Operation, site: Site) -> dict[str, int]:
        """How many candidates may fill each capability of the site (cached)."""
        if site.id not in self.counts:
            # Every group counts each of the site's capabilities (0 when it has none).
            groups = self.site_groups(operation, site)
            capabilities = {r.capability for r in site.requirements}
            self.counts[site.id] = {c: sum(g.counts[c] for g in groups) for c in capabilities}
        return self.counts[site.id]

    def ordered_candidates(
        self, operation: Operation, site: Site, order: int
    ) -> Iterable[Candidate]:
        """The site's candidates in one of the `SITE_ORDERS` (the first made lazily)."""
        groups = self.site_groups(operation, site)
        if order == 0:
            if site.id not in self.nearest:
                self.nearest[site.id] = NearestFirst(groups, site.id)
            return self.nearest[site.id]
        key = (site.id, order)
        if key not in self.ordered:
            candidates = [c for g in groups for c in g.candidates(site.id)]
            self.ordered[key] = sorted(candidates, key=SITE_ORDERS[order])
        return self.ordered[key]

    def requirement_order(self, operation: Operation, site: Site) -> list[Requirement]:
        """The site's requirements, fewest able candidates first."""
        counts = self.able_counts(operation, site)
        return sorted(site.requirements, key=lambda r: (counts[r.capability], r.capability))

    def may_staff(self, operation: Operation) -> bool:
        """A quick necessary check: enough candidates, a host unit and enough personnel,
        and enough units for each cordon post."""
        for site in operation.sites:
            counts = self.able_counts(operation, site)
            if any(counts[r.capability] < r.count for r in site.requirements):
                return False
            if site.id not in self.staffable:
                groups = self.site_groups(operation, site)
                self.staffable[site.id] = any(g.host for g in groups) and enough_personnel(
                    groups, sum(r.count for r in site.requirements), site.required_personnel
                )
            if not self.staffable[site.id]:
                return False
        # Every post of its cordon needs enough border-control units, whatever the time.
        return all(
            len(post_units(self.instance, need, self.post_units)) >= need.count
            for need in post_needs(self.instance.scenario, operation)
        )

    def candidate_count(self, operations: list[Operation]) -> int:
        """How many (unit, site, capability) choices a whole model of these would have."""
        return sum(sum(self.able_counts(o, s).values()) for o in operations for s in o.sites)

    def candidates_within(self, operations: list[Operation], limit: int) -> bool | None:
        """Whether `candidate_count(operations) <= limit`; None when out of time first.

        Stops counting once past the limit: at 2,000 operations counting them all took
        36 s on a loaded machine, for a whole model that was never going to be built.
        """
        total = 0
        for operation in operations:
            if self.out_of_time():
                return None
            total += self.candidate_count([operation])
            if total > limit:
                return False
        return True

    def place(self, operation: Operation, starts: Iterable[int]) -> OperationSchedule | None:
        """Book the operation at the first start that works; None when none does."""
        if not self.may_staff(operation):
            return None
        # The candidates made for the sites of the operation placed before are not read
        # again: kept, they would only lengthen every garbage collection.
        self.nearest.clear()
        for tried, start in enumerate(starts):
            # A 5-minute grid gives an operation a thousand starts: look at the clock
            # within an operation too, not only between operations.
            if tried % START_CHECK == START_CHECK - 1 and self.out_of_time():
                self.cut_short = True
                return None
            # The operation's own seals first: its trips keep out of them (unless allowed).
            seals = self.state.add_seals(operation.id, start)
            bookings = self.staff_operation(operation, start)
            posts = None
            if bookings is not None:
                posts = staff_cordon(
                    self.instance, self.state, operation, start, bookings, self.post_units
                )
                if posts is not None:
                    return OperationSchedule(start, tuple(bookings), posts)
                for booking in bookings:
                    self.state.remove(booking)
            self.state.remove_seals(seals)
        return None

    def staff_operation(self, operation: Operation, start: int) -> list[Booking] | None:
        """Staff every site at `start` (bookings stay in the state), or undo and return None."""
        booked: list[Booking] = []
        used: set[str] = set()
        sites = sorted(
            operation.sites, key=lambda s: (sum(self.able_counts(operation, s).values()), s.id)
        )
        for site in sites:
            site_bookings = self.staff_site(operation, site, start, used)
            if site_bookings is None:
                for booking in booked:
                    self.state.remove(booking)
                return None
            booked.extend(site_bookings)
            used.update(b.unit for b in site_bookings)
        return booked

    def staff_site(
        self, operation: Operation, site: Site, start: int, used: set[str]
    ) -> list[Booking] | None:
        """Try each candidate ordering until one meets counts, headcount and host presence."""
        for order in range(len(SITE_ORDERS)):
            bookings = self.fill_site(operation, site, start, used, order)
            if bookings is None:
                return None  # some requirement cannot be filled at all at this start
            units = [self.instance.units[b.unit] for b in bookings]
            host = self.instance.site_country(site)
            enough = sum(u.personnel for u in units) >= site.required_personnel
            if enough and any(self.instance.unit_country(u) == host for u in units):
                return bookings
            for booking in bookings:
                self.state.remove(booking)
        return None

    def fill_site(
        self, operation: Operation, site: Site, start: int, used: set[str], order: int
    ) -> list[Booking] | None:
        """Fill the site's requirements, most constrained first, in the given unit order."""
        taken: list[Booking] = []
        taken_units = set(used)
        for requirement in self.requirement_order(operation, site):
            missing = requirement.count
            for candidate in self.ordered_candidates(operation, site, order):
                if missing == 0:
                    break
                if (
                    candidate.unit in taken_units
                    or requirement.capability not in candidate.capabilities
                ):
                    continue
                booking = self.book(operation, candidate, requirement.capability, start)
                if booking is not None:
                    taken.append(booking)
                    taken_units.add(candidate.unit)
                    missing -= 1
            if missing:
                for booking in taken:
                    self.state.remove(booking)
                return None
        return taken

    def run(self, fixed: Solution, preferred: Solution) -> Solution:
        """Place every free operation in turn around the fixed ones."""
        solution: Solution = dict(fixed)
        for op_id, schedule in fixed.items():
            self.state.add_schedule(op_id, schedule)
        self.tried = set(solution)
        return self._place_untried(solution, preferred)

    def resume(self, solution: Solution, preferred: Solution) -> Solution:
        """Go on after a run cut short, from the solution it returned.

        Only operations it did not try whole are tried, in the same order, so a run cut
        any number of times and resumed places exactly what one whole run places.
        """
        self.cut_short = False
        return self._place_untried(dict(solution), preferred)

    def _place_untried(self, solution: Solution, preferred: Solution) -> Solution:
        untried = [o for o in self.instance.scenario.operations if o.id not in self.tried]
        for operation in self.ordered_operations(untried):
            if self.cut_short or self.out_of_time():
                self.cut_short = True
                break
            starts = self.instance.start_minutes(operation)
            if operation.id in preferred and preferred[operation.id].start in starts:
                # Stable re-planning: try the previous start first.
                starts = [preferred[operation.id].start, *starts]
            placed = self.place(operation, starts)
            if self.cut_short:
                break  # cut among its starts: it is tried again on resuming
            self.tried.add(operation.id)
            if placed is not None:
                solution[operation.id] = placed
        return solution

    def ordered_operations(self, operations: list[Operation]) -> Iterator[Operation]:
        """`operation_order`, one priority level at a time.

        Counting an operation's candidates builds its sites' candidate lists, seconds for
        thousands of operations: ordering everything first left a greedy cut short by the
        clock with nothing placed (1,600 operations of the scarce shape). Level by level,
        the order is the same, and a cut keeps the highest priorities placed.
        """
        for priority in sorted({o.priority for o in operations}, reverse=True):
            level = []
            for operation in operations:
                if operation.priority != priority:
                    continue
                if self.out_of_time():
                    self.cut_short = True
                    return
                self.candidate_count([operation])  # fills the caches the order reads
                level.append(operation)
            yield from operation_order(self, level)

    def book(
        self, operation: Operation, candidate: Candidate, capability: str, start: int
    ) -> Booking | None:
        """Book the candidate by its shortest route that works at `start`."""
        # Every trip holds the unit at least from the shortest one way before the start
        # to as long after the end: a unit busy then is no candidate by any route.
        shortest = candidate.routes[0].one_way
        end = start + operation.duration_minutes
        if not self.state.unit_free(candidate.unit, start - shortest, end + shortest):
            return None
        key = (operation.id, candidate.site, capability)
        for route in candidate.routes:
            booking = self.state.trip(candidate.unit, route, start, operation.duration_minutes, key)
            if booking is not None:
                self.state.add(booking)
                return booking
        return None


def enough_personnel(groups: list[CandidateGroup], units: int, required: int) -> bool:
    """Whether the `units` biggest units of the groups bring `required` people or more.

    A site has hundreds of candidates: most sites ask no headcount, and for many the
    first units already bring enough, so the biggest are looked for only when needed.
    """
    if required <= 0:
        return True
    personnel = (u.personnel for g in groups for u, _ in g.units)
    if sum(islice(personnel, units)) >= required:
        return True
    personnel = (u.personnel for g in groups for u, _ in g.units)
    return sum(nlargest(units, personnel)) >= required


def operation_order(greedy: Greedy, operations: Iterable[Operation]) -> list[Operation]:
    """Priority first, then fewest eligible candidates, then id (deterministic)."""

    def key(operation: Operation) -> tuple[int, int, str]:
        count = sum(sum(greedy.able_counts(operation, s).values()) for s in operation.sites)
        return (-operation.priority, count, operation.id)

    return sorted(operations, key=key)


def greedy_solution(
    instance: Instance,
    fixed: Solution | None = None,
    preferred: Solution | None = None,
) -> Solution:
    """A valid solution built greedily around the fixed (pinned) operations."""
    return Greedy(instance).run(fixed or {}, preferred or {})
