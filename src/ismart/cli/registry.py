"""Registry commands: `ismart user add`, `ismart audit`, `ismart rescreen`, `ismart serve`."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import inspect, select

from ismart.cli.boundary import fail
from ismart.errors import IsmartError
from ismart.registry import accounts, audit, db, screenings, verdict_changes
from ismart.registry.access import SITE_ROLES, SYSTEM, Role
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
            accounts.create_user(
                session,
                actor=SYSTEM,
                username=username,
                role=role,
                site_code=site,
                password=password,
            )
    except IsmartError as exc:
        raise _fail(exc) from None
    typer.echo(f"added {username} ({role.value})")


@user_app.command("list")
def user_list() -> None:
    """List every user: role, site, whether active, whether a password change is due."""
    with _sessions()() as session:
        users = accounts.list_users(session, actor=SYSTEM)
        table = Table()
        for column in ("username", "role", "site", "active", "must change password"):
            table.add_column(column)
        for u in users:
            table.add_row(
                u.username,
                u.role,
                u.site_code or "-",
                "yes" if u.active else "no",
                "yes" if u.must_change_password else "no",
            )
    Console(width=max(100, Console().width)).print(table)


Reason = Annotated[str, typer.Option(help="Why (required, audited).")]


def _account_change(work: Callable[[db.Session], object], message: Callable[[object], str]) -> None:
    try:
        with _sessions().begin() as session:
            outcome = work(session)
    except IsmartError as exc:
        raise _fail(exc) from None
    typer.echo(message(outcome))


@user_app.command("deactivate")
def user_deactivate(username: Annotated[str, typer.Argument(help="Login name.")], reason: Reason) -> None:
    """Deactivate a user: every token of theirs stops working at once (audited)."""
    _account_change(
        lambda s: accounts.set_active(s, actor=SYSTEM, username=username, active=False, reason=reason),
        lambda _: f"deactivated {username}",
    )


@user_app.command("reactivate")
def user_reactivate(username: Annotated[str, typer.Argument(help="Login name.")], reason: Reason) -> None:
    """Reactivate a user (audited); they sign in again."""
    _account_change(
        lambda s: accounts.set_active(s, actor=SYSTEM, username=username, active=True, reason=reason),
        lambda _: f"reactivated {username}",
    )


@user_app.command("role")
def user_role(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Argument(help="New role.")],
    reason: Reason,
    site: Annotated[str | None, typer.Option(help="Site code (site roles only), e.g. SE-STO.")] = None,
) -> None:
    """Change a user's role or site: their existing tokens stop working at once (audited)."""
    where = f" at {site}" if site and role in SITE_ROLES else ""
    _account_change(
        lambda s: accounts.change_role(
            s, actor=SYSTEM, username=username, role=role, site_code=site, reason=reason
        ),
        lambda _: f"{username} is now {role.value}{where}",
    )


@user_app.command("reset-password")
def user_reset_password(username: Annotated[str, typer.Argument(help="Login name.")], reason: Reason) -> None:
    """Give a user a one-time password (printed once) that must be changed at the next sign-in."""
    _account_change(
        lambda s: accounts.reset_password(s, actor=SYSTEM, username=username, reason=reason),
        lambda password: f"one-time password for {username}: {password} (must be changed at sign-in)",
    )


@user_app.command("unlock")
def user_unlock(
    reason: Reason,
    username: Annotated[str | None, typer.Option(help="Username whose sign-in lockout to lift.")] = None,
    address: Annotated[str | None, typer.Option(help="Client address whose lockout to lift.")] = None,
) -> None:
    """Lift a sign-in lockout of a username or an address (audited)."""
    _account_change(
        lambda s: accounts.lift_lockout(s, actor=SYSTEM, username=username, address=address, reason=reason),
        lambda cleared: f"cleared {cleared} lockout entries",
    )


def _read_only_sessions() -> db.sessionmaker[db.Session] | None:
    """Sessions on the configured database without migrating or seeding (None: no registry yet)."""
    settings = load_settings()
    sessions = open_registry(settings, prepare=False)
    bind = sessions.kw["bind"]
    return sessions if "audit_log" in inspect(bind).get_table_names() else None


