"""Routes of the efficacy stage: response assessments, off treatment / off study, outcomes, the RP2D
and the derived efficacy stage. Parse, call one service, shape the answer."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session

from ismart.api import response_schemas as s
from ismart.api.deps import PrincipalDep, StateDep
from ismart.api.reads import log_read
from ismart.registry import responses as svc
from ismart.registry.errors import Invalid
from ismart.registry.response_models import ResponseAssessment, SubjectOutcome
from ismart.response import Best, Disease
from ismart.response.efficacy import EfficacyReport, EfficacyState
from ismart.response.gates import GateDecision

router = APIRouter()
Code = Annotated[str, Path(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,5}-[0-9]{4,6}$", max_length=32)]
SubId = Annotated[str, Path(pattern=r"^[A-Z]$", max_length=1)]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _response(row: ResponseAssessment) -> s.ResponsePublic:
    return s.ResponsePublic(
        id=row.id,
        cycle=row.cycle,
        assessed_on=row.assessed_on,
        disease=row.disease,
        components=json.loads(row.components),
        category=row.category,
        marrow_status=row.marrow_status,
        mrd_status=row.mrd_status,
        reasons=json.loads(row.reasons),
        definitions_version=row.definitions_version,
        entered_by=row.entered_by,
        created_at=row.created_at,
        confirmed_by=row.confirmed_by,
        confirmed_at=row.confirmed_at,
    )


def _best(best: Best) -> s.BestPublic:
    return s.BestPublic(
        category=best.category.value, mrd_negative=best.mrd_negative, cycle=best.cycle, reason=best.reason
    )


def _outcome(row: SubjectOutcome | None, code: str) -> s.OutcomePublic:
    if row is None:
        row = SubjectOutcome(subject_code=code)
    survival = svc.survival(row)
    fields = {k: getattr(row, k) for k in s.OutcomePublic.model_fields if hasattr(SubjectOutcome, k)}
    return s.OutcomePublic(
        **fields,
        os_days=survival.os_days,
        os_event=survival.os_event,
        efs_days=survival.efs_days,
        efs_event=survival.efs_event,
    )


@router.get("/subjects/{code}/responses", tags=["responses"])
def list_responses(code: Code, request: Request, state: StateDep, who: PrincipalDep) -> s.ResponsesPublic:
    def work(db: Session) -> s.ResponsesPublic:
        rows = svc.list_responses(db, actor=who, code=code)
        log_read(db, who, request, [code])
        return s.ResponsesPublic(
            responses=[_response(r) for r in rows],
            best_overall=_best(svc.best(rows)),
            best_after_cycle_1=_best(svc.best(rows, up_to_cycle=1)),
        )

    return state.write(work)


@router.post("/subjects/{code}/responses", status_code=201, tags=["responses"])
def add_response(code: Code, body: s.ResponseCreate, state: StateDep, who: PrincipalDep) -> s.ResponsePublic:
    """Record an assessment's components; the category and its reasons are computed, not sent."""
    if (body.leukaemia is None) == (body.lymphoma is None):
        raise Invalid("body: give exactly one of leukaemia or lymphoma")
    disease = Disease.leukaemia if body.leukaemia is not None else Disease.lymphoma
    part = body.leukaemia or body.lymphoma
    assert part is not None
    components = part.model_dump(exclude_none=True)
    return state.write(
        lambda db: _response(
            svc.add_response(
                db,
                actor=who,
                code=code,
                cycle=body.cycle,
                assessed_on=body.assessed_on,
                disease=disease,
                components=components,
                today=state.today(),
            )
        )
    )


@router.post("/subjects/{code}/responses/{response_id}/confirm", tags=["responses"])
def confirm_response(code: Code, response_id: RowId, state: StateDep, who: PrincipalDep) -> s.ResponsePublic:
    """The site investigator confirms the assessment; only confirmed assessments count."""
    return state.write(
        lambda db: _response(svc.confirm_response(db, actor=who, code=code, response_id=response_id))
    )


@router.get("/subjects/{code}/cycle-gates/{cycle}", tags=["responses"])
def cycle_gate(
    code: Code,
    cycle: Annotated[int, Path(ge=1, le=4)],
    request: Request,
    state: StateDep,
    who: PrincipalDep,
    sponsor_approved: Annotated[bool | None, Query()] = None,
) -> s.GatePublic:
    """May this cycle start: at least PR after cycle 1 for cycle 2; CR after cycle 2 and the
    sponsor's approval for cycle 3 (judged on the confirmed assessments)."""

    def work(db: Session) -> GateDecision:
        found = svc.cycle_gate(db, actor=who, code=code, cycle=cycle, sponsor_approved=sponsor_approved)
        log_read(db, who, request, [code])
        return found

    decision = state.write(work)
    return s.GatePublic(cycle=cycle, gate=decision.gate.value, reason=decision.reason)


