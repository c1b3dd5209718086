"""Need-to-know visibility of operations (route access rules: tests/test_routes_access.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from app.access import can_see_operation, get_visible_operation, visible_operations_query
from app.errors import NotFound
from app.models import Role, Tasking


def _ids(session: Session, user) -> set[str]:  # type: ignore[no-untyped-def]
    return {op.id for op in session.exec(visible_operations_query(user)).all()}


def test_lead_host_and_tasked_agencies_see_the_operation(
    session: Session, world, make_user, make_operation
) -> None:
    # Led by Thailand, one site in Myanmar: TH (lead) and MM (host) see it, Laos does not.
    op = make_operation(session, "TH-RTP", {"MM-TAC": {"tactical": 1}}, op_id="OP-NTK")
    thai, burmese, lao = (
        make_user(session, role=Role.liaison, agency=a) for a in ("TH-RTP", "MM-MPF", "LA-MPS")
    )
    assert "OP-NTK" in _ids(session, thai) and "OP-NTK" in _ids(session, burmese)
    assert "OP-NTK" not in _ids(session, lao)
    assert not can_see_operation(session, user=lao, operation=op)
    with pytest.raises(NotFound):
        get_visible_operation(session, user=lao, operation_id="OP-NTK")
    # Once a Lao unit is tasked by a published plan, Lao users see it too.
    start = datetime(2026, 12, 2, 3, tzinfo=UTC)
    session.add(
        Tasking(
            uid="t-1@jointops",
            operation_id=op.id,
            unit_id="U-LA-1",
            site_id=op.sites[0].id,
            capability="tactical",
            start=start,
            end=start + timedelta(hours=4),
            depart=start - timedelta(hours=2),
            return_at=start + timedelta(hours=6),
        )
    )
    session.flush()
    assert can_see_operation(session, user=lao, operation=op)


def test_admin_sees_everything_and_agencyless_user_nothing(
    session: Session, world, make_user, make_operation
) -> None:
    make_operation(session, "LA-MPS", {"LA-BOK": {"tactical": 1}}, op_id="OP-LAO")
    admin = make_user(session, role=Role.admin)
    nobody = make_user(session, role=Role.planner)
    assert "OP-LAO" in _ids(session, admin)
    assert _ids(session, nobody) == set()
