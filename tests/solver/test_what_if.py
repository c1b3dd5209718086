"""What would help most, on tiny constructed scenarios (pure: no database)."""

from __future__ import annotations

from typing import Any

from app.solver.loader import load_scenario
from app.solver.what_if import analyse, apply_change, gaps, hypotheses, named_capabilities


def tiny(**changes: Any) -> dict[str, Any]:
    """Thailand has the only cyber unit; Laos's raid needs one and Thailand has no
    agreement into Laos. A low-priority Thai raid needs k9, which nobody has."""
    doc: dict[str, Any] = {
        "format": "jointops-scenario/1", "name": "tiny",
        "horizon": {"start": "2027-01-10T00:00:00Z", "end": "2027-01-12T00:00:00Z"},
        "slot_minutes": 15,
        "countries": [{"code": "TH", "name": "Thailand", "timezone": "Asia/Bangkok"},
                      {"code": "LA", "name": "Laos", "timezone": "Asia/Vientiane"},
                      {"code": "MM", "name": "Myanmar", "timezone": "Asia/Yangon"}],
        "regions": [{"id": "TH-CKG", "name": "Chiang Khong", "country": "TH", "lat": 20.2,
                     "lon": 100.4},
                    {"id": "LA-BOK", "name": "Bokeo", "country": "LA", "lat": 20.3,
                     "lon": 100.4},
                    {"id": "MM-TAC", "name": "Tachileik", "country": "MM", "lat": 20.4,
                     "lon": 99.9}],
        "roads": [],
        "crossings": [{"id": "X-CKG-HXY", "name": "Chiang Khong - Huay Xai", "a": "TH-CKG",
                       "b": "LA-BOK", "transit_minutes": 20, "lanes": 2,
                       "timezone": "Asia/Bangkok"}],
        "agreements": [{"from": "LA", "to": "TH"}],
        "agencies": [{"id": "TH-RTP", "name": "Royal Thai Police", "country": "TH"},
                     {"id": "LA-MPS", "name": "Lao MPS", "country": "LA"},
                     {"id": "MM-MPF", "name": "Myanmar Police Force", "country": "MM"}],
        "units": [
            {"id": "U-TH-CYB", "agency": "TH-RTP", "callsign": "C1", "capabilities": ["cyber"],
             "personnel": 6, "base": "TH-CKG"},
            {"id": "U-TH-TAC", "agency": "TH-RTP", "callsign": "T1",
             "capabilities": ["tactical"], "personnel": 12, "base": "TH-CKG"},
            {"id": "U-LA-TAC", "agency": "LA-MPS", "callsign": "L1",
             "capabilities": ["tactical"], "personnel": 10, "base": "LA-BOK"},
            {"id": "U-MM-CYB", "agency": "MM-MPF", "callsign": "M1", "capabilities": ["cyber"],
             "personnel": 6, "base": "MM-TAC"},
        ],
        "operations": [
            {"id": "OP-BOKEO", "name": "Bokeo compound", "lead_agency": "LA-MPS", "priority": 50,
             "earliest_start": "2027-01-10T06:00:00Z", "latest_end": "2027-01-11T18:00:00Z",
             "duration_minutes": 240, "foreign_support": True,
             "sites": [{"id": "S-BOK", "region": "LA-BOK", "requirements": [
                 {"capability": "tactical", "count": 1}, {"capability": "cyber", "count": 1}]}]},
            {"id": "OP-DOGS", "name": "Kennel", "lead_agency": "TH-RTP", "priority": 2,
             "earliest_start": "2027-01-10T06:00:00Z", "latest_end": "2027-01-11T18:00:00Z",
             "duration_minutes": 120, "foreign_support": False,
             "sites": [{"id": "S-DOG", "region": "TH-CKG", "requirements": [
                 {"capability": "tactical", "count": 1}, {"capability": "k9", "count": 1}]}]},
        ],
    }
    doc.update(changes)
    return doc


def test_named_capabilities_match_whole_words_only() -> None:
    reasons = ["site S-1 (LA-BOK): no cyber unit may act there", "cyber-forensics x1"]
    assert named_capabilities(reasons, {"cyber", "tactical", "cyber-forensics"}) == {
        "cyber", "cyber-forensics"}
    assert named_capabilities(["no cybercrime unit"], {"cyber"}) == set()


