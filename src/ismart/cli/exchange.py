"""`ismart fhir`, `ismart export odm` and `ismart ctml`: thin shells over ismart.exchange."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console

from ismart.errors import IsmartError
from ismart.exchange.service import fhir_to_dossier, pseudonym

fhir_app = typer.Typer(
    no_args_is_help=True, help="FHIR R4: import a bundle into a dossier, export a dossier."
)
export_app = typer.Typer(no_args_is_help=True, help="Exports for sponsors and regulators (CDISC ODM).")
ctml_app = typer.Typer(no_args_is_help=True, help="MatchMiner CTML: export sub-protocols, import trials.")


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _out(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror}") from None


@fhir_app.command("import")
def fhir_import_command(
    source: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT", help="Bundle/resource (JSON or XML), NDJSON, or a bulk-export folder."
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the dossier (YAML) here.")
    ] = None,
    patient_id: Annotated[
        str | None, typer.Option("--patient-id", help="The dossier's pseudonymous id (default: generated).")
    ] = None,
) -> None:
    """Read FHIR R4 resources into a dossier; the mapping report goes to standard error."""
    from ismart.exchange import fhir_io
    from ismart.exchange.report import render

    try:
        data, report = fhir_to_dossier(fhir_io.read_path(source), str(source), patient_id or pseudonym())
    except IsmartError as exc:
        raise _fail(str(exc)) from None
    _out(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), output)
    Console(stderr=True).print(render(report), highlight=False, soft_wrap=True, markup=False)


@fhir_app.command("export")
def fhir_export_command(
    path: Annotated[Path, typer.Argument(metavar="DOSSIER", help="Dossier file (YAML or JSON).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the Bundle (JSON) here.")
    ] = None,
) -> None:
    """Write a dossier as a FHIR R4 Bundle (validated against the fhir.resources models)."""
    from ismart import dossier
    from ismart.exchange import fhir_export, fhir_io

    try:
        record = dossier.load(path, as_of=date.today())
        bundle, not_exported = fhir_export.export_dossier(
            record.model_dump(mode="json", by_alias=True, exclude_none=True)
        )
        from ismart.protocol import load_protocol

        bundle["entry"] += [
            {"fullUrl": f"urn:ismart:{r['resourceType']}/{r['id']}", "resource": r}
            for r in fhir_export.research_studies(load_protocol())
        ]
        fhir_io.validate_bundle(bundle)
    except IsmartError as exc:
        raise _fail(str(exc)) from None
    _out(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", output)
    for line in not_exported:
        Console(stderr=True).print(f"not exported: {line}", highlight=False, markup=False)


@ctml_app.command("export")
def ctml_export_command(
    subprotocol: Annotated[
        str | None, typer.Option("--subprotocol", "-s", help="Only this sub-protocol (A-E).")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the CTML (YAML) here.")] = None,
) -> None:
    """Write each sub-protocol's molecular rules as MatchMiner CTML (YAML documents)."""
    from ismart.exchange import ctml
    from ismart.protocol import load_protocol

    protocol = load_protocol()
    chosen = [sp for sp in protocol.subprotocols if subprotocol is None or sp.id == subprotocol.upper()]
    if not chosen:
        raise _fail(
            f"--subprotocol: {subprotocol!r} is not one of {', '.join(sp.id for sp in protocol.subprotocols)}"
        )
    docs = []
    for sp in chosen:
        trial, cannot = ctml.export_subprotocol(sp)
        trial["ismart_cannot_express"] = cannot
        docs.append(trial)
    _out(yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True), output)


@ctml_app.command("import")
def ctml_import_command(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="CTML trial(s), YAML or JSON.")],
) -> None:
    """Turn CTML trials into ismart protocol data (rule trees); what cannot be mapped is listed."""
    from ismart.exchange import ctml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {path}: {getattr(exc, 'strerror', None) or 'not UTF-8 text'}") from None
    try:
        trials = ctml.parse_trials(text, str(path))
        out = []
        for trial in trials:
            arms, report = ctml.import_trial(trial, str(path))
            out.append(
                {
                    "protocol_no": trial.get("protocol_no"),
                    "arms": [{k: v for k, v in a.items() if k != "ctml_match"} for a in arms],
                    "not_imported": [r.as_dict() for r in report],
                }
            )
    except ctml.CtmlError as exc:
        raise _fail(str(exc)) from None
    sys.stdout.write(yaml.safe_dump(out, sort_keys=False, allow_unicode=True))


@export_app.command("odm")
def export_odm_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for study.odm.xml and one CSV per form.")
    ] = Path("odm-export"),
) -> None:
    """Write the registry as CDISC ODM 1.3.2 (metadata, clinical data, audit records) and CSVs."""
    import csv
    from datetime import UTC, datetime

    from ismart.exchange import odm
    from ismart.exchange.odm_registry import records_from_registry
    from ismart.protocol import load_protocol
    from ismart.registry.bootstrap import open_registry
    from ismart.registry.settings import load_settings

    try:
        sessions = open_registry(load_settings(), prepare=False)
        with sessions() as session:
            records = records_from_registry(session)
    except IsmartError as exc:
        raise _fail(str(exc)) from None
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    try:
        output.mkdir(parents=True, exist_ok=True)
        (output / "study.odm.xml").write_text(
            odm.build(load_protocol(), records, created=created), encoding="utf-8"
        )
        for form, items in odm.FORMS.items():
            with open(output / f"{form.lower()}.csv", "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=["SUBJECT", "SITE", *(n for n, _ in items)])
                writer.writeheader()
                writer.writerows(odm.form_rows(records, form))
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror}") from None
    Console(stderr=True).print(
        f"wrote {output}/study.odm.xml ({len(records)} subjects) and {len(odm.FORMS)} CSV files"
    )
