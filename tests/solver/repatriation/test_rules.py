"""Each rule of repatriation with a feasible and an infeasible tiny case, the validator as
the oracle for both solvers."""

from __future__ import annotations

from typing import Any

import pytest

from app.solver.loader import DocumentError
from app.solver.repatriation.diagnose import diagnose
from app.solver.repatriation.greedy import solve_greedy
from app.solver.repatriation.load import load_problem, load_repatriation_plan
from app.solver.repatriation.model import solve_model
from app.solver.repatriation.schema import Problem, RepatriationPlan
from app.solver.repatriation.validate import validate

from .builders import problem_dict, valid_plan_dict


def both(doc: dict[str, Any]) -> list[tuple[Problem, RepatriationPlan]]:
    problem = load_problem(doc)
    return [
        (problem, solve_greedy(problem)),
        (problem, solve_model(problem, time_limit=2, workers=1)[0]),
    ]


def left_reasons(plan: RepatriationPlan) -> str:
    return " ".join(r for item in plan.left for r in item.reasons)


def test_hand_checked_plan_is_valid_and_scored() -> None:
    report = validate(load_problem(problem_dict()), load_repatriation_plan(valid_plan_dict()))
    assert report.valid, report.violations
    assert report.objective is not None
    assert (report.objective.persons_left, report.objective.person_days) == (0, 0)
    assert report.objective.trips == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["batches"][0].update(persons=11), "over its daily capacity of 10"),
        (lambda p: p["batches"][0].update(time="16:30"), "does not fit screening"),
        (lambda p: p["batches"][0].update(day="2026-12-04"), "outside the horizon"),
        (lambda p: p["taskings"][0].update(duty_minutes=200), "recomputed 240"),
        (lambda p: p["taskings"][0].update(depart="05:00"), "before duty starts"),
        (lambda p: p["taskings"][0].update(route=["S1", "P1"]), "expected ['S1', 'P1', 'S1']"),
        (lambda p: p["taskings"].append(dict(p["taskings"][0])), "second trip"),
        (lambda p: p["taskings"].clear(), "who has no trip that day"),
        (lambda p: p["batches"][0].update(persons=7), "over E1's 6 a trip"),
        (lambda p: p["batches"][0].update(persons=4), "not handed over and not listed"),
    ],
)
def test_validator_catches_each_broken_rule(change: Any, message: str) -> None:
    plan = valid_plan_dict()
    change(plan)
    if plan["batches"][0]["persons"] != 5 and plan["taskings"]:
        plan["taskings"][0]["persons"] = plan["batches"][0]["persons"]
    report = validate(
        load_problem(
            problem_dict(
                cohorts=[
                    {
                        "id": "C1",
                        "nationality": "CN",
                        "count": 11,
                        "site": "S1",
                        "release": "2026-12-01",
                    }
                ]
                if "capacity" in message or "a trip" in message
                else problem_dict()["cohorts"]
            )
        ),
        load_repatriation_plan(plan),
    )
    assert any(message in v for v in report.violations), report.violations


def test_release_date_feasible_and_infeasible() -> None:
    late = [{"id": "C1", "nationality": "CN", "count": 5, "site": "S1", "release": "2026-12-03"}]
    for problem, plan in both(problem_dict(cohorts=late)):
        assert validate(problem, plan).valid
        assert {b.day.isoformat() for b in plan.batches} == {"2026-12-03"}
    after = [{"id": "C1", "nationality": "CN", "count": 5, "site": "S1", "release": "2026-12-04"}]
    for _problem, plan in both(problem_dict(cohorts=after)):
        assert plan.batches == [] and "after the horizon" in left_reasons(plan)


