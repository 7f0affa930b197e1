"""Registry services of the efficacy stage: response assessments (entered by the site, confirmed
by its investigator), off treatment and off study with coded reasons, follow-up and the dates of
the secondary endpoints, the declared RP2D and the efficacy stage derived from all of it.

Every change is audited in the caller's transaction. Responses are classified by the pure core
(``ismart.response``); a client never sets a category.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismart.errors import InputError
from ismart.protocol.model import SubProtocol
from ismart.registry import audit
from ismart.registry.access import Principal, Role, require
from ismart.registry.clock import now as _now
from ismart.registry.context import in_force
from ismart.registry.context import subprotocol as subprotocol_in_force
from ismart.registry.errors import Conflict, Invalid, NotFound
from ismart.registry.models import BoardDecision, Registration, Screening, Subject
from ismart.registry.response_models import ResponseAssessment, Rp2dDeclaration, SubjectOutcome
from ismart.registry.screenings import verdicts_of
from ismart.registry.subjects import get_subject, withdraw
from ismart.response import (
    Assessed,
    Best,
    Category,
    Disease,
    Extramedullary,
    LeukaemiaAssessment,
    LymphomaAssessment,
    MarrowStatus,
    Mrd,
    MrdStatus,
    ResponseResult,
    best_overall,
    classify_leukaemia,
    classify_lymphoma,
    is_responder,
    may_start_cycle,
)
from ismart.response import efficacy as eff
from ismart.response.classify import marrow_status
from ismart.response.efficacy import FLOW_STEPS, EfficacyReport, EnrolmentRow, Flow, Rp2d
from ismart.response.gates import GateDecision

OFF_REASONS = ("progression", "toxicity", "hsct", "consent_withdrawn", "death", "investigator_decision")
FOLLOW_UP = ("in_follow_up", "lost_to_follow_up", "dead", "completed")
EVENT_KINDS = ("relapse", "death", "no_remission", "second_malignancy")
TREATED_STATES = ("on_treatment", "off_study")


def efficacy_designs(session: Session) -> eff.EfficacyFile:
    """The efficacy designs in force (chosen with the protocol data when the registry was opened)."""
    return in_force(session).efficacy


# --- responses -------------------------------------------------------------------------------------


def _registration(session: Session, code: str) -> Registration:
    row = session.scalars(select(Registration).where(Registration.subject_code == code)).first()
    if row is None:
        raise Conflict(f"subject {code} is not registered to a sub-protocol")
    return row


def last_cycle(session: Session, code: str) -> int:
    """The highest cycle the protocol data provides for the subject's sub-protocol."""
    sp = _subprotocol(session, _registration(session, code).subprotocol)
    if sp.treatment is None:
        raise Conflict(f"sub-protocol {sp.id} has no treatment data: no cycles can be recorded")
    return sp.treatment.last_cycle


def _mrd(raw: Any) -> Mrd | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InputError("mrd: expected an object with method, value and sensitivity")
    return Mrd(method=raw.get("method", ""), value=raw.get("value"), sensitivity=raw.get("sensitivity"))


def classify(disease: Disease, components: dict[str, Any]) -> ResponseResult:
    """The category of one assessment; InputError (422) naming a bad component."""
    fields = dict(components)
    fields["mrd"] = _mrd(fields.get("mrd"))
    try:
        if disease is Disease.leukaemia:
            if fields.get("extramedullary") is not None:
                fields["extramedullary"] = Extramedullary(fields["extramedullary"])
            return classify_leukaemia(LeukaemiaAssessment(**fields))
        return classify_lymphoma(LymphomaAssessment(**fields))
    except ValueError as exc:  # an unknown extramedullary value
        raise InputError(f"extramedullary: {exc}") from None
    except TypeError as exc:
        raise InputError(f"components: {exc}") from None


def _outcome(session: Session, code: str) -> SubjectOutcome:
    row = session.get(SubjectOutcome, code)
    if row is None:
        row = SubjectOutcome(subject_code=code, updated_at=_now())
        session.add(row)
    return row


