"""Pages of the efficacy stage (issue 15): response entry with the category computed while the form is
filled, the investigator's confirmation, off treatment / off study and follow-up, the efficacy stage
per sub-protocol, the enrolment table by site and month and the CONSORT-style flow.

Thin: read the form, call one registry service (``ismart.registry.responses``), render one template.
The category is always the core's (``ismart.response``); the page only shows it.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from ismart.errors import InputError, _one_line
from ismart.registry import registrations, subjects
from ismart.registry import responses as svc
from ismart.registry.access import Role
from ismart.registry.context import in_force
from ismart.registry.errors import Conflict, Invalid, NotFound
from ismart.registry.response_models import ResponseAssessment
from ismart.report import efficacy_report as rep
from ismart.response import Best, Disease, Extramedullary, ResponseResult
from ismart.response.components import CNS_STATUSES, MRD_METHODS
from ismart.response.efficacy import FLOW_STEPS, EfficacyReport, EnrolmentRow
from ismart.web.app import PREFIX, Ctx, PageError, _field, _optional, _seen, current, templates

router = APIRouter(include_in_schema=False)

ENTRY_ROLES = (Role.site_staff, Role.site_investigator, Role.trial_office)
OFF_ROLES = (Role.site_investigator, Role.trial_office)
REPORT_ROLES = (Role.trial_office, Role.monitor)

OFF_REASON_LABELS = {
    "progression": "Progression",
    "toxicity": "Toxicity",
    "hsct": "HSCT",
    "consent_withdrawn": "Consent withdrawn",
    "death": "Death",
    "investigator_decision": "Investigator decision",
}
FOLLOW_UP_LABELS = {
    "in_follow_up": "In follow-up",
    "lost_to_follow_up": "Lost to follow-up",
    "dead": "Dead",
    "completed": "Follow-up completed",
}
EVENT_LABELS = {
    "relapse": "Relapse",
    "death": "Death",
    "no_remission": "No remission",
    "second_malignancy": "Second malignancy",
}
MRD_LABELS = {"flow_cytometry": "Flow cytometry", "pcr": "PCR", "ngs": "NGS"}
EXTRAMEDULLARY_LABELS = {
    "none": "None",
    "decreased": "Decreased (at least halved)",
    "persistent": "Persistent",
    "progressive": "Progressive",
    "new": "New site",
}

# form field -> (component key, label); numbers
LEUKAEMIA_NUMBERS = (
    ("marrow_blasts_pct", "Marrow blasts (%)"),
    ("baseline_marrow_blasts_pct", "Baseline marrow blasts (%)"),
    ("peripheral_blasts", "Circulating blasts (x10⁹/L)"),
    ("baseline_peripheral_blasts", "Baseline circulating blasts (x10⁹/L)"),
    ("anc", "ANC (x10⁹/L)"),
    ("platelets", "Platelets (x10⁹/L)"),
)
LYMPHOMA_NUMBERS = (
    ("spd_change_pct", "SPD change from baseline (%)"),
    ("spd_change_from_nadir_pct", "SPD increase from nadir (%)"),
)
LYMPHOMA_FLAGS = (
    ("new_lesions", "New lesions"),
    ("residual_mass", "Residual mass"),
    ("residual_biopsy_negative", "Residual mass biopsy negative"),
    ("marrow_involved", "Marrow involved"),
    ("csf_involved", "CSF involved"),
    ("new_marrow_or_csf_involvement", "New marrow or CSF involvement"),
)
LABELS: dict[str, str] = {
    **dict(LEUKAEMIA_NUMBERS),
    **dict(LYMPHOMA_NUMBERS),
    **dict(LYMPHOMA_FLAGS),
    "cns": "CNS status",
    "extramedullary": "Extramedullary disease",
    "mrd.method": "MRD method",
    "mrd.value": "MRD value",
    "mrd.sensitivity": "MRD sensitivity",
    "mrd_value": "MRD value",
    "mrd_sensitivity": "MRD sensitivity",
    "cycle": "Cycle",
    "assessed_on": "Assessed on",
}
DATE_FIELDS = ("c1d1", "last_contact_on", "hsct_on", "death_on", "first_event_on")
DATE_LABELS = {
    "c1d1": "C1D1 (first day of treatment)",
    "last_contact_on": "Last contact",
    "hsct_on": "HSCT date",
    "death_on": "Date of death",
    "first_event_on": "First event (EFS)",
    "off_treatment_on": "Off treatment on",
    "off_study_on": "Off study on",
}


def _labelled(message: str) -> str:
    """A core message 'marrow_blasts_pct: ...' with the field's label the user sees on the form."""
    text = _one_line(message)
    key, sep, rest = text.partition(": ")
    return f"{LABELS[key]}: {rest}" if sep and key in LABELS else text


