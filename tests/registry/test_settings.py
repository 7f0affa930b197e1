from __future__ import annotations

import pytest
from pydantic import ValidationError

from ismart.registry.settings import load_settings


def test_placeholder_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISMART_SECRET_KEY", "changeme")
    with pytest.raises(ValidationError, match=r"placeholder|at least"):
        load_settings()
    monkeypatch.delenv("ISMART_SECRET_KEY")
    with pytest.raises(ValidationError):
        load_settings()


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISMART_SECRET_KEY", "a-real-secret-of-some-length")
    monkeypatch.setenv("ISMART_DATABASE_URL", "sqlite:///x.db")
    settings = load_settings()
    assert settings.database_url == "sqlite:///x.db"
    assert settings.token_minutes == 30
