"""Two saves of the same operation at the same moment: one wins, the other gets the 409.

Runs on committed data in separate sessions and threads (not the rolled-back test
session), with ids of its own that it removes afterwards.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlmodel import Session

from app.errors import Conflict
from app.models import Agency, Country, Operation, Region, Requirement, Role, Site, User
from app.operations import service

OP = "OP-RACE"


def _seed(engine: Engine) -> int:
    with Session(engine) as s:
        s.add(Country(code="XQ", name="Testland", timezone="Asia/Yangon"))
        s.flush()
        s.add(Region(id="XQ-1", name="Border town", country_code="XQ", lat=20.0, lon=99.0))
        s.add(Agency(id="XQ-POL", name="Test police", country_code="XQ"))
        s.flush()
        user = User(username="race-liaison", full_name="Race Liaison", role=Role.liaison,
                    agency_id="XQ-POL", password_hash="x")
        start = datetime(2026, 12, 2, tzinfo=UTC)
        s.add(user)
        s.add(Operation(id=OP, code_name="Race", lead_agency_id="XQ-POL", priority=1,
                        earliest_start=start, latest_end=start.replace(day=3),
                        duration_minutes=60))
        s.flush()
        s.add(Site(id="S-RACE", operation_id=OP, region_id="XQ-1"))
        s.flush()
        s.add(Requirement(site_id="S-RACE", capability="tactical", count=1))
        s.commit()
        assert user.id is not None
        return user.id


def _cleanup(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE object_id = :op"), {"op": OP})
        conn.execute(text("DELETE FROM operations WHERE id = :op"), {"op": OP})
        conn.execute(text("DELETE FROM users WHERE username = 'race-liaison'"))
        conn.execute(text("DELETE FROM agencies WHERE id = 'XQ-POL'"))
        conn.execute(text("DELETE FROM regions WHERE id = 'XQ-1'"))
        conn.execute(text("DELETE FROM countries WHERE code = 'XQ'"))


def _doc(name: str) -> dict[str, object]:
    return {"code_name": name, "lead_agency_id": "XQ-POL", "priority": 1,
            "earliest_start": "2026-12-02T00:00Z", "latest_end": "2026-12-03T00:00Z",
            "duration_minutes": 60,
            "sites": [{"id": "S-RACE", "region_id": "XQ-1",
                       "requirements": [{"capability": "tactical", "count": 2}]}]}


def test_concurrent_saves_with_the_same_version(engine: Engine) -> None:
    user_id = _seed(engine)
    results: dict[str, str] = {}
    start = threading.Barrier(2)

    def save(name: str) -> None:
        start.wait(timeout=10)
        with Session(engine) as s:
            try:
                data = service.validate(s, data=_doc(name))
                operation, actor = s.get(Operation, OP), s.get(User, user_id)
                assert operation is not None and actor is not None
                service.update_operation(s, operation=operation, data=data, version=1,
                                         actor=actor)
                s.commit()
                results[name] = "saved"
            except Conflict as exc:
                s.rollback()
                results[name] = exc.message

    try:
        threads = [threading.Thread(target=save, args=(n,)) for n in ("Left", "Right")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(results) == ["Left", "Right"]
        winners = [n for n, r in results.items() if r == "saved"]
        assert len(winners) == 1, results
        loser = "Right" if winners == ["Left"] else "Left"
        assert results[loser].startswith("This operation was changed by Race Liaison at ")
        with Session(engine) as s:
            row = s.get(Operation, OP)
            assert row is not None and row.code_name == winners[0] and row.version == 2
    finally:
        _cleanup(engine)
