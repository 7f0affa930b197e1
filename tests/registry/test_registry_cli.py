from __future__ import annotations

from pathlib import Path

import pytest
import typer
from registry_helpers import SITE, TODAY, amended_protocol, eligible_b
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ismart.cli import app as main_app
from ismart.cli.registry import audit_app, user_app
from ismart.registry import services
from ismart.registry.bootstrap import open_registry
from ismart.registry.settings import load_settings

app = typer.Typer()
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ISMART_DATABASE_URL", url)
    monkeypatch.setenv("ISMART_SECRET_KEY", "cli-test-secret-0123456789")
    return url


def test_user_add_verify_export_and_tamper(database: str) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app, ["user", "add", "ann", "site_staff", "--site", "SE-STO", "--password", "ann rides the tram 42"]
    )
    assert added.exit_code == 0, added.output
    bad = runner.invoke(
        app, ["user", "add", "bob", "site_staff", "--site", "XX-NOPE", "--password", "bob rides the tram 42"]
    )
    assert bad.exit_code == 2 and "site" in bad.output
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
    export = runner.invoke(app, ["audit", "export"])
    assert export.exit_code == 0 and "user.create" in export.output
    engine = create_engine(database)
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))  # as the database owner could
        conn.execute(text("UPDATE audit_log SET after = '{}' WHERE id = 1"))
    engine.dispose()
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "audit row 1" in broken.output


def test_rescreen_run_lists_changes_and_review_closes_them(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = open_registry(load_settings())
    with sessions.begin() as session:
        subject = services.create_subject(session, actor=services.SYSTEM, site_code=SITE)
        services.add_dossier(
            session, actor=services.SYSTEM, code=subject.code, data=eligible_b(), reason=None, as_of=TODAY
        )
        services.screen_subject(session, actor=services.SYSTEM, code=subject.code, as_of=TODAY)
    monkeypatch.setenv(
        "ISMART_PROTOCOL_DIR", str(amended_protocol(tmp_path, version="2027.1.0", b_status="closed"))
    )
    runner = CliRunner()
    ran = runner.invoke(main_app, ["rescreen", "run"])
    assert ran.exit_code == 0, ran.output
    assert "1 re-run, 1 verdicts changed" in ran.output
    assert "ELIGIBLE" in ran.output and "NOT_ELIGIBLE" in ran.output and "pending" in ran.output
    assert "0 re-run" in runner.invoke(main_app, ["rescreen", "run"]).output
    pending = runner.invoke(main_app, ["rescreen", "changes", "--pending"])
    assert "1 verdict changes" in pending.output
    missing = runner.invoke(main_app, ["rescreen", "review", "99", "--note", "seen"])
    assert missing.exit_code == 2 and "verdict change 99 not found" in missing.output
    reviewed = runner.invoke(main_app, ["rescreen", "review", "1", "--note", "B closed by the sponsor"])
    assert reviewed.exit_code == 0, reviewed.output
    assert "0 verdict changes" in runner.invoke(main_app, ["rescreen", "changes", "--pending"]).output
