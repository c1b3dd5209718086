"""Admin use cases for the managed list of capabilities."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from app.admin.common import FieldErrors, Page, apply, audit, check, count, paginate, refuse_if_used
from app.admin.schemas import CapabilityCreateIn, CapabilityUpdateIn
from app.i18n import N_, later
from app.models import Capability, Requirement, Unit, User


def list_capabilities(
    session: Session, *, q: str = "", page: int = 1, per_page: int = 50
) -> Page[Capability]:
    """Capabilities by name, filtered by name or description."""
    query = select(Capability).order_by(col(Capability.name))
    search = (Capability.name, Capability.description)
    return paginate(session, query, q=q, search=search, page=page, per_page=per_page)


def create_capability(session: Session, *, data: Mapping[str, Any], actor: User) -> Capability:
    """Add a capability to the list the operation form offers."""
    cap_in = check(CapabilityCreateIn, data)
    if session.get(Capability, cap_in.name) is not None:
        raise FieldErrors({"name": later("capability %(name)s is on the list already",
                                              name=repr(cap_in.name))})
    capability = Capability.model_validate(cap_in)
    session.add(capability)
    audit(session, actor=actor, action="created", obj_type="capability", obj_id=capability.name,
          values=cap_in.model_dump())
    session.flush()
    return capability


def update_capability(
    session: Session, *, capability: Capability, data: Mapping[str, Any], actor: User
) -> Capability:
    """Change a capability's description (its name is what units and requirements name)."""
    changes = apply(capability, check(CapabilityUpdateIn, data).model_dump())
    session.add(capability)
    audit(session, actor=actor, action="updated", obj_type="capability",
          obj_id=capability.name, changes=changes)
    session.flush()
    return capability


def delete_capability(session: Session, *, capability: Capability, actor: User) -> None:
    """Take a capability off the list; refused (409) while a unit or requirement names it."""
    name = capability.name
    units = sum(1 for caps in session.exec(select(Unit.capabilities)) if name in (caps or []))
    refuse_if_used(later("capability %(name)s", name=name), [
        (units, N_("%(count)s unit"), N_("%(count)s units")),
        (count(session, select(Requirement).where(Requirement.capability == name)),
         N_("%(count)s requirement"), N_("%(count)s requirements")),
    ])
    audit(session, actor=actor, action="deleted", obj_type="capability", obj_id=name)
    session.delete(capability)
    session.flush()


def known_capabilities(session: Session) -> list[str]:
    """The managed list, by name."""
    return list(session.exec(select(Capability.name).order_by(col(Capability.name))))


def register(session: Session, names: set[str] | list[str]) -> int:
    """Put names not yet on the list on it (imports and the demo seed); how many were new."""
    wanted = {n.strip() for n in names if n and n.strip()}
    if not wanted:
        return 0
    have = set(session.exec(select(Capability.name).where(col(Capability.name).in_(wanted))))
    new = sorted(wanted - have)
    session.add_all(Capability(name=n) for n in new)
    session.flush()
    return len(new)
