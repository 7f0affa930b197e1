"""Registry services: every change goes through here and is audited in the same transaction."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismart import ENGINE_VERSION
from ismart.application.screening import ScreeningRequest, read_dossier, run_screening, to_contract
from ismart.countries import country_codes
from ismart.protocol import load_protocol
from ismart.protocol.model import Protocol, SubProtocol
from ismart.registry import audit
from ismart.registry.access import SITE_ROLES, Principal, Role, check_site, require
from ismart.registry.accounts import create_user as create_user  # kept here for existing callers
from ismart.registry.errors import Conflict, Invalid, NotFound
from ismart.registry.models import (
    BoardDecision,
    Counter,
    DossierVersion,
    Registration,
    Screening,
    Site,
    SiteSequence,
    SiteStatus,
    Subject,
    VerdictChange,
    Withdrawal,
)

TRANSITIONS = {
    "new": {"screened"},
    "screened": {"screened", "board_reviewed", "off_study"},
    "board_reviewed": {"screened", "board_reviewed", "registered", "off_study"},
    "registered": {"on_treatment", "off_study"},
    "on_treatment": {"off_study"},
    "off_study": set(),
}
SYSTEM = Principal("system", Role.trial_office, None)


_ACTIVE: list[Protocol] = []


def protocol() -> Protocol:
    """The protocol data in force: the shipped version unless a deployment activated another."""
    return _ACTIVE[-1] if _ACTIVE else load_protocol()


def activate_protocol(proto: Protocol | None) -> None:
    """Put protocol data in force for this process (None: back to the shipped version)."""
    _ACTIVE.clear()
    if proto is not None:
        _ACTIVE.append(proto)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _subprotocol(sp_id: str) -> SubProtocol:
    for sp in protocol().subprotocols:
        if sp.id == sp_id:
            return sp
    raise Invalid(f"subprotocol: unknown sub-protocol {sp_id!r}")


def site_code_for(*, city: str, country: str) -> str:
    ascii_city = unicodedata.normalize("NFKD", city).encode("ascii", "ignore").decode().upper()
    return f"{country_codes().get(country, country[:2].upper())}-{ascii_city.replace(' ', '')[:3]}"


# --- seeding ---------------------------------------------------------------------------------------


def seed(session: Session) -> None:
    """Sites from the protocol's site lists, one capacity counter per sub-protocol. Idempotent."""
    for sp in protocol().subprotocols:
        counter = session.get(Counter, sp.id)
        if counter is None:
            session.add(Counter(subprotocol=sp.id, capacity=sp.capacity.value, used=0, last_number=0))
        elif counter.capacity != sp.capacity.value:
            audit.record(
                session,
                actor=SYSTEM.username,
                action="capacity.change",
                entity="subprotocol",
                entity_id=sp.id,
                before={"capacity": counter.capacity},
                after={"capacity": sp.capacity.value},
                reason=f"protocol data {protocol().version}",
            )
            counter.capacity = sp.capacity.value
        for s in sp.sites:
            code = site_code_for(city=s.city, country=s.country)
            if session.get(Site, code) is None:
                session.add(Site(code=code, institution=s.institution, city=s.city, country=s.country))
                session.add(SiteSequence(site_code=code, last=0))
                session.flush()
            if session.get(SiteStatus, (code, sp.id)) is None:
                session.add(SiteStatus(site_code=code, subprotocol=sp.id, status=s.status))
    session.flush()


# --- users: see ismart.registry.accounts ---------------------------------------------------------


# --- sites -----------------------------------------------------------------------------------------


def list_sites(session: Session) -> list[tuple[Site, dict[str, str]]]:
    statuses: dict[str, dict[str, str]] = {}
    for row in session.scalars(select(SiteStatus)):
        statuses.setdefault(row.site_code, {})[row.subprotocol] = row.status
    return [(s, statuses.get(s.code, {})) for s in session.scalars(select(Site).order_by(Site.code))]


def set_site_status(
    session: Session, *, actor: Principal, site_code: str, subprotocol: str, status: str, reason: str
) -> SiteStatus:
    require(actor, Role.trial_office)
    _subprotocol(subprotocol)
    if session.get(Site, site_code) is None:
        raise NotFound(f"site {site_code} not found")
    row = session.get(SiteStatus, (site_code, subprotocol))
    before = None if row is None else row.status
    if row is None:
        row = SiteStatus(site_code=site_code, subprotocol=subprotocol, status=status)
        session.add(row)
    row.status = status
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="site.status",
        entity="site",
        entity_id=f"{site_code}/{subprotocol}",
        before={"status": before},
        after={"status": status},
        reason=reason,
    )
    return row


