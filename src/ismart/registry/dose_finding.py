"""The dose-finding state of a sub-protocol, derived from the registry's records on each request.

Nothing here is stored: registrations, first cycles (C1D1, doses given), adverse events, the
investigator's DLT decisions, withdrawals and the safety committee's decisions go in; the design
engine's answer comes out. ``registrations.register`` calls ``check_dose_level`` under its capacity
lock. This module does not import ``registrations`` (which imports it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ismart.conduct.dlt import (
    DoseReceived,
    PatientCourse,
    evaluate,
)
from ismart.conduct.history import Answer, Registered, registration_answer
from ismart.protocol.model import SubProtocol
from ismart.registry.conduct_models import (
    AdverseEventRow,
    CommitteeDecision,
    Cycle,
    CycleDose,
    DltDecision,
    DoseAssignment,
)
from ismart.registry.context import RegistryContext, in_force
from ismart.registry.errors import Conflict
from ismart.registry.models import Registration, Withdrawal
from ismart.registry.response_models import Rp2dDeclaration
from ismart.registry.sponsor_data import SponsorData
from ismart.treatment.adverse_events import ATTRIBUTIONS, AdverseEvent, Attribution
from ismart.treatment.dosefinding import Design, DesignName

RELATED: tuple[Attribution, ...] = ("possible", "probable", "definite")


def sponsor(where: Session | sessionmaker[Session]) -> SponsorData:
    """The sponsor's conduct files in force for this registry (read when it was opened)."""
    return in_force(where).sponsor


def design_name(sp: SubProtocol, context: RegistryContext) -> DesignName | None:
    """The design of ``sp``'s phase I part, from the data: the sponsor's dose-level file, else the
    sub-protocol's own ``treatment.design``, else master.yaml's ``dose_finding.design``."""
    proto, plan = context.protocol, context.sponsor.levels
    if plan is not None and sp.id in plan.subprotocols:
        return plan.subprotocols[sp.id].design
    if sp.treatment is not None and sp.treatment.design is not None:
        return sp.treatment.design
    master = proto.master.dose_finding
    return None if master is None else master.design


def design_for(sp: SubProtocol, context: RegistryContext) -> Design | None:
    """The sub-protocol's design: levels from its protocol data, else from the sponsor's dose-level
    file; None when neither gives levels (the safety committee assigns each patient's level)."""
    name = design_name(sp, context)
    if name is None:
        return None
    if sp.treatment is not None and sp.treatment.dose_levels:
        return Design(name, tuple(sorted(sp.treatment.dose_levels)), sp.treatment.starting_level)
    plan = context.sponsor.levels
    if plan is not None and sp.id in plan.subprotocols:
        entry = plan.subprotocols[sp.id]
        return Design(name, tuple(sorted(entry.levels)), entry.start_level)
    return None


# --- the dose-finding state, derived ----------------------------------------------------------------


def strongest(attribution: dict[str, str]) -> Attribution:
    ranked = [a for a in ATTRIBUTIONS if a in attribution.values()]
    return ranked[-1] if ranked else "unrelated"


def _event(row: AdverseEventRow) -> AdverseEvent:
    return AdverseEvent(
        patient_id=row.subject_code,
        term=row.term,
        grade=row.grade,
        attribution=strongest(json.loads(row.attribution)),
        onset=row.onset,
        resolution=row.resolution,
        cycle=row.cycle,
        serious=row.serious,
    )


def _doses(session: Session, cycle: Cycle | None) -> tuple[DoseReceived, ...]:
    if cycle is None:
        return ()
    # evaluability counts the systemic drugs; intrathecal doses are recorded beside them
    rows = session.scalars(
        select(CycleDose)
        .where(CycleDose.cycle_id == cycle.id, CycleDose.route == "systemic")
        .order_by(CycleDose.id)
    )
    return tuple(DoseReceived(r.drug, r.planned_administrations, r.given_administrations) for r in rows)


def course_of(session: Session, code: str, level: int, registered_on: date) -> PatientCourse:
    """Everything the DLT evaluation of one patient reads, from the records."""
    first = session.scalar(select(Cycle).where(Cycle.subject_code == code, Cycle.number == 1))
    events = session.scalars(
        select(AdverseEventRow).where(AdverseEventRow.subject_code == code).order_by(AdverseEventRow.id)
    )
    decision = session.scalars(
        select(DltDecision).where(DltDecision.subject_code == code).order_by(DltDecision.id.desc())
    ).first()
    withdrawal = session.scalars(
        select(Withdrawal).where(Withdrawal.subject_code == code).order_by(Withdrawal.id)
    ).first()
    return PatientCourse(
        patient_id=code,
        dose_level=level,
        registered_on=registered_on,
        c1d1=first.start_date if first else None,
        recovery_day=first.recovery_day if first else None,
        events=tuple(_event(e) for e in events),
        doses=_doses(session, first),
        dlt_confirmed=None if decision is None else decision.dlt,
        off_study_on=withdrawal.created_at.date() if withdrawal else None,
    )