def _number(data: FormData, name: str) -> float | None:
    text = _field(data, name).replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{name}: {_field(data, name)!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(f"{name}: {text!r} is not a finite number")
    return value


def _flag(data: FormData, name: str) -> bool | None:
    text = _field(data, name)
    if text in ("", "unknown"):
        return None
    if text not in ("yes", "no"):
        raise InputError(f"{name}: choose yes, no or not recorded")
    return text == "yes"


def _day(data: FormData, name: str, label: str) -> date | None:
    text = _field(data, name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PageError(422, f"{label}: {text!r} is not a date (YYYY-MM-DD)") from None


def _mrd(data: FormData) -> dict[str, Any] | None:
    method = _field(data, "mrd_method")
    value, sensitivity = _number(data, "mrd_value"), _number(data, "mrd_sensitivity")
    if not method:
        if value is not None or sensitivity is not None:
            raise InputError("mrd.method: choose the method of the MRD value")
        return None
    if method not in MRD_METHODS:
        raise InputError(f"mrd.method: {method!r} is not one of {', '.join(MRD_METHODS)}")
    return {"method": method, "value": value, "sensitivity": sensitivity}


def components_from(data: FormData) -> tuple[Disease, dict[str, Any]]:
    """The assessment's disease and components as the API takes them (absent = not recorded)."""
    try:
        disease = Disease(_field(data, "disease") or "leukaemia")
    except ValueError:
        raise InputError("disease: choose leukaemia or lymphoma") from None
    parts: dict[str, Any] = {}
    if disease is Disease.leukaemia:
        for name, _label in LEUKAEMIA_NUMBERS:
            parts[name] = _number(data, name)
        cns = _field(data, "cns")
        if cns and cns not in CNS_STATUSES:
            raise InputError(f"cns: {cns!r} is not one of {', '.join(CNS_STATUSES)}")
        parts["cns"] = cns or None
        extra = _field(data, "extramedullary")
        if extra and extra not in {e.value for e in Extramedullary}:
            raise InputError(f"extramedullary: {extra!r} is not one of the listed values")
        parts["extramedullary"] = extra or None
    else:
        for name, _label in LYMPHOMA_NUMBERS:
            parts[name] = _number(data, name)
        for name, _label in LYMPHOMA_FLAGS:
            parts[name] = _flag(data, name)
    parts["mrd"] = _mrd(data)
    return disease, {k: v for k, v in parts.items() if v is not None}


@dataclass(frozen=True)
class Computed:
    """What the category fragment shows: the core's result, or the one-line reason it has none."""

    result: ResponseResult | None
    error: str | None


def compute(data: FormData) -> Computed:
    try:
        disease, parts = components_from(data)
        return Computed(svc.classify(disease, parts), None)
    except InputError as exc:
        return Computed(None, _labelled(str(exc)))


def _allowed(ctx: Ctx, roles: tuple[Role, ...], what: str) -> None:
    if ctx.who.role not in roles:
        raise PageError(403, f"Your role ({ctx.who.role.value.replace('_', ' ')}) may not {what}.")


# --- responses -------------------------------------------------------------------------------------


def _responses_context(db: Session, ctx: Ctx, code: str) -> dict[str, Any]:
    subject = subjects.get_subject(db, actor=ctx.who, code=code)
    rows = svc.list_responses(db, actor=ctx.who, code=code)
    regs = registrations.list_registrations(db, actor=ctx.who, code=code)
    gates = []
    last = svc.last_cycle(db, code) if regs else 1
    for cycle in range(2, last + 1):
        gates.append(
            (cycle, svc.cycle_gate(db, actor=ctx.who, code=code, cycle=cycle, sponsor_approved=None))
        )
    _seen(db, ctx, ctx.request, [code])
    return {
        "subject": subject,
        "rows": rows,
        "registration": regs[0] if regs else None,
        "best_all": svc.best(rows),
        "best_one": svc.best(rows, up_to_cycle=1),
        "gates": gates,
        "last_cycle": last,
        "waiting": sum(1 for r in rows if r.confirmed_by is None),
        "outcome": svc.get_outcome(db, actor=ctx.who, code=code),
    }


def _best_reason(best: Best, waiting: int) -> str:
    """The core's reason; with assessments awaiting confirmation, say so rather than 'none recorded'."""
    if not waiting:
        return best.reason
    note = f"{waiting} assessment(s) awaiting the investigator's confirmation"
    return (
        f"no confirmed response assessment yet ({note})" if best.cycle is None else f"{best.reason} ({note})"
    )


def _defaults(rows: list[ResponseAssessment], today: date, last_cycle: int) -> dict[str, str]:
    """A new assessment starts from the previous one's disease and baseline values."""
    values = {"assessed_on": today.isoformat(), "cycle": "1", "disease": "leukaemia"}
    if rows:
        last = rows[-1]
        values["disease"] = last.disease
        values["cycle"] = str(min(last.cycle + 1, last_cycle))
        parts = json.loads(last.components)
        for key in ("baseline_marrow_blasts_pct", "baseline_peripheral_blasts"):
            if parts.get(key) is not None:
                values[key] = f"{parts[key]:g}"
    return values


def _render_responses(
    ctx: Ctx,
    code: str,
    *,
    values: dict[str, str] | None = None,
    computed: Computed | None = None,
    error: str | None = None,
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    data = ctx.write(lambda db: _responses_context(db, ctx, code))
    form_values = (
        values if values is not None else _defaults(data["rows"], ctx.state.today(), data["last_cycle"])
    )
    return ctx.render(
        "responses.html",
        status=status,
        **data,
        values=form_values,
        computed=computed,
        error=error,
        message=message,
        can_enter=ctx.who.role in ENTRY_ROLES and data["subject"].state in svc.TREATED_STATES,
        can_confirm=ctx.who.role is Role.site_investigator,
        reasons_of=lambda r: json.loads(r.reasons),
        best_reason=lambda b: _best_reason(b, data["waiting"]),
        components_of=lambda r: json.loads(r.components),
        labels=LABELS,
        leukaemia_numbers=LEUKAEMIA_NUMBERS,
        lymphoma_numbers=LYMPHOMA_NUMBERS,
        lymphoma_flags=LYMPHOMA_FLAGS,
        cns_options=[(c, c) for c in CNS_STATUSES],
        mrd_labels=MRD_LABELS,
        extramedullary_labels=EXTRAMEDULLARY_LABELS,
        treated_states=svc.TREATED_STATES,
    )


@router.get(f"{PREFIX}/subjects/{{code}}/responses", response_class=HTMLResponse)
def responses_page(request: Request, code: str, msg: str | None = None) -> Response:
    return _render_responses(current(request), code, message=msg)


def _form_values(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}


@router.post(f"{PREFIX}/subjects/{{code}}/responses/category", response_class=HTMLResponse)
async def category_fragment(request: Request, code: str) -> Response:
    """The category of the form as filled so far: the HTML fragment the page's script shows."""
    ctx = current(request)
    form = await ctx.form()
    _allowed(ctx, ENTRY_ROLES, "enter response assessments")
    ctx.write(lambda db: subjects.get_subject(db, actor=ctx.who, code=code))  # another site's: 404
    response = templates.TemplateResponse(request, "_category.html", {"computed": compute(form)})
    ctx.refresh(response)
    return response


@router.post(f"{PREFIX}/subjects/{{code}}/responses", response_class=HTMLResponse)
async def add_response(request: Request, code: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    _allowed(ctx, ENTRY_ROLES, "enter response assessments")
    values = _form_values(form)
    computed = compute(form)
    if _field(form, "action") != "store":  # "Show category" without the script
        return _render_responses(ctx, code, values=values, computed=computed)
    cycle_text = _field(form, "cycle")
    if not cycle_text.isdigit():
        return _render_responses(
            ctx, code, values=values, computed=computed, error="Cycle: choose 1, 2 or 3", status=422
        )
    try:
        assessed_on = _day(form, "assessed_on", "Assessed on")
        if assessed_on is None:
            raise PageError(422, "Assessed on: give the day of the assessment")
        disease, parts = components_from(form)
        row = ctx.write(
            lambda db: svc.add_response(
                db,
                actor=ctx.who,
                code=code,
                cycle=int(cycle_text),
                assessed_on=assessed_on,
                disease=disease,
                components=parts,
                today=ctx.state.today(),
            )
        )
    except (InputError, Invalid, Conflict) as exc:
        return _render_responses(
            ctx, code, values=values, computed=computed, error=_labelled(str(exc)), status=422
        )
    except PageError as exc:
        if exc.status != 422:
            raise
        return _render_responses(ctx, code, values=values, computed=computed, error=exc.message, status=422)
    return ctx.redirect(
        f"{PREFIX}/subjects/{code}/responses",
        f"Assessment of cycle {row.cycle} recorded: {row.category}. It counts once the site investigator "
        "confirms it.",
    )


@router.post(f"{PREFIX}/subjects/{{code}}/responses/{{response_id}}/confirm")
async def confirm_response(request: Request, code: str, response_id: int) -> Response:
    ctx = current(request)
    await ctx.form()
    _allowed(ctx, (Role.site_investigator,), "confirm response assessments (the site investigator does)")
    row = ctx.write(lambda db: svc.confirm_response(db, actor=ctx.who, code=code, response_id=response_id))
    return ctx.redirect(
        f"{PREFIX}/subjects/{code}/responses", f"Assessment of cycle {row.cycle} confirmed: {row.category}."
    )


# --- off treatment, off study, follow-up -----------------------------------------------------------


def _render_outcome(
    ctx: Ctx, code: str, *, message: str | None = None, error: str | None = None, status: int = 200
) -> HTMLResponse:
    def work(db: Session) -> dict[str, Any]:
        subject = subjects.get_subject(db, actor=ctx.who, code=code)
        outcome = svc.get_outcome(db, actor=ctx.who, code=code)
        regs = registrations.list_registrations(db, actor=ctx.who, code=code)
        _seen(db, ctx, ctx.request, [code])
        return {"subject": subject, "outcome": outcome, "registration": regs[0] if regs else None}

    data = ctx.write(work)
    return ctx.render(
        "outcome.html",
        status=status,
        **data,
        survival=svc.survival(data["outcome"]),
        message=message,
        error=error,
        can_off=ctx.who.role in OFF_ROLES,
        can_follow=ctx.who.role in ENTRY_ROLES,
        off_reasons=list(OFF_REASON_LABELS.items()),
        follow_up=list(FOLLOW_UP_LABELS.items()),
        events=list(EVENT_LABELS.items()),
        reason_label=lambda r: OFF_REASON_LABELS.get(r or "", r or ""),
        follow_label=lambda r: FOLLOW_UP_LABELS.get(r or "", r or ""),
        event_label=lambda r: EVENT_LABELS.get(r or "", r or ""),
        date_labels=DATE_LABELS,
        today=ctx.state.today(),
    )


@router.get(f"{PREFIX}/subjects/{{code}}/outcome", response_class=HTMLResponse)
def outcome_page(request: Request, code: str, msg: str | None = None) -> Response:
    return _render_outcome(current(request), code, message=msg)


async def _off(request: Request, code: str, which: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    _allowed(ctx, OFF_ROLES, f"take a subject off {which} (the site investigator or the trial office does)")
    reason = _field(form, "reason")
    label = DATE_LABELS[f"off_{which}_on"]
    try:
        if reason not in OFF_REASON_LABELS:
            raise PageError(422, "Reason: choose one of the coded reasons")
        on = _day(form, "on", label)
        if on is None:
            raise PageError(422, f"{label}: give the day")
        act = svc.off_treatment if which == "treatment" else svc.off_study
        ctx.write(
            lambda db: act(
                db,
                actor=ctx.who,
                code=code,
                on=on,
                reason=reason,
                note=_optional(form, "note"),
                today=ctx.state.today(),
            )
        )
    except PageError as exc:
        return _render_outcome(ctx, code, error=exc.message, status=exc.status)
    except (Invalid, Conflict) as exc:
        return _render_outcome(ctx, code, error=_outcome_message(str(exc)), status=422)
    return ctx.redirect(
        f"{PREFIX}/subjects/{code}/outcome", f"Off {which} on {on}: {OFF_REASON_LABELS[reason].lower()}."
    )


OUTCOME_LABELS = {"follow_up_status": "Follow-up status", "first_event_kind": "Kind of first event"}


def _outcome_message(message: str) -> str:
    text = _one_line(message)
    key, sep, rest = text.partition(": ")
    labels = {**DATE_LABELS, **OUTCOME_LABELS}
    if sep and key in labels:
        return f"{labels[key]}: {rest}"
    return text


@router.post(f"{PREFIX}/subjects/{{code}}/off-treatment", response_class=HTMLResponse)
async def off_treatment(request: Request, code: str) -> Response:
    return await _off(request, code, "treatment")


@router.post(f"{PREFIX}/subjects/{{code}}/off-study", response_class=HTMLResponse)
async def off_study(request: Request, code: str) -> Response:
    return await _off(request, code, "study")


@router.post(f"{PREFIX}/subjects/{{code}}/outcome", response_class=HTMLResponse)
async def update_outcome(request: Request, code: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    _allowed(ctx, ENTRY_ROLES, "record follow-up")
    try:
        changes: dict[str, Any] = {}
        for name in DATE_FIELDS:
            day = _day(form, name, DATE_LABELS[name])
            if day is not None:
                changes[name] = day
        for name, allowed in (("follow_up_status", FOLLOW_UP_LABELS), ("first_event_kind", EVENT_LABELS)):
            value = _field(form, name)
            if value:
                if value not in allowed:
                    raise PageError(422, f"{OUTCOME_LABELS[name]}: choose one of the listed values")
                changes[name] = value
        if _field(form, "note"):
            changes["note"] = _field(form, "note")
        if not changes:
            raise PageError(422, "Follow-up: fill in at least one field")
        ctx.write(
            lambda db: svc.update_outcome(
                db,
                actor=ctx.who,
                code=code,
                changes=changes,
                today=ctx.state.today(),
                reason=_optional(form, "reason"),
            )
        )
    except PageError as exc:
        return _render_outcome(ctx, code, error=exc.message, status=exc.status)
    except (Invalid, Conflict) as exc:
        return _render_outcome(ctx, code, error=_outcome_message(str(exc)), status=422)
    return ctx.redirect(f"{PREFIX}/subjects/{code}/outcome", "Follow-up recorded.")


# --- the efficacy stage, enrolment and flow --------------------------------------------------------


def _report_reader(ctx: Ctx) -> None:
    if ctx.who.role not in REPORT_ROLES:
        raise PageError(403, "The efficacy stage, enrolment and flow are for the trial office and monitors.")


def _sp(ctx: Ctx, sp_id: str) -> Any:
    for sp in in_force(ctx.state.sessions).protocol.subprotocols:
        if sp.id == sp_id:
            return sp
    raise NotFound(f"sub-protocol {sp_id} not found")


@router.get(f"{PREFIX}/efficacy", response_class=HTMLResponse)
def efficacy_index(request: Request) -> Response:
    ctx = current(request)
    _report_reader(ctx)
    subs = in_force(ctx.state.sessions).protocol.subprotocols
    reports = ctx.write(lambda db: [svc.efficacy(db, actor=ctx.who, subprotocol=sp.id) for sp in subs])
    return ctx.render("efficacy_index.html", items=list(zip(subs, reports, strict=True)))


def _efficacy_data(ctx: Ctx, sp_id: str) -> dict[str, Any]:
    def work(db: Session) -> dict[str, Any]:
        return {
            "report": svc.efficacy(db, actor=ctx.who, subprotocol=sp_id),
            "flow": svc.flow(db, actor=ctx.who, subprotocol=sp_id),
            "enrolment": svc.enrolment(db, actor=ctx.who, subprotocol=sp_id),
        }

    _report_reader(ctx)
    return ctx.write(work)


@router.get(f"{PREFIX}/efficacy/{{sp_id}}", response_class=HTMLResponse)
def efficacy_page(request: Request, sp_id: str, msg: str | None = None) -> Response:
    ctx = current(request)
    _report_reader(ctx)
    sp = _sp(ctx, sp_id)

    def work(db: Session) -> EfficacyReport:
        found = svc.efficacy(db, actor=ctx.who, subprotocol=sp.id)
        _seen(db, ctx, request, [p.code for p in found.state.patients])
        return found

    report = ctx.write(work)
    return ctx.render(
        "efficacy.html",
        sp=sp,
        report=report,
        lines=rep.efficacy_lines(report),
        message=msg,
        tab="efficacy",
        can_declare=ctx.who.role is Role.trial_office,
        dose_levels=list(sp.treatment.dose_levels) if sp.treatment and sp.treatment.dose_levels else [],
        today=ctx.state.today(),
    )


@router.post(f"{PREFIX}/efficacy/{{sp_id}}/rp2d", response_class=HTMLResponse)
async def declare_rp2d(request: Request, sp_id: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    _allowed(ctx, (Role.trial_office,), "declare the recommended phase II dose")
    sp = _sp(ctx, sp_id)
    level = _field(form, "dose_level")
    if not level.lstrip("-").isdigit():
        raise PageError(422, f"Dose level: {level!r} is not a whole number")
    declared_on = _day(form, "declared_on", "Declared on")
    if declared_on is None:
        raise PageError(422, "Declared on: give the day of the declaration")
    ctx.write(
        lambda db: svc.declare_rp2d(
            db,
            actor=ctx.who,
            subprotocol=sp.id,
            dose_level=int(level),
            declared_on=declared_on,
            today=ctx.state.today(),
        )
    )
    return ctx.redirect(f"{PREFIX}/efficacy/{sp.id}", f"Recommended phase II dose of {sp.id}: level {level}.")


@dataclass(frozen=True)
class Pivot:
    """Registrations by site (rows) and month (columns), with totals: the same numbers as the CSV."""

    months: list[str]
    sites: list[str]
    cells: dict[tuple[str, str], int]
    by_site: dict[str, int]
    by_month: dict[str, int]
    total: int


def pivot(rows: list[EnrolmentRow]) -> Pivot:
    months = sorted({r.month for r in rows})
    sites = sorted({r.site_code for r in rows})
    cells = {(r.site_code, r.month): r.registered for r in rows}
    by_site = {s: sum(r.registered for r in rows if r.site_code == s) for s in sites}
    by_month = {m: sum(r.registered for r in rows if r.month == m) for m in months}
    return Pivot(months, sites, cells, by_site, by_month, sum(r.registered for r in rows))


def month_label(month: str) -> str:
    from ismart.web.views import MONTHS

    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


@router.get(f"{PREFIX}/efficacy/{{sp_id}}/enrolment", response_class=HTMLResponse)
def enrolment_page(request: Request, sp_id: str) -> Response:
    ctx = current(request)
    _report_reader(ctx)
    sp = _sp(ctx, sp_id)
    rows = ctx.write(lambda db: svc.enrolment(db, actor=ctx.who, subprotocol=sp.id))
    return ctx.render("enrolment.html", sp=sp, table=pivot(rows), month_label=month_label, tab="enrolment")


@router.get(f"{PREFIX}/efficacy/{{sp_id}}/flow", response_class=HTMLResponse)
def flow_page(request: Request, sp_id: str) -> Response:
    ctx = current(request)
    _report_reader(ctx)
    sp = _sp(ctx, sp_id)
    flow = ctx.write(lambda db: svc.flow(db, actor=ctx.who, subprotocol=sp.id))
    steps = []
    for i, step in enumerate(FLOW_STEPS):
        before = FLOW_STEPS[i - 1] if i else step
        lost = flow.counts[before] - flow.counts[step]
        steps.append((step, rep.LABELS[step], flow.counts[step], lost, rep.LABELS[before]))
    return ctx.render("flow.html", sp=sp, steps=steps, tab="flow")


def _download(ctx: Ctx, body: bytes | str, media: str, filename: str, inline: bool = False) -> Response:
    how = "inline" if inline else "attachment"
    response = Response(
        body, media_type=media, headers={"Content-Disposition": f'{how}; filename="{filename}"'}
    )
    ctx.refresh(response)
    return response


_FILES = ("efficacy.csv", "enrolment.csv", "flow.csv", "flow.png", "report.pdf")


@router.get(f"{PREFIX}/efficacy/{{sp_id}}/{{name}}")
def efficacy_file(request: Request, sp_id: str, name: str) -> Response:
    """The report files of ``ismart efficacy report``, built from the same records as the pages."""
    ctx = current(request)
    if name not in _FILES:
        raise NotFound(f"file {name} not found")
    sp = _sp(ctx, sp_id)
    data = _efficacy_data(ctx, sp.id)
    report, flow, rows = data["report"], data["flow"], data["enrolment"]
    filename = f"{sp.id}-{name}"
    if name == "efficacy.csv":
        return _download(ctx, rep.efficacy_csv(report), "text/csv", filename)
    if name == "enrolment.csv":
        return _download(ctx, rep.enrolment_csv(sp.id, rows), "text/csv", filename)
    if name == "flow.csv":
        return _download(ctx, rep.flow_csv(flow), "text/csv", filename)
    with tempfile.TemporaryDirectory() as folder:
        image = Path(folder) / "flow.png"
        rep.flow_png(flow, image)
        if name == "flow.png":
            return _download(ctx, image.read_bytes(), "image/png", filename, inline=True)
        pdf = Path(folder) / "report.pdf"
        rep.to_pdf(report, flow, rows, pdf, flow_image=image)
        return _download(ctx, pdf.read_bytes(), "application/pdf", filename, inline=True)


__all__ = ["components_from", "compute", "pivot", "router"]