def _problems(session: db.Session, checkpoint: Path | None) -> tuple[int, list[str]]:
    chain = audit.verify_chain(session)
    problems = [] if chain.ok else [str(chain.problem)]
    if checkpoint is not None:
        try:
            saved = json.loads(checkpoint.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(
                f"cannot read the checkpoint: {exc}", param_hint="--checkpoint"
            ) from None
        found = audit.verify_checkpoint(session, saved if isinstance(saved, dict) else {})
        problems += [found] if found else []
    problems += audit.verify_tables(session)
    return chain.rows, problems


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="A signed checkpoint file: also detect a cut tail, an emptied or rewritten log."),
    ] = None,
) -> None:
    """Check the keyed hash chain and every table against the log (reads only); exit 1 naming each
    problem. Reads ISMART_DATABASE_URL, ISMART_SECRET_KEY or ISMART_AUDIT_KEY, ISMART_AUDIT_OLD_KEYS."""
    try:
        sessions = _read_only_sessions()
    except IsmartError as exc:
        raise _fail(exc) from None
    if sessions is None:
        if checkpoint is not None:
            typer.echo("BROKEN: the database has no audit log but a checkpoint was given", err=True)
            raise typer.Exit(1)
        typer.echo("ok: 0 rows verified (no registry in this database yet)")
        return
    with sessions() as session:
        rows, problems = _problems(session, checkpoint)
        session.rollback()
    if problems:
        for problem in problems:
            typer.echo(f"BROKEN: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {rows} rows verified" + (f", checkpoint {checkpoint.name} holds" if checkpoint else ""))


@audit_app.command("checkpoint")
def audit_checkpoint(
    folder: Annotated[
        Path | None, typer.Option("--dir", help="Folder (default ISMART_AUDIT_CHECKPOINT_DIR).")
    ] = None,
) -> None:
    """Write a signed checkpoint (row count and head hash) of the audit log to a file."""
    settings = load_settings()
    target = folder or (Path(settings.audit_checkpoint_dir) if settings.audit_checkpoint_dir else None)
    if target is None:
        raise _fail(IsmartError("--dir: give a folder or set ISMART_AUDIT_CHECKPOINT_DIR"))
    with _sessions()() as session:
        path = audit.write_checkpoint(session, target)
    typer.echo(f"checkpoint written: {path}")


@audit_app.command("export")
def audit_export(
    folder: Annotated[
        Path | None, typer.Option("--checkpoint-dir", help="Where the export's checkpoint goes.")
    ] = None,
) -> None:
    """Write the audit trail as CSV to standard output, and a signed checkpoint of what was exported
    (to --checkpoint-dir or ISMART_AUDIT_CHECKPOINT_DIR, when either is given)."""
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
        "rows",
        "key_id",
        "prev_hash",
        "hash",
    ]
    settings = load_settings()
    target = folder or (Path(settings.audit_checkpoint_dir) if settings.audit_checkpoint_dir else None)
    writer = csv.writer(sys.stdout)
    writer.writerow(columns)
    with _sessions().begin() as session:
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
            writer.writerow([getattr(entry, c) for c in columns])
        if target is not None:
            path = audit.write_checkpoint(session, target)
            typer.echo(f"checkpoint written: {path}", err=True)


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
        report = screenings.rescreen_outdated(session, actor=SYSTEM)
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
        changes = verdict_changes.list_verdict_changes(
            session, actor=SYSTEM, status="pending" if pending else None
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
            verdict_changes.review_verdict_change(session, actor=SYSTEM, change_id=change_id, note=note)
    except IsmartError as exc:
        raise _fail(exc) from None
    typer.echo(f"verdict change {change_id} reviewed")


def serve(
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    host: Annotated[
        str, typer.Option(help="Address to listen on; keep 127.0.0.1 behind a TLS reverse proxy.")
    ] = "127.0.0.1",
    workers: Annotated[int, typer.Option(min=1, max=32, help="Worker processes (one per core).")] = 1,
) -> None:
    """Serve the registry API. Reads ISMART_SECRET_KEY (required), ISMART_DATABASE_URL and the
    optional ISMART_* settings in the README."""
    import uvicorn

    from ismart.api.app import create_app, prepare_registry, warm_up

    try:
        state = prepare_registry(load_settings())  # migrations and re-screening happen once, here
    except IsmartError as exc:
        raise _fail(exc) from None
    typer.echo(
        f"ismart registry listening on http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''})"
    )
    from ismart.api.checkpoints import start_schedule

    start_schedule(state.settings, state.sessions)  # signed checkpoints, if ISMART_AUDIT_CHECKPOINT_DIR
    if workers == 1:
        warm_up(state)  # each worker process warms its own caches (worker_app)
        uvicorn.run(create_app(state=state), host=host, port=port, log_level="warning", access_log=False)
    else:
        from ismart.api.lifeline import mark_supervisor

        mark_supervisor()  # the workers end when this process does (ismart.api.lifeline)
        uvicorn.run(
            "ismart.api.app:worker_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,  # uvicorn's per-request log line (ismart keeps its own access log)
        )
