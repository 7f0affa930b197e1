"""Alembic environment: the engine is handed in by ismart.registry.db."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from ismart.registry import access_log  # noqa: F401  (its table is part of the metadata)
from ismart.registry.models import Base

engine = context.config.attributes["engine"]
assert isinstance(engine, Engine)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
