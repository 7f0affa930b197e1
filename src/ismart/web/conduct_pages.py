"""Pages of trial conduct (issue 14): adverse-event entry with CTCAE term search and automatic
grading of laboratory values, cycle entry, the investigator's DLT decision, the dose-escalation
page with the safety committee's decision form and chart. Each route reads the session, calls one
service of ``ismart.registry.conduct`` (which holds every rule and role check) and renders."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from ismart.conduct.reports_io import escalation_chart
from ismart.conduct.sae import SERIOUSNESS
from ismart.errors import IsmartError, _one_line
from ismart.http_status import status_for
from ismart.registry import conduct, dose_finding, registrations, subjects
from ismart.registry.access import Role
from ismart.registry.conduct_models import AdverseEventRow, Cycle, CycleDose, DoseAssignment
from ismart.registry.context import in_force
from ismart.registry.errors import RegistryError
from ismart.treatment.adverse_events import ATTRIBUTIONS
from ismart.web.app import PREFIX, Ctx, PageError, _field, _number, _seen, current

router = APIRouter(include_in_schema=False)
CHART_ROLES = (Role.trial_office, Role.safety_committee, Role.monitor)
ENTRY_ROLES = ("site_staff", "site_investigator", "trial_office")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _problem(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, PageError):
        return exc.status, exc.message
    if isinstance(exc, ValidationError):
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "form"
        return 422, f"{where}: {' '.join(str(err['msg']).split())}"
    status = status_for(exc) if isinstance(exc, RegistryError) else 422
    return status, _one_line(str(exc))


def _validate(model: type[BaseModel], data: dict[str, Any]) -> Any:
    return model.model_validate(data)


def _opt_int(form: FormData, name: str, label: str) -> int | None:
    text = _field(form, name)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise PageError(422, f"{label}: {text!r} is not a whole number") from None


# --- CTCAE term search ------------------------------------------------------------------------------


@router.get(f"{PREFIX}/ctcae-terms")
def term_search(request: Request, q: str = "") -> Response:
    """Terms for the entry page's search box (JSON: term, SOC, MedDRA code, grades)."""
    ctx = current(request)
    found = dose_finding.sponsor(ctx.state.sessions).terms.search(q[:100], limit=20)
    return JSONResponse(
        [
            {"term": t.term, "soc": t.soc, "meddra_code": t.meddra_code, "grades": list(t.grades)}
            for t in found
        ]
    )


# --- adverse events ---------------------------------------------------------------------------------


def _subject_context(ctx: Ctx, code: str) -> dict[str, Any]:
    def work(db: Session) -> dict[str, Any]:
        subject = subjects.get_subject(db, actor=ctx.who, code=code)
        regs = registrations.list_registrations(db, actor=ctx.who, code=code)
        reg = regs[0] if regs else None
        sp = None
        if reg is not None:
            sp = next(s for s in in_force(db).protocol.subprotocols if s.id == reg.subprotocol)
        return {"subject": subject, "reg": reg, "sp": sp}

    data: dict[str, Any] = ctx.write(work)
    if data["reg"] is None:
        raise PageError(409, f"Subject {code} is not registered: treatment records start at registration.")
    return data


def _events_page(
    ctx: Ctx, code: str, *, q: str = "", values: dict[str, Any] | None = None, **extra: Any
) -> Response:
    base = _subject_context(ctx, code)
    now = _now()

    def work(db: Session) -> list[tuple[AdverseEventRow, list[Any]]]:
        rows = conduct.list_adverse_events(db, actor=ctx.who, code=code)
        _seen(db, ctx, ctx.request, [code])
        return [(r, conduct.clocks(r, now)) for r in rows]

    events = ctx.write(work)
    terms = dose_finding.sponsor(ctx.state.sessions).terms
    matches = terms.search(q, limit=15) if q.strip() else []
    status = extra.pop("status", 200)
    return ctx.render(
        "conduct_events.html",
        status=status,
        **base,
        events=events,
        q=q,
        matches=matches,
        values=values or {},
        attributions=ATTRIBUTIONS,
        seriousness=SERIOUSNESS,
        can_enter=ctx.who.role.value in ENTRY_ROLES,
        coverage=terms.data.coverage,
        today=ctx.state.today(),
        loads=lambda text: json.loads(text),
        **extra,
    )


@router.get(f"{PREFIX}/subjects/{{code}}/adverse-events", response_class=HTMLResponse)
def events_page(request: Request, code: str, q: str = "", msg: str | None = None) -> Response:
    return _events_page(current(request), code, q=q, message=msg)