# --- subjects --------------------------------------------------------------------------------------


def create_subject(session: Session, *, actor: Principal, site_code: str) -> Subject:
    require(actor, Role.site_staff, Role.site_investigator, Role.trial_office)
    if actor.role in SITE_ROLES and actor.site_code != site_code:
        raise NotFound(f"site {site_code} not found")
    seq = session.scalars(
        select(SiteSequence).where(SiteSequence.site_code == site_code).with_for_update()
    ).first()
    if seq is None:
        raise NotFound(f"site {site_code} not found")
    seq.last += 1
    subject = Subject(code=f"{site_code}-{seq.last:04d}", site_code=site_code, state="new", created_at=_now())
    session.add(subject)
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="subject.create",
        entity="subject",
        entity_id=subject.code,
        after={"site": site_code, "state": "new"},
    )
    return subject


def get_subject(session: Session, *, actor: Principal, code: str, lock: bool = False) -> Subject:
    """The subject (404 for another site's). With lock: SELECT ... FOR UPDATE, read afresh, so that
    every state change of one subject is serialised and re-checked inside its transaction (on
    SQLite, BEGIN IMMEDIATE already serialises writers)."""
    query = select(Subject).where(Subject.code == code)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    subject = session.scalars(query).first()
    if subject is None:
        raise NotFound(f"subject {code} not found")
    check_site(actor, site_code=subject.site_code, subject_code=code)
    return subject


def list_subjects(session: Session, *, actor: Principal) -> list[Subject]:
    query = select(Subject).order_by(Subject.code)
    if actor.role in SITE_ROLES:
        query = query.where(Subject.site_code == actor.site_code)
    return list(session.scalars(query))


def _move(session: Session, *, actor: Principal, subject: Subject, to: str, reason: str | None) -> None:
    if to not in TRANSITIONS[subject.state]:
        raise Conflict(f"subject {subject.code}: cannot go from {subject.state} to {to}")
    before = subject.state
    subject.state = to
    session.flush()
    if before != to:
        audit.record(
            session,
            actor=actor.username,
            action="subject.state",
            entity="subject",
            entity_id=subject.code,
            before={"state": before},
            after={"state": to},
            reason=reason,
        )


# --- dossiers and screenings -----------------------------------------------------------------------


def _latest_dossier(session: Session, code: str) -> DossierVersion | None:
    return session.scalars(
        select(DossierVersion)
        .where(DossierVersion.subject_code == code)
        .order_by(DossierVersion.version.desc())
    ).first()


