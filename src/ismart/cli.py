"""The `ismart` command line: a thin shell over the pure screening core."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ismart import __version__, dossier
from ismart.eligibility.context import Options
from ismart.eligibility.engine import screen
from ismart.errors import IsmartError
from ismart.protocol import load_protocol
from ismart.report import html, json_report, text

app = typer.Typer(
    name="ismart",
    help="Screening and triage for the HEM-iSMART master protocol.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class Format(StrEnum):
    text = "text"
    json = "json"
    html = "html"


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


@app.command("screen")
def screen_command(
    path: Annotated[Path, typer.Argument(metavar="DOSSIER", help="Dossier file (YAML or JSON).")],
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="text, json or html.")
    ] = Format.text,
    c1d1: Annotated[
        str | None, typer.Option(help="Planned C1D1 (YYYY-MM-DD), overriding the dossier's.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Text: list every criterion, not only blockers.")
    ] = False,
    max_assessment_age: Annotated[
        int | None,
        typer.Option(
            help="Days an echo/ECG/performance/weight may be old at C1D1 (site setting; default no limit).",
            min=0,
        ),
    ] = None,
    today: Annotated[str | None, typer.Option(hidden=True, help="Screening date (tests).")] = None,
) -> None:
    """Screen one patient against every HEM-iSMART sub-protocol."""
    as_of = _parse_date(today, "--today") or date.today()
    planned = _parse_date(c1d1, "--c1d1")
    try:
        record = dossier.load(path, as_of=as_of)
        result = screen(
            record,
            load_protocol(),
            as_of=as_of,
            c1d1=planned,
            options=Options(assessment_max_age_days=max_assessment_age),
        )
    except IsmartError as exc:
        raise _fail(str(exc)) from None
    if output_format is Format.json:
        _emit(json_report.render(result), output)
    elif output_format is Format.html:
        target = output or path.with_suffix(".screening.html")
        _write(target, html.render(result))
        Console(stderr=True).print(f"wrote {target}")
    elif output is not None:
        console = Console(record=True, width=120, file=open(output, "w", encoding="utf-8"))  # noqa: SIM115
        text.render(result, console, show_all=show_all)
        console.file.close()
    else:
        text.render(result, Console(), show_all=show_all)


def _write(target: Path, content: str) -> None:
    try:
        target.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {target}: {exc.strerror}") from None


def _emit(content: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(content + "\n")
    else:
        _write(output, content + "\n")


@app.command("version")
def version_command() -> None:
    """Print the ismart version and the protocol data version."""
    protocol = load_protocol()
    typer.echo(f"ismart {__version__}; {protocol.name} protocol data {protocol.version}")


def main() -> None:
    app()
