"""Registry services of trial conduct: dose levels at registration, cycles, adverse events, DLT and
safety-committee decisions, the waiting list. Every write is audited in the caller's transaction.

The dose-finding state is never stored: it is derived on each request from the registrations,
cycles, adverse events and decisions (``dose_finding``), and the design engine decides. Role rules:
site staff enter their own site's data (another site's subject answers 404); the site investigator
confirms attributions and decides DLTs; the ``safety_committee`` decides dose levels; the trial
office sees everything; monitors read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismart.conduct.ctcae_terms import validate_ae_term
from ismart.conduct.dlt import (
    DltEvaluation,
    evaluate,
)
from ismart.conduct.reports import DltRecord, EscalationPoint, EventRecord, safety_rows
from ismart.conduct.sae import Clock, Seriousness, sae_report_clock, susar_clock
from ismart.conduct.sponsor import age_years, intrathecal_dose
from ismart.errors import InputError
from ismart.protocol.model import SubProtocol
from ismart.registry import audit, registrations
from ismart.registry.access import SITE_ROLES, SYSTEM, Principal, Role, require
from ismart.registry.clock import now as _now
from ismart.registry.conduct_models import (
    AdverseEventRow,
    CommitteeDecision,
    Cycle,
    CycleDose,
    DltDecision,
    DoseAssignment,
    WaitingEntry,
)
from ismart.registry.context import in_force
from ismart.registry.context import subprotocol as subprotocol_in_force
from ismart.registry.dose_finding import (
    RELATED,
    DoseFinding,
    course_of,
    design_for,
    dose_finding,
    snapshot,
    sponsor,
    strongest,
    suspended,
)
from ismart.registry.errors import Conflict, Invalid, NotFound
from ismart.registry.fields import Name, PlausibleDate, PlausibleDateTime
from ismart.registry.models import DossierVersion, Registration, Subject
from ismart.registry.subjects import get_subject, list_subjects, start_treatment
from ismart.treatment.adverse_events import Attribution
from ismart.treatment.calendar import Body, DoseTable, build_calendar
from ismart.treatment.ctcae import grade_lab, is_lab_term

ENTRY_ROLES = (Role.site_staff, Role.site_investigator, Role.trial_office)
READ_ROLES = (*ENTRY_ROLES, Role.monitor, Role.safety_committee)


def _utc(moment: datetime | None) -> datetime | None:
    """Stored times are naive UTC; a client's time with an offset is converted, not compared raw."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _subprotocol(session: Session, sp_id: str) -> SubProtocol:
    return subprotocol_in_force(session, sp_id, message=f"sub-protocol {sp_id!r} not found")


def register(session: Session, *, actor: Principal, code: str, subprotocol: str, on: date) -> DoseAssignment:
    """Register at the level the design gives (ENROL) or be refused (SUSPEND, 409 with why)."""
    sp = _subprotocol(session, subprotocol)
    state = dose_finding(session, sp, on)
    if state.answer is not None and state.answer.action == "SUSPEND":
        raise suspended(state)
    level = state.answer.dose_level if state.answer else None
    # registrations.register re-checks the level under the capacity lock (the race loser's SUSPEND).
    reg = registrations.register(
        session, actor=actor, code=code, subprotocol=sp.id, dose_level=0 if level is None else level, on=on
    )
    row = DoseAssignment(
        subject_code=code,
        subprotocol=sp.id,
        dose_level=level,
        status="to_be_assigned" if level is None else "assigned",
        assigned_on=on,
        reason=state.reason,
        created_at=_now(),
    )
    _leave_waiting_list(session, actor=actor, code=code, subprotocol=sp.id, status="registered")
    audit.write(
        session,
        row,
        actor=actor.username,
        action="dose_level.assign",
        entity="registration",
        entity_id=reg.subject_number,
        after={"subject": code, "dose_level": level, "status": row.status},
        reason=state.reason,
    )
    return row


def assign_level(
    session: Session, *, actor: Principal, code: str, dose_level: int, note: str, on: date
) -> DoseAssignment:
    """The safety committee assigns the level of a patient registered without public levels."""
    require(actor, Role.safety_committee)
    if not note.strip():
        raise Invalid("note: the committee's decision needs a note")
    row = session.get(DoseAssignment, code)
    if row is None:
        raise NotFound(f"subject {code} has no registration awaiting a dose level")
    if design_for(_subprotocol(session, row.subprotocol), in_force(session)) is not None:
        raise Conflict(f"{row.subprotocol} has dose levels: the design assigns them")
    before = {"dose_level": row.dose_level, "status": row.status}
    row.dose_level, row.status, row.reason = dose_level, "assigned", note
    session.add(
        CommitteeDecision(
            subprotocol=row.subprotocol,
            kind="assign",
            from_level=before["dose_level"],
            to_level=dose_level,
            subject_code=code,
            accepted=True,
            note=note,
            proposal="level to be assigned by the safety committee",
            snapshot="[]",
            decided_by=actor.username,
            decided_on=on,
            created_at=_now(),
        )
    )
    audit.write(
        session,
        row,
        actor=actor.username,
        action="dose_level.committee_assign",
        entity="subject",
        entity_id=code,
        before=before,
        after={"dose_level": dose_level, "status": "assigned"},
        reason=note,
    )
    return row


