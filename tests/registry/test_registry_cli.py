from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ismart.cli_registry import audit_app, user_app

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
        app, ["user", "add", "ann", "site_staff", "--site", "SE-STO", "--password", "pw-123456"]
    )
    assert added.exit_code == 0, added.output
    bad = runner.invoke(
        app, ["user", "add", "bob", "site_staff", "--site", "XX-NOPE", "--password", "pw-1234"]
    )
    assert bad.exit_code == 2 and "site" in bad.output
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
    export = runner.invoke(app, ["audit", "export"])
    assert export.exit_code == 0 and "user.create" in export.output
    engine = create_engine(database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET after = '{}' WHERE id = 1"))
    engine.dispose()
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "audit row 1" in broken.output
