"""What the pages show, read from the registry's tables: summaries of stored screenings, the
dashboard rows, capacity. No rule lives here: verdicts, gates and permissions are the services'."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ismart.registry import screenings
from ismart.registry.access import SITE_ROLES, Principal
from ismart.registry.models import (
    BoardDecision,
    Counter,
    Registration,
    Screening,
    ScreeningSummary,
    Subject,
    VerdictChange,
)

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


class Summary:
    """What a list needs from one stored screening. Its verdicts and lists stay JSON text until
    first read: a dashboard filters and sorts a thousand rows but shows a hundred."""

    __slots__ = ("_candidates", "_missing", "_raw", "_verdicts", "review_calls", "screened_on")

    def __init__(self, screened_on: str, verdicts: str, missing: str, candidates: str, review_calls: int):
        self.screened_on = screened_on
        self.review_calls = review_calls
        self._raw = (verdicts, missing, candidates)
        self._verdicts: dict[str, str] | None = None
        self._missing: tuple[str, ...] | None = None
        self._candidates: tuple[str, ...] | None = None

    @property
    def verdicts(self) -> dict[str, str]:
        if self._verdicts is None:
            self._verdicts = {str(k): str(v) for k, v in json.loads(self._raw[0]).items()}
        return self._verdicts

    @property
    def missing(self) -> tuple[str, ...]:
        if self._missing is None:
            self._missing = tuple(json.loads(self._raw[1]))
        return self._missing

    @property
    def candidates(self) -> tuple[str, ...]:
        if self._candidates is None:
            self._candidates = tuple(json.loads(self._raw[2]))
        return self._candidates


def _summaries(db: Session, latest_ids: Select[int, str]) -> dict[str, Summary]:
    """Each subject's latest screening summarised, by subject code, from the summaries stored
    beside the screenings, in one query (no report is read). A screening without a summary row
    (written behind the service's back) is summarised from its result."""
    ids = latest_ids.subquery()
    query = (
        select(
            ids.c.id,
            ids.c.subject_code,
            ScreeningSummary.screened_on,
            ScreeningSummary.verdicts,
            ScreeningSummary.missing,
            ScreeningSummary.candidates,
            ScreeningSummary.review_calls,
        )
        .select_from(ids)
        .outerjoin(ScreeningSummary, ScreeningSummary.screening_id == ids.c.id)
    )
    out: dict[str, Summary] = {}
    lacking: dict[int, str] = {}
    for sid, code, on, verdicts, missing, candidates, reviews in db.execute(query):
        if on is None:
            lacking[sid] = code
            continue
        out[code] = Summary(on.isoformat(), verdicts, missing, candidates, reviews)
    if lacking:
        for sid, text in db.execute(select(Screening.id, Screening.result).where(Screening.id.in_(lacking))):
            out[lacking[sid]] = summarise(json.loads(text))
    return out


def summarise(result: dict[str, Any]) -> Summary:
    """The summary of a stored result, as the registry stores it beside each screening."""
    row = screenings.summary_of(0, result)
    return Summary(result["screened_on"], row.verdicts, row.missing, row.candidates, row.review_calls)


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

    @property
    def actions(self) -> list[str]:
        """What the site does next (worked out for the rows a page shows)."""
        return _next_actions(self)

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
    """Every subject the actor may see, with its latest screening, board decision and registration:
    a fixed number of queries whatever the number of subjects (each related table is read once,
    restricted by the same subject query)."""
    subjects = select(Subject.code)
    if actor.role in SITE_ROLES:
        subjects = subjects.where(Subject.site_code == actor.site_code)
    elif site_code is not None:
        subjects = subjects.where(Subject.site_code == site_code)
    columns = subjects.add_columns(Subject.state, Subject.site_code, Subject.created_at)
    rows = {
        code: SubjectRow(code, state, site, created)
        for code, state, site, created in db.execute(columns.order_by(Subject.code))
    }
    if not rows:
        return []
    visible = subjects.scalar_subquery()
    latest = (
        select(func.max(Screening.id).label("id"), Screening.subject_code)
        .where(Screening.subject_code.in_(visible))
        .group_by(Screening.subject_code)
    )
    for code, summary in _summaries(db, latest).items():
        rows[code].summary = summary
    decided = (
        select(func.max(BoardDecision.id))
        .where(BoardDecision.subject_code.in_(visible))
        .group_by(BoardDecision.subject_code)
    )
    for decision in db.scalars(select(BoardDecision).where(BoardDecision.id.in_(decided))):
        rows[decision.subject_code].decision = decision
    for reg in db.scalars(select(Registration).where(Registration.subject_code.in_(visible))):
        rows[reg.subject_code].registration = reg
    pending = (
        select(VerdictChange.subject_code, func.count())
        .where(VerdictChange.status == "pending", VerdictChange.subject_code.in_(visible))
        .group_by(VerdictChange.subject_code)
    )
    for code, count in db.execute(pending):
        rows[code].pending_changes = int(count)
    return list(rows.values())


def capacity(db: Session) -> dict[str, Counter]:
    return {c.subprotocol: c for c in db.scalars(select(Counter).order_by(Counter.subprotocol))}


def latest_screening(db: Session, code: str) -> Screening | None:
    return db.scalars(
        select(Screening).where(Screening.subject_code == code).order_by(Screening.id.desc())
    ).first()
