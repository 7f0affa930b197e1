"""`ismart efficacy`: Simon's two-stage designs for the phase II (efficacy) stage. A thin shell; the
enumeration lives in ``ismart.response.simon``."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ismart.errors import IsmartError
from ismart.response.simon import DEFAULT_NMAX, SimonDesign, characteristics, designs

app = typer.Typer(
    name="efficacy",
    help="The efficacy stage: Simon's optimal and minimax two-stage designs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _group() -> None:
    """The efficacy stage: Simon's optimal and minimax two-stage designs."""


class Format(StrEnum):
    text = "text"
    json = "json"


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def _number(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _fail(f"{option}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise _fail(f"{option}: {text!r} is not a finite number")
    return value


def _integer(text: str, option: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _fail(f"{option}: {text!r} is not a whole number") from None


def _row(name: str, d: SimonDesign, p0: float, p1: float) -> list[str]:
    at_p0, at_p1 = characteristics(d, p0), characteristics(d, p1)
    return [
        name,
        f"{d.r1}/{d.n1}",
        f"{d.r}/{d.n}",
        f"{d.en0:.2f}",
        f"{d.pet0:.4f}",
        f"{at_p0.reject_h0:.4f}",
        f"{at_p1.reject_h0:.4f}",
    ]


@app.command("simon")
def simon_command(
    p0: Annotated[str, typer.Option("--p0", help="Response rate not worth pursuing (H0).")],
    p1: Annotated[str, typer.Option("--p1", help="Response rate worth pursuing (H1).")],
    alpha: Annotated[str, typer.Option("--alpha", help="Type I error: P(declared promising | p0).")],
    beta: Annotated[str, typer.Option("--beta", help="Type II error: P(rejected | p1).")],
    nmax: Annotated[str, typer.Option("--nmax", help="Largest total sample size searched.")] = str(
        DEFAULT_NMAX
    ),
    output_format: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """Simon's optimal (smallest expected size under p0) and minimax (smallest n) designs.

    Stop after stage 1 with r1 or fewer responses among n1; the drug is promising with more than
    r responses among n.
    """
    values = [_number(p0, "--p0"), _number(p1, "--p1"), _number(alpha, "--alpha"), _number(beta, "--beta")]
    try:
        found = designs(*values, nmax=_integer(nmax, "--nmax"))
    except IsmartError as exc:
        raise _fail(str(exc)) from None
    if output_format is Format.json:
        typer.echo(json.dumps(found.as_dict(), indent=2))
        return
    table = Table(
        title=f"Simon two-stage: p0 {values[0]:g}, p1 {values[1]:g}, alpha {values[2]:g}, beta {values[3]:g}"
    )
    for column in ("design", "r1/n1", "r/n", "EN(p0)", "PET(p0)", "alpha (exact)", "power (exact)"):
        table.add_column(column, justify="right")
    table.add_row(*_row("optimal", found.optimal, values[0], values[1]))
    table.add_row(*_row("minimax", found.minimax, values[0], values[1]))
    Console(highlight=False, soft_wrap=True).print(table)


@app.command("report")
def report_command(
    subprotocol: Annotated[str, typer.Argument(help="Sub-protocol id, e.g. B.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the CSV, PNG and PDF files.")] = Path(
        "."
    ),
) -> None:
    """The efficacy stage with its decision, enrolment by site and month, and the flow of subjects
    (screened to responded), from the registry (ISMART_DATABASE_URL): CSV, PNG and PDF."""
    from ismart.registry import responses
    from ismart.registry.access import SYSTEM
    from ismart.registry.bootstrap import open_registry
    from ismart.registry.settings import load_settings
    from ismart.report.efficacy_report import write_all

    try:
        with open_registry(load_settings())() as session:
            actor = SYSTEM
            report = responses.efficacy(session, actor=actor, subprotocol=subprotocol)
            flow = responses.flow(session, actor=actor, subprotocol=subprotocol)
            rows = responses.enrolment(session, actor=actor, subprotocol=subprotocol)
        files = write_all(report, flow, rows, out)
    except IsmartError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{out}: cannot write the report: {exc.strerror}") from None
    typer.echo(f"{report.subprotocol}: {report.state.stage.value} ({report.state.decision})")
    for file in files:
        typer.echo(f"wrote {file}")
