"""Registration to a sub-protocol: the gates (tumour board, screening, recruitment, capacity, dose
level), the overrides the trial office and the site investigator may give, and the subject number.
Every gate is checked after the subject's row and the sub-protocol's counter are locked."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismart.protocol.model import SubProtocol
from ismart.registry import audit
from ismart.registry.access import Principal, Role, require
from ismart.registry.clock import now
from ismart.registry.context import in_force
from ismart.registry.context import subprotocol as subprotocol_in_force
from ismart.registry.dose_finding import check_dose_level
from ismart.registry.dossiers import latest_dossier
from ismart.registry.errors import Conflict, Invalid
from ismart.registry.models import (
    BoardDecision,
    Counter,
    DossierVersion,
    Registration,
    Screening,
    SiteStatus,
    VerdictChange,
)
from ismart.registry.screenings import stored_verdicts
from ismart.registry.subjects import TRANSITIONS, get_subject, move

__all__ = ["DEFAULT_SCREENING_MAX_AGE_DAYS", "list_registrations", "register"]

DEFAULT_SCREENING_MAX_AGE_DAYS = 7  # when the protocol data give no registration rules


def _gate(name: str, message: str) -> Conflict:
    return Conflict(f"registration refused by the {name} gate: {message}")


def _check_board(session: Session, *, code: str, sp_id: str, override: str | None, actor: Principal) -> None:
    decision = session.scalars(
        select(BoardDecision).where(BoardDecision.subject_code == code).order_by(BoardDecision.id.desc())
    ).first()
    if decision is not None and decision.subprotocol == sp_id:
        return
    if override is not None:
        if actor.role != Role.trial_office:
            raise _gate("tumour board", "only the trial office may override the tumour board's decision")
        return
    if decision is None:
        said = "has no tumour board decision"
    elif decision.subprotocol is None:
        said = f"was not referred by the tumour board ({decision.non_referral_reason})"
    else:
        said = f"was referred by the tumour board to {decision.subprotocol}, not {sp_id}"
    raise _gate("tumour board", f"subject {code} {said}")


def _check_screening(
    session: Session, *, code: str, sp_id: str, as_of: date, override: str | None, actor: Principal
) -> Screening:
    latest = session.scalars(
        select(Screening).where(Screening.subject_code == code).order_by(Screening.id.desc())
    ).first()
    if latest is None:
        raise _gate("screening", f"subject {code} has no screening")
    newest = latest_dossier(session, code)
    if newest is not None and newest.id != latest.dossier_id:
        screened = session.get(DossierVersion, latest.dossier_id)
        version = screened.version if screened is not None else "?"
        raise _gate(
            "latest dossier",
            f"the latest screening of {code} is of dossier version {version}, "
            f"but version {newest.version} is the latest; screen again",
        )
    rules = in_force(session).protocol.master.registration
    limit = rules.screening_max_age_days if rules else DEFAULT_SCREENING_MAX_AGE_DAYS
    age = (as_of - latest.screened_on).days
    if age > limit:
        raise _gate(
            "screening age",
            f"the latest screening of {code} is of {latest.screened_on.isoformat()}, {age} days old; "
            f"the protocol data allow {limit}; screen again",
        )
    verdict = stored_verdicts(latest).get(sp_id)
    if verdict == "REVIEW" and override is not None:
        if actor.role != Role.site_investigator:
            raise _gate("verdict", "only the site investigator may override a REVIEW verdict")
    elif verdict != "ELIGIBLE":
        raise _gate("verdict", f"the latest screening of {code} is {verdict} for {sp_id}, not ELIGIBLE")
    pending = session.scalars(
        select(VerdictChange).where(
            VerdictChange.subject_code == code,
            VerdictChange.subprotocol == sp_id,
            VerdictChange.status == "pending",
        )
    ).first()
    if pending is not None:
        raise Conflict(
            f"subject {code}: the {sp_id} verdict changed under protocol data "
            f"{pending.new_protocol_version} (verdict change {pending.id}); the trial office must review it"
        )
    return latest


def _override(reason: str | None, field: str) -> str | None:
    if reason is not None and not reason.strip():
        raise Invalid(f"{field}: an override needs a reason")
    return reason


def _check_recruiting(session: Session, *, site_code: str, sp: SubProtocol) -> None:
    if sp.status != "recruiting":
        raise Conflict(f"sub-protocol {sp.id} is {sp.status}")
    if sp.sites:
        row = session.get(SiteStatus, (site_code, sp.id))
        if row is None or row.status != "recruiting":
            status = "not listed" if row is None else row.status
            raise Conflict(f"sub-protocol {sp.id} at site {site_code}: {status}")


def register(
    session: Session,
    *,
    actor: Principal,
    code: str,
    subprotocol: str,
    dose_level: int,
    on: date | None = None,
    as_of: date | None = None,
    board_override_reason: str | None = None,
    review_override_reason: str | None = None,
) -> Registration:
    """Register to a sub-protocol: every gate is checked after the subject's row is locked."""
    require(actor, Role.site_investigator, Role.trial_office)
    board_override = _override(board_override_reason, "board_override_reason")
    review_override = _override(review_override_reason, "review_override_reason")
    subject = get_subject(session, actor=actor, code=code, lock=True)
    sp = subprotocol_in_force(
        session, subprotocol, missing=Invalid, message=f"subprotocol: unknown sub-protocol {subprotocol!r}"
    )
    if sp.treatment and sp.treatment.dose_levels and dose_level not in sp.treatment.dose_levels:
        raise Invalid(f"dose_level: {dose_level} is not a dose level of {sp.id}")
    if "registered" not in TRANSITIONS[subject.state]:
        raise Conflict(f"subject {code}: cannot register from state {subject.state}")
    _check_board(session, code=code, sp_id=sp.id, override=board_override, actor=actor)
    screening = _check_screening(
        session,
        code=code,
        sp_id=sp.id,
        as_of=as_of or on or now().date(),
        override=review_override,
        actor=actor,
    )
    _check_recruiting(session, site_code=subject.site_code, sp=sp)
    counter = session.scalars(select(Counter).where(Counter.subprotocol == sp.id).with_for_update()).one()
    if counter.used >= counter.capacity:
        raise Conflict(f"sub-protocol {sp.id} is full ({counter.used}/{counter.capacity})")
    check_dose_level(session, sp=sp, dose_level=dose_level, on=on or as_of or now().date())
    counter.used += 1
    counter.last_number += 1
    row = Registration(
        subject_code=code,
        subprotocol=sp.id,
        dose_level=dose_level,
        subject_number=f"{sp.id}-{counter.last_number:03d}",
        created_at=now(),
    )
    audit.write(
        session,
        row,
        actor=actor.username,
        action="registration.add",
        entity="registration",
        entity_id=row.subject_number,
        after={
            "subject": code,
            "subprotocol": sp.id,
            "dose_level": dose_level,
            "screening": screening.id,
            "board_override": board_override,
            "review_override": review_override,
        },
        reason=board_override or review_override,
    )
    move(session, actor=actor, subject=subject, to="registered", reason="registration")
    return row


def list_registrations(session: Session, *, actor: Principal, code: str) -> list[Registration]:
    get_subject(session, actor=actor, code=code)
    return list(session.scalars(select(Registration).where(Registration.subject_code == code)))
