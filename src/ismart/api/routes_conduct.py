"""Routes of trial conduct: dose finding, cycles, adverse events, DLT decisions, waiting lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ismart.api.deps import PrincipalDep, StateDep
from ismart.api.reads import log_read
from ismart.conduct.reports_io import escalation_chart, safety_csv
from ismart.registry import conduct, dose_finding
from ismart.registry.conduct_models import AdverseEventRow, Cycle, CycleDose, WaitingEntry
from ismart.registry.fields import Name
from ismart.treatment.adverse_events import Attribution

router = APIRouter(tags=["conduct"])
Code = Annotated[str, Path(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,5}-[0-9]{4,6}$", max_length=32)]
SubId = Annotated[str, Path(pattern=r"^[A-Z]$", max_length=1)]
EventId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DoseFindingRegistration(_Body):
    subprotocol: str = Field(pattern=r"^[A-Z]$")


class CommitteeDecisionCreate(_Body):
    kind: str = Field(pattern=r"^(escalate|de-escalate|mtd)$")
    to_level: int | None = Field(default=None, ge=-10, le=10)
    accept: bool
    note: str = Field(min_length=1, max_length=4000)


class LevelAssignment(_Body):
    dose_level: int = Field(ge=-10, le=10)
    note: str = Field(min_length=1, max_length=4000)


class WaitingCreate(_Body):
    subject: str = Field(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,5}-[0-9]{4,6}$")
    reason: str = Field(min_length=1, max_length=2000)


class DltDecisionCreate(_Body):
    dlt: bool
    note: str = Field(min_length=1, max_length=4000)
    event_ids: list[int] = Field(default_factory=list, max_length=50)


class AttributionConfirmation(_Body):
    attribution: dict[Name, Attribution] | None = Field(default=None, max_length=20)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _cycle(cycle: Cycle, doses: list[CycleDose]) -> dict[str, Any]:
    return {
        "number": cycle.number,
        "start_date": cycle.start_date.isoformat(),
        "planned_start": None if cycle.planned_start is None else cycle.planned_start.isoformat(),
        "dose_level": cycle.dose_level,
        "bsa_m2": cycle.bsa_m2,
        "gate_reason": cycle.gate_reason,
        "sponsor_approval": cycle.sponsor_approval,
        "deviations": json.loads(cycle.deviations),
        "doses": [
            {
                "drug": d.drug,
                "route": d.route,
                "plan_basis": d.plan_basis,
                "planned_mg": d.planned_mg,
                "planned_administrations": d.planned_administrations,
                "given_administrations": d.given_administrations,
                "given_mg": d.given_mg,
                "reduction_percent": d.reduction_percent,
                "delay_days": d.delay_days,
                "interruption_days": d.interruption_days,
                "note": d.note,
            }
            for d in doses
        ],
    }


def _event(row: AdverseEventRow, now: datetime) -> dict[str, Any]:
    return {
        "id": row.id,
        "term": row.term,
        "soc": row.soc,
        "grade": row.grade,
        "grade_source": row.grade_source,
        "onset": row.onset.isoformat(),
        "resolution": None if row.resolution is None else row.resolution.isoformat(),
        "cycle": row.cycle,
        "attribution": json.loads(row.attribution),
        "attribution_confirmed_by": row.attribution_confirmed_by,
        "serious": row.serious,
        "seriousness": json.loads(row.seriousness),
        "clocks": [
            {
                "what": c.what,
                "state": c.state,
                "due": None if c.due is None else c.due.isoformat(),
                "reason": c.reason,
            }
            for c in conduct.clocks(row, now)
        ],
    }


def _waiting(row: WaitingEntry) -> dict[str, Any]:
    return {
        "position": row.position,
        "subject": row.subject_code,
        "reason": row.reason,
        "added_by": row.added_by,
    }


@router.get("/ctcae-terms")
def get_ctcae_terms(
    who: PrincipalDep,
    state: StateDep,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> list[dict[str, Any]]:
    """CTCAE v5.0 terms of the list in force for a search box: words contained first, then close
    spellings; each with its SOC, MedDRA code and the grades it defines with their criteria."""
    found = dose_finding.sponsor(state.sessions).terms.search(q, limit=limit)
    return [
        {
            "term": t.term,
            "soc": t.soc,
            "meddra_code": t.meddra_code,
            "grades": list(t.grades),
            "criteria": dict(t.criteria),
        }
        for t in found
    ]


@router.get("/subprotocols/{sp_id}/dose-finding")
def get_dose_finding(sp_id: SubId, request: Request, state: StateDep, who: PrincipalDep) -> dict[str, Any]:
    """The design's decision for the next registration, derived from the records today."""
    on = state.today()
    with state.sessions.begin() as db:
        shown = conduct.to_dict(conduct.view_dose_finding(db, actor=who, subprotocol=sp_id, on=on), who)
        log_read(db, who, request, conduct.shown_subjects(shown))
        return shown


