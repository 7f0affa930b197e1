"""Registry fixtures: a fresh database per test, on SQLite always and PostgreSQL when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from registry_helpers import TODAY, Registry
from sqlalchemy import Engine, create_engine, text

from ismart.api.app import create_app
from ismart.api.deps import AppState
from ismart.registry import db, security, services
from ismart.registry.settings import Settings

PG_URL = os.environ.get("ISMART_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    name = f"ismart_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    yield name
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


def _pg_engine(schema: str) -> Engine:
    assert PG_URL
    engine = create_engine(
        PG_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=20, max_overflow=20
    )
    db.downgrade(engine=engine)
    return engine


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path, pg_schema: str | None) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = db.make_engine(url=f"sqlite:///{tmp_path / 'registry.db'}")
    else:
        assert pg_schema is not None
        eng = _pg_engine(pg_schema)
    db.upgrade(engine=eng)
    yield eng
    if request.param == "postgresql":
        db.downgrade(engine=eng)
    eng.dispose()


@pytest.fixture
def registry(engine: Engine) -> Registry:
    settings = Settings(database_url=str(engine.url), secret_key="test-secret-key-0123456789abcdef")
    state = AppState(
        settings=settings,
        sessions=db.make_sessionmaker(engine=engine, audit_keys=settings.audit_keys()),
        today=lambda: TODAY,
    )
    state.write(services.seed)
    return Registry(state=state, app=create_app(state=state))


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production argon2 parameters cost ~0.1 s per hash; the tests use cheap ones."""
    monkeypatch.setattr(security, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
