"""The demo board has a raid with a cordon (issue 13): Myanmar's raid on a scam compound
in Tachileik seals the Mae Sai bridge, and the demo's published plan posts a border-
control unit of each side's own country at each side of it, none of them in the raid."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from app.models import Agency, Region, Tasking, TaskingKind, TaskingStatus, Unit
from app.planning.scenario import planning_scenario
from app.seed import seed_demo

NOW = datetime(2026, 12, 3, 9, 7, tzinfo=UTC)
CORDONED = "OP-D041"


def test_the_demo_has_a_cordoned_raid_whose_posts_the_plan_staffs(session: Session) -> None:
    seed_demo(session, now=NOW)
    document, scenario = planning_scenario(session)
    cordoned = [op for op in scenario.operations if op.cordon is not None]
    assert [op.id for op in cordoned] == [CORDONED]
    (raid,) = cordoned
    assert raid.cordon is not None and raid.cordon.crossings == ["X-MSI-TAC"]
    assert raid.cordon.units_per_side == 1 and raid.cordon.lead_minutes > 0
    # The board's scenario document carries it in the exchange format too.
    (doc_op,) = [op for op in document["operations"] if op["id"] == CORDONED]
    assert doc_op["cordon"]["crossings"] == ["X-MSI-TAC"]

    orders = session.exec(select(Tasking).where(Tasking.operation_id == CORDONED,
                                                Tasking.status == TaskingStatus.active)).all()
    posts = [t for t in orders if t.kind == TaskingKind.cordon_post]
    raiders = {t.unit_id for t in orders if t.kind == TaskingKind.raid}
    assert raiders, "the demo plan scheduled the cordoned raid"
    assert sorted(p.side or "" for p in posts) == ["a", "b"]
    for post in posts:
        assert post.crossing_id == "X-MSI-TAC" and post.unit_id not in raiders
        unit = session.get(Unit, post.unit_id)
        region = session.get(Region, post.post_region_id)
        assert unit is not None and region is not None
        assert "border_patrol" in unit.capabilities
        agency = session.get(Agency, unit.agency_id)
        assert agency is not None and agency.country_code == region.country_code
        # The seal runs from before H-hour until after the raid's end.
        (order,) = [t for t in orders if t.kind == TaskingKind.raid][:1]
        assert post.start < order.start and post.end > order.end
