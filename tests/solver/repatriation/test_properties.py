"""Property: every plan either solver makes for a generated problem is valid under the
validator, and the model is never lexicographically worse than the greedy it starts from."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.solver.repatriation.greedy import solve_greedy
from app.solver.repatriation.load import load_problem
from app.solver.repatriation.model import solve_model
from app.solver.repatriation.sample import generate
from app.solver.repatriation.validate import validate


def key(plan):  # type: ignore[no-untyped-def]
    o = plan.objective
    return (o.vulnerable_left, o.persons_left, o.vulnerable_person_days, o.person_days)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    persons=st.integers(5, 120),
    cohorts=st.integers(1, 5),
    nationalities=st.integers(1, 3),
    points=st.integers(1, 3),
    escorts=st.integers(0, 4),
    days=st.integers(1, 5),
    sites=st.integers(1, 3),
    seed=st.integers(0, 10_000),
)
def test_every_plan_is_valid(
    persons: int,
    cohorts: int,
    nationalities: int,
    points: int,
    escorts: int,
    days: int,
    sites: int,
    seed: int,
) -> None:
    doc = generate(
        persons, min(cohorts, persons), nationalities, points, escorts, days, sites=sites, seed=seed
    )
    problem = load_problem(doc)
    greedy = solve_greedy(problem)
    assert validate(problem, greedy).valid, validate(problem, greedy).violations
    plan, _ = solve_model(problem, time_limit=1, workers=1, seed=seed)
    report = validate(problem, plan)
    assert report.valid, report.violations
    assert key(plan) <= key(greedy)
    for item in plan.left:
        assert item.reasons


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    pick=st.integers(0, 10**6),
    change=st.sampled_from(["drop tasking", "one more person", "next day", "other unit"]),
)
def test_validator_rejects_a_mutated_plan(seed: int, pick: int, change: str) -> None:
    """The oracle is not blind: any of these edits of a valid plan breaks a rule."""
    problem = load_problem(generate(200, 4, 2, 2, 6, 4, sites=2, seed=seed))
    plan = solve_greedy(problem)
    if not plan.batches:
        return
    doc = plan.model_dump(mode="json", by_alias=True)
    batch = doc["batches"][pick % len(doc["batches"])]
    if change == "drop tasking":
        doc["taskings"] = [
            t for t in doc["taskings"] if (t["unit"], t["day"]) != (batch["escort"], batch["day"])
        ]
    elif change == "one more person":
        batch["persons"] += 1
    elif change == "next day":
        batch["day"] = "2027-01-01"  # beyond every generated horizon
    else:
        batch["escort"] = "E-none"
    from app.solver.repatriation.load import load_repatriation_plan

    assert not validate(problem, load_repatriation_plan(doc)).valid
