from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ismart.api.app import create_app
from ismart.cli import app
from ismart.errors import ProtocolDataError
from ismart.registry.bootstrap import open_registry
from ismart.registry.settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ISMART_SECRET_KEY", "ISMART_DATABASE_URL", "ISMART_TOKEN_MINUTES", "ISMART_PROTOCOL_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_short_secret_is_a_one_line_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISMART_SECRET_KEY", "changeme")
    with pytest.raises(SettingsError, match=r"^ISMART_SECRET_KEY: .*at least 16"):
        load_settings()


def test_bad_token_lifetime_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISMART_TOKEN_MINUTES", "0")
    with pytest.raises(SettingsError, match=r"^ISMART_TOKEN_MINUTES"):
        load_settings()


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISMART_SECRET_KEY", "a-real-secret-of-some-length")
    monkeypatch.setenv("ISMART_DATABASE_URL", "sqlite:///x.db")
    settings = load_settings()
    assert settings.database_url == "sqlite:///x.db"
    assert settings.token_minutes == 30
    assert settings.protocol_dir is None


def test_serving_needs_a_secret_but_offline_commands_do_not() -> None:
    with pytest.raises(SettingsError, match="ISMART_SECRET_KEY"):
        create_app(settings=load_settings())
    runner = CliRunner()
    served = runner.invoke(app, ["serve", "--port", "1"])
    assert served.exit_code == 2 and "ISMART_SECRET_KEY" in served.output
    assert "Traceback" not in served.output
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0 and "ok: 0 rows verified (no registry" in verified.output


def test_bad_database_url_and_protocol_folder_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^ISMART_DATABASE_URL: not a database URL"):
        open_registry(Settings(database_url="not a url"))
    with pytest.raises(SettingsError, match=r"^ISMART_DATABASE_URL: cannot open"):
        open_registry(Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/x.db"))
    with pytest.raises(ProtocolDataError, match=r"^master\.yaml: cannot read"):
        open_registry(Settings(protocol_dir=str(tmp_path / "nowhere")))