@router.post("/subprotocols/{sp_id}/dose-finding/decisions", status_code=201)
def post_committee_decision(
    sp_id: SubId, body: CommitteeDecisionCreate, state: StateDep, who: PrincipalDep
) -> dict[str, Any]:
    on = state.today()

    def work(db: Session) -> dict[str, Any]:
        row = conduct.decide(
            db,
            actor=who,
            subprotocol=sp_id,
            kind=body.kind,
            to_level=body.to_level,
            accept=body.accept,
            note=body.note,
            on=on,
        )
        return {"id": row.id, "kind": row.kind, "to_level": row.to_level, "accepted": row.accepted}

    return state.write(work)


@router.post("/subjects/{code}/dose-finding-registration", status_code=201)
def post_dose_finding_registration(
    code: Code, body: DoseFindingRegistration, state: StateDep, who: PrincipalDep
) -> dict[str, Any]:
    """ENROL at the design's level (201) or SUSPEND with why and until when (409)."""
    on = state.today()

    def work(db: Session) -> dict[str, Any]:
        row = conduct.register(db, actor=who, code=code, subprotocol=body.subprotocol, on=on)
        return {
            "action": "ENROL",
            "subject": code,
            "subprotocol": row.subprotocol,
            "dose_level": row.dose_level,
            "status": row.status,
            "reason": row.reason,
        }

    return state.write(work)


@router.post("/subjects/{code}/dose-level", status_code=201)
def post_dose_level(code: Code, body: LevelAssignment, state: StateDep, who: PrincipalDep) -> dict[str, Any]:
    on = state.today()

    def work(db: Session) -> dict[str, Any]:
        row = conduct.assign_level(
            db, actor=who, code=code, dose_level=body.dose_level, note=body.note, on=on
        )
        return {"subject": code, "dose_level": row.dose_level, "status": row.status}

    return state.write(work)


@router.get("/subprotocols/{sp_id}/waiting-list")
def get_waiting_list(
    sp_id: SubId, request: Request, state: StateDep, who: PrincipalDep
) -> list[dict[str, Any]]:
    with state.sessions.begin() as db:
        shown = [_waiting(r) for r in conduct.waiting_list(db, actor=who, subprotocol=sp_id)]
        log_read(db, who, request, [w["subject"] for w in shown])
        return shown


@router.post("/subprotocols/{sp_id}/waiting-list", status_code=201)
def post_waiting_list(
    sp_id: SubId, body: WaitingCreate, state: StateDep, who: PrincipalDep
) -> dict[str, Any]:
    return state.write(
        lambda db: _waiting(
            conduct.add_to_waiting_list(
                db, actor=who, code=body.subject, subprotocol=sp_id, reason=body.reason
            )
        )
    )


@router.get("/subjects/{code}/cycles")
def get_cycles(code: Code, request: Request, state: StateDep, who: PrincipalDep) -> list[dict[str, Any]]:
    with state.sessions.begin() as db:
        shown = [_cycle(c, d) for c, d in conduct.list_cycles(db, actor=who, code=code)]
        log_read(db, who, request, [code])
        return shown


@router.post("/subjects/{code}/cycles", status_code=201)
def post_cycle(code: Code, body: conduct.CycleInput, state: StateDep, who: PrincipalDep) -> dict[str, Any]:
    def work(db: Session) -> dict[str, Any]:
        cycle = conduct.add_cycle(db, actor=who, code=code, body=body)
        found = [pair for pair in conduct.list_cycles(db, actor=who, code=code) if pair[0].id == cycle.id]
        return _cycle(*found[0])

    return state.write(work)


@router.get("/subjects/{code}/adverse-events")
def get_adverse_events(
    code: Code, request: Request, state: StateDep, who: PrincipalDep
) -> list[dict[str, Any]]:
    now = _now()
    with state.sessions.begin() as db:
        shown = [_event(r, now) for r in conduct.list_adverse_events(db, actor=who, code=code)]
        log_read(db, who, request, [code])
        return shown


@router.post("/subjects/{code}/adverse-events", status_code=201)
def post_adverse_event(
    code: Code, body: conduct.AdverseEventInput, state: StateDep, who: PrincipalDep
) -> dict[str, Any]:
    today, now = state.today(), _now()
    return state.write(
        lambda db: _event(conduct.add_adverse_event(db, actor=who, code=code, body=body, today=today), now)
    )