def test_agreement_feasible_and_infeasible() -> None:
    vn = [{"id": "C1", "nationality": "VN", "count": 5, "site": "S1", "release": "2026-12-01"}]
    for problem, plan in both(problem_dict(cohorts=vn)):
        assert validate(problem, plan).valid
        assert plan.left[0].persons == 5 and "no agreement" in left_reasons(plan)
    assert "no agreement" in diagnose(load_problem(problem_dict(cohorts=vn)))["C1"][0]
    plan = valid_plan_dict()
    report = validate(load_problem(problem_dict(cohorts=vn)), load_repatriation_plan(plan))
    assert any("no agency of VN" in v for v in report.violations)


def test_capacity_feasible_and_infeasible() -> None:
    # 30 persons, 10 a day for 3 days: exactly fits; 31 leaves one.
    units = [{"id": f"E{i}", "base": "S1", "persons_per_trip": 10} for i in range(3)]
    fits = [{"id": "C1", "nationality": "CN", "count": 30, "site": "S1", "release": "2026-12-01"}]
    for problem, plan in both(problem_dict(cohorts=fits, escorts=units)):
        assert validate(problem, plan).valid and plan.left == []
    over = [{**fits[0], "count": 31}]
    for problem, plan in both(problem_dict(cohorts=over, escorts=units)):
        assert validate(problem, plan).valid
        assert plan.left[0].persons == 1 and "capacity" in left_reasons(plan)
    assert "capacity" in diagnose(load_problem(problem_dict(cohorts=over, escorts=units)))["C1"][0]


def test_hours_feasible_and_infeasible() -> None:
    # Out at 06:00, 600 minutes on the road: arrival 16:00, hand-over until 17:00 when
    # screening closes, just in; one minute more and it ends after screening.
    for minutes, ok in ((600, True), (601, False)):
        doc = problem_dict(
            roads=[{"a": "S1", "b": "P1", "minutes": minutes}],
            duty={"start": "06:00", "minutes": 1440},
        )
        for problem, plan in both(doc):
            assert validate(problem, plan).valid
            assert (plan.left == []) is ok
            if not ok:
                assert "hours" in left_reasons(plan)


def test_duty_length_feasible_and_infeasible() -> None:
    # 06:00 out, 08:00-09:00 hand-over, back 10:00: 240 minutes of duty.
    for minutes, ok in ((240, True), (239, False)):
        for problem, plan in both(problem_dict(duty={"start": "06:00", "minutes": minutes})):
            assert validate(problem, plan).valid
            assert (plan.left == []) is ok


def test_escorts_feasible_and_infeasible() -> None:
    # One unit of 6 a trip, one trip a day: 18 in 3 days fits, 19 does not.
    for count, ok in ((18, True), (19, False)):
        cohorts = [
            {"id": "C1", "nationality": "CN", "count": count, "site": "S1", "release": "2026-12-01"}
        ]
        for problem, plan in both(
            problem_dict(cohorts=cohorts, points=[{**problem_dict()["points"][0], "capacity": 100}])
        ):
            assert validate(problem, plan).valid
            assert (plan.left == []) is ok
            if not ok:
                assert "escorts" in left_reasons(plan)


def test_model_hands_vulnerable_over_first() -> None:
    # Room for 6 a day: the vulnerable cohort goes on day 1 though it was listed last.
    cohorts = [
        {"id": "C1", "nationality": "CN", "count": 6, "site": "S1", "release": "2026-12-01"},
        {
            "id": "C2",
            "nationality": "CN",
            "count": 6,
            "site": "S1",
            "release": "2026-12-01",
            "vulnerable": True,
        },
    ]
    problem = load_problem(problem_dict(cohorts=cohorts))
    plan, _ = solve_model(problem, time_limit=2, workers=1)
    assert validate(problem, plan).valid
    first = [b for b in plan.batches if b.day.isoformat() == "2026-12-01"]
    assert [b.cohort for b in first] == ["C2"]
    assert plan.objective is not None and plan.objective.vulnerable_person_days == 0