@router.get("/subjects/{code}/outcome", tags=["responses"])
def get_outcome(code: Code, request: Request, state: StateDep, who: PrincipalDep) -> s.OutcomePublic:
    def work(db: Session) -> s.OutcomePublic:
        shown = _outcome(svc.get_outcome(db, actor=who, code=code), code)
        log_read(db, who, request, [code])
        return shown

    return state.write(work)


@router.patch("/subjects/{code}/outcome", tags=["responses"])
def update_outcome(code: Code, body: s.OutcomeUpdate, state: StateDep, who: PrincipalDep) -> s.OutcomePublic:
    """C1D1, follow-up status, HSCT, death and the first event-free-survival event."""
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    return state.write(
        lambda db: _outcome(
            svc.update_outcome(
                db, actor=who, code=code, changes=changes, today=state.today(), reason=body.reason
            ),
            code,
        )
    )


@router.post("/subjects/{code}/off-treatment", tags=["responses"])
def off_treatment(code: Code, body: s.OffCreate, state: StateDep, who: PrincipalDep) -> s.OutcomePublic:
    return state.write(
        lambda db: _outcome(
            svc.off_treatment(
                db, actor=who, code=code, on=body.on, reason=body.reason, note=body.note, today=state.today()
            ),
            code,
        )
    )


@router.post("/subjects/{code}/off-study", tags=["responses"])
def off_study(code: Code, body: s.OffCreate, state: StateDep, who: PrincipalDep) -> s.OutcomePublic:
    return state.write(
        lambda db: _outcome(
            svc.off_study(
                db, actor=who, code=code, on=body.on, reason=body.reason, note=body.note, today=state.today()
            ),
            code,
        )
    )


@router.put("/subprotocols/{sub_id}/rp2d", tags=["efficacy"])
def declare_rp2d(sub_id: SubId, body: s.Rp2dCreate, state: StateDep, who: PrincipalDep) -> s.Rp2dPublic:
    return state.write(
        lambda db: s.Rp2dPublic.model_validate(
            svc.declare_rp2d(
                db,
                actor=who,
                subprotocol=sub_id,
                dose_level=body.dose_level,
                declared_on=body.declared_on,
                today=state.today(),
            )
        )
    )


def _efficacy(report: EfficacyReport) -> s.EfficacyPublic:
    st: EfficacyState = report.state
    data, d = report.design_data, st.design
    design = s.DesignPublic(
        status=data.status if data else "open_question",
        question=data.question if data else "no efficacy design in the protocol data",
        choice=data.choice if data else None,
        p0=data.p0 if data else None,
        p1=data.p1 if data else None,
        alpha=data.alpha if data else None,
        beta=data.beta if data else None,
        r1=d.r1 if d else None,
        n1=d.n1 if d else None,
        r=d.r if d else None,
        n=d.n if d else None,
        en0=round(d.en0, 4) if d else None,
        pet0=round(d.pet0, 4) if d else None,
    )
    oc = {
        name: s.CharacteristicsPublic(
            p=c.p, pet=round(c.pet, 4), en=round(c.en, 4), reject_h0=round(c.reject_h0, 4)
        )
        for name, c in (("p0", st.at_p0), ("p1", st.at_p1))
        if c is not None
    }
    return s.EfficacyPublic(
        subprotocol=report.subprotocol,
        rp2d=s.Rp2dPublic.model_validate(report.rp2d, from_attributes=True) if report.rp2d else None,
        design=design,
        stage=st.stage.value,
        decision=st.decision,
        evaluable=st.evaluable,
        responders=st.responders,
        pending=st.pending,
        not_evaluable=st.not_evaluable,
        stage1_evaluable=st.stage1_evaluable,
        stage1_responders=st.stage1_responders,
        operating_characteristics=oc,
        patients=[
            s.PatientPublic(code=p.code, evaluable=p.evaluable, responder=p.responder, reason=p.reason)
            for p in st.patients
        ],
    )


@router.get("/subprotocols/{sub_id}/efficacy", tags=["efficacy"])
def get_efficacy(sub_id: SubId, request: Request, state: StateDep, who: PrincipalDep) -> s.EfficacyPublic:
    """The efficacy stage derived from the records: evaluable at the RP2D, responders, the decision."""

    def work(db: Session) -> s.EfficacyPublic:
        shown = _efficacy(svc.efficacy(db, actor=who, subprotocol=sub_id))
        log_read(db, who, request, [p.code for p in shown.patients])
        return shown

    return state.write(work)
