"""Operational guards: headers on every answer, a bad port or database dialect refused in one line."""

from __future__ import annotations

import pytest
from registry_helpers import Registry, add_users
from typer.testing import CliRunner

from ismart.cli import app
from ismart.registry.bootstrap import open_registry
from ismart.registry.settings import Settings, SettingsError


def test_security_headers_on_every_answer(registry: Registry) -> None:
    h = add_users(registry)
    c = registry.client()
    for response in (
        c.get("/subjects", headers=h["staff"]),
        c.get("/subjects"),
        c.post("/token", content=b"x" * 1_100_000, headers={"content-type": "application/json"}),
    ):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in response.headers["content-security-policy"]


def test_port_out_of_range_is_refused_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISMART_SECRET_KEY", "serve-test-secret-0123456789")
    result = CliRunner().invoke(app, ["serve", "--port", "99999"])
    assert result.exit_code == 2 and "65535" in result.output and "Traceback" not in result.output


def test_an_unsupported_database_dialect_is_one_line() -> None:
    with pytest.raises(
        SettingsError, match=r"^ISMART_DATABASE_URL: 'mysql' is not supported; use sqlite or postgresql$"
    ):
        open_registry(Settings(database_url="mysql+pymysql://u@h/db"))