def test_model_beats_greedy_on_person_days() -> None:
    # The greedy fills the first point in list order; the far point P2 would leave the
    # near one free. Two cohorts, one unit each way.
    doc = problem_dict(
        points=[
            {**problem_dict()["points"][0], "capacity": 6},
            {**problem_dict()["points"][0], "id": "P2", "name": "Crossing 2", "capacity": 6},
        ],
        roads=[{"a": "S1", "b": "P1", "minutes": 60}, {"a": "S1", "b": "P2", "minutes": 60}],
        cohorts=[
            {"id": "C1", "nationality": "CN", "count": 12, "site": "S1", "release": "2026-12-01"}
        ],
        escorts=[
            {"id": "E1", "base": "S1", "persons_per_trip": 6},
            {"id": "E2", "base": "S1", "persons_per_trip": 6},
        ],
    )
    problem = load_problem(doc)
    plan, stages = solve_model(problem, time_limit=2, workers=1)
    assert validate(problem, plan).valid
    assert plan.objective is not None and plan.objective.person_days == 0
    assert stages[0].name == "left" and stages[0].optimal


def test_loader_lists_every_problem_with_its_path() -> None:
    doc = problem_dict(
        cohorts=[
            {"id": "C1", "nationality": "CN", "count": 5, "site": "S9", "release": "2026-12-01"}
        ],
        escorts=[{"id": "E1", "base": "X", "persons_per_trip": 6}],
        roads=[{"a": "S1", "b": "Q", "minutes": 5}],
    )
    with pytest.raises(DocumentError) as caught:
        load_problem(doc)
    text = str(caught.value)
    assert "cohorts[0].site: unknown holding site 'S9'" in text
    assert "escorts[0].base: unknown base 'X'" in text
    assert "roads[0].b: unknown place 'Q'" in text
    with pytest.raises(DocumentError, match="count"):
        load_problem(
            problem_dict(
                cohorts=[
                    {
                        "id": "C1",
                        "nationality": "CN",
                        "count": 0,
                        "site": "S1",
                        "release": "2026-12-01",
                    }
                ]
            )
        )


def test_diagnosis_names_missing_road_and_missing_escorts() -> None:
    far = problem_dict(
        sites=[{"id": "S1", "name": "a"}, {"id": "S2", "name": "b"}],
        cohorts=[
            {"id": "C1", "nationality": "CN", "count": 5, "site": "S2", "release": "2026-12-01"}
        ],
    )
    assert diagnose(load_problem(far)) == {"C1": ["hours: no road from S2 to an agreed point (P1)"]}
    nobody = load_problem(problem_dict(escorts=[]))
    assert diagnose(nobody) == {"C1": ["escorts: there are no escort units"]}
    assert "no escort units" in left_reasons(solve_greedy(nobody))


def test_validator_rejects_a_declared_objective_that_is_wrong() -> None:
    plan = valid_plan_dict()
    plan["objective"] = {
        "vulnerable_left": 0,
        "persons_left": 0,
        "vulnerable_person_days": 0,
        "person_days": 1,
        "trips": 1,
    }
    report = validate(load_problem(problem_dict()), load_repatriation_plan(plan))
    assert any(v.startswith("objective: declared") for v in report.violations)
    plan["objective"]["person_days"] = 0
    assert validate(load_problem(problem_dict()), load_repatriation_plan(plan)).valid


def test_cancel_returns_the_best_plan_so_far_valid() -> None:
    from app.solver.repatriation.sample import generate

    problem = load_problem(generate(600, 8, 3, 3, 10, 10, seed=3))
    finished: list[str] = []  # cancel once the first stage is done

    plan, stages = solve_model(
        problem,
        time_limit=30,
        workers=1,
        on_stage=lambda stage: finished.append(stage.name),
        should_stop=lambda: bool(finished),
    )
    assert [s.name for s in stages] == ["left"]
    assert plan.solver["stopped"] is True
    assert validate(problem, plan).valid
