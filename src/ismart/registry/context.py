"""What a registry works under: the protocol data in force and the efficacy designs.

Chosen once, when the registry is opened (``bootstrap.open_registry``, from the settings), and
carried by its session factory (``db.make_sessionmaker(context=...)``): every service reads it from
the session it is given (``in_force(session)``), the API and the pages from the factory. No module
keeps it in a global, so two registries in one process (tests, tools) never see each other's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ismart.application.screening import protocol_in_force
from ismart.protocol import load_protocol
from ismart.protocol.model import Protocol, SubProtocol
from ismart.registry import sponsor_data
from ismart.registry.errors import NotFound
from ismart.registry.sponsor_data import SponsorData
from ismart.response import efficacy as eff

__all__ = ["CONTEXT_KEY", "RegistryContext", "from_settings", "in_force", "shipped", "subprotocol"]

CONTEXT_KEY = "registry_context"


@dataclass(frozen=True)
class RegistryContext:
    protocol: Protocol
    efficacy: eff.EfficacyFile
    sponsor: SponsorData = field(default_factory=SponsorData)  # the sponsor's conduct files


@cache
def shipped() -> RegistryContext:
    """The shipped protocol data and efficacy designs (a deployment without settings)."""
    return RegistryContext(load_protocol(), eff.shipped())


def from_settings(*, protocol_dir: str | None = None, efficacy_file: str | None = None) -> RegistryContext:
    """The protocol folder named (else the shipped data); the sponsor's efficacy file, else the
    folder's efficacy.yaml, else the shipped designs; the sponsor's conduct files the environment
    names (``sponsor_data``). Loaded and checked here, once."""
    if not protocol_dir and not efficacy_file and not sponsor_data.named_in_environment():
        return shipped()
    proto = protocol_in_force(protocol_dir) if protocol_dir else load_protocol()
    if efficacy_file:
        designs = eff.from_file(Path(efficacy_file))
    elif protocol_dir and (Path(protocol_dir) / "efficacy.yaml").is_file():
        designs = eff.from_file(Path(protocol_dir) / "efficacy.yaml")
    else:
        designs = eff.shipped()
    return RegistryContext(proto, designs, sponsor_data.from_environment(proto))


def in_force(where: Session | sessionmaker[Session]) -> RegistryContext:
    """The context a session (or a session factory) was made with; the shipped one if none."""
    info = where.info if isinstance(where, Session) else where.kw.get("info", {})
    found = info.get(CONTEXT_KEY)
    return found if isinstance(found, RegistryContext) else shipped()


def subprotocol(
    session: Session, sp_id: str, *, missing: type[Exception] = NotFound, message: str | None = None
) -> SubProtocol:
    """The sub-protocol of the protocol data in force, or ``missing`` naming it."""
    for sp in in_force(session).protocol.subprotocols:
        if sp.id == sp_id:
            return sp
    raise missing(message or f"sub-protocol {sp_id} not found")
