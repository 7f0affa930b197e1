"""Sites and their recruitment status per sub-protocol; seeding from the protocol data in force."""

from __future__ import annotations

import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismart.countries import country_codes
from ismart.registry import audit
from ismart.registry.access import SYSTEM, Principal, Role, require
from ismart.registry.context import in_force, subprotocol
from ismart.registry.errors import Invalid, NotFound
from ismart.registry.models import Counter, Site, SiteSequence, SiteStatus

__all__ = ["list_sites", "seed", "set_site_status", "site_code_for"]


def site_code_for(*, city: str, country: str) -> str:
    ascii_city = unicodedata.normalize("NFKD", city).encode("ascii", "ignore").decode().upper()
    return f"{country_codes().get(country, country[:2].upper())}-{ascii_city.replace(' ', '')[:3]}"


def seed(session: Session) -> None:
    """Sites from the protocol's site lists, one capacity counter per sub-protocol. Idempotent."""
    proto = in_force(session).protocol
    for sp in proto.subprotocols:
        counter = session.get(Counter, sp.id)
        if counter is None:
            session.add(Counter(subprotocol=sp.id, capacity=sp.capacity.value, used=0, last_number=0))
        elif counter.capacity != sp.capacity.value:
            before = counter.capacity
            counter.capacity = sp.capacity.value
            audit.write(
                session,
                counter,
                actor=SYSTEM.username,
                action="capacity.change",
                entity="subprotocol",
                entity_id=sp.id,
                before={"capacity": before},
                after={"capacity": sp.capacity.value},
                reason=f"protocol data {proto.version}",
            )
        for s in sp.sites:
            code = site_code_for(city=s.city, country=s.country)
            if session.get(Site, code) is None:
                session.add(Site(code=code, institution=s.institution, city=s.city, country=s.country))
                session.add(SiteSequence(site_code=code, last=0))
                session.flush()
            if session.get(SiteStatus, (code, sp.id)) is None:
                session.add(SiteStatus(site_code=code, subprotocol=sp.id, status=s.status))
    session.flush()


def list_sites(session: Session) -> list[tuple[Site, dict[str, str]]]:
    statuses: dict[str, dict[str, str]] = {}
    for row in session.scalars(select(SiteStatus)):
        statuses.setdefault(row.site_code, {})[row.subprotocol] = row.status
    return [(s, statuses.get(s.code, {})) for s in session.scalars(select(Site).order_by(Site.code))]


def set_site_status(
    session: Session, *, actor: Principal, site_code: str, subprotocol: str, status: str, reason: str
) -> SiteStatus:
    require(actor, Role.trial_office)
    _known(session, subprotocol)
    if session.get(Site, site_code) is None:
        raise NotFound(f"site {site_code} not found")
    row = session.get(SiteStatus, (site_code, subprotocol))
    before = None if row is None else row.status
    if row is None:
        row = SiteStatus(site_code=site_code, subprotocol=subprotocol, status=status)
    row.status = status
    audit.write(
        session,
        row,
        actor=actor.username,
        action="site.status",
        entity="site",
        entity_id=f"{site_code}/{subprotocol}",
        before={"status": before},
        after={"status": status},
        reason=reason,
    )
    return row


def _known(session: Session, sp_id: str) -> None:
    subprotocol(session, sp_id, missing=Invalid, message=f"subprotocol: unknown sub-protocol {sp_id!r}")