def add_dossier(
    session: Session, *, actor: Principal, code: str, data: dict[str, Any], reason: str | None, as_of: date
) -> DossierVersion:
    require(actor, Role.site_staff, Role.site_investigator, Role.trial_office)
    subject = get_subject(session, actor=actor, code=code, lock=True)
    record = read_dossier(data, as_of=as_of)
    if record.patient.id is not None and record.patient.id != subject.code:  # issue 9
        raise Invalid(f"patient.id: {record.patient.id!r} does not match subject {subject.code}")
    previous = _latest_dossier(session, code)
    if previous is not None and not (reason and reason.strip()):
        raise Invalid("reason: a reason is required to change stored clinical data")
    version = DossierVersion(
        subject_code=subject.code,
        version=(previous.version + 1) if previous else 1,
        data=json.dumps(data, sort_keys=True, default=str),
        created_by=actor.username,
        created_at=_now(),
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="dossier.add",
        entity="dossier",
        entity_id=code,
        before=None if previous is None else {"version": previous.version, "data": json.loads(previous.data)},
        after={"version": version.version, "data": data},
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


def _verdicts(result: dict[str, Any]) -> dict[str, str]:
    return {sp["id"]: sp["verdict"] for sp in result["subprotocols"]}


def _run_screening(
    session: Session, *, source: DossierVersion, as_of: date, rescreen_of: int | None = None
) -> tuple[Screening, dict[str, str]]:
    proto = protocol()
    request = ScreeningRequest(dossier=json.loads(source.data), as_of=as_of)
    result = to_contract(run_screening(request, protocol=proto))
    row = Screening(
        subject_code=source.subject_code,
        dossier_id=source.id,
        result=json.dumps(result),
        verdicts=json.dumps(_verdicts(result), sort_keys=True),
        screened_on=as_of,
        protocol_version=proto.version,
        engine_version=ENGINE_VERSION,
        rescreen_of=rescreen_of,
        created_at=_now(),
    )
    session.add(row)
    session.flush()
    return row, _verdicts(result)


def screen_subject(session: Session, *, actor: Principal, code: str, as_of: date) -> Screening:
    require(actor, Role.site_staff, Role.site_investigator, Role.trial_office)
    subject = get_subject(session, actor=actor, code=code, lock=True)
    latest = _latest_dossier(session, code)
    if latest is None:
        raise Conflict(f"subject {code} has no dossier to screen")
    row, verdicts = _run_screening(session, source=latest, as_of=as_of)
    audit.record(
        session,
        actor=actor.username,
        action="screening.add",
        entity="screening",
        entity_id=str(row.id),
        after={"subject": code, "dossier_version": latest.version, "verdicts": verdicts},
    )
    if subject.state in ("new", "screened", "board_reviewed"):
        _move(session, actor=actor, subject=subject, to="screened", reason="new screening")
    return row


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
    proto = protocol()
    checked, outdated = _latest_screenings(session, protocol_version=proto.version)
    changes: list[VerdictChange] = []
    for old in outdated:
        source = session.get(DossierVersion, old.dossier_id)
        assert source is not None  # a foreign key
        as_of = old.screened_on
        new, new_verdicts = _run_screening(session, source=source, as_of=as_of, rescreen_of=old.id)
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
                created_at=_now(),
            )
            session.add(change)
            changes.append(change)
        session.flush()
        audit.record(
            session,
            actor=actor.username,
            action="screening.rescreen",
            entity="screening",
            entity_id=str(new.id),
            before={"screening": old.id, "protocol_version": old.protocol_version, "verdicts": old_verdicts},
            after={"screening": new.id, "protocol_version": proto.version, "verdicts": new_verdicts},
            reason=f"protocol data {old.protocol_version} -> {proto.version}, "
            f"engine {old.engine_version} -> {ENGINE_VERSION}",
        )
    return RescreenReport(proto.version, checked, len(outdated), changes)


def list_verdict_changes(
    session: Session, *, actor: Principal, status: str | None = None
) -> list[VerdictChange]:
    query = select(VerdictChange).join(Subject, Subject.code == VerdictChange.subject_code)
    if actor.role in SITE_ROLES:
        query = query.where(Subject.site_code == actor.site_code)
    if status is not None:
        query = query.where(VerdictChange.status == status)
    return list(session.scalars(query.order_by(VerdictChange.id)))


def review_verdict_change(session: Session, *, actor: Principal, change_id: int, note: str) -> VerdictChange:
    require(actor, Role.trial_office)
    change = session.get(VerdictChange, change_id)
    if change is None:
        raise NotFound(f"verdict change {change_id} not found")
    if change.status != "pending":
        raise Conflict(f"verdict change {change_id} was already reviewed")
    if not note.strip():
        raise Invalid("note: a review note is required")
    change.status = "reviewed"
    change.reviewed_by = actor.username
    change.review_note = note
    change.reviewed_at = _now()
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="verdict_change.review",
        entity="verdict_change",
        entity_id=str(change.id),
        before={"status": "pending"},
        after={"status": "reviewed", "subject": change.subject_code, "subprotocol": change.subprotocol},
        reason=note,
    )
    return change


def list_screenings(session: Session, *, actor: Principal, code: str) -> list[Screening]:
    get_subject(session, actor=actor, code=code)
    query = select(Screening).where(Screening.subject_code == code).order_by(Screening.id)
    return list(session.scalars(query))


# --- tumour board ----------------------------------------------------------------------------------


