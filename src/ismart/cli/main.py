"""The `ismart` command line: a thin shell over the pure screening core."""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ismart import __version__, calculators
from ismart.application.screening import (
    ScreeningRequest,
    protocol_from_environment,
    read_dossier,
    run_screening,
)
from ismart.cli.boundary import OneLineGroup, fail
from ismart.cli.options import CnvOpt, DrugResponseOpt, FusionsOpt, MafOpt, SampleOpt, VcfOpt, lab_files
from ismart.eligibility.context import Options
from ismart.errors import DossierError, IsmartError
from ismart.profile_inputs import ProfileSources
from ismart.report import html, json_report, text

app = typer.Typer(
    cls=OneLineGroup,
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


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


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
    vcf: VcfOpt = None,
    maf: MafOpt = None,
    fusions: FusionsOpt = None,
    cnv: CnvOpt = None,
    drug_response: DrugResponseOpt = None,
    sample: SampleOpt = None,
    today: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            "--today",
            help="Screening date (YYYY-MM-DD; default today), e.g. to reproduce an earlier screening.",
        ),
    ] = None,
) -> None:
    """Screen one patient against every HEM-iSMART sub-protocol."""
    as_of = _parse_date(today, "--today") or date.today()
    if as_of > date.today():  # issue 9: a screening cannot be dated in the future
        raise fail(f"--as-of: {as_of} is in the future (today is {date.today()})")
    planned = _parse_date(c1d1, "--c1d1")
    request = ScreeningRequest(
        dossier=path,
        as_of=as_of,
        c1d1=planned,
        options=Options(assessment_max_age_days=max_assessment_age),
        lab_files=lab_files(vcf, maf, fusions, cnv, drug_response, sample),
    )
    try:
        result = run_screening(request, protocol=protocol_from_environment())
    except IsmartError as exc:
        raise fail(str(exc)) from None
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
        raise fail(f"cannot write {target}: {exc.strerror}") from None


