"""`ismart ae`: grade laboratory values by CTCAE v5.0, flag DLT candidates, the safety table."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ismart.cli.boundary import OneLineGroup, fail
from ismart.conduct.ctcae_terms import validate_ae_term
from ismart.errors import IsmartError
from ismart.treatment.adverse_events import AdverseEvent, DltRule, flag_dlt_candidates, safety_table
from ismart.treatment.adverse_events_io import read_events
from ismart.treatment.ctcae import grade_lab

app = typer.Typer(
    cls=OneLineGroup, no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False
)


def _read(path: Path) -> tuple[dict[str, list[AdverseEvent]], dict[str, date]]:
    try:
        return read_events(path, check_term=lambda term, grade: validate_ae_term(term, grade).term)
    except IsmartError as exc:
        raise fail(str(exc)) from None


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


@app.command("dlt")
def dlt_command(
    events: Annotated[Path, typer.Argument(metavar="EVENTS.csv", help=_EVENTS_HELP)],
    window: Annotated[
        str, typer.Option(help="day28 or recovery_day49 (the protocol's choice is not public).")
    ] = "day28",
) -> None:
    """Flag DLT candidates (placeholder rule: the HEM-iSMART DLT definition is not public)."""
    by_sub, c1d1 = _read(events)
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
    by_sub, c1d1 = _read(events)
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
