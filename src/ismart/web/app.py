"""The web pages' routes: read the session, call one registry service, render one template."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from ismart import dossier
from ismart.errors import IsmartError, _one_line
from ismart.http_status import status_for
from ismart.medications import MedicationTable
from ismart.protocol.model import Protocol as ProtocolData
from ismart.registry import (
    access_log,
    accounts,
    audit,
    audit_reads,
    board,
    conduct,
    dossiers,
    registrations,
    screenings,
    subjects,
    verdict_changes,
)
from ismart.registry import sites as registry_sites
from ismart.registry.access import SITE_ROLES, Principal, Role
from ismart.registry.context import in_force
from ismart.registry.errors import NotFound, RegistryError
from ismart.registry.models import AuditEntry, Screening, Site, User, VerdictChange
from ismart.registry.settings import Settings
from ismart.web import session as ws
from ismart.web import views

T = TypeVar("T")
_HERE = resources.files("ismart") / "web"
templates = Jinja2Templates(directory=str(_HERE / "templates"))
templates.env.filters["nice_date"] = views.nice_date
templates.env.globals["verdict_class"] = lambda v: str(v or "none").lower().replace("_", "-")
router = APIRouter(include_in_schema=False)
PREFIX = "/web"
PAGE_SIZE = 100  # rows per page of long tables, as Datasette does
CSRF_COOKIE = "ismart_signin_csrf"
LAB_FILES = (
    ("vcf", "VCF (VEP or SnpEff)"),
    ("maf", "MAF"),
    ("fusions", "Fusions (Arriba or STAR-Fusion)"),
    ("cnv", "Copy number (discrete CNA or seg)"),
    ("drug_response", "Drug response (IC50)"),
)


_VERDICTS = ("ELIGIBLE", "NOT_ELIGIBLE", "INCOMPLETE", "NEEDS_REVIEW", None)
# the verdict badge partial's class and text, precomputed for long tables (same output as _verdict.html)
_BADGE_CLASS = {v: str(v or "none").lower().replace("_", "-") for v in _VERDICTS}
_BADGE_TEXT = {v: (v or "not screened").replace("_", " ") for v in _VERDICTS}


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Registry(Protocol):
    """What the pages need of the API's app state (ismart.api.deps.AppState); the web package
    sits beside the API and does not import it (the API mounts the pages)."""

    settings: Settings
    sessions: sessionmaker[Session]
    today: Callable[[], date]

    def write(self, work: Callable[[Session], T]) -> T: ...


def _state(request: Request) -> Registry:
    state: Registry = request.app.state.registry
    return state


def _idle_minutes() -> int:
    raw = os.environ.get("ISMART_WEB_IDLE_MINUTES", "30")
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= 24 * 60:
        raise IsmartError("ISMART_WEB_IDLE_MINUTES: give whole minutes from 1 to 1440")
    return value


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", secure=_secure(request), path="/")


def _seen(db: Session, ctx: Ctx, request: Request, codes: list[str]) -> None:
    """Note in the access log that this page shows these subjects (one entry per page)."""
    route = request.scope.get("route")
    action = f"{request.method} {getattr(route, 'path', request.url.path)}"
    access_log.record(db, actor=ctx.who, action=action, subjects=codes)


class Ctx:
    """The signed-in caller of one request."""

    def __init__(self, request: Request, session: ws.WebSession) -> None:
        self.request = request
        self.session = session
        self.who = session.principal

    @property
    def state(self) -> Registry:
        return _state(self.request)

    def write(self, work: Callable[[Session], T]) -> T:
        return self.state.write(work)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        site = None
        if self.who.site_code:
            site = self.write(lambda db: db.get(Site, self.who.site_code))
        response = templates.TemplateResponse(
            self.request,
            template,
            {"who": self.who, "csrf": self.session.csrf, "site": site, "nav": _nav(self.who), **values},
            status_code=status,
        )
        self.refresh(response)
        return response

    def fragment(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """A piece of a page (no layout), for a script that updates part of the page in place."""
        response = templates.TemplateResponse(self.request, template, values, status_code=status)
        self.refresh(response)
        return response

    def refresh(self, response: Response) -> None:
        """Slide the idle window: a fresh cookie on every signed-in request."""
        fresh = ws.new_session(self.who, self.session.version)
        fresh = ws.WebSession(self.who, self.session.version, self.session.csrf, fresh.last)
        _set_cookie(
            response, self.request, ws.COOKIE, ws.encode(fresh, secret=self.state.settings.signing_key())
        )

    def redirect(self, url: str, message: str | None = None) -> RedirectResponse:
        target = url if message is None else f"{url}{'&' if '?' in url else '?'}{_q(message)}"
        response = RedirectResponse(target, status_code=303)
        self.refresh(response)
        return response

    async def form(self) -> FormData:
        """The posted form, refused unless it carries this session's CSRF token."""
        data = await self.request.form()
        token = data.get("csrf")
        if not ws.same_token(token if isinstance(token, str) else None, self.session.csrf):
            raise PageError(
                403, "This form has expired or did not come from this site. Reload the page and try again."
            )
        return data


def _q(message: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"msg": message})


def _nav(who: Principal) -> list[tuple[str, str]]:
    items = [("Overview", f"{PREFIX}/home")]
    if who.role in (Role.tumour_board, Role.trial_office):
        items.append(("Tumour board", f"{PREFIX}/board"))
    if who.role in (Role.trial_office, Role.monitor, Role.safety_committee):
        items.append(("Dose finding", f"{PREFIX}/dose-finding"))  # issue 14
    if who.role in (Role.trial_office, Role.monitor):
        items += [
            ("Verdict changes", f"{PREFIX}/office/changes"),
            ("Efficacy stage", f"{PREFIX}/efficacy"),
            ("Sites", f"{PREFIX}/office/sites"),
            ("Audit log", f"{PREFIX}/office/audit"),
        ]
    if who.role is Role.trial_office:
        items += [("Users", f"{PREFIX}/office/users"), ("Patterns", f"{PREFIX}/patterns")]
    items.append(("My password", f"{PREFIX}/password"))
    return items