def add_board_decision(
    session: Session,
    *,
    actor: Principal,
    code: str,
    subprotocol: str | None,
    priority: int | None,
    rationale: str,
    members: list[str],
    non_referral_reason: str | None,
) -> BoardDecision:
    require(actor, Role.tumour_board, Role.trial_office)
    subject = get_subject(session, actor=actor, code=code, lock=True)
    if (subprotocol is None) == (non_referral_reason is None):
        raise Invalid("subprotocol: give either a recommended sub-protocol or a non-referral reason")
    if subprotocol is not None:
        _subprotocol(subprotocol)
    if subject.state not in ("screened", "board_reviewed"):
        raise Conflict(f"subject {code}: cannot record a board decision in state {subject.state}")
    row = BoardDecision(
        subject_code=code,
        subprotocol=subprotocol,
        priority=priority,
        rationale=rationale,
        members=json.dumps(members),
        non_referral_reason=non_referral_reason,
        created_at=_now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="board.decide",
        entity="board_decision",
        entity_id=str(row.id),
        after={
            "subject": code,
            "subprotocol": subprotocol,
            "priority": priority,
            "non_referral_reason": non_referral_reason,
        },
    )
    _move(session, actor=actor, subject=subject, to="board_reviewed", reason=rationale)
    return row


def list_board_decisions(session: Session, *, actor: Principal, code: str) -> list[BoardDecision]:
    get_subject(session, actor=actor, code=code)
    return list(
        session.scalars(
            select(BoardDecision).where(BoardDecision.subject_code == code).order_by(BoardDecision.id)
        )
    )


# --- registration ----------------------------------------------------------------------------------


DEFAULT_SCREENING_MAX_AGE_DAYS = 7  # when the protocol data give no registration rules


def stored_verdicts(row: Screening) -> dict[str, str]:
    """The verdict per sub-protocol, stored as data beside the report."""
    verdicts = json.loads(row.verdicts)
    assert isinstance(verdicts, dict)
    return {str(k): str(v) for k, v in verdicts.items()}


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
    newest = _latest_dossier(session, code)
    if newest is not None and newest.id != latest.dossier_id:
        screened = session.get(DossierVersion, latest.dossier_id)
        version = screened.version if screened is not None else "?"
        raise _gate(
            "latest dossier",
            f"the latest screening of {code} is of dossier version {version}, "
            f"but version {newest.version} is the latest; screen again",
        )
    rules = protocol().master.registration
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
    sp = _subprotocol(subprotocol)
    if sp.treatment and sp.treatment.dose_levels and dose_level not in sp.treatment.dose_levels:
        raise Invalid(f"dose_level: {dose_level} is not a dose level of {sp.id}")
    if "registered" not in TRANSITIONS[subject.state]:
        raise Conflict(f"subject {code}: cannot register from state {subject.state}")
    _check_board(session, code=code, sp_id=sp.id, override=board_override, actor=actor)
    screening = _check_screening(
        session,
        code=code,
        sp_id=sp.id,
        as_of=as_of or on or _now().date(),
        override=review_override,
        actor=actor,
    )
    _check_recruiting(session, site_code=subject.site_code, sp=sp)
    counter = session.scalars(select(Counter).where(Counter.subprotocol == sp.id).with_for_update()).one()
    if counter.used >= counter.capacity:
        raise Conflict(f"sub-protocol {sp.id} is full ({counter.used}/{counter.capacity})")
    from ismart.registry.dose_finding import check_dose_level  # the design decides the level (issue 14)

    check_dose_level(session, sp=sp, dose_level=dose_level, on=on or as_of or _now().date(), proto=protocol())
    counter.used += 1
    counter.last_number += 1
    row = Registration(
        subject_code=code,
        subprotocol=sp.id,
        dose_level=dose_level,
        subject_number=f"{sp.id}-{counter.last_number:03d}",
        created_at=_now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
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
    _move(session, actor=actor, subject=subject, to="registered", reason="registration")
    return row


def start_treatment(session: Session, *, actor: Principal, code: str) -> Subject:
    require(actor, Role.site_investigator, Role.trial_office)
    subject = get_subject(session, actor=actor, code=code, lock=True)
    _move(session, actor=actor, subject=subject, to="on_treatment", reason="treatment started")
    return subject


def withdraw(session: Session, *, actor: Principal, code: str, reason: str) -> Withdrawal:
    require(actor, Role.site_investigator, Role.trial_office)
    subject = get_subject(session, actor=actor, code=code, lock=True)
    if not reason.strip():
        raise Invalid("reason: a reason is required to take a subject off study")
    _move(session, actor=actor, subject=subject, to="off_study", reason=reason)
    subject.off_study_reason = reason
    row = Withdrawal(subject_code=code, reason=reason, created_at=_now())
    session.add(row)
    session.flush()
    return row


def list_registrations(session: Session, *, actor: Principal, code: str) -> list[Registration]:
    get_subject(session, actor=actor, code=code)
    return list(session.scalars(select(Registration).where(Registration.subject_code == code)))
