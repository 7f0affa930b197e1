"""`ismart dosefinding`: the next-patient decision, the decision tables and simulated operating
characteristics of rolling six, 3+3 and BOIN. A thin shell: reading the CSV and printing live here,
the rules in ``ismart.treatment.dosefinding*``."""

from __future__ import annotations

import csv
import json
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ismart.cli.boundary import OneLineGroup, fail
from ismart.errors import InputError, IsmartError
from ismart.treatment.dosefinding import (
    HEM_ISMART_LEVELS,
    Decision,
    Design,
    DesignName,
    OperatingCharacteristics,
    TableRow,
    decision_table,
    next_decision,
    simulate,
)
from ismart.treatment.dosefinding.records_io import parse_patients

app = typer.Typer(
    cls=OneLineGroup,
    name="dosefinding",
    help="Dose finding: next-patient decisions, decision tables and simulations (rolling six, 3+3, BOIN).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class DesignChoice(StrEnum):
    rolling6 = "rolling6"
    three_plus_three = "3+3"
    boin = "boin"


NAMES: dict[str, DesignName] = {"rolling6": "rolling6", "3+3": "3+3", "boin": "boin"}


class Format(StrEnum):
    text = "text"
    json = "json"


class TableFormat(StrEnum):
    text = "text"
    csv = "csv"
    json = "json"


DesignOpt = Annotated[
    DesignChoice | None,
    typer.Option(
        "--design", "-d", help="rolling6, 3+3 or boin (default: the protocol data's dose_finding.design)."
    ),
]
TargetOpt = Annotated[float, typer.Option(help="BOIN target DLT rate.")]
LevelsOpt = Annotated[
    str | None, typer.Option(help="Dose levels, lowest first, comma-separated (default -1,1,2).")
]


# --- reading ----------------------------------------------------------------------------------


def _design(choice: DesignChoice | None) -> DesignName:
    """The chosen design, else the one master.yaml's dose_finding names (HEM-iSMART: rolling six)."""
    if choice is not None:
        return NAMES[choice.value]
    from ismart.protocol.loader import load_protocol

    found = load_protocol().master.dose_finding
    if found is None:
        raise InputError("--design: the protocol data name no dose-finding design; give --design")
    return found.design


def _levels(text: str | None) -> tuple[int, ...]:
    if text is None:
        return HEM_ISMART_LEVELS
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InputError(f"--levels: {text!r} is not a comma-separated list of whole numbers") from None


def _floats(text: str, option: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise InputError(f"{option}: {text!r} is not a comma-separated list of numbers") from None


# --- next -------------------------------------------------------------------------------------


@app.command("next")
def next_command(
    patients: Annotated[
        Path,
        typer.Argument(
            metavar="PATIENTS.csv",
            help="patient_id, dose_level, enrolled_on, evaluable (yes/no/pending), dlt (yes/no).",
        ),
    ],
    design: DesignOpt = None,
    current_level: Annotated[
        int | None, typer.Option(help="Level the trial stands at (default: the latest enrolment's).")
    ] = None,
    levels: LevelsOpt = None,
    target: TargetOpt = 0.3,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """The decision for the next patient."""
    try:
        text = patients.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {patients}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        chosen = Design(_design(design), _levels(levels), target=target)
        decision = next_decision(chosen, parse_patients(text, patients.name), current_level)
    except IsmartError as exc:
        raise fail(str(exc)) from None
    document = {"design": chosen.name, **decision.as_dict()}
    if output_format is Format.json:
        typer.echo(json.dumps(document, indent=2))
    else:
        _print_decision(decision)


def _print_decision(decision: Decision) -> None:
    c = decision.counts
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"[bold]decision[/]    {decision.decision}")
    console.print(f"[bold]dose_level[/]  {_dash(decision.dose_level)}")
    console.print(f"[bold]mtd[/]         {_dash(decision.mtd)}")
    console.print(
        f"[bold]counts[/]      level {c['level']}: {c['on_level']} on level, {c['evaluable']} "
        f"evaluable, {c['dlts']} DLT(s), {c['pending']} pending, "
        f"{c['not_evaluable']} not evaluable"
    )
    console.print(f"[bold]eliminated[/]  {', '.join(map(str, decision.eliminated)) or 'none'}")
    console.print(f"[bold]reason[/]      {escape(decision.reason)}")


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


# --- table ------------------------------------------------------------------------------------

NOTES = {
    "rolling6": "Counts are for the current level; 'on level' excludes patients not evaluable for DLT. "
    "MTD: highest level with 0/6 or 1/6 DLTs with >= 2 DLTs at the next level; a level with >= 2 DLTs "
    "is never offered again. Source: Skolnik 2008; JAMA Netw Open 2020;3(5):e204787, Table 2.",
    "3+3": "MTD: highest level with at most 1 DLT in 6 evaluable patients (Storer 1989).",
    "boin": "Boundaries on the number of DLTs among n patients treated at the current level "
    "(Liu & Yuan 2015; elimination: P(DLT rate > target) > 0.95, Beta(1,1) prior, n >= 3).",
}


@app.command("table")
def table_command(
    design: DesignOpt = None,
    target: TargetOpt = 0.3,
    n_max: Annotated[int, typer.Option(help="BOIN: rows for 1..N patients.", min=1, max=500)] = 30,
    output_format: Annotated[
        TableFormat, typer.Option("--format", "-f", help="text, csv or json.")
    ] = TableFormat.text,
) -> None:
    """The whole decision table of a design."""
    try:
        name = _design(design)
        rows = decision_table(Design(name, target=target), n_max)
    except IsmartError as exc:
        raise fail(str(exc)) from None
    if output_format is TableFormat.json:
        typer.echo(json.dumps(rows, indent=2))
    elif output_format is TableFormat.csv:
        _write_csv(rows)
    else:
        _print_table(rows, f"{name} decision table", NOTES[name])


def _write_csv(rows: list[TableRow]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(rows[0].keys())
    for row in rows:
        writer.writerow("NA" if v is None else v for v in row.values())


def _print_table(rows: list[TableRow], title: str, note: str) -> None:
    table = Table(title=title, caption=note, caption_justify="left")
    for key in rows[0]:
        table.add_column(key.replace("_", " "))
    for row in rows:
        table.add_row(*("NA" if v is None else str(v) for v in row.values()))
    Console(highlight=False).print(table)


# --- simulate ---------------------------------------------------------------------------------


@app.command("simulate")
def simulate_command(
    true_tox: Annotated[
        str, typer.Option(help="True DLT probability per level, lowest first: 0.05,0.15,0.3")
    ],
    design: DesignOpt = None,
    levels: Annotated[
        str | None, typer.Option(help="Dose levels (default -1,1,2 for three probabilities, else 1..K).")
    ] = None,
    trials: Annotated[int, typer.Option(help="Number of simulated trials.", min=1)] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    max_patients: Annotated[
        int | None, typer.Option(help="Cap on patients (BOIN default 30).", min=1)
    ] = None,
    cohort_size: Annotated[int, typer.Option(help="BOIN cohort size.", min=1)] = 3,
    n_earlystop: Annotated[int, typer.Option(help="BOIN: stop at this many on a level.", min=1)] = 100,
    accrual_days: Annotated[float, typer.Option(help="Mean days between patients (exponential).")] = 7.0,
    dlt_window: Annotated[float, typer.Option(help="DLT window in days.")] = 28.0,
    target: TargetOpt = 0.3,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """Operating characteristics of a design under assumed true DLT probabilities."""
    try:
        tox = _floats(true_tox, "--true-tox")
        chosen_levels = _levels(levels) if levels or len(tox) == 3 else tuple(range(1, len(tox) + 1))
        chosen = Design(_design(design), chosen_levels, target=target, n_earlystop=n_earlystop)
        simulate(chosen, tox, 1, seed, max_patients, cohort_size, accrual_days, dlt_window)  # warm-up:
        started = time.perf_counter()  # imports and boundary tables stay out of the measured rate
        oc = simulate(chosen, tox, trials, seed, max_patients, cohort_size, accrual_days, dlt_window)
        rate = trials / max(time.perf_counter() - started, 1e-9)
    except IsmartError as exc:
        raise fail(str(exc)) from None
    if output_format is Format.json:
        typer.echo(json.dumps({**oc.as_dict(), "trials_per_second": round(rate)}, indent=2))
    else:
        _print_oc(oc, rate)


def _print_oc(oc: OperatingCharacteristics, rate: float) -> None:
    table = Table(title=f"{oc.design}: {oc.n_trials} simulated trials (seed {oc.seed})")
    for name in ("level", "true DLT rate", "P(selected as MTD)", "mean patients", "mean DLTs"):
        table.add_column(name, justify="right")
    for i, level in enumerate(oc.levels):
        table.add_row(
            str(level),
            f"{oc.true_tox[i]:.2f}",
            f"{oc.selection[level]:.3f}",
            f"{oc.mean_patients_per_level[level]:.2f}",
            f"{oc.mean_dlts_per_level[level]:.2f}",
        )
    console = Console(highlight=False, soft_wrap=True)
    console.print(table)
    lines = [
        f"no MTD (suspended or none qualified): {oc.no_mtd:.3f}",
        f"mean patients per trial: {oc.mean_patients:.2f}",
        f"overall DLT rate: {oc.dlt_rate:.3f}",
    ]
    if oc.mean_duration_days is not None:
        lines.append(f"mean trial duration: {oc.mean_duration_days:.0f} days")
    lines.append(f"speed: {rate:,.0f} trials simulated per second")
    for line in lines:
        console.print(line)