def _registered(session: Session, sp_id: str, on: date) -> list[Registered]:
    rows = session.execute(
        select(Registration, DoseAssignment)
        .join(DoseAssignment, DoseAssignment.subject_code == Registration.subject_code, isouter=True)
        .where(Registration.subprotocol == sp_id)
        .order_by(Registration.id)
    ).all()
    out: list[Registered] = []
    for reg, assignment in rows:
        level = reg.dose_level if assignment is None else assignment.dose_level
        if level is None:
            continue
        when = reg.created_at.date() if assignment is None else assignment.assigned_on
        course = course_of(session, reg.subject_code, level, when)
        out.append(Registered(reg.subject_code, when, evaluate(course, sponsor(session).dlt, on)))
    return out


@dataclass(frozen=True)
class DoseFinding:
    """The derived state of one sub-protocol's dose finding on a day."""

    subprotocol: str
    on: date
    design: Design | None
    current_level: int | None
    answer: Answer | None
    reason: str
    registered: tuple[Registered, ...] = ()
    decisions: tuple[CommitteeDecision, ...] = ()
    mtd: int | None = None
    placeholders: tuple[str, ...] = field(default=())

    @property
    def action(self) -> str:
        return "ASSIGN_BY_COMMITTEE" if self.answer is None else self.answer.action


def _decisions(session: Session, sp_id: str) -> list[CommitteeDecision]:
    query = select(CommitteeDecision).where(CommitteeDecision.subprotocol == sp_id)
    return list(session.scalars(query.order_by(CommitteeDecision.id)))


def placeholders(where: Session | sessionmaker[Session]) -> tuple[str, ...]:
    settings = sponsor(where).dlt
    out = []
    if settings.dlt_rule.shipped_as_placeholder:
        out.append("DLT rule: ismart placeholder (HEM-iSMART's DLT definition is not public)")
    if settings.evaluability.shipped_as_placeholder:
        share = f"{settings.evaluability.min_dose_fraction:.0%}"
        out.append(
            f"evaluability: {share} of planned doses in the DLT window, ismart placeholder (not public)"
        )
    return tuple(out)


def snapshot(answer: Answer) -> str:
    return json.dumps([c.as_dict() for c in answer.counts], sort_keys=True)


def dose_finding(session: Session, sp: SubProtocol, on: date) -> DoseFinding:
    """Ask the design, on the records as they stand, what the next registration gets."""
    context = in_force(session)
    design = design_for(sp, context)
    decisions = _decisions(session, sp.id)
    if design is None:
        why = (
            f"{sp.id} has no public dose levels and no sponsor dose-level file: "
            "the safety committee assigns each patient's level"
        )
        if design_name(sp, context) is None:
            why = (
                f"{sp.id}: the protocol data name no dose-finding design: "
                "the safety committee assigns each patient's level"
            )
        # the patients whose level the committee assigned are shown; no design decides
        shown = tuple(_registered(session, sp.id, on))
        return DoseFinding(sp.id, on, None, None, None, why, registered=shown, decisions=tuple(decisions))
    current = design.start
    for d in decisions:
        if d.accepted and d.kind in ("escalate", "de-escalate") and d.to_level is not None:
            current = d.to_level
    registered = _registered(session, sp.id, on)
    answer = registration_answer(design, registered, current)
    mtd = next((d for d in decisions if d.accepted and d.kind == "mtd"), None)
    reason = answer.reason
    if mtd is not None:
        reason = (
            f"dose finding ended: the safety committee accepted level {mtd.to_level} "
            f"as the MTD on {mtd.decided_on}"
        )
        answer = Answer("SUSPEND", None, reason, None, answer.decision, answer.counts)
    elif answer.needs_committee:
        declined = next(
            (d for d in reversed(decisions) if not d.accepted and d.snapshot == snapshot(answer)), None
        )
        if declined is not None:
            reason = (
                f"the safety committee declined the proposal ({declined.kind}) on {declined.decided_on}: "
                f"{declined.note}"
            )
            answer = Answer("SUSPEND", None, reason, None, answer.decision, answer.counts)
    return DoseFinding(
        sp.id,
        on,
        design,
        current,
        answer,
        reason,
        tuple(registered),
        tuple(decisions),
        None if mtd is None else mtd.to_level,
        placeholders(session),
    )


def suspended(state: DoseFinding) -> Conflict:
    assert state.answer is not None
    until = f" (until {state.answer.until} at the earliest)" if state.answer.until else ""
    return Conflict(f"SUSPEND: {state.reason}{until}")


def check_dose_level(session: Session, *, sp: SubProtocol, dose_level: int, on: date) -> None:
    """Called by ``registrations.register`` under the capacity lock: only the design's level is allowed;
    once the recommended phase II dose is declared (the efficacy stage), only that level is."""
    rp2d = session.get(Rp2dDeclaration, sp.id)
    if rp2d is not None:
        if dose_level != rp2d.dose_level:
            raise Conflict(
                f"dose_level: the efficacy stage registers at the recommended phase II dose, level "
                f"{rp2d.dose_level}, not {dose_level}"
            )
        return
    state = dose_finding(session, sp, on)
    if state.answer is None:
        return
    if state.answer.action == "SUSPEND":
        raise suspended(state)
    if dose_level != state.answer.dose_level:
        raise Conflict(
            f"dose_level: the design assigns level {state.answer.dose_level} now, not {dose_level}"
        )
