"""Engine, sessions and programmatic Alembic migrations (no alembic.ini at run time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ismart.registry.audit import UNKEYED, AuditKeys
from ismart.registry.context import CONTEXT_KEY, RegistryContext, shipped

__all__ = ["READ_ONLY", "Session", "downgrade", "make_engine", "make_sessionmaker", "sessionmaker", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"
# execution option of a connection that only reads (the caller's account check on every request):
# on SQLite it begins a deferred transaction instead of taking the write lock
READ_ONLY = "ismart_read_only"


def _sqlite_immediate(engine: Engine) -> None:
    """SQLite: every transaction starts with BEGIN IMMEDIATE, which serialises writers."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=FULL")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # a reader: a WAL snapshot, queued behind no writer
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(*, url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_immediate(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def make_sessionmaker(
    *, engine: Engine, audit_keys: AuditKeys | None = None, context: RegistryContext | None = None
) -> sessionmaker[Session]:
    """Sessions that sign audit entries with audit_keys (unkeyed if None: tests and tools only) and
    carry the protocol data in force (``context``; None: the shipped data)."""
    info = {"audit_keys": audit_keys or UNKEYED, CONTEXT_KEY: context or shipped()}
    return sessionmaker(engine, expire_on_commit=False, info=info)


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(*, engine: Engine, revision: str = "head") -> None:
    command.upgrade(_config(engine), revision)


def downgrade(*, engine: Engine, revision: str = "base") -> None:
    command.downgrade(_config(engine), revision)