def test_the_missing_agreement_is_proposed_only_from_a_joined_country() -> None:
    doc = tiny()
    plan = {"operations": [], "unscheduled": [
        {"id": "OP-BOKEO", "reasons": ["site S-BOK (LA-BOK): no cyber unit may act there"]},
        {"id": "OP-DOGS", "reasons": ["no unit in the scenario has the capability 'k9'"]}]}
    assert [g["region"] + "/" + g["capability"] for g in gaps(doc, plan)] == [
        "LA-BOK/cyber", "TH-CKG/k9"]
    keys = [h["key"] for h in hypotheses(doc, plan)]
    # Myanmar has cyber units too, but no crossing into Laos: no agreement from it helps.
    assert keys == ["agreement:TH>LA", "units:LA-BOK:cyber:1", "units:TH-CKG:k9:1"]
    offers = [{"offer": 7, "from": "MM", "to": "LA", "units": ["U-MM-CYB"]}]
    assert "offer:7" in [h["key"] for h in hypotheses(doc, plan, offers=offers)]
    assert hypotheses(doc, plan, focus={"OP-DOGS"})[0]["key"] == "units:TH-CKG:k9:1"


def test_a_change_is_made_on_a_copy_and_stays_a_valid_scenario() -> None:
    doc = tiny()
    with_agreement = apply_change(doc, {"from": "TH", "to": "LA"})
    assert {"from": "TH", "to": "LA"} in with_agreement["agreements"]
    assert {"from": "TH", "to": "LA"} not in doc["agreements"]
    more = apply_change(doc, {"region": "TH-CKG", "capability": "k9", "count": 2,
                              "agency": "TH-RTP"})
    added = [u for u in more["units"] if u["id"].startswith("WHATIF-")]
    assert [u["capabilities"] for u in added] == [["k9"], ["k9"]]
    assert len(doc["units"]) == 4
    load_scenario(more)
    load_scenario(with_agreement)


def test_the_ranking_puts_the_blocking_agreement_above_the_small_gap() -> None:
    steps: list[tuple[int, int, str]] = []
    result = analyse(tiny(), time_limit=5, workers=1,
                     on_step=lambda step, steps_, label: steps.append((step, steps_, label)))
    assert result["baseline"]["scheduled"] == []
    ranked = [(h["key"], h["unlocked"], h["gained"]) for h in result["hypotheses"]]
    assert ranked[0][1] == 50 and ranked[0][2] == ["OP-BOKEO"]
    assert ("agreement:TH>LA", 50, ["OP-BOKEO"]) in ranked[:2]
    assert ranked[-1] == ("units:TH-CKG:k9:1", 2, ["OP-DOGS"])
    assert steps[0] == (0, 1, "baseline") and steps[-1][0] == steps[-1][1] - 1 == 3


def test_with_the_agreement_in_place_it_is_not_proposed_again() -> None:
    doc = tiny(agreements=[{"from": "LA", "to": "TH"}, {"from": "TH", "to": "LA"}])
    result = analyse(doc, time_limit=5, workers=1)
    assert "OP-BOKEO" in result["baseline"]["scheduled"]
    assert [h["key"] for h in result["hypotheses"]] == ["units:TH-CKG:k9:1"]


def test_a_reason_naming_no_capability_makes_each_one_a_suspect() -> None:
    plan = {"operations": [], "unscheduled": [
        {"id": "OP-BOKEO", "reasons": ["the crossing is closed at every start in its window"]}]}
    assert [(g["region"], g["capability"]) for g in gaps(tiny(), plan)] == [
        ("LA-BOK", "cyber"), ("LA-BOK", "tactical")]


def test_a_change_solved_worse_than_the_baseline_keeps_the_baseline(monkeypatch: Any) -> None:
    """A change only adds options: a worse plan is the search's time running out."""
    import app.solver.what_if as what_if

    real = what_if.solve
    calls: list[int] = []

    class Nothing:
        status = "FEASIBLE"

        class plan:  # noqa: N801  (stands in for the Plan model)
            @staticmethod
            def to_json_dict() -> dict[str, Any]:
                return {"operations": [], "unscheduled": []}

    def solve(instance: Any, options: Any) -> Any:
        calls.append(1)
        return real(instance, options) if len(calls) == 1 else Nothing()

    monkeypatch.setattr(what_if, "solve", solve)
    doc = tiny(agreements=[{"from": "LA", "to": "TH"}, {"from": "TH", "to": "LA"}])
    result = analyse(doc, time_limit=5, workers=1)
    assert result["baseline"]["scheduled"] == ["OP-BOKEO"]
    [only] = result["hypotheses"]
    assert (only["unlocked"], only["lost"], only["short_search"]) == (0, [], True)