def _event_body(form: FormData, drugs: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "term": _field(form, "term"),
        "onset": _field(form, "onset") or None,
        "resolution": _field(form, "resolution") or None,
        "cycle": _opt_int(form, "cycle", "Cycle") or 1,
        "attribution": {d: _field(form, f"attr_{d}") or "unrelated" for d in drugs},
        "serious": _field(form, "serious") == "yes",
        "seriousness": [s for s in form.getlist("seriousness") if isinstance(s, str) and s],
    }
    grade = _opt_int(form, "grade", "Grade")
    if grade is not None:
        body["grade"] = grade
    value = _number(form, "lab_value", "Laboratory value")
    if value is not None:
        body["lab"] = {
            "value": value,
            "unit": _field(form, "lab_unit"),
            "uln": _number(form, "lab_uln", "ULN"),
            "lln": _number(form, "lab_lln", "LLN"),
            "baseline": _number(form, "lab_baseline", "Baseline"),
        }
    if _field(form, "aware_at"):
        body["aware_at"] = _field(form, "aware_at")
    return body


@router.post(f"{PREFIX}/subjects/{{code}}/adverse-events", response_class=HTMLResponse)
async def add_event(request: Request, code: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    base = _subject_context(ctx, code)
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    values["seriousness"] = [s for s in form.getlist("seriousness") if isinstance(s, str)]
    today = ctx.state.today()
    try:
        body = _validate(conduct.AdverseEventInput, _event_body(form, list(base["sp"].drugs)))
        row = ctx.write(
            lambda db: conduct.add_adverse_event(db, actor=ctx.who, code=code, body=body, today=today)
        )
    except (PageError, ValidationError, RegistryError, IsmartError) as exc:
        status, problem = _problem(exc)
        if status in (403, 404):
            raise
        return _events_page(ctx, code, values=values, error=problem, status=status)
    return ctx.redirect(
        f"{PREFIX}/subjects/{code}/adverse-events",
        f"Adverse event {row.id} recorded: {row.term}, grade {row.grade} ({row.grade_source}).",
    )


# --- cycles -----------------------------------------------------------------------------------------


@router.get(f"{PREFIX}/subjects/{{code}}/cycles", response_class=HTMLResponse)
def cycles_page(request: Request, code: str, msg: str | None = None) -> Response:
    return _cycles_page(current(request), code, message=msg)


def _cycles_page(ctx: Ctx, code: str, *, values: dict[str, Any] | None = None, **extra: Any) -> Response:
    base = _subject_context(ctx, code)

    def work(db: Session) -> list[tuple[Cycle, list[CycleDose]]]:
        found = conduct.list_cycles(db, actor=ctx.who, code=code)
        _seen(db, ctx, ctx.request, [code])
        return found

    cycles = ctx.write(work)
    status = extra.pop("status", 200)
    table = dose_finding.sponsor(ctx.state.sessions).intrathecal
    return ctx.render(
        "conduct_cycles.html",
        status=status,
        **base,
        cycles=cycles,
        next_number=(cycles[-1][0].number + 1) if cycles else 1,
        values=values or {},
        can_enter=ctx.who.role.value in ENTRY_ROLES,
        it_source=None if table is None else table.source,
        loads=lambda text: json.loads(text),
        **extra,
    )


def _cycle_body(form: FormData, drugs: list[str], it_drugs: list[str]) -> dict[str, Any]:
    doses = []
    for i, drug in enumerate(drugs):
        given = _opt_int(form, f"given_{i}", f"{drug}: administrations given")
        if given is None:
            continue
        entry: dict[str, Any] = {"drug": drug, "given_administrations": given}
        for key, label in (("planned", "planned_administrations"), ("delay", "delay_days")):
            number = _opt_int(form, f"{key}_{i}", f"{drug}: {label.replace('_', ' ')}")
            if number is not None:
                entry[label] = number
        reduction = _number(form, f"reduction_{i}", f"{drug}: reduction (%)")
        if reduction is not None:
            entry["reduction_percent"] = reduction
        doses.append(entry)
    intrathecal = []
    for i, drug in enumerate(it_drugs):
        planned = _opt_int(form, f"it_planned_{i}", f"Intrathecal {drug}: planned")
        if planned is None:
            continue
        intrathecal.append(
            {
                "drug": drug,
                "planned_administrations": planned,
                "given_administrations": _opt_int(form, f"it_given_{i}", f"Intrathecal {drug}: given") or 0,
                "given_mg": _number(form, f"it_mg_{i}", f"Intrathecal {drug}: mg given"),
            }
        )
    body: dict[str, Any] = {
        "number": _opt_int(form, "number", "Cycle number"),
        "start_date": _field(form, "start_date") or None,
        "height_cm": _number(form, "height_cm", "Height (cm)"),
        "weight_kg": _number(form, "weight_kg", "Weight (kg)"),
        "gate_reason": _field(form, "gate_reason") or None,
        "sponsor_approval": _field(form, "sponsor_approval") or None,
        "doses": doses,
        "intrathecal": intrathecal,
    }
    return body


@router.post(f"{PREFIX}/subjects/{{code}}/cycles", response_class=HTMLResponse)
async def add_cycle(request: Request, code: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    base = _subject_context(ctx, code)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    sp = base["sp"]
    try:
        body = _validate(conduct.CycleInput, _cycle_body(form, list(sp.drugs), list(sp.intrathecal)))
        cycle = ctx.write(lambda db: conduct.add_cycle(db, actor=ctx.who, code=code, body=body))
    except (PageError, ValidationError, RegistryError, IsmartError) as exc:
        status, problem = _problem(exc)
        if status in (403, 404):
            raise
        return _cycles_page(ctx, code, values=values, error=problem, status=status)
    flagged = len(json.loads(cycle.deviations))
    return ctx.redirect(
        f"{PREFIX}/subjects/{code}/cycles", f"Cycle {cycle.number} recorded ({flagged} note(s) flagged)."
    )


# --- DLT decision -----------------------------------------------------------------------------------


@router.get(f"{PREFIX}/subjects/{{code}}/dlt", response_class=HTMLResponse)
def dlt_page(request: Request, code: str, msg: str | None = None) -> Response:
    return _dlt_page(current(request), code, message=msg)


def _dlt_page(ctx: Ctx, code: str, **extra: Any) -> Response:
    base = _subject_context(ctx, code)
    on = ctx.state.today()

    def work(db: Session) -> dict[str, Any]:
        shown = {
            "evaluation": conduct.dlt_evaluation(db, actor=ctx.who, code=code, on=on),
            "events": conduct.list_adverse_events(db, actor=ctx.who, code=code),
        }
        _seen(db, ctx, ctx.request, [code])
        return shown

    data = ctx.write(work)
    status = extra.pop("status", 200)
    return ctx.render(
        "conduct_dlt.html",
        status=status,
        **base,
        **data,
        on=on,
        placeholders=dose_finding.placeholders(ctx.state.sessions),
        can_decide=ctx.who.role is Role.site_investigator,
        **extra,
    )


@router.post(f"{PREFIX}/subjects/{{code}}/dlt", response_class=HTMLResponse)
async def decide_dlt(request: Request, code: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    choice = _field(form, "dlt")
    if choice not in ("yes", "no"):
        return _dlt_page(ctx, code, error="DLT: choose yes or no", status=422)
    ids = []
    for raw in form.getlist("event_ids"):
        try:
            ids.append(int(str(raw)))
        except ValueError:
            return _dlt_page(ctx, code, error=f"Adverse events: {raw!r} is not an event number", status=422)
    try:
        ctx.write(
            lambda db: conduct.decide_dlt(
                db, actor=ctx.who, code=code, dlt=choice == "yes", note=_field(form, "note"), event_ids=ids
            )
        )
    except RegistryError as exc:
        status, problem = _problem(exc)
        if status in (403, 404):
            raise
        return _dlt_page(ctx, code, error=problem, status=status)
    verdict = "a DLT" if choice == "yes" else "no DLT"
    return ctx.redirect(f"{PREFIX}/subjects/{code}/dlt", f"Decision recorded: {verdict}.")


# --- dose escalation --------------------------------------------------------------------------------


def _committee_pages(ctx: Ctx) -> None:
    if ctx.who.role not in CHART_ROLES:
        raise PageError(403, "This page is for the safety committee, the trial office and monitors.")


@router.get(f"{PREFIX}/dose-finding", response_class=HTMLResponse)
def dose_finding_index(request: Request) -> Response:
    ctx = current(request)
    _committee_pages(ctx)
    on = ctx.state.today()
    states = ctx.write(
        lambda db: [
            conduct.view_dose_finding(db, actor=ctx.who, subprotocol=sp.id, on=on)
            for sp in in_force(db).protocol.subprotocols
        ]
    )
    return ctx.render("conduct_index.html", states=states, on=on)


@router.get(f"{PREFIX}/subprotocols/{{sp_id}}/dose-finding", response_class=HTMLResponse)
def escalation_page(request: Request, sp_id: str, msg: str | None = None) -> Response:
    return _escalation_page(current(request), sp_id, message=msg)


def _escalation_page(ctx: Ctx, sp_id: str, **extra: Any) -> Response:
    _committee_pages(ctx)
    on = ctx.state.today()

    def work(db: Session) -> dict[str, Any]:
        state = conduct.view_dose_finding(db, actor=ctx.who, subprotocol=sp_id, on=on)
        waiting = list(
            db.scalars(
                select(DoseAssignment)
                .where(DoseAssignment.subprotocol == sp_id, DoseAssignment.status == "to_be_assigned")
                .order_by(DoseAssignment.assigned_on, DoseAssignment.subject_code)
            )
        )
        shown = conduct.to_dict(state, ctx.who)
        _seen(db, ctx, ctx.request, [*conduct.shown_subjects(shown), *(a.subject_code for a in waiting)])
        return {"state": shown, "to_assign": waiting}

    data = ctx.write(work)
    status = extra.pop("status", 200)
    return ctx.render(
        "conduct_escalation.html",
        status=status,
        sp_id=sp_id,
        **data,
        on=on,
        can_decide=ctx.who.role is Role.safety_committee,
        **extra,
    )


@router.get(f"{PREFIX}/subprotocols/{{sp_id}}/dose-escalation.png")
def escalation_png(request: Request, sp_id: str) -> Response:
    ctx = current(request)
    _committee_pages(ctx)
    on = ctx.state.today()

    def work(db: Session) -> tuple[Any, list[Any], list[Any]]:
        report = conduct.escalation_report(db, actor=ctx.who, subprotocol=sp_id, on=on)
        _seen(db, ctx, request, [p.subject for p in report[1]])  # a bar per patient, unlabelled
        return report

    found, points, marks = ctx.write(work)
    levels = list(found.design.levels) if found.design else sorted({p.dose_level for p in points})
    data = escalation_chart(
        points,
        title=f"Sub-protocol {sp_id}: dose escalation as of {on}",
        state=f"{found.action}: {found.reason}"[:220],
        levels=levels or [0],
        decisions=marks,
    )
    response = Response(data, media_type="image/png")
    ctx.refresh(response)
    return response


@router.post(f"{PREFIX}/subprotocols/{{sp_id}}/dose-finding/decisions", response_class=HTMLResponse)
async def committee_decision(request: Request, sp_id: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    answer = _field(form, "answer")
    if answer not in ("accept", "decline"):
        return _escalation_page(ctx, sp_id, error="Decision: choose accept or decline", status=422)
    level = _field(form, "to_level")
    try:
        to_level = int(level) if level else None
    except ValueError:
        return _escalation_page(ctx, sp_id, error=f"Level: {level!r} is not a level", status=422)
    on = ctx.state.today()
    try:
        row = ctx.write(
            lambda db: conduct.decide(
                db,
                actor=ctx.who,
                subprotocol=sp_id,
                kind=_field(form, "kind"),
                to_level=to_level,
                accept=answer == "accept",
                note=_field(form, "note"),
                on=on,
            )
        )
    except RegistryError as exc:
        status, problem = _problem(exc)
        if status in (403, 404):
            raise
        return _escalation_page(ctx, sp_id, error=problem, status=status)
    word = "accepted" if row.accepted else "declined"
    return ctx.redirect(
        f"{PREFIX}/subprotocols/{sp_id}/dose-finding", f"Proposal {word}: {row.kind} to level {row.to_level}."
    )


@router.post(f"{PREFIX}/subjects/{{code}}/dose-level", response_class=HTMLResponse)
async def assign_level(request: Request, code: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    sp_id = _field(form, "subprotocol")
    on = ctx.state.today()
    try:
        level = int(_field(form, "dose_level"))
    except ValueError:
        return _escalation_page(ctx, sp_id, error="Dose level: give a whole number", status=422)
    try:
        ctx.write(
            lambda db: conduct.assign_level(
                db, actor=ctx.who, code=code, dose_level=level, note=_field(form, "note"), on=on
            )
        )
    except RegistryError as exc:
        status, problem = _problem(exc)
        if status in (403, 404):
            raise
        return _escalation_page(ctx, sp_id, error=problem, status=status)
    return ctx.redirect(
        f"{PREFIX}/subprotocols/{sp_id}/dose-finding", f"{code}: dose level {level} assigned."
    )