def _emit(content: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(content + "\n")
    else:
        _write(output, content + "\n")


class CalendarFormat(StrEnum):
    table = "table"
    csv = "csv"
    ics = "ics"
    pdf = "pdf"
    png = "png"


@app.command("calendar")
def calendar_command(
    path: Annotated[Path, typer.Argument(metavar="DOSSIER", help="The patient's dossier (height, weight).")],
    subprotocol: Annotated[str, typer.Option("--subprotocol", "-s", help="Sub-protocol id, e.g. B.")],
    start: Annotated[str, typer.Option(help="Cycle 1 day 1 (YYYY-MM-DD).")],
    dose_level: Annotated[int | None, typer.Option(help="Dose level (default: the starting level).")] = None,
    cycles: Annotated[int, typer.Option(help="How many cycles to lay out.")] = 1,
    output_format: Annotated[
        CalendarFormat, typer.Option("--format", "-f", help="table, csv, ics, pdf or png.")
    ] = CalendarFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File for csv/ics/pdf/png.")] = None,
    bsa_formula: Annotated[
        str, typer.Option(help="mosteller, dubois, haycock or gehan_george.")
    ] = "mosteller",
    doses: Annotated[Path | None, typer.Option(help="Sponsor's dose table (YAML) for the mg values.")] = None,
    today: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Lay out every day of every cycle with drug, route and dose."""
    from ismart.treatment import calendar as cal
    from ismart.treatment import calendar_io

    as_of = _parse_date(today, "--today") or date.today()
    first = _parse_date(start, "--start")
    assert first is not None
    if bsa_formula not in calculators.BSA_FORMULAS:
        raise fail(f"--bsa-formula: {bsa_formula!r} is not one of {', '.join(calculators.BSA_FORMULAS)}")
    try:
        record = read_dossier(path, as_of=as_of)
        sp = next((s for s in protocol_from_environment().subprotocols if s.id == subprotocol.upper()), None)
        if sp is None:
            raise fail(f"--subprotocol: no sub-protocol {subprotocol!r}")
        supplied = calendar_io.load_dose_table(doses) if doses is not None else None
        body = cal.Body(record.patient.height_cm, record.patient.weight_kg, bsa_formula)
        result = cal.build_calendar(
            sp, dose_level=dose_level, start=first, cycles=cycles, body=body, supplied_doses=supplied
        )
    except IsmartError as exc:
        raise fail(str(exc)) from None
    if output_format is CalendarFormat.table:
        _print_calendar(result)
    elif output_format is CalendarFormat.csv:
        _emit(calendar_io.to_csv(result).rstrip("\n"), output)
    else:
        target = output or Path(f"{sp.id}-level{result.dose_level}-{first}.{output_format.value}")
        try:
            if output_format is CalendarFormat.ics:
                target.write_bytes(calendar_io.to_ics(result))
            elif output_format is CalendarFormat.pdf:
                calendar_io.to_pdf(result, target)
            else:
                calendar_io.to_png(result, target)
        except OSError as exc:
            raise fail(f"cannot write {target}: {exc.strerror}") from None
        Console(stderr=True).print(f"wrote {target}")


def _print_calendar(result: Any) -> None:
    from rich.table import Table

    table = Table(
        title=f"{result.name} dose level {result.dose_level}, C1D1 {result.start}", title_justify="left"
    )
    for column in ("cycle", "day", "date", "", "drug", "route", "dose", "note"):
        table.add_column(column)
    for r in result.rows:
        dose = f"{r.dose:g} {r.unit}" if r.dose is not None else "[yellow]to be set[/]"
        table.add_row(str(r.cycle), str(r.day), str(r.date), r.weekday, r.drug, r.route, dose, r.note)
    console = Console()
    console.print(table)
    for i, question in enumerate(result.questions, start=1):
        console.print(f"[magenta]Q{i} for the sponsor:[/] {question}")
    for note in result.notes:
        console.print(f"- {note}")


@app.command("triage")
def triage_command(
    profiles: Annotated[
        list[Path] | None, typer.Argument(metavar="[DOSSIER]...", help="Dossier(s) with a profiling section.")
    ] = None,
    vcf: VcfOpt = None,
    maf: MafOpt = None,
    fusions: FusionsOpt = None,
    cnv: CnvOpt = None,
    drug_response: DrugResponseOpt = None,
    sample: SampleOpt = None,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="text, json, or html (a self-contained page).")
    ] = Format.text,
    today: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """The tumour board's view: one report per patient, every alteration with its rule, source and tier."""
    from ismart.dossier import Dossier
    from ismart.molecular.profile import build_profile
    from ismart.molecular.triage import triage
    from ismart.profile_inputs import sources_of, with_files
    from ismart.report import triage_report

    as_of = _parse_date(today, "--today") or date.today()
    given = lab_files(vcf, maf, fusions, cnv, drug_response, sample)
    if not profiles and not given.any():
        raise fail("give a dossier or at least one of --vcf, --maf, --fusions, --cnv, --drug-response")
    if len(profiles or []) > 1 and given.any():
        raise fail("laboratory files belong to one patient: give them with one dossier, not several")
    reports = []
    try:
        protocol = protocol_from_environment()
        for path in profiles or [None]:  # type: ignore[list-item]
            record = Dossier()
            patient = None
            if path is not None:
                loaded = read_dossier(path, as_of=as_of)
                loaded = with_files(loaded, sources_of(loaded, path, ProfileSources()))
                record = _merge_profiling(record, loaded, path)
                patient = loaded.patient.id if loaded.patient is not None else None
            record = with_files(record, given)
            reports.append((patient, triage(build_profile(record.profiling), protocol)))
    except IsmartError as exc:
        raise fail(str(exc)) from None
    if output_format is Format.json:
        rendered = [triage_report.to_dict(r, protocol.version, p) for p, r in reports]
        _emit(json.dumps(rendered[0] if len(rendered) == 1 else rendered, indent=2, ensure_ascii=False), None)
    elif output_format is Format.html:
        _emit(triage_report.render_html(reports, protocol.version), None)
    else:
        for patient, result in reports:
            triage_report.render(result, Console(), patient)


def _merge_profiling(merged: Any, record: Any, path: Path) -> Any:
    """Append one dossier's profiling findings to the merged record's."""
    found = record.profiling
    if found is None:
        raise DossierError("profiling", f"{path} has no profiling section")
    base = merged.profiling or found.model_copy(update=dict.fromkeys(_LISTS))
    profiling = base.model_copy(
        update={name: [*(getattr(base, name) or []), *(getattr(found, name) or [])] for name in _LISTS}
    )
    return merged.model_copy(update={"profiling": profiling})


_LISTS = ("variants", "fusions", "copy_number", "expression", "drug_response")


@app.command("prescreen")
def prescreen_command(
    study: Annotated[Path, typer.Argument(metavar="STUDY_DIR", help="A cBioPortal-format study folder.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Per-sample result: .tsv, .csv or .parquet.")
    ] = None,
    chart: Annotated[Path | None, typer.Option(help="Bar chart of the summary (PNG).")] = None,
) -> None:
    """Pre-screen a whole cohort: candidate sub-protocols per sample, and a summary."""
    import polars as pl
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from ismart.prescreen.study import prescreen
    from ismart.prescreen.summary import bar_chart, summarise

    if output is not None and output.suffix.lower() not in (".tsv", ".csv", ".parquet"):
        raise fail(f"--output: {output.name} must end in .tsv, .csv or .parquet")
    err = Console(stderr=True)
    try:
        protocol = protocol_from_environment()
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("pre-screening", total=None)
            result = prescreen(study, protocol, lambda msg: bar.update(task, description=msg))
    except IsmartError as exc:
        raise fail(str(exc)) from None
    rows = summarise(result, protocol)
    if output is not None:
        suffix = output.suffix.lower()
        try:
            if suffix == ".parquet":
                result.write_parquet(output)
            else:
                # empty means "none": write it as an empty field, not as a quoted empty string
                plain = result.with_columns(pl.col(pl.String).replace("", None))
                plain.write_csv(output, separator="\t" if suffix == ".tsv" else ",", null_value="")
        except OSError as exc:
            raise fail(f"cannot write {output}: {exc.strerror}") from None
    table = Table(title=f"{result.height:,} samples", title_justify="left")
    for column in ("group", "name", "samples", "%", "board review"):
        table.add_column(column)
    for r in rows:
        if r.public:
            table.add_row(r.group, r.name, f"{r.samples:,}", f"{r.percent:.1f}", f"{r.review:,}")
        else:  # no count for a rule nobody has seen (A withdrawn, E unpublished)
            table.add_row(r.group, r.name, r.note or "rules not public", "", "")
    Console().print(table)
    if chart is not None:
        bar_chart(rows, chart, f"{protocol.name} pre-screen of {study.name}: {result.height:,} samples")
        err.print(f"wrote {chart}")


@app.command("cohort")
def cohort_command(
    out: Annotated[Path, typer.Argument(metavar="OUT_DIR", help="Folder to write the synthetic study to.")],
    samples: Annotated[int, typer.Option(min=1, help="Number of samples.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """Generate a synthetic cBioPortal-format cohort (for tests and benchmarks)."""
    from ismart.prescreen.synthetic import generate

    counts = generate(out, samples, seed=seed)
    typer.echo(", ".join(f"{k}: {v:,}" for k, v in counts.items()))


@app.command("version")
def version_command() -> None:
    """Print the ismart version and the protocol data version."""
    try:
        protocol = protocol_from_environment()
    except IsmartError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"ismart {__version__}; {protocol.name} protocol data {protocol.version}")


_SERVE_HELP = (
    "Run the registry API (FastAPI) on 127.0.0.1. Reads ISMART_SECRET_KEY (signs tokens; required), "
    "ISMART_DATABASE_URL (default sqlite:///ismart.db), ISMART_PROTOCOL_DIR (amended protocol data; "
    "default the shipped data) and ISMART_TOKEN_MINUTES (token lifetime, default 30)."
)


def _mount() -> None:
    from ismart.cli.ae import app as ae_app
    from ismart.cli.dosefinding import app as dosefinding_app

    app.add_typer(dosefinding_app, name="dosefinding", help="Dose finding: rolling six, 3+3 and BOIN.")
    app.add_typer(ae_app, name="ae", help="Adverse events: CTCAE v5.0 lab grading, DLT candidates, safety.")
    from ismart.cli.registry import audit_app, rescreen_app, serve, user_app

    app.add_typer(
        user_app,
        name="user",
        help="Registry users: ismart user add NAME ROLE. Reads ISMART_DATABASE_URL and ISMART_PROTOCOL_DIR.",
    )
    app.add_typer(audit_app, name="audit", help="Audit trail: verify the hash chain, export as CSV.")
    from ismart.cli.access_log import app as access_log_app  # issue 11

    app.add_typer(access_log_app, name="access-log", help="Who saw which subject's records, when.")
    app.add_typer(
        rescreen_app, name="rescreen", help="Re-run screenings under new protocol data; review changes."
    )
    app.command("serve", help=_SERVE_HELP)(serve)
    from ismart.cli.efficacy import app as efficacy_app  # response (issue 15)

    app.add_typer(efficacy_app, name="efficacy", help="Efficacy stage: Simon two-stage designs, reports.")
    from ismart.cli.conduct import app as conduct_app  # trial conduct (issue 14)

    app.add_typer(conduct_app, name="conduct", help="Dose finding and safety in the registry.")
    from ismart.cli.exchange import ctml_app, export_app, fhir_app

    app.add_typer(fhir_app, name="fhir", help="FHIR R4: import a bundle, export a dossier.")
    app.add_typer(export_app, name="export", help="Exports: ismart export odm (CDISC ODM 1.3.2 and CSV).")
    app.add_typer(ctml_app, name="ctml", help="MatchMiner CTML: ismart ctml export, ismart ctml import FILE.")


_mount()


def main() -> None:
    try:
        app()
    except IsmartError as exc:  # a last safety net: a user never sees a traceback for these
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
