"""`ismart access-log list`: who saw which subject's records, when (the trial office's view)."""

from __future__ import annotations

import csv
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ismart.cli.boundary import fail
from ismart.errors import IsmartError
from ismart.registry import access_log, services
from ismart.registry.bootstrap import open_registry
from ismart.registry.settings import load_settings

app = typer.Typer(help="The access log of reads of patient records.", no_args_is_help=True)


@app.command("list")
def list_entries(
    subject: Annotated[str | None, typer.Option(help="Only reads of this subject (its code).")] = None,
    user: Annotated[str | None, typer.Option(help="Only reads by this user.")] = None,
    after_id: Annotated[int, typer.Option(min=0, help="Entries after this id (paging).")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many entries.")] = 1000,
    csv_out: Annotated[
        bool, typer.Option("--csv", help="CSV on standard output instead of a table.")
    ] = False,
) -> None:
    """List reads of patient records in order. Reads ISMART_DATABASE_URL."""
    try:
        sessions = open_registry(load_settings())
    except IsmartError as exc:
        raise fail(str(exc)) from None
    with sessions() as session:
        entries = access_log.list_entries(
            session, actor=services.SYSTEM, subject=subject, user=user, after_id=after_id, limit=limit
        )
    columns = ("id", "at", "actor", "role", "action", "subjects")
    rows = [(str(e.id), e.at, e.actor, e.role, e.action, " ".join(e.subjects)) for e in entries]
    if csv_out:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
        return
    table = Table()
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console(width=max(120, Console().width)).print(table)