def add_response(
    session: Session,
    *,
    actor: Principal,
    code: str,
    cycle: int,
    assessed_on: date,
    disease: Disease,
    components: dict[str, Any],
    today: date,
) -> ResponseAssessment:
    require(actor, Role.site_staff, Role.site_investigator, Role.trial_office)
    subject = get_subject(session, actor=actor, code=code)
    last = last_cycle(session, code)
    if subject.state not in TREATED_STATES:
        raise Conflict(f"subject {code} is {subject.state}: responses are recorded once treatment started")
    if not 1 <= cycle <= last:
        raise Invalid(f"cycle: {cycle} must be from 1 to {last}")
    if assessed_on > today:
        raise Invalid(f"assessed_on: {assessed_on} is in the future")
    outcome = session.get(SubjectOutcome, code)
    if outcome is not None and outcome.c1d1 is not None and assessed_on < outcome.c1d1:
        raise Invalid(f"assessed_on: {assessed_on} is before C1D1 ({outcome.c1d1})")
    result = classify(disease, components)
    row = ResponseAssessment(
        subject_code=code,
        cycle=cycle,
        assessed_on=assessed_on,
        disease=disease.value,
        components=json.dumps(components, sort_keys=True),
        category=result.category.value,
        marrow_status=result.marrow.value,
        mrd_status=result.mrd.value,
        reasons=json.dumps(list(result.reasons), ensure_ascii=False),
        definitions_version=result.definitions_version,
        entered_by=actor.username,
        created_at=_now(),
    )
    audit.write(
        session,
        row,
        actor=actor.username,
        action="response.add",
        entity="response_assessment",
        after={"subject": code, "cycle": cycle, "category": row.category, "mrd": row.mrd_status},
    )
    return row


def confirm_response(
    session: Session, *, actor: Principal, code: str, response_id: int
) -> ResponseAssessment:
    """The site's investigator confirms an entered assessment; only confirmed ones count."""
    require(actor, Role.site_investigator)
    get_subject(session, actor=actor, code=code)
    row = session.get(ResponseAssessment, response_id)
    if row is None or row.subject_code != code:
        raise NotFound(f"response assessment {response_id} of subject {code} not found")
    if row.confirmed_by is not None:
        raise Conflict(f"response assessment {response_id} was confirmed by {row.confirmed_by}")
    row.confirmed_by, row.confirmed_at = actor.username, _now()
    audit.write(
        session,
        row,
        actor=actor.username,
        action="response.confirm",
        entity="response_assessment",
        before={"confirmed": False},
        after={"confirmed": True, "category": row.category},
    )
    return row


def list_responses(session: Session, *, actor: Principal, code: str) -> list[ResponseAssessment]:
    get_subject(session, actor=actor, code=code)
    query = select(ResponseAssessment).where(ResponseAssessment.subject_code == code)
    return list(session.scalars(query.order_by(ResponseAssessment.cycle, ResponseAssessment.id)))


def _result(row: ResponseAssessment) -> ResponseResult:
    return ResponseResult(
        Category(row.category),
        tuple(json.loads(row.reasons)),
        MarrowStatus(row.marrow_status),
        MrdStatus(row.mrd_status),
        row.definitions_version,
    )


def best(rows: list[ResponseAssessment], *, up_to_cycle: int | None = None) -> Best:
    """Best overall response over the investigator-confirmed assessments."""
    confirmed = [Assessed(r.cycle, _result(r)) for r in rows if r.confirmed_by is not None]
    return best_overall(confirmed, up_to_cycle=up_to_cycle)


def entered_in_morphological_cr(rows: list[ResponseAssessment]) -> bool:
    """Baseline marrow blasts below the M1 bound: the patient entered with high MRD only."""
    for row in rows:
        baseline = json.loads(row.components).get("baseline_marrow_blasts_pct")
        if baseline is not None:
            return bool(marrow_status(baseline).status == MarrowStatus.M1)
    return False


# --- outcomes: off treatment, off study, follow-up ----------------------------------------------


