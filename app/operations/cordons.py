"""The cordon an operation asks for (issue 13, docs/cordon-format.md): stored, checked
against the board's crossings, read back as input, and described for the pages."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.i18n import later
from app.models import CordonCrossing, Crossing, Operation, OperationCordon
from app.operations.schemas import CordonIn


def as_input(operation: Operation) -> dict[str, Any] | None:
    """The operation's cordon as an input document (CordonIn's fields), or None."""
    cordon = operation.cordon
    if cordon is None:
        return None
    return {
        "crossings": sorted(c.crossing_id for c in cordon.crossings)
        if cordon.within_km is None else None,
        "within_km": cordon.within_km, "lead_minutes": cordon.lead_minutes,
        "tail_minutes": cordon.tail_minutes, "units_per_side": cordon.units_per_side,
        "allow_own_passages": cordon.allow_own_passages,
    }


def errors(session: Session, data: dict[str, Any]) -> dict[str, str]:
    """Crossings the board does not know, by field (`cordon.crossings`)."""
    cordon = data.get("cordon")
    if not isinstance(cordon, dict) or not isinstance(cordon.get("crossings"), list):
        return {}
    wanted = [str(c) for c in cordon["crossings"]]
    known = set(session.exec(select(Crossing.id).where(col(Crossing.id).in_(wanted))))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        return {"cordon.crossings": later("unknown crossing %(crossings)s",
                                          crossings=", ".join(repr(c) for c in unknown))}
    return {}


def save(
    session: Session, *, operation: Operation, cordon: CordonIn | None, new: bool = False
) -> None:
    """Make the stored cordon what `cordon` says (None: no cordon). `new`: the operation
    was inserted in this transaction, so it has no stored cordon to look up (one query
    fewer while the SQLite write lock is held)."""
    existing = None if new else session.get(OperationCordon, operation.id)
    if existing is not None:
        session.delete(existing)
        session.flush()
    if cordon is not None:
        row = OperationCordon(
            operation_id=operation.id, within_km=cordon.within_km,
            lead_minutes=cordon.lead_minutes, tail_minutes=cordon.tail_minutes,
            units_per_side=cordon.units_per_side,
            allow_own_passages=cordon.allow_own_passages)
        session.add(row)
        session.flush()
        for crossing_id in cordon.crossings or []:
            session.add(CordonCrossing(operation_id=operation.id, crossing_id=crossing_id))
        session.flush()
    session.expire(operation, ["cordon"])


def summary(session: Session, operation: Operation) -> dict[str, Any] | None:
    """What the operation page says of the cordon: the crossings by name, or the radius."""
    cordon = operation.cordon
    if cordon is None:
        return None
    ids = [c.crossing_id for c in cordon.crossings]
    names = dict(session.exec(select(Crossing.id, Crossing.name)
                              .where(col(Crossing.id).in_(ids))).all()) if ids else {}
    return {
        "crossings": [(i, names.get(i, i)) for i in ids], "within_km": cordon.within_km,
        "lead_minutes": cordon.lead_minutes, "tail_minutes": cordon.tail_minutes,
        "units_per_side": cordon.units_per_side,
        "allow_own_passages": cordon.allow_own_passages,
    }
