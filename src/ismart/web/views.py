"""What the pages show, read from the registry's tables: summaries of stored screenings, the
dashboard rows, capacity. No rule lives here: verdicts, gates and permissions are the services'."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismart.registry.access import SITE_ROLES, Principal
from ismart.registry.models import BoardDecision, Counter, Registration, Screening, Subject, VerdictChange

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def nice_date(value: Any) -> str:
    """'2 Mar 2026' (unambiguous in every locale); times keep their ISO clock."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
        except ValueError:
            return text
    if isinstance(value, datetime):
        return f"{value.day} {MONTHS[value.month - 1]} {value.year} {value:%H:%M}"
    if isinstance(value, date):
        return f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    return str(value)


@dataclass(frozen=True)
class Summary:
    """What a list needs from one stored screening (screenings never change, so it is cached)."""

    screened_on: str
    verdicts: dict[str, str]
    missing: tuple[str, ...]
    candidates: tuple[str, ...]
    review_calls: int


_SUMMARIES: dict[tuple[str, int], Summary] = {}
_MAX_CACHED = 200_000


def _cached_summaries(db: Session, ids: list[int]) -> dict[int, Summary]:
    """Summaries of stored screenings by id. A stored screening never changes, so each is parsed
    once per process; only the ones not yet seen are read in full from the database."""
    where = str(db.get_bind().engine.url)
    missing = [i for i in ids if (where, i) not in _SUMMARIES]
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        for sid, text in db.execute(select(Screening.id, Screening.result).where(Screening.id.in_(chunk))):
            if len(_SUMMARIES) >= _MAX_CACHED:
                _SUMMARIES.clear()
            _SUMMARIES[(where, sid)] = summarise(json.loads(text))
    return {i: _SUMMARIES[(where, i)] for i in ids if (where, i) in _SUMMARIES}


def summarise(result: dict[str, Any]) -> Summary:
    missing: list[str] = []
    reviews = 0
    for sp in result["subprotocols"]:
        for item in sp.get("missing", []):
            if item not in missing:
                missing.append(item)
        reviews += sum(1 for a in sp.get("alterations", []) if a.get("status") == "REVIEW")
    return Summary(
        screened_on=result["screened_on"],
        verdicts={sp["id"]: sp["verdict"] for sp in result["subprotocols"]},
        missing=tuple(missing),
        candidates=tuple(result.get("recommendation", {}).get("candidates", [])),
        review_calls=reviews,
    )


@dataclass
class SubjectRow:
    code: str
    state: str
    site_code: str
    created_at: datetime
    summary: Summary | None = None
    decision: BoardDecision | None = None
    registration: Registration | None = None
    pending_changes: int = 0
    actions: list[str] = field(default_factory=list)

    def sort_key(self, column: str) -> Any:
        if column == "state":
            return (self.state, self.code)
        if column == "screened":
            return (self.summary.screened_on if self.summary else "", self.code)
        if column == "missing":
            return (len(self.summary.missing) if self.summary else 99, self.code)
        return self.code


def _next_actions(row: SubjectRow) -> list[str]:
    s = row.summary
    if row.state == "new" or s is None:
        return ["add a dossier and screen"]
    if row.state in ("registered", "on_treatment"):
        return ["on study: see the cycle calendar"]
    if row.state == "off_study":
        return []
    eligible = [sp for sp, v in s.verdicts.items() if v == "ELIGIBLE"]
    actions: list[str] = []
    if row.pending_changes:
        actions.append("verdict change awaiting trial-office review")
    if row.state == "screened" and (len(s.candidates) > 1 or s.review_calls or eligible):
        actions.append("waiting for the tumour board")
    if row.state == "board_reviewed" and row.decision is not None:
        if row.decision.subprotocol and s.verdicts.get(row.decision.subprotocol) == "ELIGIBLE":
            actions.append(f"ready to register to {row.decision.subprotocol}")
        elif row.decision.subprotocol:
            actions.append(f"referred to {row.decision.subprotocol}: not yet eligible")
        else:
            actions.append("not referred")
    if s.missing:
        actions.append(f"collect {len(s.missing)} missing item(s)")
    return actions or ["no action"]


def subject_rows(db: Session, *, actor: Principal, site_code: str | None = None) -> list[SubjectRow]:
    """Every subject the actor may see, with its latest screening, board decision and registration."""
    subjects = select(Subject)
    if actor.role in SITE_ROLES:
        subjects = subjects.where(Subject.site_code == actor.site_code)
    elif site_code is not None:
        subjects = subjects.where(Subject.site_code == site_code)
    columns = subjects.with_only_columns(Subject.code, Subject.state, Subject.site_code, Subject.created_at)
    rows = {
        code: SubjectRow(code, state, site, created)
        for code, state, site, created in db.execute(columns.order_by(Subject.code))
    }
    if not rows:
        return []
    codes = list(rows)
    latest = (
        select(func.max(Screening.id))
        .where(Screening.subject_code.in_(codes))
        .group_by(Screening.subject_code)
        .scalar_subquery()
    )
    latest_ids = dict(
        db.execute(select(Screening.id, Screening.subject_code).where(Screening.id.in_(latest))).all()
    )
    for sid, summary in _cached_summaries(db, list(latest_ids)).items():
        rows[latest_ids[sid]].summary = summary
    decided = (
        select(func.max(BoardDecision.id))
        .where(BoardDecision.subject_code.in_(codes))
        .group_by(BoardDecision.subject_code)
        .scalar_subquery()
    )
    for decision in db.scalars(select(BoardDecision).where(BoardDecision.id.in_(decided))):
        rows[decision.subject_code].decision = decision
    for reg in db.scalars(select(Registration).where(Registration.subject_code.in_(codes))):
        rows[reg.subject_code].registration = reg
    pending = (
        select(VerdictChange.subject_code, func.count())
        .where(VerdictChange.status == "pending", VerdictChange.subject_code.in_(codes))
        .group_by(VerdictChange.subject_code)
    )
    for code, count in db.execute(pending):
        rows[code].pending_changes = int(count)
    for row in rows.values():
        row.actions = _next_actions(row)
    return list(rows.values())


def capacity(db: Session) -> dict[str, Counter]:
    return {c.subprotocol: c for c in db.scalars(select(Counter).order_by(Counter.subprotocol))}


def latest_screening(db: Session, code: str) -> Screening | None:
    return db.scalars(
        select(Screening).where(Screening.subject_code == code).order_by(Screening.id.desc())
    ).first()