@router.post("/subjects/{code}/adverse-events/{event_id}/attribution-confirmation")
def post_attribution_confirmation(
    code: Code, event_id: EventId, body: AttributionConfirmation, state: StateDep, who: PrincipalDep
) -> dict[str, Any]:
    now = _now()
    return state.write(
        lambda db: _event(
            conduct.confirm_attribution(
                db, actor=who, code=code, event_id=event_id, attribution=body.attribution
            ),
            now,
        )
    )


@router.post("/subjects/{code}/adverse-events/{event_id}/reporting")
def post_reporting(
    code: Code, event_id: EventId, body: conduct.SaeReporting, state: StateDep, who: PrincipalDep
) -> dict[str, Any]:
    now = _now()
    return state.write(
        lambda db: _event(
            conduct.record_reporting(db, actor=who, code=code, event_id=event_id, body=body), now
        )
    )


@router.get("/adverse-events/overdue")
def get_overdue(request: Request, state: StateDep, who: PrincipalDep) -> list[dict[str, Any]]:
    """SAE and SUSAR clocks that are overdue, late, or wait for the sponsor's assessment."""
    now = _now()
    with state.sessions.begin() as db:
        shown: list[dict[str, Any]] = [
            {
                "subject": row.subject_code,
                "event": row.id,
                "term": row.term,
                "what": c.what,
                "state": c.state,
                "reason": c.reason,
            }
            for row, c in conduct.overdue_clocks(db, actor=who, now=now)
        ]
        log_read(db, who, request, [str(o["subject"]) for o in shown])
        return shown


@router.get("/subjects/{code}/dlt")
def get_dlt(code: Code, request: Request, state: StateDep, who: PrincipalDep) -> dict[str, Any]:
    """The patient's DLT window, candidates, decision and evaluability today."""
    on = state.today()
    with state.sessions.begin() as db:
        ev = conduct.dlt_evaluation(db, actor=who, code=code, on=on)
        log_read(db, who, request, [code])
        return {
            "subject": code,
            "window_end": None if ev.window_end is None else ev.window_end.isoformat(),
            "in_window": ev.in_window,
            "candidates": [
                {"term": f.event.term, "grade": f.event.grade, "reason": f.reason} for f in ev.candidates
            ],
            "dose_fraction": ev.dose_fraction,
            "evaluable": ev.evaluable,
            "dlt": ev.dlt,
            "reason": ev.reason,
            "placeholders": list(dose_finding.placeholders(state.sessions)),
        }


@router.post("/subjects/{code}/dlt", status_code=201)
def post_dlt(code: Code, body: DltDecisionCreate, state: StateDep, who: PrincipalDep) -> dict[str, Any]:
    def work(db: Session) -> dict[str, Any]:
        row = conduct.decide_dlt(
            db, actor=who, code=code, dlt=body.dlt, note=body.note, event_ids=body.event_ids
        )
        return {"id": row.id, "subject": code, "dlt": row.dlt, "decided_by": row.decided_by}

    return state.write(work)


@router.get("/subprotocols/{sp_id}/reports/dose-escalation.{fmt}")
def get_escalation_chart(
    sp_id: SubId,
    fmt: Annotated[str, Path(pattern=r"^(png|pdf)$")],
    request: Request,
    state: StateDep,
    who: PrincipalDep,
) -> Response:
    """The dose-escalation chart (patients over time by level, DLTs marked) and the design's state."""
    on = state.today()
    with state.sessions.begin() as db:
        found, points, marks = conduct.escalation_report(db, actor=who, subprotocol=sp_id, on=on)
        # a bar per patient, unlabelled: still each patient's dates and DLT
        log_read(db, who, request, [p.subject for p in points])
    levels = list(found.design.levels) if found.design else sorted({p.dose_level for p in points})
    data = escalation_chart(
        points,
        title=f"Sub-protocol {sp_id}: dose escalation as of {on}",
        state=f"{found.action}: {found.reason}"[:220],
        levels=levels,
        decisions=marks,
        fmt=fmt,
    )
    return Response(data, media_type="image/png" if fmt == "png" else "application/pdf")


@router.get("/subprotocols/{sp_id}/reports/safety-listing.csv")
def get_safety_listing(sp_id: SubId, request: Request, state: StateDep, who: PrincipalDep) -> Response:
    """Grade >= 3 adverse events by term, SAEs with their clocks, DLTs and deaths."""
    with state.sessions.begin() as db:
        rows = conduct.safety_listing(db, actor=who, subprotocol=sp_id, now=_now())
        # the rows by term count patients; the SAE, DLT and death rows name them
        log_read(db, who, request, [r["subject"] for r in rows if r["subject"]])
    return Response(safety_csv(rows), media_type="text/csv")