def decide(
    session: Session,
    *,
    actor: Principal,
    subprotocol: str,
    kind: str,
    to_level: int | None,
    accept: bool,
    note: str,
    on: date,
) -> CommitteeDecision:
    """The committee accepts or declines the design's current proposal (stale forms are refused)."""
    require(actor, Role.safety_committee)
    if not note.strip():
        raise Invalid("note: the committee's decision needs a note")
    sp = _subprotocol(session, subprotocol)
    state = dose_finding(session, sp, on)
    if state.answer is None or not state.answer.needs_committee or state.mtd is not None:
        raise Conflict(f"no proposal awaits the safety committee for {sp.id}: {state.reason}")
    proposed = state.answer.decision
    target = proposed.mtd if proposed.decision == "mtd" else proposed.dose_level
    if (kind, to_level) != (proposed.decision, target):
        raise Conflict(f"the design now proposes {proposed.decision} to level {target}: {proposed.reason}")
    row = CommitteeDecision(
        subprotocol=sp.id,
        kind=kind,
        from_level=state.current_level,
        to_level=target,
        subject_code=None,
        accepted=accept,
        note=note,
        proposal=proposed.reason,
        snapshot=snapshot(state.answer),
        decided_by=actor.username,
        decided_on=on,
        created_at=_now(),
    )
    audit.write(
        session,
        row,
        actor=actor.username,
        action="dose_finding.decide",
        entity="subprotocol",
        entity_id=sp.id,
        before={"level": state.current_level},
        after={"kind": kind, "to_level": target, "accepted": accept},
        reason=note,
    )
    return row


# --- waiting list -----------------------------------------------------------------------------------


def add_to_waiting_list(
    session: Session, *, actor: Principal, code: str, subprotocol: str, reason: str
) -> WaitingEntry:
    require(actor, *ENTRY_ROLES)
    get_subject(session, actor=actor, code=code)
    sp = _subprotocol(session, subprotocol)
    waiting = session.scalar(
        select(WaitingEntry).where(
            WaitingEntry.subject_code == code,
            WaitingEntry.subprotocol == sp.id,
            WaitingEntry.status == "waiting",
        )
    )
    if waiting is not None:
        raise Conflict(f"subject {code} is already number {waiting.position} on the {sp.id} waiting list")
    last = session.scalar(select(func.max(WaitingEntry.position)).where(WaitingEntry.subprotocol == sp.id))
    row = WaitingEntry(
        subprotocol=sp.id,
        subject_code=code,
        position=(last or 0) + 1,
        status="waiting",
        reason=reason,
        added_by=actor.username,
        created_at=_now(),
    )
    audit.write(
        session,
        row,
        actor=actor.username,
        action="waiting_list.add",
        entity="waiting_list",
        entity_id=f"{sp.id}:{row.position}",
        after={"subject": code, "position": row.position},
        reason=reason,
    )
    return row


def _leave_waiting_list(
    session: Session, *, actor: Principal, code: str, subprotocol: str, status: str
) -> None:
    for row in session.scalars(
        select(WaitingEntry).where(
            WaitingEntry.subject_code == code,
            WaitingEntry.subprotocol == subprotocol,
            WaitingEntry.status == "waiting",
        )
    ):
        row.status = status
        audit.write(
            session,
            row,
            actor=actor.username,
            action=f"waiting_list.{status}",
            entity="waiting_list",
            entity_id=f"{subprotocol}:{row.position}",
            before={"status": "waiting"},
            after={"status": status},
        )


def waiting_list(session: Session, *, actor: Principal, subprotocol: str) -> list[WaitingEntry]:
    require(actor, *READ_ROLES)
    sp = _subprotocol(session, subprotocol)
    rows = session.scalars(
        select(WaitingEntry)
        .where(WaitingEntry.subprotocol == sp.id, WaitingEntry.status == "waiting")
        .order_by(WaitingEntry.position)
    )
    visible = list_subjects(session, actor=actor) if actor.role in SITE_ROLES else None
    allowed = None if visible is None else {s.code for s in visible}
    return [r for r in rows if allowed is None or r.subject_code in allowed]


