"""Subject records for the ODM export, read from the registry database (the I/O half of odm)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismart.exchange.odm import Audit, SubjectRecord
from ismart.registry.models import AuditEntry, Registration, Screening, Subject
from ismart.registry.screenings import stored_verdicts


def records_from_registry(session: Session) -> list[SubjectRecord]:
    """Every subject with its screenings (one row per sub-protocol verdict) and registration, each
    row with the audit entry that created it (user, time, action)."""
    audits = {(a.entity, a.entity_id): a for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))}
    out = []
    for subject in session.scalars(select(Subject).order_by(Subject.code)):
        rec = SubjectRecord(subject.code, subject.site_code)
        for sc in session.scalars(
            select(Screening).where(Screening.subject_code == subject.code).order_by(Screening.id)
        ):
            entry = audits.get(("screening", str(sc.id)))
            for sp_id, verdict in stored_verdicts(sc).items():  # the verdicts column, not the report
                rec.forms.setdefault("SCREENING", []).append(
                    {
                        "SUBPROTOCOL": sp_id,
                        "VERDICT": verdict,
                        "SCREENED_ON": sc.created_at.date().isoformat(),
                        "PROTOCOL_VERSION": sc.protocol_version,
                    }
                )
                if entry is not None:
                    rec.audits.setdefault("SCREENING", []).append(Audit(entry.actor, entry.at, entry.action))
        reg = session.scalars(select(Registration).where(Registration.subject_code == subject.code)).first()
        if reg is not None:
            rec.forms["REGISTRATION"] = [
                {
                    "SUBPROTOCOL": reg.subprotocol,
                    "SUBJECT_NUMBER": reg.subject_number,
                    "DOSE_LEVEL": reg.dose_level,
                    "REGISTERED_ON": reg.created_at.date().isoformat(),
                }
            ]
            entry = audits.get(("registration", reg.subject_number))
            if entry is not None:
                rec.audits["REGISTRATION"] = [Audit(entry.actor, entry.at, entry.action)]
        out.append(rec)
    return out
