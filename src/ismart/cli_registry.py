"""Registry commands: `ismart user add`, `ismart audit verify|export`, `ismart serve`."""

from __future__ import annotations

import csv
import sys
from typing import Annotated

import typer
from sqlalchemy import select

from ismart.errors import IsmartError
from ismart.registry import db, services
from ismart.registry.access import Role
from ismart.registry.audit import verify_chain
from ismart.registry.models import AuditEntry
from ismart.registry.settings import load_settings

user_app = typer.Typer(help="Registry users.", no_args_is_help=True)
audit_app = typer.Typer(help="The registry's audit trail.", no_args_is_help=True)


def _sessions() -> db.sessionmaker[db.Session]:
    engine = db.make_engine(url=load_settings().database_url)
    db.upgrade(engine=engine)
    sessions = db.make_sessionmaker(engine=engine)
    with sessions.begin() as session:
        services.seed(session)
    return sessions


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Argument(help="Role.")],
    site: Annotated[str | None, typer.Option(help="Site code (site roles only), e.g. SE-STO.")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password.")
    ] = "",
) -> None:
    """Add a user (as the trial office)."""
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
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
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


def serve(port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1.")] = 8000) -> None:
    """Serve the registry API on 127.0.0.1."""
    import uvicorn

    from ismart.api.app import create_app

    uvicorn.run(create_app(), host="127.0.0.1", port=port, log_level="warning")
