"""The keyed audit chain, signed checkpoints and table verification: every tampering is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from registry_helpers import TODAY, Registry, add_users, flow_to_reviewed
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ismart.cli import app
from ismart.registry import audit, db, services
from ismart.registry.models import AuditEntry


def _owner(session: Session, *statements: str) -> None:
    """Tamper as the database owner could: drop the append-only triggers first."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log"))
        session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log"))
    else:
        session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
    for statement in statements:
        session.execute(text(statement))


def _registered(registry: Registry) -> str:
    code = flow_to_reviewed(registry)
    registry.state.write(
        lambda s: services.register(
            s, actor=services.SYSTEM, code=code, subprotocol="B", dose_level=1, as_of=TODAY
        )
    )
    return code


def _checkpoint(registry: Registry) -> dict[str, object]:
    with registry.state.sessions() as session:
        return audit.make_checkpoint(session)


def _problems(registry: Registry, checkpoint: dict[str, object] | None = None) -> list[str]:
    with registry.state.sessions() as session:
        chain = audit.verify_chain(session)
        found = [] if chain.ok else [str(chain.problem)]
        if checkpoint is not None:
            problem = audit.verify_checkpoint(session, checkpoint)
            found += [problem] if problem else []
        return found + audit.verify_tables(session)


def test_a_fresh_and_a_busy_registry_verify_clean(registry: Registry) -> None:
    assert _problems(registry) == []
    add_users(registry)
    _registered(registry)
    checkpoint = _checkpoint(registry)
    assert _problems(registry, checkpoint) == []


def test_verify_writes_nothing(registry: Registry) -> None:
    _registered(registry)
    with registry.state.sessions() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
    _problems(registry, _checkpoint(registry))
    with registry.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_an_edit_with_a_recomputed_chain_is_detected(registry: Registry) -> None:
    _registered(registry)
    checkpoint = _checkpoint(registry)
    with registry.state.sessions.begin() as session:
        _owner(session, "UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
        # recompute every hash from row 3 on, as an attacker without the key can (any other key)
        forged = audit.AuditKeys(b"attacker's own key")
        previous = session.scalar(select(AuditEntry.hash).where(AuditEntry.id == 2))
        for entry in session.scalars(select(AuditEntry).where(AuditEntry.id >= 3).order_by(AuditEntry.id)):
            entry.prev_hash = str(previous)
            entry.hash = audit._digest(entry, forged.current)
            previous = entry.hash
    problems = _problems(registry, checkpoint)
    assert "audit row 3 was edited (hash mismatch)" in problems
    assert any("differs from the checkpoint" in p for p in problems)


def test_a_cut_tail_is_detected_with_a_checkpoint(registry: Registry) -> None:
    _registered(registry)
    checkpoint = _checkpoint(registry)
    with registry.state.sessions() as session:
        last = session.scalar(select(func.max(AuditEntry.id)))
    with registry.state.sessions.begin() as session:
        _owner(session, f"DELETE FROM audit_log WHERE id > {int(last or 0) - 2}")
    problems = _problems(registry, checkpoint)
    assert any("(tail cut)" in p for p in problems), problems


def test_an_emptied_log_is_detected_with_a_checkpoint(registry: Registry) -> None:
    _registered(registry)
    checkpoint = _checkpoint(registry)
    with registry.state.sessions.begin() as session:
        _owner(session, "DELETE FROM audit_log")
    problems = _problems(registry, checkpoint)
    assert any("(table emptied)" in p for p in problems), problems


def test_a_forged_checkpoint_is_refused(registry: Registry) -> None:
    _registered(registry)
    checkpoint = {**_checkpoint(registry), "rows": 1}
    assert any("signature does not match" in p for p in _problems(registry, checkpoint))


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        (
            "UPDATE subprotocol_counters SET used = 0 WHERE subprotocol = 'B'",
            'subprotocol_counters row ["B"]',
        ),
        ("UPDATE registrations SET dose_level = 2", "registrations row [1]"),
        ("UPDATE users SET role = 'trial_office' WHERE username = 'staff'", "users row"),
        ("DELETE FROM registrations", "registrations row [1]: deleted"),
    ],
)
def test_tables_changed_behind_the_service_are_named(
    registry: Registry, statement: str, named: str | None
) -> None:
    add_users(registry)
    _registered(registry)
    with registry.state.sessions.begin() as session:
        session.execute(text(statement))
    problems = _problems(registry)
    assert any(p.startswith(named) and "outside the service" in p for p in problems), problems


def test_key_rotation_keeps_old_entries_verifiable(registry: Registry) -> None:
    _registered(registry)
    old_settings = registry.state.settings
    rotated = old_settings.model_copy(
        update={"audit_key": "a brand new audit key 0123", "audit_old_keys": old_settings.secret_key}
    )
    engine = registry.state.sessions.kw["bind"]
    registry.state.sessions = db.make_sessionmaker(engine=engine, audit_keys=rotated.audit_keys())
    flow_to_reviewed(registry)
    assert _problems(registry) == []
    without_old = rotated.model_copy(update={"audit_old_keys": None})
    registry.state.sessions = db.make_sessionmaker(engine=engine, audit_keys=without_old.audit_keys())
    assert any("unknown key" in p for p in _problems(registry))


def test_cli_verify_with_a_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ISMART_DATABASE_URL", url)
    monkeypatch.setenv("ISMART_SECRET_KEY", "cli-test-secret-0123456789")
    runner = CliRunner()
    assert (
        runner.invoke(app, ["user", "add", "ann", "monitor", "--password", "ann rides the tram 42"]).exit_code
        == 0
    )
    export = runner.invoke(app, ["audit", "export", "--checkpoint-dir", str(tmp_path / "cp")])
    assert export.exit_code == 0, export.output
    (saved,) = (tmp_path / "cp").glob("audit-checkpoint-*.json")
    assert json.loads(saved.read_text())["rows"] >= 2
    ok = runner.invoke(app, ["audit", "verify", "--checkpoint", str(saved)])
    assert ok.exit_code == 0 and "checkpoint" in ok.output, ok.output
    engine = db.make_engine(url=url)
    with db.make_sessionmaker(engine=engine).begin() as session:
        _owner(session, "DELETE FROM audit_log")
    engine.dispose()
    broken = runner.invoke(app, ["audit", "verify", "--checkpoint", str(saved)])
    assert broken.exit_code == 1 and "(table emptied)" in broken.output
