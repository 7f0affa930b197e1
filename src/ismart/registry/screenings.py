"""Screenings of stored dossier versions under the protocol data in force, and re-screening when
that data (or the engine) changes. Each screening stores its report and, beside it, the verdict
per sub-protocol as data (``Screening.verdicts``), so nothing re-parses the report to learn one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismart import ENGINE_VERSION
from ismart.application.screening import ScreeningRequest, run_screening, to_contract
from ismart.registry import audit
from ismart.registry.access import Principal, Role, require
from ismart.registry.clock import now
from ismart.registry.context import in_force
from ismart.registry.dossiers import latest_dossier
from ismart.registry.errors import Conflict
from ismart.registry.models import DossierVersion, Screening, Subject, VerdictChange
from ismart.registry.subjects import get_subject, move

__all__ = [
    "RescreenReport",
    "list_screenings",
    "rescreen_outdated",
    "screen_subject",
    "stored_verdicts",
    "verdicts_of",
]


def verdicts_of(stored: str) -> dict[str, str]:
    """The verdict per sub-protocol from the stored ``Screening.verdicts`` column."""
    verdicts = json.loads(stored)
    assert isinstance(verdicts, dict)
    return {str(k): str(v) for k, v in verdicts.items()}


def stored_verdicts(row: Screening) -> dict[str, str]:
    """The verdict per sub-protocol, stored as data beside the report."""
    return verdicts_of(row.verdicts)


def _verdicts(result: dict[str, Any]) -> dict[str, str]:
    return {sp["id"]: sp["verdict"] for sp in result["subprotocols"]}


def _run_screening(
    session: Session, *, source: DossierVersion, as_of: date, rescreen_of: int | None = None
) -> tuple[Screening, dict[str, str]]:
    """Screen one stored dossier version; the row is added (the caller audits it)."""
    proto = in_force(session).protocol
    request = ScreeningRequest(dossier=json.loads(source.data), as_of=as_of)
    result = to_contract(run_screening(request, protocol=proto))
    verdicts = _verdicts(result)
    row = Screening(
        subject_code=source.subject_code,
        dossier_id=source.id,
        result=json.dumps(result),
        verdicts=json.dumps(verdicts, sort_keys=True),
        screened_on=as_of,
        protocol_version=proto.version,
        engine_version=ENGINE_VERSION,
        rescreen_of=rescreen_of,
        created_at=now(),
    )
    session.add(row)
    session.flush()
    return row, verdicts


def screen_subject(session: Session, *, actor: Principal, code: str, as_of: date) -> Screening:
    require(actor, Role.site_staff, Role.site_investigator, Role.trial_office)
    subject = get_subject(session, actor=actor, code=code, lock=True)
    latest = latest_dossier(session, code)
    if latest is None:
        raise Conflict(f"subject {code} has no dossier to screen")
    row, verdicts = _run_screening(session, source=latest, as_of=as_of)
    audit.write(
        session,
        row,
        actor=actor.username,
        action="screening.add",
        entity="screening",
        after={"subject": code, "dossier_version": latest.version, "verdicts": verdicts},
    )
    if subject.state in ("new", "screened", "board_reviewed"):
        move(session, actor=actor, subject=subject, to="screened", reason="new screening")
    return row


def list_screenings(session: Session, *, actor: Principal, code: str) -> list[Screening]:
    get_subject(session, actor=actor, code=code)
    query = select(Screening).where(Screening.subject_code == code).order_by(Screening.id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class RescreenReport:
    protocol_version: str
    checked: int
    rescreened: int
    changes: list[VerdictChange]


def _latest_screenings(session: Session, *, protocol_version: str) -> tuple[int, list[Screening]]:
    """How many subjects still in the study have a screening, and the latest screenings among
    them made under other protocol data or another engine (only those rows are read in full)."""
    newest = (
        select(Screening.subject_code, func.max(Screening.id).label("id"))
        .group_by(Screening.subject_code)
        .subquery()
    )
    latest = (
        select(Screening)
        .join(newest, Screening.id == newest.c.id)
        .join(Subject, Subject.code == Screening.subject_code)
        .where(Subject.state != "off_study")
    )
    count = session.scalar(select(func.count()).select_from(latest.subquery())) or 0
    outdated = latest.where(
        (Screening.protocol_version != protocol_version) | (Screening.engine_version != ENGINE_VERSION)
    )
    return count, list(session.scalars(outdated.order_by(Screening.id)))


def rescreen_outdated(session: Session, *, actor: Principal) -> RescreenReport:
    """Re-run every subject's latest screening made under other protocol data or another engine.

    The same dossier version is screened as of the same day, so only the rules differ. Nothing is
    overwritten: the re-run is a new screening linked to the old one, and each sub-protocol whose
    verdict differs becomes a pending change that blocks registration there until reviewed.
    """
    require(actor, Role.trial_office)
    proto = in_force(session).protocol
    checked, outdated = _latest_screenings(session, protocol_version=proto.version)
    changes: list[VerdictChange] = []
    for old in outdated:
        source = session.get(DossierVersion, old.dossier_id)
        assert source is not None  # a foreign key
        new, new_verdicts = _run_screening(session, source=source, as_of=old.screened_on, rescreen_of=old.id)
        old_verdicts = stored_verdicts(old)
        for sp_id in sorted(old_verdicts.keys() | new_verdicts.keys()):
            if old_verdicts.get(sp_id) == new_verdicts.get(sp_id):
                continue
            change = VerdictChange(
                subject_code=old.subject_code,
                old_screening_id=old.id,
                new_screening_id=new.id,
                subprotocol=sp_id,
                old_verdict=old_verdicts.get(sp_id),
                new_verdict=new_verdicts.get(sp_id),
                old_protocol_version=old.protocol_version,
                new_protocol_version=proto.version,
                status="pending",
                created_at=now(),
            )
            session.add(change)
            changes.append(change)
        audit.write(
            session,
            new,
            actor=actor.username,
            action="screening.rescreen",
            entity="screening",
            before={"screening": old.id, "protocol_version": old.protocol_version, "verdicts": old_verdicts},
            after={"screening": new.id, "protocol_version": proto.version, "verdicts": new_verdicts},
            reason=f"protocol data {old.protocol_version} -> {proto.version}, "
            f"engine {old.engine_version} -> {ENGINE_VERSION}",
        )
    return RescreenReport(proto.version, checked, len(outdated), changes)