def current(request: Request) -> Ctx:
    state = _state(request)
    username, version, csrf = ws.decode(
        request.cookies.get(ws.COOKIE), secret=state.settings.signing_key(), idle_minutes=_idle_minutes()
    )
    with state.sessions() as db:
        principal = ws.check_account(
            db,
            username=username,
            version=version,
            password_page=request.url.path in (f"{PREFIX}/password", f"{PREFIX}/signout"),
        )
    return Ctx(request, ws.WebSession(principal, version, csrf, 0.0))


def _field(data: FormData, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _optional(data: FormData, name: str) -> str | None:
    return _field(data, name) or None


# --- sign in / out / password ----------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def sign_in_page(request: Request, msg: str | None = None, expired: int = 0) -> Response:
    token = request.cookies.get(CSRF_COOKIE) or ws.new_session(Principal("-", Role.monitor, None), 0).csrf
    message = ws.EXPIRED if expired else msg
    response = templates.TemplateResponse(
        request,
        "signin.html",
        {"csrf": token, "message": message, "who": None, "nav": []},
        status_code=200,
    )
    _set_cookie(response, request, CSRF_COOKIE, token)
    return response


@router.post("/", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    data = await request.form()
    token = data.get("csrf")
    expected = request.cookies.get(CSRF_COOKIE) or ""
    if not expected or not ws.same_token(token if isinstance(token, str) else None, expected):
        return sign_in_page(request, msg="The sign-in form had expired. Please try again.")
    state = _state(request)
    address = request.client.host if request.client else "-"
    outcome = state.write(
        lambda db: ws.sign_in(
            db,
            username=_field(data, "username"),
            password=str(data.get("password") or ""),
            address=address,
            settings=state.settings,
        )
    )
    if outcome is None:
        response = templates.TemplateResponse(
            request,
            "signin.html",
            {
                "csrf": expected,
                "message": ws.REFUSED,
                "who": None,
                "nav": [],
                "username": _field(data, "username"),
            },
            status_code=401,
        )
        return response
    session = ws.new_session(outcome.principal, outcome.version)
    target = f"{PREFIX}/password" if outcome.must_change_password else f"{PREFIX}/home"
    signed_in = RedirectResponse(target, status_code=303)
    _set_cookie(signed_in, request, ws.COOKIE, ws.encode(session, secret=state.settings.signing_key()))
    return signed_in


@router.post(f"{PREFIX}/signout")
async def sign_out(request: Request) -> Response:
    ctx = current(request)
    await ctx.form()
    response = RedirectResponse("/?msg=You+are+signed+out.", status_code=303)
    response.delete_cookie(ws.COOKIE, path="/")
    return response


@router.get(f"{PREFIX}/password", response_class=HTMLResponse)
def password_page(request: Request, msg: str | None = None) -> Response:
    return current(request).render("password.html", message=msg)


@router.post(f"{PREFIX}/password", response_class=HTMLResponse)
async def change_password(request: Request) -> Response:
    ctx = current(request)
    data = await ctx.form()
    current_pw, new = str(data.get("current") or ""), str(data.get("new") or "")
    if new != str(data.get("repeat") or ""):
        return ctx.render(
            "password.html", status=422, error="Repeat new password: the two new passwords differ"
        )
    try:
        ctx.write(
            lambda db: ws.change_own_password(db, username=ctx.who.username, current=current_pw, new=new)
        )
    except RegistryError as exc:
        return ctx.render(
            "password.html",
            status=status_for(exc) if status_for(exc) != 401 else 422,
            error=_one_line(str(exc)),
        )
    response = RedirectResponse(
        "/?msg=Password+changed.+Please+sign+in+with+the+new+password.", status_code=303
    )
    response.delete_cookie(ws.COOKIE, path="/")
    return response


# --- overviews -------------------------------------------------------------------------------------


@router.get(f"{PREFIX}/home", response_class=HTMLResponse)
def home(
    request: Request,
    sort: str = "code",
    state: str = "",
    verdict: str = "",
    q: str = "",
    msg: str | None = None,
    page: int = 1,
) -> Response:
    ctx = current(request)
    if ctx.who.role is Role.tumour_board:
        return RedirectResponse(f"{PREFIX}/board", status_code=303)
    if ctx.who.role is Role.safety_committee:
        return RedirectResponse(f"{PREFIX}/dose-finding", status_code=303)
    if ctx.who.role in SITE_ROLES:
        return _dashboard(ctx, sort=sort, state_filter=state, verdict=verdict, q=q, msg=msg, page=page)
    return _office(ctx, msg=msg)


def _dashboard(
    ctx: Ctx, *, sort: str, state_filter: str, verdict: str, q: str, msg: str | None, page: int
) -> Response:
    def work(db: Session) -> dict[str, Any]:
        rows = views.subject_rows(db, actor=ctx.who)
        sites = {s.code: st for s, st in registry_sites.list_sites(db)}
        shown = _filtered(rows, sort=sort, state_filter=state_filter, verdict=verdict, q=q)
        pages = max(1, -(-len(shown) // PAGE_SIZE))
        at = min(max(page, 1), pages)
        # issue 14: the site's SAE clocks, due and overdue
        clocks = conduct.overdue_clocks(db, actor=ctx.who, now=_utcnow(), include_open=True)
        on_page = shown[(at - 1) * PAGE_SIZE : at * PAGE_SIZE]
        # the subjects this page shows: its rows of the list and the SAE clocks' subjects
        _seen(db, ctx, ctx.request, [*(r.code for r in on_page), *(e.subject_code for e, _ in clocks)])
        return {
            "rows": on_page,
            "total": len(rows),
            "matching": len(shown),
            "page": at,
            "pages": pages,
            "statuses": sites.get(ctx.who.site_code or "", {}),
            "counters": views.capacity(db),
            "sae_clocks": clocks,
        }

    data = ctx.write(work)
    return ctx.render(
        "dashboard.html",
        rows=data["rows"],
        total=data["total"],
        matching=data["matching"],
        page=data["page"],
        pages=data["pages"],
        sort=sort,
        state_filter=state_filter,
        verdict=verdict,
        q=q,
        statuses=data["statuses"],
        counters=data["counters"],
        sae_clocks=data["sae_clocks"],
        subprotocols=in_force(ctx.state.sessions).protocol.subprotocols,
        states=list(subjects.TRANSITIONS),
        message=msg,
        sp_ids=[sp.id for sp in in_force(ctx.state.sessions).protocol.subprotocols],
        badge_class=_BADGE_CLASS,
        badge_text=_BADGE_TEXT,
    )


def _filtered(
    rows: list[views.SubjectRow], *, sort: str, state_filter: str, verdict: str, q: str
) -> list[views.SubjectRow]:
    """The dashboard's rows that match its filters, in its sort order."""
    if state_filter:
        rows = [r for r in rows if r.state == state_filter]
    if verdict:
        rows = [r for r in rows if r.summary and verdict in r.summary.verdicts.values()]
    if q:
        rows = [r for r in rows if q.upper() in r.code]
    column = sort.lstrip("-")
    return sorted(rows, key=lambda r: r.sort_key(column), reverse=sort.startswith("-"))


def _office(ctx: Ctx, *, msg: str | None) -> Response:
    def work(db: Session) -> dict[str, Any]:
        return {
            "rows": views.subject_rows(db, actor=ctx.who),
            "pending": verdict_changes.list_verdict_changes(db, actor=ctx.who, status="pending"),
            "counters": views.capacity(db),
        }

    data = ctx.write(work)
    by_site: dict[str, int] = {}
    for row in data["rows"]:
        by_site[row.site_code] = by_site.get(row.site_code, 0) + 1
    return ctx.render(
        "office.html",
        by_site=sorted(by_site.items()),
        pending=data["pending"],
        counters=data["counters"],
        total=len(data["rows"]),
        message=msg,
    )


# --- subjects and screening ------------------------------------------------------------------------


@router.post(f"{PREFIX}/subjects")
async def new_subject(request: Request) -> Response:
    ctx = current(request)
    data = await ctx.form()
    site_code = _field(data, "site_code") or ctx.who.site_code or ""
    subject = ctx.write(lambda db: subjects.create_subject(db, actor=ctx.who, site_code=site_code))
    return ctx.redirect(f"{PREFIX}/subjects/{subject.code}", f"Subject {subject.code} created.")


@router.get(f"{PREFIX}/subjects/{{code}}", response_class=HTMLResponse)
def subject_page(request: Request, code: str, msg: str | None = None) -> Response:
    ctx = current(request)

    def work(db: Session) -> dict[str, Any]:
        subject = subjects.get_subject(db, actor=ctx.who, code=code)
        _seen(db, ctx, request, [code])
        latest = views.latest_screening(db, code)
        return {
            "subject": subject,
            "site": db.get(Site, subject.site_code),
            "screenings": screenings.list_screenings(db, actor=ctx.who, code=code),
            "dossiers": dossiers.list_dossiers(db, actor=ctx.who, code=code),
            "result": json.loads(latest.result) if latest else None,
            "latest": latest,
            "decisions": board.list_board_decisions(db, actor=ctx.who, code=code),
            "registrations": registrations.list_registrations(db, actor=ctx.who, code=code),
            "counters": views.capacity(db),
            "statuses": {s.code: st for s, st in registry_sites.list_sites(db)}.get(subject.site_code, {}),
        }

    data = ctx.write(work)
    decisions = data["decisions"]
    return ctx.render(
        "subject.html",
        **data,
        message=msg,
        lab_files=LAB_FILES,
        members_of=lambda d: json.loads(d.members),
        referred=decisions[-1].subprotocol if decisions else None,
        sp_options=[("", "(none)")]
        + [(sp.id, f"{sp.id} · {sp.name}") for sp in in_force(ctx.state.sessions).protocol.subprotocols],
    )


def _parse_upload(name: str, raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PageError(422, f"{name}: the file is not UTF-8 text") from None
    try:
        data = dossier.parse_text(text, json_format=name.lower().endswith(".json"), name=name)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = (
            f" line {line + 1}"
            if line is not None
            else (f" line {exc.lineno}" if hasattr(exc, "lineno") else "")
        )
        raise PageError(422, f"{name}{where}: not valid YAML or JSON") from None
    if not isinstance(data, dict):
        raise PageError(422, f"{name}: a dossier is a mapping of sections (patient, diagnosis, ...)")
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))  # dates as ISO text, as over the API
    return plain


def _with_lab_files(data: dict[str, Any], files: dict[str, tuple[str, bytes]], as_of: date) -> dict[str, Any]:
    """The dossier mapping with the laboratory files' findings appended to its profiling section."""
    if not files:
        return data
    from ismart.profile_inputs import ProfileSources, with_files

    with tempfile.TemporaryDirectory() as folder:
        paths: dict[str, Path] = {}
        for key, (filename, raw) in files.items():
            path = Path(folder) / Path(filename).name
            path.write_bytes(raw)
            paths[key] = path
        record = dossier.from_mapping(data, as_of=as_of)
        sources = ProfileSources(
            paths.get("vcf"),
            paths.get("maf"),
            paths.get("fusions"),
            paths.get("cnv"),
            paths.get("drug_response"),
            None,
        )
        merged = with_files(record, sources)
    assert merged.profiling is not None
    return {**data, "profiling": merged.profiling.model_dump(mode="json", exclude_none=True)}


async def _store_and_screen(ctx: Ctx, code: str, data: dict[str, Any], reason: str | None) -> Response:
    today = ctx.state.today()

    def work(db: Session) -> Screening:
        dossiers.add_dossier(
            db,
            actor=ctx.who,
            code=code,
            data=data,
            reason=reason,
            as_of=today,
            pseudonym_pattern=ctx.state.settings.pseudonym_pattern,
        )
        return screenings.screen_subject(db, actor=ctx.who, code=code, as_of=today)

    row = ctx.write(work)
    return ctx.redirect(f"{PREFIX}/screenings/{row.id}", "Dossier stored and screened.")


@router.post(f"{PREFIX}/subjects/{{code}}/upload")
async def upload(request: Request, code: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    try:
        return await _upload(ctx, code, form)
    finally:
        await form.close()  # the uploaded files' temporary files


async def _upload(ctx: Ctx, code: str, form: FormData) -> Response:
    upload_file = form.get("dossier")
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        raise PageError(422, "Dossier file: choose a YAML or JSON file")
    data = _parse_upload(upload_file.filename, await upload_file.read())
    files: dict[str, tuple[str, bytes]] = {}
    for key, _label in LAB_FILES:
        item = form.get(key)
        if isinstance(item, UploadFile) and item.filename:
            files[key] = (item.filename, await item.read())
    data = _with_lab_files(data, files, ctx.state.today())
    return await _store_and_screen(ctx, code, data, _optional(form, "reason"))


def _drug_names() -> list[tuple[str, str]]:
    """The medication field's suggestions: every name the drug vocabulary resolves (generic names
    and their synonyms, a synonym labelled with its generic name), as (value, label)."""
    names: dict[str, str] = {}
    for drug in MedicationTable.load_default().drugs:
        names.setdefault(drug.name, drug.name)
        for synonym in drug.synonyms:
            names.setdefault(synonym, drug.name)
    return sorted(names.items())


MEDICATION_FIELDS = 5  # one input each, with the vocabulary's suggestions; more go in the text box


@router.get(f"{PREFIX}/subjects/{{code}}/form", response_class=HTMLResponse)
def dossier_form(request: Request, code: str) -> Response:
    ctx = current(request)
    subject = ctx.write(lambda db: subjects.get_subject(db, actor=ctx.who, code=code))
    return ctx.render(
        "dossier_form.html",
        subject=subject,
        drugs=_drug_names(),
        values={},
        preview=None,
        med_fields=MEDICATION_FIELDS,
    )


def _number(data: FormData, name: str, label: str) -> float | None:
    text = _field(data, name)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise PageError(422, f"{label}: {text!r} is not a number") from None
    if not math.isfinite(value):  # float() reads "nan" and "inf": no measurement is either
        raise PageError(422, f"{label}: {text!r} is not a finite number")
    return value


def form_to_dossier(data: FormData) -> dict[str, Any]:
    """The dossier mapping of the section-by-section form (empty fields stay absent: missing)."""
    out: dict[str, Any] = {}
    patient = {
        k: v
        for k, v in {
            "id": _field(data, "patient_id"),
            "sex": _field(data, "sex"),
            "birth_date": _field(data, "birth_date"),
            "weight_kg": _number(data, "weight_kg", "Weight (kg)"),
            "height_cm": _number(data, "height_cm", "Height (cm)"),
            "measured_on": _field(data, "measured_on"),
            "site": _field(data, "site_name"),
            "inclusion_date": _field(data, "inclusion_date"),
        }.items()
        if v not in ("", None)
    }
    if patient:
        out["patient"] = patient
    diagnosis = {
        k: v
        for k, v in {
            "disease": _field(data, "disease"),
            "lineage": _field(data, "lineage"),
            "status": _field(data, "status"),
            "first_diagnosis_date": _field(data, "first_diagnosis_date"),
            "cns_status": _field(data, "cns_status"),
        }.items()
        if v
    }
    if diagnosis:
        out["diagnosis"] = diagnosis
    if _field(data, "planned_c1d1"):
        out["planned_c1d1"] = _field(data, "planned_c1d1")
    labs = []
    for i in range(6):
        test = _field(data, f"lab{i}_test")
        if not test:
            continue
        lab: dict[str, Any] = {
            "test": test,
            "value": _number(data, f"lab{i}_value", f"Lab {i + 1} value"),
            "unit": _field(data, f"lab{i}_unit"),
        }
        uln = _number(data, f"lab{i}_uln", f"Lab {i + 1} ULN")
        if uln is not None:
            lab["uln"] = uln
        if _field(data, f"lab{i}_collected_at"):
            lab["collected_at"] = _field(data, f"lab{i}_collected_at")
        labs.append({k: v for k, v in lab.items() if v not in ("", None)})
    if labs:
        out["labs"] = labs
    echo = {
        k: v
        for k, v in {
            "date": _field(data, "echo_date"),
            "shortening_fraction_pct": _number(data, "echo_sf", "Shortening fraction (%)"),
            "lvef_pct": _number(data, "echo_lvef", "LVEF (%)"),
        }.items()
        if v not in ("", None)
    }
    ecg = {
        k: v
        for k, v in {
            "date": _field(data, "ecg_date"),
            "qt_ms": _number(data, "ecg_qt", "QT (ms)"),
            "heart_rate_bpm": _number(data, "ecg_hr", "Heart rate (bpm)"),
        }.items()
        if v not in ("", None)
    }
    if echo or ecg:
        out["cardiac"] = {**({"echo": echo} if echo else {}), **({"ecg": ecg} if ecg else {})}
    meds = [_field(data, f"med{i}") for i in range(MEDICATION_FIELDS)]
    meds = [m for m in meds + [m.strip() for m in _field(data, "medications").split("\n")] if m]
    if meds:
        out["current_medications"] = [{"name": m} for m in meds]
    prior = []
    for i in range(3):
        agent = _field(data, f"prior{i}_agent")
        if agent:
            prior.append(
                {
                    k: v
                    for k, v in {
                        "agent": agent,
                        "class": _field(data, f"prior{i}_class"),
                        "route": _field(data, f"prior{i}_route"),
                        "last_dose": _field(data, f"prior{i}_last_dose"),
                    }.items()
                    if v
                }
            )
    if prior:
        out["prior_therapy"] = prior
    if _field(data, "hsct_date"):
        out["hsct"] = [{"date": _field(data, "hsct_date"), "type": _field(data, "hsct_type") or "allogeneic"}]
    variants = []
    for i in range(3):
        gene = _field(data, f"var{i}_gene")
        if gene:
            vaf = _number(data, f"var{i}_vaf", f"Variant {i + 1} VAF")
            variants.append(
                {
                    k: v
                    for k, v in {"gene": gene, "hgvs_p": _field(data, f"var{i}_hgvs"), "vaf": vaf}.items()
                    if v not in ("", None)
                }
            )
    fusions = []
    for i in range(2):
        five, three = _field(data, f"fus{i}_5"), _field(data, f"fus{i}_3")
        if five or three:
            fusions.append({"gene_5": five, "gene_3": three})
    if variants or fusions or _field(data, "sample_date"):
        out["profiling"] = {
            k: v
            for k, v in {
                "sample_date": _field(data, "sample_date"),
                "variants": variants,
                "fusions": fusions,
            }.items()
            if v
        }
    extra_text = _field(data, "extra")
    if extra_text:
        try:
            extra = yaml.safe_load(extra_text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" line {mark.line + 1}" if mark is not None else ""
            raise PageError(422, f"Further sections{line}: not valid YAML") from None
        if not isinstance(extra, dict):
            raise PageError(422, "Further sections: give sections as YAML (section: fields)")
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = {**value, **out[key]}
            elif isinstance(value, list) and isinstance(out.get(key), list):
                out[key] = out[key] + value  # e.g. medications in their fields and in YAML: both count
            else:
                out.setdefault(str(key), value)
    return out


def _preview(
    form: FormData, today: date, protocol: ProtocolData
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
    """(dossier mapping, screening of it not stored, problem) of the form as filled so far."""
    from ismart.eligibility.engine import screen
    from ismart.report.json_report import to_dict

    try:
        data = form_to_dossier(form)
        record = dossier.from_mapping(data, as_of=today)
    except PageError as exc:
        return None, None, exc.message
    except IsmartError as exc:  # its text names the field (patient.birth_date: ...)
        return None, None, _one_line(str(exc))
    return data, to_dict(screen(record, protocol, as_of=today)), None


@router.post(f"{PREFIX}/subjects/{{code}}/form", response_class=HTMLResponse)
async def dossier_form_post(request: Request, code: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    subject = ctx.write(lambda db: subjects.get_subject(db, actor=ctx.who, code=code))
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    data, preview, problem = _preview(form, ctx.state.today(), in_force(ctx.state.sessions).protocol)
    if data is None or _field(form, "action") != "store":
        return ctx.render(
            "dossier_form.html",
            status=422 if problem else 200,
            subject=subject,
            drugs=_drug_names(),
            values=values,
            preview=preview,
            error=problem,
            med_fields=MEDICATION_FIELDS,
        )
    return await _store_and_screen(ctx, code, data, _optional(form, "reason"))


@router.post(f"{PREFIX}/subjects/{{code}}/form/verdict", response_class=HTMLResponse)
async def dossier_form_verdict(request: Request, code: str) -> Response:
    """The verdict so far as an HTML fragment, for static/live-verdict.js (the form's own "Check
    verdict" button is the same without script). Nothing is stored."""
    ctx = current(request)
    try:
        form = await ctx.form()
    except PageError as exc:
        return ctx.fragment("_preview.html", status=exc.status, preview=None, problem=exc.message)
    ctx.write(lambda db: subjects.get_subject(db, actor=ctx.who, code=code))  # site scoping: 404
    _data, preview, problem = _preview(form, ctx.state.today(), in_force(ctx.state.sessions).protocol)
    return ctx.fragment("_preview.html", status=422 if problem else 200, preview=preview, problem=problem)


def _screening(ctx: Ctx, screening_id: int) -> tuple[Screening, dict[str, Any]]:
    def work(db: Session) -> Screening:
        row = db.get(Screening, screening_id)
        if row is None:
            raise NotFound(f"screening {screening_id} not found")
        subjects.get_subject(db, actor=ctx.who, code=row.subject_code)  # site scoping: another site's is 404
        _seen(db, ctx, ctx.request, [row.subject_code])
        return row

    row = ctx.write(work)
    return row, json.loads(row.result)


@router.get(f"{PREFIX}/screenings/{{screening_id}}", response_class=HTMLResponse)
def report_page(request: Request, screening_id: int, msg: str | None = None) -> Response:
    ctx = current(request)
    row, result = _screening(ctx, screening_id)
    return ctx.render("report.html", row=row, r=result, message=msg)


@router.get(f"{PREFIX}/screenings/{{screening_id}}/report.pdf")
def report_pdf(request: Request, screening_id: int) -> Response:
    ctx = current(request)
    row, result = _screening(ctx, screening_id)
    from ismart.web.pdf import report_pdf as build

    response = Response(
        build(row.subject_code, result),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{row.subject_code}-screening-{row.id}.pdf"'},
    )
    ctx.refresh(response)
    return response


# --- tumour board ----------------------------------------------------------------------------------


@router.get(f"{PREFIX}/board", response_class=HTMLResponse)
def board_queue(request: Request, msg: str | None = None) -> Response:
    ctx = current(request)
    if ctx.who.role not in (Role.tumour_board, Role.trial_office, Role.monitor):
        raise PageError(403, "Only the tumour board and the trial office see the board queue.")

    def work(db: Session) -> list[views.SubjectRow]:
        found = views.subject_rows(db, actor=ctx.who)
        _seen(db, ctx, request, [r.code for r in found])
        return found

    rows = ctx.write(work)
    queue = []
    for row in rows:
        if row.state != "screened" or row.summary is None:
            continue
        reasons = []
        if len(row.summary.candidates) > 1:
            reasons.append(f"matches {', '.join(row.summary.candidates)}")
        if row.summary.review_calls:
            reasons.append(f"{row.summary.review_calls} molecular call(s) need review")
        if not reasons:
            reasons.append("new profile")
        queue.append((row, reasons))
    return ctx.render("board.html", queue=queue, message=msg)


@router.get(f"{PREFIX}/subjects/{{code}}/triage", response_class=HTMLResponse)
def triage_page(request: Request, code: str) -> Response:
    """The board's triage of the latest dossier: the same triage model, VAF / reads and notes that
    ``ismart triage`` renders, one row per alteration (raw string beside the normalised change)."""
    ctx = current(request)
    from ismart.molecular.profile import build_profile
    from ismart.molecular.triage import triage
    from ismart.report.triage_report import _notes, _support

    def work(db: Session) -> tuple[Any, Any]:
        subject = subjects.get_subject(db, actor=ctx.who, code=code)
        versions = dossiers.list_dossiers(db, actor=ctx.who, code=code)
        _seen(db, ctx, request, [code])
        return subject, versions[-1] if versions else None

    subject, latest = ctx.write(work)
    result, rows = None, []
    if latest is not None:
        record = dossier.from_mapping(json.loads(latest.data), as_of=ctx.state.today())
        result = triage(build_profile(record.profiling), in_force(ctx.state.sessions).protocol)
        rows = [(a, _support(a), _notes(a)) for a in result.alterations]
    return ctx.render(
        "triage.html",
        subject=subject,
        result=result,
        rows=rows,
        subprotocols=in_force(ctx.state.sessions).protocol.subprotocols,
    )


@router.post(f"{PREFIX}/subjects/{{code}}/decision")
async def board_decision(request: Request, code: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    referred = _field(form, "outcome") != "not_referred"
    priority_text = _field(form, "priority")
    if priority_text and not priority_text.isdigit():
        raise PageError(422, f"Priority: {priority_text!r} is not a whole number")
    members = [m.strip() for m in _field(form, "members").replace("\n", ",").split(",") if m.strip()]
    rationale = _field(form, "rationale")
    if not rationale:
        raise PageError(422, "Rationale: say why the board decided this")
    ctx.write(
        lambda db: board.add_board_decision(
            db,
            actor=ctx.who,
            code=code,
            subprotocol=(_field(form, "subprotocol") or None) if referred else None,
            priority=int(priority_text) if priority_text else None,
            rationale=rationale,
            members=members,
            non_referral_reason=None if referred else (_field(form, "non_referral_reason") or rationale),
        )
    )
    return ctx.redirect(f"{PREFIX}/subjects/{code}", "Board decision recorded.")


# --- registration and on study ---------------------------------------------------------------------


@router.post(f"{PREFIX}/subjects/{{code}}/register")
async def register(request: Request, code: str) -> Response:
    ctx = current(request)
    form = await ctx.form()
    sp = _field(form, "subprotocol")
    level_text = _field(form, "dose_level") or "1"
    if not level_text.lstrip("-").isdigit():
        raise PageError(422, f"Dose level: {level_text!r} is not a whole number")
    try:
        row = ctx.write(
            lambda db: registrations.register(
                db,
                actor=ctx.who,
                code=code,
                subprotocol=sp,
                dose_level=int(level_text),
                as_of=ctx.state.today(),
            )
        )
    except RegistryError as exc:
        if status_for(exc) in (403, 404):
            raise
        return ctx.redirect(f"{PREFIX}/subjects/{code}", f"Registration refused: {plain_refusal(str(exc))}")
    return ctx.redirect(
        f"{PREFIX}/subjects/{code}", f"Registered to {row.subprotocol} as {row.subject_number}."
    )


# What a site team can do about each registration gate the registry names in its refusal.
_GATE_ADVICE = {
    "verdict": "only an ELIGIBLE verdict can be registered; screen again when the missing data are in.",
    "tumour board": "the tumour board must refer the child to this sub-protocol first.",
    "latest dossier": "the newest dossier version must be screened before registering.",
    "screening age": "the screening is too old to register on; screen the subject again.",
}


def plain_refusal(message: str) -> str:
    """The registry's gate message in words for a site team (the gate itself is the service's)."""
    text = _one_line(message)
    for gate, advice in _GATE_ADVICE.items():
        if f"by the {gate} gate" in text:
            return f"{text} — {advice}"
    if "latest screening is" in text:
        return (
            text.split(": ", 1)[-1].replace("latest screening is", "the latest screening says")
            + " — only an ELIGIBLE verdict can be registered; screen again when the missing data are in."
        )
    if "is full" in text:
        return text.split(": ", 1)[-1] if ": " in text else text + " — every place is taken."
    if "at site" in text:
        return text + " — this sub-protocol is not recruiting at your site."
    if "cannot register from state" in text:
        return text + " — a subject is registered after a tumour-board decision, once."
    if "must review" in text:
        return text
    return text


@router.get(f"{PREFIX}/subjects/{{code}}/calendar", response_class=HTMLResponse)
def calendar_page(request: Request, code: str) -> Response:
    ctx = current(request)
    from ismart.treatment import calendar as cal

    def work(db: Session) -> tuple[Any, Any, Any]:
        subject = subjects.get_subject(db, actor=ctx.who, code=code)
        regs = registrations.list_registrations(db, actor=ctx.who, code=code)
        versions = dossiers.list_dossiers(db, actor=ctx.who, code=code)
        _seen(db, ctx, request, [code])
        return subject, regs[0] if regs else None, versions[-1] if versions else None

    subject, reg, latest = ctx.write(work)
    if reg is None:
        raise PageError(409, f"Subject {code} is not registered: the calendar starts at registration.")
    record = dossier.from_mapping(json.loads(latest.data), as_of=ctx.state.today()) if latest else None
    start = record.planned_c1d1 if record and record.planned_c1d1 else reg.created_at.date()
    sp = next(s for s in in_force(ctx.state.sessions).protocol.subprotocols if s.id == reg.subprotocol)
    body = cal.Body(
        record.patient.height_cm if record else None, record.patient.weight_kg if record else None
    )
    error = None
    calendar = None
    try:
        calendar = cal.build_calendar(sp, dose_level=reg.dose_level, start=start, cycles=2, body=body)
    except IsmartError as exc:
        error = _one_line(str(exc))
    return ctx.render("calendar.html", subject=subject, reg=reg, calendar=calendar, error=error)


# --- trial office ----------------------------------------------------------------------------------


def _office_only(ctx: Ctx, *, read: bool = True) -> None:
    allowed = (Role.trial_office, Role.monitor) if read else (Role.trial_office,)
    if ctx.who.role not in allowed:
        raise PageError(403, "This page is for the trial office.")


@router.get(f"{PREFIX}/office/changes", response_class=HTMLResponse)
def changes_page(request: Request, msg: str | None = None) -> Response:
    ctx = current(request)
    _office_only(ctx)

    def work(db: Session) -> list[VerdictChange]:
        found = verdict_changes.list_verdict_changes(db, actor=ctx.who)
        _seen(db, ctx, request, [c.subject_code for c in found])
        return found

    return ctx.render("changes.html", changes=ctx.write(work), message=msg)


@router.post(f"{PREFIX}/office/changes/{{change_id}}")
async def review_change(request: Request, change_id: int) -> Response:
    ctx = current(request)
    form = await ctx.form()
    ctx.write(
        lambda db: verdict_changes.review_verdict_change(
            db, actor=ctx.who, change_id=change_id, note=_field(form, "note")
        )
    )
    return ctx.redirect(f"{PREFIX}/office/changes", f"Verdict change {change_id} reviewed.")


@router.get(f"{PREFIX}/office/sites", response_class=HTMLResponse)
def sites_page(request: Request, msg: str | None = None) -> Response:
    ctx = current(request)
    _office_only(ctx)
    sites = ctx.write(registry_sites.list_sites)
    return ctx.render(
        "sites.html",
        sites=sites,
        subprotocols=in_force(ctx.state.sessions).protocol.subprotocols,
        message=msg,
    )


@router.post(f"{PREFIX}/office/sites")
async def set_site_status(request: Request) -> Response:
    ctx = current(request)
    form = await ctx.form()
    reason = _field(form, "reason")
    if not reason:
        raise PageError(422, "Reason: say why the status changes")
    ctx.write(
        lambda db: registry_sites.set_site_status(
            db,
            actor=ctx.who,
            site_code=_field(form, "site_code"),
            subprotocol=_field(form, "subprotocol"),
            status=_field(form, "status"),
            reason=reason,
        )
    )
    return ctx.redirect(f"{PREFIX}/office/sites", "Site status changed.")


@router.get(f"{PREFIX}/office/users", response_class=HTMLResponse)
def users_page(request: Request, msg: str | None = None) -> Response:
    ctx = current(request)
    _office_only(ctx, read=False)
    users = ctx.write(lambda db: list(db.scalars(select(User).order_by(User.username))))
    sites = ctx.write(lambda db: list(db.scalars(select(Site).order_by(Site.code))))
    return ctx.render(
        "users.html",
        users=users,
        sites=sites,
        roles=[r.value for r in Role],
        message=msg,
        can_manage=True,
    )


@router.post(f"{PREFIX}/office/users")
async def add_user(request: Request) -> Response:
    ctx = current(request)
    form = await ctx.form()
    try:
        role = Role(_field(form, "role"))
    except ValueError:
        raise PageError(422, "Role: choose one of the listed roles") from None
    password = str(form.get("password") or "")
    if len(password) < 12:
        raise PageError(422, "Password: use at least 12 characters")
    username = _field(form, "username")
    ctx.write(
        lambda db: accounts.create_user(
            db,
            actor=ctx.who,
            username=username,
            role=role,
            site_code=_optional(form, "site_code"),
            password=password,
        )
    )
    return ctx.redirect(f"{PREFIX}/office/users", f"User {username} added.")


@router.post(f"{PREFIX}/office/users/{{username}}")
async def manage_user(request: Request, username: str) -> Response:
    """Deactivate, reactivate, change role or reset a password: the registry's account services."""
    ctx = current(request)
    form = await ctx.form()
    action, reason = _field(form, "action"), _field(form, "reason")
    if not reason:
        raise PageError(422, "Reason: say why the account changes")
    message = ""
    if action in ("deactivate", "reactivate"):
        ctx.write(
            lambda db: accounts.set_active(
                db, actor=ctx.who, username=username, active=action == "reactivate", reason=reason
            )
        )
        message = f"User {username} {action}d."
    elif action == "role":
        try:
            role = Role(_field(form, "role"))
        except ValueError:
            raise PageError(422, "Role: choose one of the listed roles") from None
        ctx.write(
            lambda db: accounts.change_role(
                db,
                actor=ctx.who,
                username=username,
                role=role,
                site_code=_optional(form, "site_code"),
                reason=reason,
            )
        )
        message = f"User {username} is now {role.value}."
    elif action == "reset":
        temporary = ctx.write(
            lambda db: accounts.reset_password(db, actor=ctx.who, username=username, reason=reason)
        )
        message = f"One-time password for {username}: {temporary} (give it to them in person; shown once)."
    else:
        raise PageError(422, "Action: choose deactivate, reactivate, role or reset")
    return ctx.redirect(f"{PREFIX}/office/users", message)


def _audit_rows(ctx: Ctx, *, actor: str, action: str, entity_id: str, limit: int) -> list[AuditEntry]:
    return ctx.write(
        lambda db: audit_reads.search_entries(
            db, actor=ctx.who, by=actor, action=action, entity_id=entity_id, limit=limit
        )
    )


@router.get(f"{PREFIX}/office/audit", response_class=HTMLResponse)
def audit_page(request: Request, actor: str = "", action: str = "", entity_id: str = "") -> Response:
    ctx = current(request)
    _office_only(ctx)
    rows = _audit_rows(ctx, actor=actor, action=action, entity_id=entity_id, limit=200)
    return ctx.render("audit.html", rows=rows, actor=actor, action=action, entity_id=entity_id, report=None)


@router.get(f"{PREFIX}/office/audit.csv")
def audit_export(request: Request, actor: str = "", action: str = "", entity_id: str = "") -> Response:
    ctx = current(request)
    _office_only(ctx)
    rows = _audit_rows(ctx, actor=actor, action=action, entity_id=entity_id, limit=10**9)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "at", "actor", "action", "entity", "entity_id", "before", "after", "reason", "hash"]
    )
    for r in reversed(rows):
        writer.writerow(
            [r.id, r.at, r.actor, r.action, r.entity, r.entity_id, r.before, r.after, r.reason, r.hash]
        )
    response = Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
    ctx.refresh(response)
    return response


@router.get(f"{PREFIX}/office/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request) -> Response:
    ctx = current(request)
    _office_only(ctx)
    report = ctx.write(audit.verify_chain)
    rows = _audit_rows(ctx, actor="", action="", entity_id="", limit=50)
    return ctx.render("audit.html", rows=rows, actor="", action="", entity_id="", report=report)


# --- patterns --------------------------------------------------------------------------------------


@router.get(f"{PREFIX}/patterns", response_class=HTMLResponse)
def patterns(request: Request) -> Response:
    ctx = current(request)
    _office_only(ctx)
    sample = {
        "id": "D",
        "name": "HEM-iSMART-D",
        "verdict": "NOT_ELIGIBLE",
        "earliest_c1d1": "2026-03-16",
        "missing": ["echocardiogram within 7 days"],
        "criteria": [
            {
                "number": 3,
                "kind": "inclusion",
                "status": "NOT_MET",
                "label": "Adequate liver function",
                "summary": "ALT 210 U/L is above 5 x ULN (40 U/L)",
                "evidence": {"alt": "210 U/L", "uln": "40 U/L"},
                "source": "protocol D section 4.1",
                "missing": [],
                "earliest": None,
            },
            {
                "number": 7,
                "kind": "inclusion",
                "status": "UNKNOWN",
                "label": "Cardiac function",
                "summary": "no echocardiogram within 7 days",
                "evidence": {},
                "source": "protocol D section 4.1",
                "missing": ["echocardiogram"],
                "earliest": None,
            },
        ],
    }
    return ctx.render(
        "patterns.html",
        sample=sample,
        verdicts=["ELIGIBLE", "NOT_ELIGIBLE", "INCOMPLETE", "NEEDS_REVIEW"],
        statuses=["MET", "NOT_MET", "UNKNOWN", "REVIEW"],
    )


# --- mounting --------------------------------------------------------------------------------------


def _is_page(request: Request) -> bool:
    return request.url.path == "/" or request.url.path.startswith(f"{PREFIX}/")


def has_session(cookie_header: str | None, secret: str) -> bool:
    """Whether a Cookie header holds a signed, not idle session (no database): for the upload limit."""
    from http.cookies import CookieError, SimpleCookie

    try:
        cookies = SimpleCookie(cookie_header or "")
    except CookieError:
        return False
    morsel = cookies.get(ws.COOKIE)
    try:
        ws.decode(morsel.value if morsel else None, secret=secret, idle_minutes=_idle_minutes())
    except ws.SessionEnded:
        return False
    return True


def mount(app: FastAPI) -> None:
    """Add the pages and their assets to the API app; API errors stay JSON, page errors are pages."""
    _idle_minutes()  # a bad setting is a one-line error at start-up, not on the first page
    app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(_HERE / "static")), name="web-static")
    originals = dict(app.exception_handlers)

    async def ended(request: Request, exc: Exception) -> Response:
        message = exc.message if isinstance(exc, ws.SessionEnded) else ws.EXPIRED
        target = "/?expired=1" if message == ws.EXPIRED else "/"
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(ws.COOKIE, path="/")
        return response

    async def change_first(request: Request, exc: Exception) -> Response:
        return RedirectResponse(f"{PREFIX}/password?{_q(ws.PasswordChangeRequired.message)}", status_code=303)

    def page_or(kind: type[Exception]) -> Callable[[Request, Exception], Any]:
        fallback = originals.get(kind) or originals[Exception]

        async def handle(request: Request, exc: Exception) -> Response:
            if not _is_page(request):
                result: Response = await fallback(request, exc)
                return result
            if isinstance(exc, PageError):
                status, message = exc.status, exc.message
            elif isinstance(exc, RegistryError):
                status, message = status_for(exc), _one_line(str(exc))
            elif isinstance(exc, IsmartError):
                status, message = 422, _one_line(str(exc))
            elif isinstance(exc, StarletteHTTPException):
                status, message = exc.status_code, _one_line(str(exc.detail))
            elif isinstance(exc, RequestValidationError):
                status, message = 404, "Page not found"
            else:
                status, message = 500, "Something went wrong on the server; the error was logged."
            if status == 404:
                message = message[:1].upper() + message[1:]
            try:
                ctx = current(request)
            except ws.SessionEnded:
                return await ended(request, exc)
            except ws.PasswordChangeRequired:
                return await change_first(request, exc)
            return ctx.render("error.html", status=status, problem=message, status_code=status)

        return handle

    app.add_exception_handler(ws.SessionEnded, ended)
    app.add_exception_handler(ws.PasswordChangeRequired, change_first)
    app.add_exception_handler(PageError, page_or(PageError))
    for kind in originals:
        if isinstance(kind, type) and issubclass(kind, Exception):
            app.add_exception_handler(kind, page_or(kind))
