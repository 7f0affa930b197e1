"""Reports for the safety committee and the trial office (pure: records in, rows out).

``safety_rows`` is the safety listing: grade >= 3 adverse events by term, SAEs, DLTs and deaths,
one CSV-ready row each with a ``section`` column. ``EscalationPoint`` is one patient of the
dose-escalation chart (``ismart.conduct.reports_io`` draws it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

SAFETY_COLUMNS = (
    "section",
    "subject",
    "dose_level",
    "term",
    "soc",
    "grade",
    "events",
    "patients",
    "onset",
    "detail",
)


@dataclass(frozen=True)
class EventRecord:
    subject: str
    dose_level: int | None
    term: str
    soc: str
    grade: int
    onset: date
    serious: bool
    seriousness: tuple[str, ...]
    clocks: tuple[str, ...] = ()


@dataclass(frozen=True)
class DltRecord:
    subject: str
    dose_level: int | None
    note: str
    decided_by: str


@dataclass(frozen=True)
class EscalationPoint:
    subject: str
    dose_level: int
    registered_on: date
    window_end: date | None
    dlt_on: date | None
    evaluable: str


def safety_rows(events: Sequence[EventRecord], dlts: Sequence[DltRecord]) -> list[dict[str, str]]:
    """The listing's rows: sections 'grade>=3' (by term), 'SAE', 'DLT', 'death', in that order."""
    rows: list[dict[str, str]] = []
    severe = [e for e in events if e.grade >= 3]
    for term in sorted({e.term for e in severe}):
        own = [e for e in severe if e.term == term]
        rows.append(
            _row(
                section="grade>=3",
                term=term,
                soc=own[0].soc,
                grade=str(max(e.grade for e in own)),
                events=str(len(own)),
                patients=str(len({e.subject for e in own})),
                detail="highest grade shown",
            )
        )
    for e in events:
        if e.serious:
            rows.append(_event_row("SAE", e, "; ".join((", ".join(e.seriousness), *e.clocks))))
    for d in dlts:
        level = "" if d.dose_level is None else str(d.dose_level)
        rows.append(
            _row(section="DLT", subject=d.subject, dose_level=level, detail=f"{d.note} ({d.decided_by})")
        )
    for e in events:
        if e.grade == 5 or "death" in e.seriousness:
            rows.append(_event_row("death", e, "fatal adverse event"))
    return rows


def _event_row(section: str, e: EventRecord, detail: str) -> dict[str, str]:
    return _row(
        section=section,
        subject=e.subject,
        dose_level="" if e.dose_level is None else str(e.dose_level),
        term=e.term,
        soc=e.soc,
        grade=str(e.grade),
        onset=e.onset.isoformat(),
        detail=detail,
    )


def _row(**values: str) -> dict[str, str]:
    return {c: values.get(c, "") for c in SAFETY_COLUMNS}
