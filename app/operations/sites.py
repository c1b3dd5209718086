"""Writing an operation's sites and requirement rows (ids assigned by the board)."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from app.errors import Conflict
from app.i18n import N_
from app.models import Requirement, Site, Tasking
from app.operations.schemas import SiteIn


def _add_requirements(session: Session, *, site_id: str, site_in: SiteIn) -> None:
    session.add_all(Requirement(site_id=site_id, capability=r.capability, count=r.count)
                    for r in site_in.requirements)


def add_sites(session: Session, *, operation_id: str, sites: list[SiteIn]) -> None:
    """Add new sites; the board assigns their ids (site ids are unique board-wide)."""
    for site_in in sites:
        site = Site(id=f"S-{uuid.uuid4().hex[:10].upper()}", operation_id=operation_id,
                    region_id=site_in.region_id, objective=site_in.objective,
                    min_personnel=site_in.min_personnel, lat=site_in.lat, lon=site_in.lon)
        session.add(site)
        session.flush()
        _add_requirements(session, site_id=site.id, site_in=site_in)
    session.flush()


def replace_sites(session: Session, *, operation_id: str, sites: list[SiteIn]) -> None:
    """Keep sites by id (taskings point at them), drop the removed ones, add the new."""
    rows = session.exec(select(Site).where(Site.operation_id == operation_id))
    existing = {site.id: site for site in rows}
    kept = {s.id for s in sites if s.id in existing}
    removed = set(existing) - kept
    tasked = select(Tasking.id).where(col(Tasking.site_id).in_(removed))
    if removed and session.exec(tasked).first():
        raise Conflict(N_("A site you removed has published tasking orders and cannot be "
                          "removed; change its requirements instead, or abort the operation"))
    for site_id in removed:
        session.delete(existing[site_id])
    for site_in in sites:
        if site_in.id in kept:
            site = existing[site_in.id]
            site.region_id, site.objective = site_in.region_id, site_in.objective
            site.min_personnel = site_in.min_personnel
            site.lat, site.lon = site_in.lat, site_in.lon
            for requirement in list(site.requirements):
                session.delete(requirement)
    # Deletes first: the new requirement rows reuse (site, capability) pairs.
    session.flush()
    for site_in in sites:
        if site_in.id in kept:
            session.expire(existing[site_in.id], ["requirements"])
            _add_requirements(session, site_id=existing[site_in.id].id, site_in=site_in)
    add_sites(session, operation_id=operation_id, sites=[s for s in sites if s.id not in kept])
