"""A stored dossier's patient.id must be a pseudonym (issue 11): the pattern in settings, 422
naming the field without echoing the value; the CLI's screening of a local file accepts any id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from registry_helpers import SITE, TODAY, Registry, add_users, eligible_b
from sqlalchemy import Engine
from typer.testing import CliRunner

from ismart.api.app import create_app
from ismart.api.deps import AppState
from ismart.cli import app as cli
from ismart.registry import db, services
from ismart.registry.settings import Settings, SettingsError, load_settings


@pytest.mark.parametrize("given", ["Jane Doe", "jane.doe@example.org", "0123456789", "se-sto-0001", 42])
def test_a_name_or_hospital_number_is_refused_naming_the_field(registry: Registry, given: object) -> None:
    h = add_users(registry)
    c = registry.client()
    code = c.post("/subjects", json={"site_code": SITE}, headers=h["staff"]).json()["code"]
    data = eligible_b()
    data["patient"]["id"] = given
    refused = c.post(f"/subjects/{code}/dossiers", json={"data": data}, headers=h["staff"])
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail.startswith("patient.id: not a pseudonym of the form ^[A-Z]{2}-[A-Z0-9]{1,5}-[0-9]{4,6}$")
    assert str(given) not in detail and code in detail


@pytest.fixture
def own_pattern(engine: Engine) -> Registry:
    settings = Settings(
        database_url=str(engine.url),
        secret_key="test-secret-key-0123456789abcdef",
        pseudonym_pattern=r"^P[0-9]{6}$",
    )
    state = AppState(settings=settings, sessions=db.make_sessionmaker(engine=engine), today=lambda: TODAY)
    state.write(services.seed)
    return Registry(state=state, app=create_app(state=state))


def test_the_pattern_comes_from_settings(own_pattern: Registry) -> None:
    h = add_users(own_pattern)
    c = own_pattern.client()
    code = c.post("/subjects", json={"site_code": SITE}, headers=h["staff"]).json()["code"]
    data = eligible_b()
    data["patient"]["id"] = code  # a subject code is not of this deployment's form
    refused = c.post(f"/subjects/{code}/dossiers", json={"data": data}, headers=h["staff"])
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("patient.id: not a pseudonym of the form ^P[0-9]{6}$")
    data["patient"]["id"] = "P123456"  # a pseudonym, but not this subject's: the issue-9 check
    other = c.post(f"/subjects/{code}/dossiers", json={"data": data}, headers=h["staff"])
    assert other.status_code == 422 and "does not match subject" in other.json()["detail"]


def test_a_pattern_that_lets_names_through_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISMART_PSEUDONYM_PATTERN", ".+")
    with pytest.raises(SettingsError, match=r"ISMART_PSEUDONYM_PATTERN: .*Jane Doe"):
        load_settings()
    monkeypatch.setenv("ISMART_PSEUDONYM_PATTERN", "([")
    with pytest.raises(SettingsError, match=r"ISMART_PSEUDONYM_PATTERN: .*not a regular expression"):
        load_settings()


def test_the_cli_screens_a_local_file_with_any_id(tmp_path: Path) -> None:
    data = eligible_b()
    data["patient"]["id"] = "Jane Doe, bed 4"
    dossier = tmp_path / "local.json"
    dossier.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["screen", str(dossier), "--format", "json", "--as-of", TODAY.isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert "Jane Doe, bed 4" in result.output