# --- cycles -----------------------------------------------------------------------------------------


class DoseGiven(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drug: str = Field(min_length=1, max_length=64)
    given_administrations: int = Field(ge=0, le=366)
    planned_administrations: int | None = Field(default=None, ge=0, le=366)
    given_mg: float | None = Field(default=None, ge=0, le=100000)
    reduction_percent: float | None = Field(default=None, ge=0, le=100)
    delay_days: int = Field(default=0, ge=0, le=365)
    interruption_days: int = Field(default=0, ge=0, le=365)
    note: str | None = Field(default=None, max_length=2000)


class IntrathecalGiven(BaseModel):
    """An intrathecal drug of the cycle: the mg per administration is planned from the sponsor's
    age table (never a default); the number of administrations is the site's (days not public)."""

    model_config = ConfigDict(extra="forbid")

    drug: str = Field(min_length=1, max_length=48)
    planned_administrations: int = Field(ge=0, le=31)
    given_administrations: int = Field(ge=0, le=31)
    given_mg: float | None = Field(default=None, ge=0, le=100)
    note: str | None = Field(default=None, max_length=2000)


class CycleInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: int = Field(ge=1, le=10)
    start_date: PlausibleDate
    height_cm: float | None = Field(default=None, gt=0, le=250)
    weight_kg: float | None = Field(default=None, gt=0, le=250)
    recovery_day: int | None = Field(default=None, ge=1, le=100)
    gate_reason: str | None = Field(default=None, max_length=2000)
    sponsor_approval: str | None = Field(default=None, max_length=2000)
    doses: list[DoseGiven] = Field(default_factory=list, max_length=20)
    intrathecal: list[IntrathecalGiven] = Field(default_factory=list, max_length=6)


def _registration(session: Session, code: str) -> Registration:
    reg = session.scalar(select(Registration).where(Registration.subject_code == code))
    if reg is None:
        raise Conflict(f"subject {code} is not registered")
    return reg


def _level(session: Session, reg: Registration) -> int | None:
    assignment = session.get(DoseAssignment, reg.subject_code)
    return reg.dose_level if assignment is None else assignment.dose_level


def _gate(sp: SubProtocol, body: CycleInput) -> list[str]:
    """The registry's cycle gates: cycle 2 after at least a PR; a third cycle in CR with approval."""
    assert sp.treatment is not None
    limit = sp.treatment.last_cycle
    if body.number > limit:
        raise Invalid(f"number: {sp.id} allows at most {limit} cycles (the last with the sponsor's approval)")
    notes = []
    if body.number >= 2:
        if not (body.gate_reason or "").strip():
            raise Invalid(
                f"gate_reason: cycle {body.number} needs the recorded response that opens it "
                "(cycle 2: at least a partial response; a third cycle: complete remission)"
            )
        notes.append(f"gate: {body.gate_reason}")
    if body.number > sp.treatment.max_cycles:
        if not (body.sponsor_approval or "").strip():
            raise Invalid(f"sponsor_approval: cycle {body.number} needs the sponsor's approval")
        notes.append(f"sponsor approval: {body.sponsor_approval}")
    return notes


def _plan(
    sp: SubProtocol, level: int | None, body: CycleInput, doses: DoseTable | None
) -> tuple[dict[str, tuple[int, float | None]], float | None]:
    """Planned administrations and mg per administration per drug, from the calendar; {} if not public."""
    bodyv = Body(body.height_cm, body.weight_kg)
    try:
        cal = build_calendar(
            sp,
            dose_level=level,
            start=body.start_date,
            cycles=body.number,
            body=bodyv,
            supplied_doses=doses,
        )
    except InputError:
        return {}, bodyv.bsa_m2
    plan: dict[str, tuple[int, float | None]] = {}
    for row in cal.rows:
        if row.cycle != body.number:
            continue
        count, mg = plan.get(row.drug, (0, None))
        plan[row.drug] = (count + 1, mg if mg is not None else row.dose)
    return plan, bodyv.bsa_m2


def add_cycle(session: Session, *, actor: Principal, code: str, body: CycleInput) -> Cycle:
    require(actor, *ENTRY_ROLES)
    get_subject(session, actor=actor, code=code)
    reg = _registration(session, code)
    sp = _subprotocol(session, reg.subprotocol)
    if sp.treatment is None:
        raise Invalid(f"{sp.id} has no treatment data")
    previous = session.scalars(
        select(Cycle).where(Cycle.subject_code == code).order_by(Cycle.number.desc())
    ).first()
    expected = 1 if previous is None else previous.number + 1
    if body.number != expected:
        raise Conflict(f"number: the next cycle of {code} is cycle {expected}, not {body.number}")
    notes = _gate(sp, body)
    level = _level(session, reg)
    plan, bsa = _plan(sp, level, body, sponsor(session).doses)
    deviations = list(notes)
    assignment = session.get(DoseAssignment, code)
    if assignment is not None and body.start_date < assignment.assigned_on:  # flagged, for the monitor
        deviations.append(
            f"deviation: cycle {body.number} started {body.start_date}, before the dose-level "
            f"assignment at registration to {sp.id} on {assignment.assigned_on}"
        )
    planned_start = None
    if previous is not None:
        planned_start = previous.start_date + timedelta(days=sp.treatment.cycle_days)
        shift = (body.start_date - planned_start).days
        if shift > 0:
            deviations.append(
                f"deviation: cycle {body.number} started {shift} day(s) late (calendar: {planned_start})"
            )
        elif shift < 0:
            deviations.append(
                f"deviation: cycle {body.number} started {-shift} day(s) early (calendar: {planned_start})"
            )
    given = {d.drug.casefold(): d for d in body.doses}
    if len(given) != len(body.doses):
        raise Invalid("doses: a drug is listed twice")
    known = {d.casefold() for d in (list(plan) or sp.drugs)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise Invalid(f"doses: {unknown[0]!r} is not a drug of this cycle of {sp.id}")
    cycle = Cycle(
        subject_code=code,
        number=body.number,
        start_date=body.start_date,
        planned_start=planned_start,
        dose_level=level,
        height_cm=body.height_cm,
        weight_kg=body.weight_kg,
        bsa_m2=None if bsa is None else round(bsa, 3),
        gate_reason=body.gate_reason,
        sponsor_approval=body.sponsor_approval,
        recovery_day=body.recovery_day,
        deviations="[]",
        created_by=actor.username,
        created_at=_now(),
    )
    session.add(cycle)
    session.flush()
    drugs = list(plan) if plan else [d.drug for d in body.doses]
    for drug in drugs:
        entry = given.get(drug.casefold())
        planned_count, planned_mg = plan.get(drug, (0, None))
        if entry is None:
            raise Invalid(f"doses: {drug}: the administrations given are not recorded")
        if not plan:
            if entry.planned_administrations is None:
                raise Invalid(
                    f"doses: {drug}: planned_administrations needed ({sp.id}'s schedule is not public)"
                )
            planned_count = entry.planned_administrations
        if entry.given_administrations > planned_count:
            raise Invalid(f"doses: {drug}: {entry.given_administrations} given but {planned_count} planned")
        deviations += _dose_deviations(drug, entry, planned_count)
        session.add(
            CycleDose(
                cycle_id=cycle.id,
                drug=drug,
                planned_mg=planned_mg,
                planned_administrations=planned_count,
                given_administrations=entry.given_administrations,
                given_mg=entry.given_mg,
                reduction_percent=entry.reduction_percent,
                delay_days=entry.delay_days,
                interruption_days=entry.interruption_days,
                note=entry.note,
            )
        )
    deviations += _intrathecal(session, sp, cycle, body)
    cycle.deviations = json.dumps(deviations)
    audit.write(
        session,
        cycle,
        actor=actor.username,
        action="cycle.add",
        entity="cycle",
        entity_id=f"{code}:{body.number}",
        after=body.model_dump(mode="json"),
    )
    if body.number == 1:
        subject = session.get(Subject, code)
        if subject is not None and subject.state == "registered":
            start_treatment(session, actor=actor if actor.role != Role.site_staff else SYSTEM, code=code)
    return cycle


IT_PREFIX = "intrathecal "


def _birth_date(session: Session, code: str) -> date | None:
    latest = session.scalars(
        select(DossierVersion)
        .where(DossierVersion.subject_code == code)
        .order_by(DossierVersion.version.desc())
    ).first()
    if latest is None:
        return None
    text = (json.loads(latest.data).get("patient") or {}).get("birth_date")
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _intrathecal(session: Session, sp: SubProtocol, cycle: Cycle, body: CycleInput) -> list[str]:
    """Store the cycle's intrathecal doses; mg planned from the sponsor's table by age, else none."""
    if not body.intrathecal:
        return []
    allowed = {d.casefold(): d for d in sp.intrathecal}
    seen: set[str] = set()
    table = sponsor(session).intrathecal
    birth = _birth_date(session, cycle.subject_code)
    notes: list[str] = []
    for entry in body.intrathecal:
        drug = allowed.get(entry.drug.casefold())
        if drug is None:
            listed = ", ".join(sp.intrathecal)
            raise Invalid(f"intrathecal: {entry.drug!r} is not an intrathecal drug of {sp.id} ({listed})")
        if drug in seen:
            raise Invalid(f"intrathecal: {drug} is listed twice")
        seen.add(drug)
        if entry.given_administrations > entry.planned_administrations:
            raise Invalid(
                f"intrathecal: {drug}: {entry.given_administrations} given but "
                f"{entry.planned_administrations} planned"
            )
        planned_mg: float | None = None
        if table is None:
            basis = "dose to be set: the sponsor's intrathecal table by age is not in force"
        elif birth is None:
            raise Invalid(
                "intrathecal: the latest dossier has no patient.birth_date; the age-based dose needs it"
            )
        else:
            try:
                planned_mg, basis = intrathecal_dose(table, drug, age_years(birth, body.start_date))
            except InputError as exc:
                raise Invalid(str(exc)) from None
        if planned_mg is not None and entry.given_mg is not None and abs(entry.given_mg - planned_mg) > 1e-6:
            notes.append(
                f"deviation: intrathecal {drug} {entry.given_mg:g} mg given, {planned_mg:g} mg by age"
            )
        if entry.given_administrations < entry.planned_administrations:
            notes.append(
                f"deviation: intrathecal {drug}: {entry.given_administrations} of "
                f"{entry.planned_administrations} administrations given"
            )
        session.add(
            CycleDose(
                cycle_id=cycle.id,
                drug=IT_PREFIX + drug,
                route="intrathecal",
                plan_basis=basis,
                planned_mg=planned_mg,
                planned_administrations=entry.planned_administrations,
                given_administrations=entry.given_administrations,
                given_mg=entry.given_mg,
                reduction_percent=None,
                delay_days=0,
                interruption_days=0,
                note=entry.note,
            )
        )
    return notes


def _dose_deviations(drug: str, entry: DoseGiven, planned: int) -> list[str]:
    out = []
    if entry.given_administrations < planned:
        out.append(f"deviation: {drug}: {entry.given_administrations} of {planned} administrations given")
    if entry.reduction_percent:
        out.append(f"deviation: {drug} reduced by {entry.reduction_percent:g}%")
    if entry.delay_days:
        out.append(f"deviation: {drug} delayed {entry.delay_days} day(s)")
    if entry.interruption_days:
        out.append(f"deviation: {drug} interrupted {entry.interruption_days} day(s)")
    return out


def list_cycles(session: Session, *, actor: Principal, code: str) -> list[tuple[Cycle, list[CycleDose]]]:
    require(actor, *READ_ROLES)
    get_subject(session, actor=actor, code=code)
    cycles = session.scalars(select(Cycle).where(Cycle.subject_code == code).order_by(Cycle.number))
    return [
        (c, list(session.scalars(select(CycleDose).where(CycleDose.cycle_id == c.id).order_by(CycleDose.id))))
        for c in cycles
    ]


# --- adverse events ---------------------------------------------------------------------------------


class LabValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: float = Field(ge=0, le=1e7)
    unit: str = Field(min_length=1, max_length=32)
    uln: float | None = Field(default=None, gt=0, le=1e7)
    lln: float | None = Field(default=None, gt=0, le=1e7)
    baseline: float | None = Field(default=None, gt=0, le=1e7)
    baseline_abnormal: bool = False


class AdverseEventInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: str = Field(min_length=1, max_length=200)
    grade: int | None = Field(default=None, ge=1, le=5)
    lab: LabValue | None = None
    onset: PlausibleDate
    resolution: PlausibleDate | None = None
    cycle: int = Field(ge=1, le=10)
    attribution: dict[Name, Attribution] = Field(max_length=20)
    serious: bool = False
    seriousness: list[Seriousness] = Field(default_factory=list, max_length=6)
    aware_at: PlausibleDateTime | None = None


class SaeReporting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reported_at: PlausibleDateTime | None = None
    unexpected: bool | None = None
    sponsor_aware_on: PlausibleDate | None = None
    expedited_on: PlausibleDate | None = None


def _grade(body: AdverseEventInput) -> tuple[int, str]:
    if body.lab is None:
        if body.grade is None:
            raise Invalid("grade: give the CTCAE grade, or the laboratory value to grade it from")
        return body.grade, "investigator"
    if not is_lab_term(body.term):
        raise Invalid(f"lab: {body.term!r} is not a laboratory term; give the grade")
    lab = body.lab
    result = grade_lab(
        body.term,
        lab.value,
        lab.unit,
        uln=lab.uln,
        lln=lab.lln,
        baseline=lab.baseline,
        baseline_abnormal=lab.baseline_abnormal,
    )
    if result.grade is None:
        if body.grade is None or body.grade not in result.clinical_grades:
            options = ", ".join(str(g) for g in result.clinical_grades)
            raise Invalid(
                f"grade: {lab.value:g} {lab.unit} needs the clinician's grade ({options}): {result.criterion}"
            )
        return body.grade, f"investigator (laboratory value allows {result.criterion})"
    if result.grade == 0:
        raise Invalid(f"lab: {lab.value:g} {lab.unit} is grade 0 by CTCAE v5.0: not an adverse event")
    if body.grade is not None and body.grade != result.grade and body.grade not in result.clinical_grades:
        raise Invalid(
            f"grade: the laboratory value grades {result.grade} ({result.criterion}), not {body.grade}"
        )
    grade = body.grade if body.grade is not None else result.grade
    return grade, f"laboratory value {lab.value:g} {lab.unit}: {result.criterion}"


def add_adverse_event(
    session: Session, *, actor: Principal, code: str, body: AdverseEventInput, today: date
) -> AdverseEventRow:
    require(actor, *ENTRY_ROLES)
    get_subject(session, actor=actor, code=code)
    sp = _subprotocol(session, _registration(session, code).subprotocol)
    try:
        grade, source = _grade(body)
        valid = validate_ae_term(body.term, grade, sponsor(session).terms)
    except InputError as exc:
        raise Invalid(str(exc)) from None
    if body.onset > today:
        raise Invalid(f"onset: {body.onset} is in the future")
    if body.resolution is not None and body.resolution < body.onset:
        raise Invalid(f"resolution: {body.resolution} is before onset {body.onset}")
    missing = [d for d in sp.drugs if d not in body.attribution]
    extra = [d for d in body.attribution if d not in sp.drugs]
    if extra:
        raise Invalid(f"attribution: {extra[0]!r} is not a drug of {sp.id} ({', '.join(sp.drugs)})")
    if missing:
        raise Invalid(f"attribution: missing for {missing[0]}")
    serious = body.serious or grade == 5 or bool(body.seriousness)
    seriousness = list(body.seriousness) or (["death"] if grade == 5 else [])
    if serious and not seriousness:
        raise Invalid("seriousness: a serious event needs its criterion (death, life_threatening, ...)")
    if serious and body.aware_at is None:
        raise Invalid("aware_at: a serious event needs the time the site became aware of it (24 h clock)")
    row = AdverseEventRow(
        subject_code=code,
        term=valid.term,
        soc=valid.soc,
        grade=grade,
        grade_source=source,
        onset=body.onset,
        resolution=body.resolution,
        cycle=body.cycle,
        attribution=json.dumps(body.attribution, sort_keys=True),
        attribution_confirmed_by=actor.username if actor.role == Role.site_investigator else None,
        serious=serious,
        seriousness=json.dumps(seriousness),
        aware_at=_utc(body.aware_at),
        reported_at=None,
        unexpected=None,
        sponsor_aware_on=None,
        expedited_on=None,
        created_by=actor.username,
        created_at=_now(),
    )
    audit.write(
        session,
        row,
        actor=actor.username,
        action="adverse_event.add",
        entity="adverse_event",
        after={**body.model_dump(mode="json"), "grade": grade, "term": valid.term},
    )
    return row


def _own_event(session: Session, actor: Principal, code: str, event_id: int) -> AdverseEventRow:
    get_subject(session, actor=actor, code=code)
    row = session.get(AdverseEventRow, event_id)
    if row is None or row.subject_code != code:
        raise NotFound(f"adverse event {event_id} of {code} not found")
    return row


def confirm_attribution(
    session: Session,
    *,
    actor: Principal,
    code: str,
    event_id: int,
    attribution: dict[str, Attribution] | None,
) -> AdverseEventRow:
    """The investigator confirms (or corrects) the attribution per drug."""
    require(actor, Role.site_investigator)
    row = _own_event(session, actor, code, event_id)
    before = json.loads(row.attribution)
    if attribution is not None:
        if set(attribution) != set(before):
            raise Invalid(f"attribution: give every drug ({', '.join(sorted(before))})")
        row.attribution = json.dumps(attribution, sort_keys=True)
    row.attribution_confirmed_by = actor.username
    audit.write(
        session,
        row,
        actor=actor.username,
        action="adverse_event.confirm_attribution",
        entity="adverse_event",
        entity_id=str(row.id),
        before=before,
        after=json.loads(row.attribution),
    )
    return row


def record_reporting(
    session: Session, *, actor: Principal, code: str, event_id: int, body: SaeReporting
) -> AdverseEventRow:
    require(actor, *ENTRY_ROLES)
    row = _own_event(session, actor, code, event_id)
    if not row.serious:
        raise Conflict(f"adverse event {event_id} is not serious")
    before = {k: getattr(row, k) for k in body.model_fields_set}
    for key in body.model_fields_set:
        value = getattr(body, key)
        setattr(row, key, _utc(value) if isinstance(value, datetime) else value)
    if row.reported_at is not None and row.aware_at is not None and row.reported_at < row.aware_at:
        raise Invalid("reported_at: the report cannot precede awareness")
    audit.write(
        session,
        row,
        actor=actor.username,
        action="adverse_event.reporting",
        entity="adverse_event",
        entity_id=str(row.id),
        before=before,
        after=body.model_dump(mode="json", exclude_unset=True),
    )
    return row


def clocks(row: AdverseEventRow, now: datetime) -> list[Clock]:
    if not row.serious or row.aware_at is None:
        return []
    related = strongest(json.loads(row.attribution)) in RELATED
    return [
        sae_report_clock(row.aware_at, row.reported_at, now),
        susar_clock(
            seriousness=tuple(json.loads(row.seriousness)),
            related=related,
            unexpected=row.unexpected,
            sponsor_aware_on=row.sponsor_aware_on,
            expedited_on=row.expedited_on,
            today=now.date(),
        ),
    ]


def list_adverse_events(session: Session, *, actor: Principal, code: str) -> list[AdverseEventRow]:
    require(actor, *READ_ROLES)
    get_subject(session, actor=actor, code=code)
    query = select(AdverseEventRow).where(AdverseEventRow.subject_code == code)
    return list(session.scalars(query.order_by(AdverseEventRow.id)))


def overdue_clocks(
    session: Session, *, actor: Principal, now: datetime, include_open: bool = False
) -> list[tuple[AdverseEventRow, Clock]]:
    """Every overdue or late SAE/SUSAR clock the caller may see (the trial office: all sites);
    ``include_open`` adds the clocks still running (due, not yet done), as the site dashboard shows."""
    require(actor, *READ_ROLES)
    rows = session.execute(
        select(AdverseEventRow, Subject.site_code)
        .join(Subject, Subject.code == AdverseEventRow.subject_code)
        .where(AdverseEventRow.serious.is_(True))
        .order_by(AdverseEventRow.id)
    ).all()
    out = []
    for row, site in rows:
        if actor.role in SITE_ROLES and site != actor.site_code:
            continue
        wanted = ("open", "overdue", "late", "assessment_needed") if include_open else None
        out += [
            (row, c)
            for c in clocks(row, now)
            if (c.state in wanted if wanted else c.overdue or c.state == "assessment_needed")
        ]
    return out


# --- DLT decisions ----------------------------------------------------------------------------------


def decide_dlt(
    session: Session, *, actor: Principal, code: str, dlt: bool, note: str, event_ids: Sequence[int]
) -> DltDecision:
    """The site investigator decides whether the patient had a DLT (the latest decision is in force)."""
    require(actor, Role.site_investigator)
    get_subject(session, actor=actor, code=code)
    _registration(session, code)
    if not note.strip():
        raise Invalid("note: the DLT decision needs a note")
    for event_id in event_ids:
        _own_event(session, actor, code, event_id)
    if dlt and not event_ids:
        raise Invalid("event_ids: a DLT names the adverse event(s) it rests on")
    row = DltDecision(
        subject_code=code,
        dlt=dlt,
        event_ids=json.dumps(list(event_ids)),
        note=note,
        decided_by=actor.username,
        created_at=_now(),
    )
    audit.write(
        session,
        row,
        actor=actor.username,
        action="dlt.decide",
        entity="subject",
        entity_id=code,
        after={"dlt": dlt, "events": list(event_ids)},
        reason=note,
    )
    return row


def dlt_evaluation(session: Session, *, actor: Principal, code: str, on: date) -> DltEvaluation:
    require(actor, *READ_ROLES)
    get_subject(session, actor=actor, code=code)
    reg = _registration(session, code)
    level = _level(session, reg)
    assignment = session.get(DoseAssignment, code)
    when = assignment.assigned_on if assignment else reg.created_at.date()
    course = course_of(session, code, 0 if level is None else level, when)
    return evaluate(course, sponsor(session).dlt, on)


def view_dose_finding(session: Session, *, actor: Principal, subprotocol: str, on: date) -> DoseFinding:
    require(actor, *READ_ROLES)
    return dose_finding(session, _subprotocol(session, subprotocol), on)


def to_dict(state: DoseFinding, actor: Principal) -> dict[str, Any]:
    """The state as the API and the CLI show it (site roles see other sites' codes masked)."""
    answer = state.answer
    visible_site = actor.site_code if actor.role in SITE_ROLES else None
    return {
        "subprotocol": state.subprotocol,
        "on": state.on.isoformat(),
        "design": None if state.design is None else state.design.name,
        "levels": None if state.design is None else list(state.design.levels),
        "current_level": state.current_level,
        "action": state.action,
        "dose_level": None if answer is None else answer.dose_level,
        "reason": state.reason,
        "until": None if answer is None or answer.until is None else answer.until.isoformat(),
        "awaiting_committee": bool(answer and answer.needs_committee and state.mtd is None),
        "proposal": None if answer is None or not answer.needs_committee else answer.decision.as_dict(),
        "engine": None if answer is None else answer.decision.as_dict(),
        "mtd": state.mtd,
        "levels_counts": [] if answer is None else [c.as_dict() for c in answer.counts],
        "patients": [
            {
                "subject": r.code if visible_site is None or r.code.startswith(visible_site) else None,
                "dose_level": r.evaluation.dose_level,
                "registered_on": r.registered_on.isoformat(),
                "window_end": None
                if r.evaluation.window_end is None
                else r.evaluation.window_end.isoformat(),
                "evaluable": r.evaluation.evaluable,
                "dlt": r.evaluation.dlt,
                "reason": r.evaluation.reason,
            }
            for r in state.registered
        ],
        "decisions": [
            {
                "id": d.id,
                "kind": d.kind,
                "from_level": d.from_level,
                "to_level": d.to_level,
                "accepted": d.accepted,
                "note": d.note,
                "decided_by": d.decided_by,
                "decided_on": d.decided_on.isoformat(),
            }
            for d in state.decisions
        ],
        "placeholders": list(state.placeholders),
    }


def shown_subjects(shown: dict[str, Any]) -> list[str]:
    """The patients' codes that ``to_dict`` left unmasked: the subjects its reader sees."""
    return [p["subject"] for p in shown["patients"] if p["subject"] is not None]


# --- reports ----------------------------------------------------------------------------------------


def _dlt_onset(session: Session, code: str) -> date | None:
    decision = session.scalars(
        select(DltDecision).where(DltDecision.subject_code == code).order_by(DltDecision.id.desc())
    ).first()
    if decision is None or not decision.dlt:
        return None
    onsets = [e.onset for i in json.loads(decision.event_ids) if (e := session.get(AdverseEventRow, i))]
    return min(onsets) if onsets else None


def escalation_report(
    session: Session, *, actor: Principal, subprotocol: str, on: date
) -> tuple[DoseFinding, list[EscalationPoint], list[tuple[date, str]]]:
    require(actor, Role.trial_office, Role.safety_committee, Role.monitor)
    state = dose_finding(session, _subprotocol(session, subprotocol), on)
    points = [
        EscalationPoint(
            r.code,
            r.evaluation.dose_level,
            r.registered_on,
            r.evaluation.window_end,
            _dlt_onset(session, r.code),
            r.evaluation.evaluable,
        )
        for r in state.registered
    ]
    marks = [
        (d.decided_on, f"{'accepted' if d.accepted else 'declined'}: {d.kind} {d.to_level}")
        for d in state.decisions
        if d.kind != "assign"
    ]
    return state, points, marks


def safety_listing(
    session: Session, *, actor: Principal, subprotocol: str, now: datetime
) -> list[dict[str, str]]:
    """Grade >= 3 AEs by term, SAEs with their clocks, DLTs and deaths of one sub-protocol."""
    require(actor, Role.trial_office, Role.safety_committee, Role.monitor)
    sp = _subprotocol(session, subprotocol)
    regs = list(session.scalars(select(Registration).where(Registration.subprotocol == sp.id)))
    levels = {r.subject_code: _level(session, r) for r in regs}
    events: list[EventRecord] = []
    dlts: list[DltRecord] = []
    for code, level in levels.items():
        for row in session.scalars(
            select(AdverseEventRow).where(AdverseEventRow.subject_code == code).order_by(AdverseEventRow.id)
        ):
            events.append(
                EventRecord(
                    code,
                    level,
                    row.term,
                    row.soc,
                    row.grade,
                    row.onset,
                    row.serious,
                    tuple(json.loads(row.seriousness)),
                    tuple(c.reason for c in clocks(row, now)),
                )
            )
        decision = session.scalars(
            select(DltDecision).where(DltDecision.subject_code == code).order_by(DltDecision.id.desc())
        ).first()
        if decision is not None and decision.dlt:
            dlts.append(DltRecord(code, level, decision.note, decision.decided_by))
    return safety_rows(events, dlts)