def _check_date(name: str, value: date | None, *, today: date, c1d1: date | None) -> None:
    if value is None:
        return
    if value > today:
        raise Invalid(f"{name}: {value} is in the future")
    if c1d1 is not None and value < c1d1:
        raise Invalid(f"{name}: {value} is before C1D1 ({c1d1})")


def _coded(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise Invalid(f"{name}: {value!r} is not one of {', '.join(allowed)}")


def _snapshot(row: SubjectOutcome) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, date) else v) for k, v in _fields(row).items()}


def _fields(row: SubjectOutcome) -> dict[str, Any]:
    names = (
        "c1d1",
        "off_treatment_on",
        "off_treatment_reason",
        "off_study_on",
        "off_study_reason",
        "follow_up_status",
        "last_contact_on",
        "hsct_on",
        "death_on",
        "first_event_on",
        "first_event_kind",
        "note",
    )
    return {n: getattr(row, n) for n in names}


def update_outcome(
    session: Session, *, actor: Principal, code: str, changes: dict[str, Any], today: date, reason: str | None
) -> SubjectOutcome:
    """Record C1D1, follow-up, HSCT, death and the first EFS event (only the fields given)."""
    require(actor, Role.site_investigator, Role.site_staff, Role.trial_office)
    get_subject(session, actor=actor, code=code)
    _registration(session, code)
    row = _outcome(session, code)
    before = _snapshot(row)
    _coded("follow_up_status", changes.get("follow_up_status"), FOLLOW_UP)
    _coded("first_event_kind", changes.get("first_event_kind"), EVENT_KINDS)
    for key, value in changes.items():
        setattr(row, key, value)
    c1d1 = row.c1d1
    _check_date("c1d1", c1d1, today=today, c1d1=None)
    for name in (
        "last_contact_on",
        "hsct_on",
        "death_on",
        "first_event_on",
        "off_treatment_on",
        "off_study_on",
    ):
        _check_date(name, getattr(row, name), today=today, c1d1=c1d1)
    if row.death_on is not None and row.follow_up_status not in (None, "dead"):
        raise Invalid(f"follow_up_status: {row.follow_up_status} contradicts death_on {row.death_on}")
    row.updated_at = _now()
    audit.write(
        session,
        row,
        actor=actor.username,
        action="outcome.update",
        entity="subject_outcome",
        entity_id=code,
        before=before,
        after=_snapshot(row),
        reason=reason,
    )
    return row


def off_treatment(
    session: Session, *, actor: Principal, code: str, on: date, reason: str, note: str | None, today: date
) -> SubjectOutcome:
    require(actor, Role.site_investigator, Role.trial_office)
    subject = get_subject(session, actor=actor, code=code)
    _coded("reason", reason, OFF_REASONS)
    if subject.state != "on_treatment":
        raise Conflict(f"subject {code} is {subject.state}, not on treatment")
    row = _outcome(session, code)
    if row.off_treatment_on is not None:
        raise Conflict(f"subject {code} went off treatment on {row.off_treatment_on}")
    changes: dict[str, Any] = {"off_treatment_on": on, "off_treatment_reason": reason}
    if note:
        changes["note"] = note
    return update_outcome(session, actor=actor, code=code, changes=changes, today=today, reason=reason)


def off_study(
    session: Session, *, actor: Principal, code: str, on: date, reason: str, note: str | None, today: date
) -> SubjectOutcome:
    """Off study with a coded reason: the subject's state becomes off_study (a withdrawal)."""
    require(actor, Role.site_investigator, Role.trial_office)
    _coded("reason", reason, OFF_REASONS)
    subject = get_subject(session, actor=actor, code=code)
    row = _outcome(session, code)
    changes: dict[str, Any] = {"off_study_on": on, "off_study_reason": reason}
    if subject.state == "on_treatment" and row.off_treatment_on is None:
        changes |= {"off_treatment_on": on, "off_treatment_reason": reason}
    if reason == "death":
        changes |= {"follow_up_status": "dead", "death_on": row.death_on or on}
    updated = update_outcome(session, actor=actor, code=code, changes=changes, today=today, reason=reason)
    withdraw(session, actor=actor, code=code, reason=f"{reason}: {note}" if note else reason)
    return updated


