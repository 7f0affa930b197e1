"""Dossier versions of a subject: each change a new version with a reason, never an overwrite.

The audit log names each version by id, number and the SHA-256 of its stored text; the clinical
content itself stays in ``dossier_versions`` (monitors reading the log do not see it).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismart.application.screening import read_dossier
from ismart.registry import audit
from ismart.registry.access import Principal, Role, require
from ismart.registry.clock import now
from ismart.registry.errors import Invalid
from ismart.registry.models import DossierVersion
from ismart.registry.subjects import get_subject

__all__ = ["add_dossier", "latest_dossier", "list_dossiers", "reference"]


def latest_dossier(session: Session, code: str) -> DossierVersion | None:
    return session.scalars(
        select(DossierVersion)
        .where(DossierVersion.subject_code == code)
        .order_by(DossierVersion.version.desc())
    ).first()


def reference(row: DossierVersion) -> dict[str, Any]:
    """What the audit log keeps of a dossier version: a reference and a hash, not the content."""
    return {"dossier_id": row.id, "version": row.version, "sha256": audit.content_hash(row.data)}


def add_dossier(
    session: Session, *, actor: Principal, code: str, data: dict[str, Any], reason: str | None, as_of: date
) -> DossierVersion:
    require(actor, Role.site_staff, Role.site_investigator, Role.trial_office)
    subject = get_subject(session, actor=actor, code=code, lock=True)
    record = read_dossier(data, as_of=as_of)
    if record.patient.id is not None and record.patient.id != subject.code:  # issue 9
        raise Invalid(f"patient.id: {record.patient.id!r} does not match subject {subject.code}")
    previous = latest_dossier(session, code)
    if previous is not None and not (reason and reason.strip()):
        raise Invalid("reason: a reason is required to change stored clinical data")
    version = DossierVersion(
        subject_code=subject.code,
        version=(previous.version + 1) if previous else 1,
        data=json.dumps(data, sort_keys=True, default=str),
        created_by=actor.username,
        created_at=now(),
    )
    session.add(version)
    session.flush()
    audit.write(
        session,
        version,
        actor=actor.username,
        action="dossier.add",
        entity="dossier",
        entity_id=code,
        before=None if previous is None else reference(previous),
        after=reference(version),
        reason=reason,
    )
    return version


def list_dossiers(session: Session, *, actor: Principal, code: str) -> list[DossierVersion]:
    get_subject(session, actor=actor, code=code)
    return list(
        session.scalars(
            select(DossierVersion).where(DossierVersion.subject_code == code).order_by(DossierVersion.version)
        )
    )
