"""Registry commands: `ismart user add`, `ismart audit`, `ismart rescreen`, `ismart serve`."""

from __future__ import annotations

import csv
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from ismart.cli.boundary import fail
from ismart.errors import IsmartError
from ismart.registry import db, services
from ismart.registry.access import Role
from ismart.registry.audit import verify_chain
from ismart.registry.bootstrap import open_registry
from ismart.registry.models import AuditEntry, VerdictChange
from ismart.registry.settings import load_settings

user_app = typer.Typer(help="Registry users.", no_args_is_help=True)
audit_app = typer.Typer(help="The registry's audit trail.", no_args_is_help=True)
rescreen_app = typer.Typer(help="Re-screening under new protocol data.", no_args_is_help=True)


def _sessions() -> db.sessionmaker[db.Session]:
    return open_registry(load_settings())


def _fail(exc: IsmartError) -> typer.Exit:
    return fail(str(exc))  # the command line's one error boundary


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Argument(help="Role.")],
    site: Annotated[str | None, typer.Option(help="Site code (site roles only), e.g. SE-STO.")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password.")
    ] = "",
) -> None:
    """Add a user (as the trial office). Reads ISMART_DATABASE_URL and ISMART_PROTOCOL_DIR."""
    try:
        with _sessions().begin() as session:
            services.create_user(
                session,
                actor=services.SYSTEM,
                username=username,
                role=role,
                site_code=site,
                password=password,
            )
    except IsmartError as exc:
        raise _fail(exc) from None
    typer.echo(f"added {username} ({role.value})")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit 1 naming the first broken row."""
    with _sessions()() as session:
        report = verify_chain(session)
    if not report.ok:
        typer.echo(f"BROKEN: {report.problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {report.rows} rows verified")


@audit_app.command("export")
def audit_export() -> None:
    """Write the audit trail as CSV to standard output."""
    columns = [
        "id",
        "at",
        "actor",
        "action",
        "entity",
        "entity_id",
        "before",
        "after",
        "reason",
        "prev_hash",
        "hash",
    ]
    writer = csv.writer(sys.stdout)
    writer.writerow(columns)
    with _sessions()() as session:
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
            writer.writerow([getattr(entry, c) for c in columns])


def _print_changes(changes: list[VerdictChange], summary: str) -> None:
    typer.echo(summary)
    if not changes:
        return
    table = Table()
    for column in ("id", "subject", "sub-protocol", "was", "now", "protocol data", "status"):
        table.add_column(column)
    for c in changes:
        table.add_row(
            str(c.id),
            c.subject_code,
            c.subprotocol,
            c.old_verdict or "-",
            c.new_verdict or "-",
            f"{c.old_protocol_version} -> {c.new_protocol_version}",
            c.status if c.reviewed_by is None else f"{c.status} by {c.reviewed_by}",
        )
    Console(width=max(100, Console().width)).print(table)


@rescreen_app.command("run")
def rescreen_run() -> None:
    """Re-run stored screenings made under other protocol data; list every changed verdict."""
    with _sessions().begin() as session:
        report = services.rescreen_outdated(session, actor=services.SYSTEM)
        summary = (
            f"protocol data {report.protocol_version}: {report.checked} latest screenings checked, "
            f"{report.rescreened} re-run, {len(report.changes)} verdicts changed"
        )
        _print_changes(report.changes, summary)


@rescreen_app.command("changes")
def rescreen_changes(
    pending: Annotated[bool, typer.Option(help="Only changes awaiting review.")] = False,
) -> None:
    """List verdict changes found by re-screening."""
    with _sessions()() as session:
        changes = services.list_verdict_changes(
            session, actor=services.SYSTEM, status="pending" if pending else None
        )
        _print_changes(changes, f"{len(changes)} verdict changes")


@rescreen_app.command("review")
def rescreen_review(
    change_id: Annotated[int, typer.Argument(help="Verdict change id.")],
    note: Annotated[str, typer.Option(help="What the trial office concluded (required).")],
) -> None:
    """Mark a verdict change reviewed, with a note (audited)."""
    try:
        with _sessions().begin() as session:
            services.review_verdict_change(session, actor=services.SYSTEM, change_id=change_id, note=note)
    except IsmartError as exc:
        raise _fail(exc) from None
    typer.echo(f"verdict change {change_id} reviewed")


def serve(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=32, help="Worker processes (one per core).")] = 1,
) -> None:
    """Serve the registry API on 127.0.0.1."""
    import uvicorn

    from ismart.api.app import create_app, prepare_registry, warm_up

    try:
        state = prepare_registry(load_settings())  # migrations and re-screening happen once, here
    except IsmartError as exc:
        raise _fail(exc) from None
    if workers == 1:
        warm_up()  # each worker process warms its own caches (worker_app)
        uvicorn.run(create_app(state=state), host="127.0.0.1", port=port, log_level="warning")
    else:
        uvicorn.run(
            "ismart.api.app:worker_app",
            factory=True,
            workers=workers,
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
