"""Map points of sites and crossings (docs/points-format.md) survive an export and a
re-import, a half point is refused by its path, and a file without points keeps the
board's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sample_data import SMALL
from sqlmodel import Session

from app.models import Crossing, Site
from app.solver.loader import load_scenario
from app.transfer.service import ScenarioRejected, export_scenario, import_scenario


def _small() -> dict[str, Any]:
    return json.loads(SMALL.read_text())


def _with_points(doc: dict[str, Any]) -> dict[str, Any]:
    doc["operations"][0]["sites"][0].update(lat=20.433, lon=99.879)
    doc["crossings"][0].update(lat=20.4497, lon=99.8826)
    return doc


def test_points_round_trip_through_export_and_reimport(session: Session) -> None:
    doc = _with_points(_small())
    import_scenario(session, data=doc)
    session.commit()
    site = doc["operations"][0]["sites"][0]
    stored = session.get(Site, site["id"])
    assert stored is not None and (stored.lat, stored.lon) == (20.433, 99.879)

    exported = export_scenario(session)
    first_op = next(op for op in exported["operations"] if op["id"] == doc["operations"][0]["id"])
    exported_site = next(s for s in first_op["sites"] if s["id"] == site["id"])
    assert (exported_site["lat"], exported_site["lon"]) == (20.433, 99.879)
    crossing = next(c for c in exported["crossings"] if c["id"] == doc["crossings"][0]["id"])
    assert (crossing["lat"], crossing["lon"]) == (20.4497, 99.8826)
    # Sites and crossings without a point carry no keys at all (plain version 1).
    other = next(c for c in exported["crossings"] if c["id"] == doc["crossings"][1]["id"])
    assert "lat" not in other and "lon" not in other
    # The export is itself a valid scenario that the solver's loader reads.
    assert load_scenario(exported).operations


@pytest.mark.parametrize(
    ("where", "point", "message"),
    [
        ("site", {"lat": 20.4}, "give both lat and lon, or neither"),
        ("crossing", {"lon": 99.8}, "give both lat and lon, or neither"),
        ("site", {"lat": 91.0, "lon": 99.8}, "less than or equal to 90"),
        ("crossing", {"lat": 20.0, "lon": "east"}, "valid number"),
    ],
)
def test_a_bad_point_is_refused_by_its_path_and_nothing_is_written(
    session: Session, where: str, point: dict[str, Any], message: str
) -> None:
    doc = _small()
    if where == "site":
        doc["operations"][1]["sites"][0].update(point)
        prefix = "operations[1].sites[0]"
    else:
        doc["crossings"][2].update(point)
        prefix = "crossings[2]"
    with pytest.raises(ScenarioRejected) as caught:
        import_scenario(session, data=doc)
    assert any(
        path.startswith(prefix) and message in text for path, text in caught.value.problems
    ), caught.value.problems
    assert session.get(Crossing, doc["crossings"][0]["id"]) is None


def test_a_file_without_points_keeps_the_crossing_points_the_board_has(
    session: Session,
) -> None:
    doc = _with_points(_small())
    import_scenario(session, data=doc)
    session.commit()
    plain = _small()  # the same world, written by a tool that knows only version 1
    plain["operations"] = []
    import_scenario(session, data=plain)
    session.commit()
    crossing = session.get(Crossing, doc["crossings"][0]["id"])
    assert crossing is not None and (crossing.lat, crossing.lon) == (20.4497, 99.8826)