def get_outcome(session: Session, *, actor: Principal, code: str) -> SubjectOutcome | None:
    get_subject(session, actor=actor, code=code)
    return session.get(SubjectOutcome, code)


@dataclass(frozen=True)
class Survival:
    """Days from C1D1 for the secondary endpoints; event False means censored at that day."""

    os_days: int | None
    os_event: bool
    efs_days: int | None
    efs_event: bool


def survival(row: SubjectOutcome | None) -> Survival:
    if row is None or row.c1d1 is None:
        return Survival(None, False, None, False)
    last = row.death_on or row.last_contact_on or row.off_study_on
    os_days = (last - row.c1d1).days if last else None
    event_on = row.first_event_on or row.death_on
    efs_days = (event_on - row.c1d1).days if event_on else os_days
    return Survival(os_days, row.death_on is not None, efs_days, event_on is not None)


# --- the efficacy stage ------------------------------------------------------------------------------


def declare_rp2d(
    session: Session, *, actor: Principal, subprotocol: str, dose_level: int, declared_on: date, today: date
) -> Rp2dDeclaration:
    require(actor, Role.trial_office)
    sp = _subprotocol(session, subprotocol)
    if sp.treatment and sp.treatment.dose_levels and dose_level not in sp.treatment.dose_levels:
        raise Invalid(f"dose_level: {dose_level} is not a dose level of {sp.id}")
    if declared_on > today:
        raise Invalid(f"declared_on: {declared_on} is in the future")
    row = session.get(Rp2dDeclaration, sp.id)
    before = None if row is None else {"dose_level": row.dose_level, "declared_on": str(row.declared_on)}
    if row is None:
        row = Rp2dDeclaration(
            subprotocol=sp.id,
            dose_level=dose_level,
            declared_on=declared_on,
            declared_by=actor.username,
            created_at=_now(),
        )
        session.add(row)
    else:
        row.dose_level, row.declared_on, row.declared_by = dose_level, declared_on, actor.username
    audit.write(
        session,
        row,
        actor=actor.username,
        action="rp2d.declare",
        entity="subprotocol",
        entity_id=sp.id,
        before=before,
        after={"dose_level": dose_level, "declared_on": str(declared_on)},
    )
    return row


def _subprotocol(session: Session, sp_id: str) -> SubProtocol:
    return subprotocol_in_force(session, sp_id)


def _patient_outcome(
    session: Session, subject: Subject, non_responder_reasons: tuple[str, ...]
) -> eff.Outcome | None:
    outcome = session.get(SubjectOutcome, subject.code)
    treated = subject.state == "on_treatment" or (outcome is not None and outcome.c1d1 is not None)
    if not treated:
        return None
    rows = list(
        session.scalars(select(ResponseAssessment).where(ResponseAssessment.subject_code == subject.code))
    )
    top = best(rows, up_to_cycle=1)
    disease = Disease(rows[0].disease) if rows else Disease.leukaemia
    flag = is_responder(top, disease=disease, entered_in_morphological_cr=entered_in_morphological_cr(rows))
    if flag is not None:
        return eff.Outcome(subject.code, flag, True, f"best response after cycle 1: {top.reason}")
    off = outcome.off_treatment_reason if outcome is not None else None
    if off in non_responder_reasons:
        return eff.Outcome(
            subject.code, False, True, f"off treatment before assessment ({off}): non-responder"
        )
    if off is not None:
        return eff.Outcome(
            subject.code, None, False, f"off treatment before assessment ({off}): not evaluable"
        )
    return eff.Outcome(subject.code, None, True, f"awaiting a confirmed cycle-1 assessment ({top.reason})")


