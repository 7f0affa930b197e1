"""Routes: parse, call one service, shape the answer."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel
from pydantic_core import to_json
from sqlalchemy.orm import Session

from ismart.api import schemas as s
from ismart.api.deps import AnyPrincipalDep, PrincipalDep, StateDep
from ismart.api.reads import log_read
from ismart.application.screening import ScreeningRequest, run_screening, to_contract
from ismart.registry import (
    accounts,
    audit,
    audit_reads,
    board,
    dossiers,
    registrations,
    screenings,
    sites,
    subjects,
    verdict_changes,
)
from ismart.registry.access import Principal, Role, require
from ismart.registry.context import in_force
from ismart.registry.errors import Unauthorized
from ismart.registry.models import BoardDecision, DossierVersion, Screening
from ismart.registry.security import issue_token

router = APIRouter()
T = TypeVar("T")
Code = Annotated[str, Path(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,5}-[0-9]{4,6}$", max_length=32)]
UserName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.@-]+$", min_length=1, max_length=64)]
SiteCode = Annotated[str, Path(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,5}$", max_length=16)]


def _dossier(row: DossierVersion) -> s.DossierPublic:
    return s.DossierPublic(
        version=row.version, data=json.loads(row.data), created_by=row.created_by, created_at=row.created_at
    )


def _screening(row: Screening) -> s.ScreeningPublic:
    return s.ScreeningPublic(
        id=row.id,
        dossier_id=row.dossier_id,
        result=json.loads(row.result),
        protocol_version=row.protocol_version,
        engine_version=row.engine_version,
        rescreen_of=row.rescreen_of,
        created_at=row.created_at,
    )


def _decision(row: BoardDecision) -> s.BoardDecisionPublic:
    return s.BoardDecisionPublic(
        id=row.id,
        subprotocol=row.subprotocol,
        priority=row.priority,
        rationale=row.rationale,
        members=json.loads(row.members),
        non_referral_reason=row.non_referral_reason,
        created_at=row.created_at,
    )


def _json(content: BaseModel | dict[str, Any], status: int = 200) -> Response:
    """The answer serialised here (Pydantic's JSON encoder), so that FastAPI does not validate the
    model it was just built from again in a worker thread: the declared response_model still
    documents it. Only for the routes of the stored-screening path (bench/load.py --mix stored)."""
    body = content.model_dump_json() if isinstance(content, BaseModel) else to_json(content)
    return Response(body, status_code=status, media_type="application/json")


def _seen(db: Session, who: Principal, request: Request, code: str, shown: T) -> T:
    """Note the read of one subject's records (after the service let the caller see them)."""
    log_read(db, who, request, [code])
    return shown


@router.post("/token", tags=["auth"])
def login(body: s.TokenCreate, request: Request, state: StateDep) -> s.TokenPublic:
    """Sign in. Every refusal (unknown user, wrong password, inactive, locked out) is the same 401."""
    address = request.client.host if request.client else "-"
    outcome = state.write(
        lambda db: accounts.sign_in(
            db,
            username=body.username,
            password=body.password,
            address=address,
            policy=state.settings.login_policy(),
        )
    )
    if outcome is None:
        raise Unauthorized(accounts.REFUSED)
    token = issue_token(
        principal=outcome.principal,
        secret=state.settings.signing_key(),
        minutes=state.settings.token_minutes,
        version=outcome.token_version,
        password_change=outcome.must_change_password,
    )
    return s.TokenPublic(access_token=token, must_change_password=outcome.must_change_password)


@router.post("/screen", tags=["screening"], response_model=dict[str, Any])
def screen_dossier(
    data: dict[str, Any],
    state: StateDep,
    _who: PrincipalDep,
    as_of: Annotated[
        date | None,
        Query(description="Screening date (YYYY-MM-DD; default today), like ismart screen --as-of."),
    ] = None,
    c1d1: Annotated[
        date | None, Query(description="Planned C1D1 (YYYY-MM-DD) overriding the dossier's, like --c1d1.")
    ] = None,
) -> Response:
    """Screen a dossier without storing anything; returns the JSON contract."""
    request = ScreeningRequest(dossier=data, as_of=as_of or state.today(), c1d1=c1d1)
    return _json(to_contract(run_screening(request, protocol=in_force(state.sessions).protocol)))


@router.post("/users", status_code=201, tags=["users"])
def create_user(body: s.UserCreate, state: StateDep, who: PrincipalDep) -> s.UserPublic:
    return state.write(
        lambda db: s.UserPublic.model_validate(
            accounts.create_user(
                db,
                actor=who,
                username=body.username,
                role=body.role,
                site_code=body.site_code,
                password=body.password,
            )
        )
    )


@router.get("/users", tags=["users"])
def list_users(state: StateDep, who: PrincipalDep) -> list[s.UserPublic]:
    return state.write(
        lambda db: [s.UserPublic.model_validate(u) for u in accounts.list_users(db, actor=who)]
    )


@router.post("/users/me/password", tags=["users"])
def change_own_password(body: s.PasswordChange, state: StateDep, who: AnyPrincipalDep) -> s.UserPublic:
    """Choose a new password (also with the token of a one-time password); sign in again after."""
    return state.write(
        lambda db: s.UserPublic.model_validate(
            accounts.change_own_password(
                db, username=who.username, current=body.current_password, new=body.new_password
            )
        )
    )


@router.post("/users/{username}/deactivate", tags=["users"])
def deactivate_user(
    username: UserName, body: s.ReasonCreate, state: StateDep, who: PrincipalDep
) -> s.UserPublic:
    return state.write(
        lambda db: s.UserPublic.model_validate(
            accounts.set_active(db, actor=who, username=username, active=False, reason=body.reason)
        )
    )


@router.post("/users/{username}/reactivate", tags=["users"])
def reactivate_user(
    username: UserName, body: s.ReasonCreate, state: StateDep, who: PrincipalDep
) -> s.UserPublic:
    return state.write(
        lambda db: s.UserPublic.model_validate(
            accounts.set_active(db, actor=who, username=username, active=True, reason=body.reason)
        )
    )


@router.put("/users/{username}/role", tags=["users"])
def change_user_role(
    username: UserName, body: s.RoleUpdate, state: StateDep, who: PrincipalDep
) -> s.UserPublic:
    return state.write(
        lambda db: s.UserPublic.model_validate(
            accounts.change_role(
                db, actor=who, username=username, role=body.role, site_code=body.site_code, reason=body.reason
            )
        )
    )


@router.post("/users/{username}/password-reset", tags=["users"])
def reset_user_password(
    username: UserName, body: s.ReasonCreate, state: StateDep, who: PrincipalDep
) -> s.PasswordResetPublic:
    one_time = state.write(
        lambda db: accounts.reset_password(db, actor=who, username=username, reason=body.reason)
    )
    return s.PasswordResetPublic(username=username, one_time_password=one_time)


@router.post("/login-lockouts/lift", tags=["users"])
def lift_lockout(body: s.LockoutLift, state: StateDep, who: PrincipalDep) -> s.LockoutLiftPublic:
    cleared = state.write(
        lambda db: accounts.lift_lockout(
            db, actor=who, username=body.username, address=body.address, reason=body.reason
        )
    )
    return s.LockoutLiftPublic(cleared=cleared)


@router.get("/sites", tags=["sites"])
def list_sites(state: StateDep, _who: PrincipalDep) -> list[s.SitePublic]:
    return state.write(
        lambda db: [
            s.SitePublic(
                code=site.code,
                institution=site.institution,
                city=site.city,
                country=site.country,
                statuses=statuses,
            )
            for site, statuses in sites.list_sites(db)
        ]
    )


@router.put("/sites/{site_code}/status", tags=["sites"])
def set_site_status(
    site_code: SiteCode, body: s.SiteStatusUpdate, state: StateDep, who: PrincipalDep
) -> dict[str, str]:
    row = state.write(
        lambda db: sites.set_site_status(
            db,
            actor=who,
            site_code=site_code,
            subprotocol=body.subprotocol,
            status=body.status,
            reason=body.reason,
        )
    )
    return {"site_code": row.site_code, "subprotocol": row.subprotocol, "status": row.status}


@router.get("/subjects", tags=["subjects"])
def list_subjects(request: Request, state: StateDep, who: PrincipalDep) -> list[s.SubjectPublic]:
    def work(db: Session) -> list[s.SubjectPublic]:
        shown = [s.SubjectPublic.model_validate(x) for x in subjects.list_subjects(db, actor=who)]
        log_read(db, who, request, [x.code for x in shown])
        return shown

    return state.write(work)


@router.post("/subjects", status_code=201, tags=["subjects"], response_model=s.SubjectPublic)
def create_subject(body: s.SubjectCreate, state: StateDep, who: PrincipalDep) -> Response:
    # the answer is shaped after the commit: the audit chain's lock is held no longer than needed
    subject = state.write(lambda db: subjects.create_subject(db, actor=who, site_code=body.site_code))
    return _json(s.SubjectPublic.model_validate(subject), 201)


@router.get("/subjects/{code}", tags=["subjects"])
def get_subject(code: Code, request: Request, state: StateDep, who: PrincipalDep) -> s.SubjectPublic:
    def work(db: Session) -> s.SubjectPublic:
        shown = s.SubjectPublic.model_validate(subjects.get_subject(db, actor=who, code=code))
        log_read(db, who, request, [code])
        return shown

    return state.write(work)


@router.post("/subjects/{code}/transitions", tags=["subjects"])
def transition(code: Code, body: s.TransitionCreate, state: StateDep, who: PrincipalDep) -> s.SubjectPublic:
    def work(db: Session) -> s.SubjectPublic:
        if body.to == "on_treatment":
            subjects.start_treatment(db, actor=who, code=code)
        else:
            subjects.withdraw(db, actor=who, code=code, reason=body.reason)
        return s.SubjectPublic.model_validate(subjects.get_subject(db, actor=who, code=code))

    return state.write(work)


@router.get("/subjects/{code}/dossiers", tags=["dossiers"])
def list_dossiers(code: Code, request: Request, state: StateDep, who: PrincipalDep) -> list[s.DossierPublic]:
    return state.write(
        lambda db: _seen(
            db, who, request, code, [_dossier(x) for x in dossiers.list_dossiers(db, actor=who, code=code)]
        )
    )


@router.post("/subjects/{code}/dossiers", status_code=201, tags=["dossiers"], response_model=s.DossierPublic)
def add_dossier(code: Code, body: s.DossierCreate, state: StateDep, who: PrincipalDep) -> Response:
    row = state.write(
        lambda db: dossiers.add_dossier(
            db,
            actor=who,
            code=code,
            data=body.data,
            reason=body.reason,
            as_of=state.today(),
            pseudonym_pattern=state.settings.pseudonym_pattern,
        )
    )
    return _json(_dossier(row), 201)  # after the commit, out of the audit chain's lock


@router.get("/subjects/{code}/screenings", tags=["screenings"])
def list_screenings(
    code: Code, request: Request, state: StateDep, who: PrincipalDep
) -> list[s.ScreeningPublic]:
    return state.write(
        lambda db: _seen(
            db,
            who,
            request,
            code,
            [_screening(x) for x in screenings.list_screenings(db, actor=who, code=code)],
        )
    )


@router.post(
    "/subjects/{code}/screenings", status_code=201, tags=["screenings"], response_model=s.ScreeningPublic
)
def add_screening(code: Code, state: StateDep, who: PrincipalDep) -> Response:
    row = state.write(lambda db: screenings.screen_subject(db, actor=who, code=code, as_of=state.today()))
    return _json(_screening(row), 201)  # after the commit, out of the audit chain's lock


@router.post("/screenings/rescreen", tags=["screenings"])
def rescreen(state: StateDep, who: PrincipalDep) -> s.RescreenPublic:
    """Re-run stored screenings made under other protocol data; every changed verdict awaits review."""

    def work(db: Session) -> s.RescreenPublic:
        report = screenings.rescreen_outdated(db, actor=who)
        return s.RescreenPublic(
            protocol_version=report.protocol_version,
            checked=report.checked,
            rescreened=report.rescreened,
            changes=[s.VerdictChangePublic.model_validate(c) for c in report.changes],
        )

    return state.write(work)


@router.get("/verdict-changes", tags=["screenings"])
def list_verdict_changes(
    request: Request,
    state: StateDep,
    who: PrincipalDep,
    status: Annotated[Literal["pending", "reviewed"] | None, Query()] = None,
) -> list[s.VerdictChangePublic]:
    def work(db: Session) -> list[s.VerdictChangePublic]:
        shown = [
            s.VerdictChangePublic.model_validate(c)
            for c in verdict_changes.list_verdict_changes(db, actor=who, status=status)
        ]
        log_read(db, who, request, [c.subject_code for c in shown])
        return shown

    return state.write(work)


@router.post("/verdict-changes/{change_id}/review", tags=["screenings"])
def review_verdict_change(
    change_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: s.VerdictReviewCreate,
    state: StateDep,
    who: PrincipalDep,
) -> s.VerdictChangePublic:
    return state.write(
        lambda db: s.VerdictChangePublic.model_validate(
            verdict_changes.review_verdict_change(db, actor=who, change_id=change_id, note=body.note)
        )
    )


@router.get("/subjects/{code}/board-decisions", tags=["board"])
def list_decisions(
    code: Code, request: Request, state: StateDep, who: PrincipalDep
) -> list[s.BoardDecisionPublic]:
    return state.write(
        lambda db: _seen(
            db,
            who,
            request,
            code,
            [_decision(x) for x in board.list_board_decisions(db, actor=who, code=code)],
        )
    )


@router.post("/subjects/{code}/board-decisions", status_code=201, tags=["board"])
def add_decision(
    code: Code, body: s.BoardDecisionCreate, state: StateDep, who: PrincipalDep
) -> s.BoardDecisionPublic:
    return state.write(
        lambda db: _decision(
            board.add_board_decision(
                db,
                actor=who,
                code=code,
                subprotocol=body.subprotocol,
                priority=body.priority,
                rationale=body.rationale,
                members=body.members,
                non_referral_reason=body.non_referral_reason,
            )
        )
    )


@router.post("/subjects/{code}/registrations", status_code=201, tags=["registrations"])
def register(
    code: Code, body: s.RegistrationCreate, state: StateDep, who: PrincipalDep
) -> s.RegistrationPublic:
    return state.write(
        lambda db: s.RegistrationPublic.model_validate(
            registrations.register(
                db,
                actor=who,
                code=code,
                subprotocol=body.subprotocol,
                dose_level=body.dose_level,
                as_of=state.today(),
                board_override_reason=body.board_override_reason,
                review_override_reason=body.review_override_reason,
            )
        )
    )


@router.get("/subjects/{code}/registrations", tags=["registrations"])
def list_registrations(
    code: Code, request: Request, state: StateDep, who: PrincipalDep
) -> list[s.RegistrationPublic]:
    return state.write(
        lambda db: _seen(
            db,
            who,
            request,
            code,
            [
                s.RegistrationPublic.model_validate(x)
                for x in registrations.list_registrations(db, actor=who, code=code)
            ],
        )
    )


@router.get("/audit", tags=["audit"])
def list_audit(
    state: StateDep,
    who: PrincipalDep,
    after_id: int = Query(0, ge=0, le=2**31 - 1),
    limit: int = Query(100, ge=1, le=1000),
) -> list[s.AuditPublic]:
    return state.write(
        lambda db: [
            s.AuditPublic.model_validate(x)
            for x in audit_reads.entries_after(db, actor=who, after_id=after_id, limit=limit)
        ]
    )


@router.get("/audit/verify", tags=["audit"])
def verify_audit(state: StateDep, who: PrincipalDep) -> s.ChainPublic:
    require(who, Role.trial_office, Role.monitor)

    def work(db: Session) -> s.ChainPublic:
        report = audit.verify_chain(db)
        problems = ([] if report.ok else [str(report.problem)]) + audit.verify_tables(db)
        db.rollback()  # verify writes nothing
        return s.ChainPublic(
            ok=not problems, rows=report.rows, problem=report.problem, row_id=report.row_id, problems=problems
        )

    with state.sessions() as db:
        return work(db)
