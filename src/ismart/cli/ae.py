"""`ismart ae`: grade laboratory values by CTCAE v5.0, flag DLT candidates, the safety table."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from ismart.cli.boundary import OneLineGroup, fail
from ismart.errors import IsmartError
from ismart.treatment.adverse_events import AdverseEvent, DltRule, flag_dlt_candidates, safety_table
from ismart.treatment.ctcae import grade_lab

app = typer.Typer(
    cls=OneLineGroup, no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False
)
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



_EVENTS_HELP = "Adverse events, one per row (CSV with the columns of examples/adverse-events-example.csv)."


@app.command("grade")
def grade_command(
    term: Annotated[
        str, typer.Argument(help="CTCAE v5.0 laboratory term, e.g. 'Alanine aminotransferase increased'.")
    ],
    value: Annotated[float, typer.Argument(help="The measured value.")],
    unit: Annotated[str, typer.Argument(help="Its unit, e.g. U/L or umol/L.")],
    uln: Annotated[float | None, typer.Option(help="The laboratory's upper limit of normal.")] = None,
    lln: Annotated[float | None, typer.Option(help="The laboratory's lower limit of normal.")] = None,
    baseline: Annotated[float | None, typer.Option(help="The patient's baseline value.")] = None,
    baseline_abnormal: Annotated[bool, typer.Option(help="Use the 'baseline abnormal' form.")] = False,
) -> None:
    """Grade one laboratory value (both the baseline-normal and baseline-abnormal forms)."""
    try:
        result = grade_lab(
            term, value, unit, uln=uln, lln=lln, baseline=baseline, baseline_abnormal=baseline_abnormal
        )
    except IsmartError as exc:
        raise fail(str(exc)) from None
    grade = (
        "clinician decides between " + ", ".join(map(str, result.clinical_grades))
        if result.grade is None
        else str(result.grade)
    )
    typer.echo(f"{result.term}: grade {grade} ({result.criterion})")


def _events(path: Path) -> tuple[dict[str, list[AdverseEvent]], dict[str, date]]:
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{path}: cannot read: {exc}") from None
    missing = [c for c in EVENT_COLUMNS if rows and c not in rows[0] and c not in ("resolution", "serious")]
    if not rows or missing:
        raise fail(f"{path}:1: needs the columns {', '.join(EVENT_COLUMNS)}")
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
            raise fail(f"{path}:{number}:{where} {detail['msg'] if detail else exc}") from None
        by_sub.setdefault((row.get("subprotocol") or "").strip(), []).append(event)
    return by_sub, c1d1


@app.command("dlt")
def dlt_command(
    events: Annotated[Path, typer.Argument(metavar="EVENTS.csv", help=_EVENTS_HELP)],
    window: Annotated[
        str, typer.Option(help="day28 or recovery_day49 (the protocol's choice is not public).")
    ] = "day28",
) -> None:
    """Flag DLT candidates (placeholder rule: the HEM-iSMART DLT definition is not public)."""
    by_sub, c1d1 = _events(events)
    if window not in ("day28", "recovery_day49"):
        raise fail("--window must be day28 or recovery_day49")
    rule = DltRule.model_validate({"window": window})
    table = Table(title=f"DLT candidates (window {window}; ismart placeholder rule)", title_justify="left")
    for column in ("sub-protocol", "patient", "term", "grade", "study day", "candidate", "reason"):
        table.add_column(column)
    for sub, items in by_sub.items():
        for patient in sorted({e.patient_id for e in items}):
            mine = [e for e in items if e.patient_id == patient]
            for flag in flag_dlt_candidates(mine, c1d1[patient], rule):
                table.add_row(
                    sub,
                    patient,
                    flag.event.term,
                    str(flag.event.grade),
                    str(flag.study_day),
                    "yes" if flag.candidate else "no",
                    flag.reason,
                )
    Console().print(table)


@app.command("table")
def table_command(
    events: Annotated[Path, typer.Argument(metavar="EVENTS.csv", help=_EVENTS_HELP)],
) -> None:
    """The per-sub-protocol safety table: patients, events by grade, grade 3+, serious, DLT candidates."""
    by_sub, c1d1 = _events(events)
    rows = safety_table(by_sub, rule=DltRule(), c1d1=c1d1)
    table = Table(title="Safety by sub-protocol", title_justify="left")
    for column in ("sub-protocol", "patients", "events", "by grade", "serious", "DLT candidates"):
        table.add_column(column)
    for r in rows:
        grades = ", ".join(f"G{g}: {n}" for g, n in sorted(r.events_by_grade.items()))
        table.add_row(
            r.subprotocol,
            str(r.patients),
            str(r.events),
            grades,
            str(r.serious),
            "-" if r.dlt_candidates is None else str(r.dlt_candidates),
        )
    Console().print(table)