def efficacy(session: Session, *, actor: Principal, subprotocol: str) -> EfficacyReport:
    require(actor, Role.trial_office, Role.monitor)
    sp = _subprotocol(session, subprotocol)
    data = efficacy_designs(session)
    design_data = data.designs.get(sp.id)
    rp2d = session.get(Rp2dDeclaration, sp.id)
    outcomes: list[eff.Outcome] = []
    if rp2d is not None:
        query = (
            select(Registration, Subject)
            .join(Subject, Subject.code == Registration.subject_code)
            .where(Registration.subprotocol == sp.id, Registration.dose_level == rp2d.dose_level)
            .order_by(Registration.id)
        )
        reasons = data.evaluability.non_responder_if_off_before_assessment
        for _reg, subject in session.execute(query):
            found = _patient_outcome(session, subject, reasons)
            if found is not None:
                outcomes.append(found)
    design = eff.resolve(design_data)
    p0 = design_data.p0 if design_data else None
    p1 = design_data.p1 if design_data else None
    result = eff.state(design, outcomes, p0=p0, p1=p1, rp2d_declared=rp2d is not None)
    declared = None if rp2d is None else Rp2d(sp.id, rp2d.dose_level, rp2d.declared_on, rp2d.declared_by)
    return EfficacyReport(sp.id, declared, design_data, result)


# --- reports: the trial's flow and its enrolment ------------------------------------------------


def flow(session: Session, *, actor: Principal, subprotocol: str) -> Flow:
    """Screened -> eligible -> referred -> registered -> treated -> evaluable -> responded.

    Screened counts every screened subject (a screening judges all sub-protocols at once);
    evaluable and responded follow the efficacy stage's rule after cycle 1, at any dose level.
    """
    require(actor, Role.trial_office, Role.monitor)
    sp = _subprotocol(session, subprotocol)
    screened: set[str] = set()
    eligible: set[str] = set()
    for code, verdicts in session.execute(select(Screening.subject_code, Screening.verdicts)):
        screened.add(code)
        if verdicts_of(verdicts).get(sp.id) == "ELIGIBLE":
            eligible.add(code)
    referred = set(
        session.scalars(select(BoardDecision.subject_code).where(BoardDecision.subprotocol == sp.id))
    )
    query = (
        select(Registration, Subject)
        .join(Subject, Subject.code == Registration.subject_code)
        .where(Registration.subprotocol == sp.id)
    )
    reasons = efficacy_designs(session).evaluability.non_responder_if_off_before_assessment
    registered = treated = evaluable = responded = 0
    for _reg, subject in session.execute(query):
        registered += 1
        found = _patient_outcome(session, subject, reasons)
        if found is None:
            continue
        treated += 1
        if found.evaluable and found.responder is not None:
            evaluable += 1
            responded += int(found.responder)
    counts = dict(
        zip(
            FLOW_STEPS,
            (len(screened), len(eligible), len(referred), registered, treated, evaluable, responded),
            strict=True,
        )
    )
    return Flow(sp.id, counts)


def enrolment(session: Session, *, actor: Principal, subprotocol: str) -> list[EnrolmentRow]:
    """Registrations to the sub-protocol by site and calendar month."""
    require(actor, Role.trial_office, Role.monitor)
    sp = _subprotocol(session, subprotocol)
    query = (
        select(Subject.site_code, Registration.created_at)
        .join(Subject, Subject.code == Registration.subject_code)
        .where(Registration.subprotocol == sp.id)
    )
    tally: dict[tuple[str, str], int] = {}
    for site, created in session.execute(query):
        key = (site, f"{created:%Y-%m}")
        tally[key] = tally.get(key, 0) + 1
    return [EnrolmentRow(site, month, n) for (site, month), n in sorted(tally.items())]


def cycle_gate(
    session: Session, *, actor: Principal, code: str, cycle: int, sponsor_approved: bool | None
) -> GateDecision:
    """May ``cycle`` start? Judged on the latest confirmed assessment of the cycle before it."""
    rows = list_responses(session, actor=actor, code=code)
    last = last_cycle(session, code)
    if not 1 <= cycle <= last + 1:
        raise Invalid(f"cycle: {cycle} must be from 1 to {last + 1}")
    before = [r for r in rows if r.cycle == cycle - 1 and r.confirmed_by is not None]
    previous = Category(before[-1].category) if before else None
    return may_start_cycle(cycle, previous=previous, last_cycle=last, sponsor_approved=sponsor_approved)
