"""The validator's cordon rules (11 staff, 12 sealed crossings) on mutated plans."""

from __future__ import annotations

import copy

import pytest

from app.solver.validate import validate_plan

from ..builders import Doc, make_plan, make_scenario, scenario_dict
from ..model.fixing import find_operation, later
from .world import CORDON_PLAN_TRAVEL, cordon_plan, cordon_world, posts_of


def _violations(doc: Doc, plan: Doc) -> list[tuple[int, str]]:
    report = validate_plan(make_scenario(doc), make_plan(plan))
    return [(v.rule, v.message) for v in report.violations]


def test_the_cordon_plan_is_valid_and_counts_post_travel() -> None:
    report = validate_plan(make_scenario(cordon_world()), make_plan(cordon_plan()))
    assert report.valid, [str(v) for v in report.violations]
    assert report.objective.travel_minutes == CORDON_PLAN_TRAVEL


def _mutated(change: str) -> Doc:
    plan = cordon_plan()
    posts = posts_of(plan)
    if change == "start":
        posts[0]["start"] = later(posts[0]["start"], 15)
    elif change == "end":
        posts[1]["end"] = later(posts[1]["end"], -15)
    elif change == "depart":
        posts[0]["depart"] = later(posts[0]["depart"], 1)  # 59 min for a 60 min drive
    elif change == "return":
        posts[1]["return"] = later(posts[1]["return"], -1)
    elif change == "crossing":
        posts[0]["crossing"] = "X-OTHER"
    elif change == "twice":
        posts.append(copy.deepcopy(posts[1]))
    elif change == "missing":
        posts.pop()
    return plan


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("start", "is not the seal"),
        ("end", "is not the seal"),
        ("depart", "too late to reach TH-MSI"),
        ("return", "cannot be back from MM-TAC"),
        ("crossing", "X-OTHER is not sealed by this cordon"),
        ("twice", "the unit staffs more than one post"),
        ("missing", "side b of X-MSI-TAC has 0 post(s), not 1"),
    ],
)
def test_a_mutated_post_breaks_rule_11(change: str, words: str) -> None:
    found = _violations(cordon_world(), _mutated(change))
    assert any(rule == 11 and words in message for rule, message in found), found


def test_a_post_of_the_wrong_country_is_named() -> None:
    doc = cordon_world()
    doc["units"][-1]["agency"] = "TH-RTP"
    doc["units"][-1]["base"] = "TH-CRI"
    found = _violations(doc, cordon_plan())
    assert any(
        rule == 11 and "U-MM3 is a unit of TH; the b side of X-MSI-TAC (MM-TAC) is in MM" in m
        for rule, m in found
    ), found


def test_posts_overlapping_another_tasking_break_rule_10() -> None:
    plan = cordon_plan()
    posts_of(plan)[0]["unit"] = "U-TH1"  # in the raid, and without the capability
    rules = {rule for rule, _ in _violations(cordon_world(), plan)}
    assert rules == {10, 11}


def test_posts_on_an_operation_without_a_cordon_are_refused() -> None:
    plan = cordon_plan()
    assert any(
        rule == 11 and "has no cordon but lists posts" in m
        for rule, m in _violations(scenario_dict(), plan)
    )


def test_the_raids_own_passage_during_the_seal_needs_the_flag() -> None:
    found = _violations(cordon_world(allow_own_passages=False), cordon_plan())
    assert [rule for rule, _ in found] == [12, 12]  # out at 02:00Z, back at 05:00Z
    assert "its own outbound passage through X-MSI-TAC at 2026-12-02T02:00:00Z" in found[0][1]
    assert "its own return passage through X-MSI-TAC at 2026-12-02T05:00:00Z" in found[1][1]


def test_passages_that_touch_the_seal_do_not_overlap_it() -> None:
    plan = cordon_plan()
    operation = find_operation(plan, "OP-1")
    # Seal 03:00Z-05:00Z: U-TH1 passes 02:00Z-02:30Z before it and 05:00Z-05:30Z after.
    doc = cordon_world(allow_own_passages=False, lead_minutes=0, tail_minutes=0)
    for post in operation["cordon"]:
        post["start"], post["end"] = "2026-12-02T03:00:00Z", "2026-12-02T05:00:00Z"
        post["depart"] = later(post["depart"], 60)
        post["return"] = later(post["return"], -30)
    assert _violations(doc, plan) == []
    doc["operations"][0]["cordon"]["tail_minutes"] = 1
    for post in operation["cordon"]:
        post["end"] = "2026-12-02T05:01:00Z"
        post["return"] = later(post["return"], 1)
    assert [rule for rule, _ in _violations(doc, plan)] == [12]
