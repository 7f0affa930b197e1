"""Trial-conduct commands on the registry database: `ismart conduct state|chart|safety|overdue`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from ismart.conduct.reports_io import escalation_chart, safety_csv
from ismart.errors import IsmartError
from ismart.registry import conduct
from ismart.registry.access import Principal, Role
from ismart.registry.bootstrap import open_registry
from ismart.registry.settings import load_settings

app = typer.Typer(help="Dose finding and safety in the registry.", no_args_is_help=True)
# The command line acts for the trial office (it runs where the database is administered).
OFFICE = Principal("cli", Role.trial_office, None)
SubArg = Annotated[str, typer.Argument(help="Sub-protocol id, e.g. B.")]
OnOpt = Annotated[str | None, typer.Option("--on", help="Date to evaluate (YYYY-MM-DD; default today, UTC).")]


def _day(text: str | None) -> date:
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"--on: {text!r} is not a date (YYYY-MM-DD)") from None


def _fail(exc: IsmartError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


@app.command("state")
def state_command(
    subprotocol: SubArg,
    on: OnOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """The design's decision for the next registration, derived from the records."""
    day = _day(on)
    if fmt not in ("text", "json"):
        raise typer.BadParameter(f"--format: {fmt!r} is not text or json")
    try:
        with open_registry(load_settings())() as session:
            data = conduct.to_dict(
                conduct.view_dose_finding(session, actor=OFFICE, subprotocol=subprotocol, on=day), OFFICE
            )
    except IsmartError as exc:
        raise _fail(exc) from None
    if fmt == "json":
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(
        f"{data['subprotocol']} on {data['on']}: {data['action']}"
        + (f" at level {data['dose_level']}" if data["dose_level"] is not None else "")
    )
    typer.echo(f"  {data['reason']}")
    for counts in data["levels_counts"]:
        typer.echo(
            f"  level {counts['level']}: on level {counts['on_level']}, evaluable {counts['evaluable']}, "
            f"DLTs {counts['dlts']}, pending {counts['pending']}, not evaluable {counts['not_evaluable']}"
        )
    for note in data["placeholders"]:
        typer.echo(f"  note: {note}")


@app.command("chart")
def chart_command(
    subprotocol: SubArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="A .png or .pdf file.")],
    on: OnOpt = None,
) -> None:
    """The dose-escalation chart: patients over time by level, DLTs marked."""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf"):
        raise typer.BadParameter(f"--output: {output.name!r} must end in .png or .pdf")
    day = _day(on)
    try:
        with open_registry(load_settings())() as session:
            found, points, marks = conduct.escalation_report(
                session, actor=OFFICE, subprotocol=subprotocol, on=day
            )
    except IsmartError as exc:
        raise _fail(exc) from None
    levels = list(found.design.levels) if found.design else sorted({p.dose_level for p in points})
    data = escalation_chart(
        points,
        title=f"Sub-protocol {subprotocol}: dose escalation as of {day}",
        state=f"{found.action}: {found.reason}"[:220],
        levels=levels,
        decisions=marks,
        fmt=fmt,
    )
    output.write_bytes(data)
    typer.echo(f"wrote {output} ({len(points)} patients)")


@app.command("safety")
def safety_command(
    subprotocol: SubArg,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="CSV file (default: standard output).")
    ] = None,
) -> None:
    """The safety listing: grade >= 3 AEs by term, SAEs, DLTs, deaths (CSV)."""
    try:
        with open_registry(load_settings())() as session:
            rows = conduct.safety_listing(
                session, actor=OFFICE, subprotocol=subprotocol, now=datetime.now(UTC).replace(tzinfo=None)
            )
    except IsmartError as exc:
        raise _fail(exc) from None
    text = safety_csv(rows)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output} ({len(rows)} rows)")


@app.command("overdue")
def overdue_command() -> None:
    """SAE and SUSAR clocks that are overdue, late, or await the sponsor's assessment."""
    try:
        with open_registry(load_settings())() as session:
            found = conduct.overdue_clocks(session, actor=OFFICE, now=datetime.now(UTC).replace(tzinfo=None))
    except IsmartError as exc:
        raise _fail(exc) from None
    if not found:
        typer.echo("no overdue SAE or SUSAR reports")
    for row, clock in found:
        typer.echo(f"{row.subject_code}\tevent {row.id}\t{row.term}\t{clock.state}\t{clock.reason}")
