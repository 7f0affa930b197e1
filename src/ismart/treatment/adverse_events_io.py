"""Reading adverse events: the safety CSV (one event per row) into AdverseEvents.

Columns: subprotocol, patient_id, c1d1, term, grade, attribution, onset, cycle and, optionally,
resolution and serious (yes/true/1). ``check_term`` (the CLI passes the complete CTCAE v5.0 list's
check from ``ismart.conduct``) checks every term and grade and gives the term's CTCAE spelling.
Every problem is one InputError naming the file and line.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from ismart.errors import InputError
from ismart.treatment.adverse_events import AdverseEvent

__all__ = ["EVENT_COLUMNS", "read_events"]

EVENT_COLUMNS = (
    "subprotocol",
    "patient_id",
    "c1d1",
    "term",
    "grade",
    "attribution",
    "onset",
    "resolution",
    "cycle",
    "serious",
)


def read_events(
    path: Path, *, check_term: Callable[[str, int], str] | None = None
) -> tuple[dict[str, list[AdverseEvent]], dict[str, date]]:
    """Events by sub-protocol and each patient's C1D1; an InputError naming the file and line."""
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    missing = [c for c in EVENT_COLUMNS if rows and c not in rows[0] and c not in ("resolution", "serious")]
    if not rows or missing:
        raise InputError(f"{path}:1: needs the columns {', '.join(EVENT_COLUMNS)}")
    by_sub: dict[str, list[AdverseEvent]] = {}
    c1d1: dict[str, date] = {}
    for number, row in enumerate(rows, start=2):
        try:
            event = AdverseEvent.model_validate(
                {k: (row.get(k) or None) for k in EVENT_COLUMNS if k not in ("subprotocol", "c1d1")}
                | {"serious": (row.get("serious") or "no").strip().lower() in ("yes", "true", "1")}
            )
            c1d1[event.patient_id] = date.fromisoformat((row.get("c1d1") or "").strip())
        except (ValidationError, ValueError) as exc:
            detail = exc.errors()[0] if isinstance(exc, ValidationError) else None
            where = f" column '{detail['loc'][0]}'" if detail and detail["loc"] else ""
            raise InputError(f"{path}:{number}:{where} {detail['msg'] if detail else exc}") from None
        if check_term is not None:
            try:
                event = event.model_copy(update={"term": check_term(event.term, event.grade)})
            except InputError as exc:  # "term: ..." or "grade: ...": the column it names
                column, _, why = str(exc).partition(":")
                raise InputError(f"{path}:{number}: column '{column}':{why}") from None
        by_sub.setdefault((row.get("subprotocol") or "").strip(), []).append(event)
    return by_sub, c1d1
