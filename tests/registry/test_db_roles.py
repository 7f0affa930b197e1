"""Migration 0012_registry_ops on PostgreSQL: the log tables belong to a separate owner role, so a
serving role granted as docs/database-roles.md says appends to them but cannot disable, drop or
get round their triggers. Skipped on SQLite (no roles) and where the test role may not create roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from registry_helpers import SITE
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import DBAPIError

from ismart.registry import db, services
from ismart.registry.db_roles import OWNER_ROLE, serving_role_grants
from ismart.registry.models import AuditEntry


@pytest.fixture
def admin(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no roles")
    with engine.connect() as conn:
        may = conn.scalar(text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"))
    if not may:
        pytest.skip("the test database's role may not create roles")
    return engine


@pytest.fixture
def serving(admin: Engine, pg_schema: str) -> Iterator[Engine]:
    """A plain LOGIN role (no superuser, no CREATEROLE), granted what the docs say."""
    role = f"ismart_serving_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        for statement in serving_role_grants(role, pg_schema):
            conn.execute(text(statement))
    app = create_engine(
        admin.url.set(username=role, password=None),
        connect_args={"options": f"-csearch_path={pg_schema}"},
    )
    yield app
    app.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP OWNED BY {role}"))
        conn.execute(text(f"DROP ROLE {role}"))


def test_the_log_tables_belong_to_the_owner_role(admin: Engine, pg_schema: str) -> None:
    with admin.connect() as conn:
        owners = dict(
            conn.execute(
                text("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = :s"), {"s": pg_schema}
            ).all()
        )
    assert owners["audit_log"] == OWNER_ROLE
    assert owners["access_log"] == OWNER_ROLE
    assert owners["subjects"] != OWNER_ROLE  # the data tables stay the migrating role's


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "DROP TRIGGER audit_log_append_only ON audit_log",
        "ALTER TABLE access_log DISABLE TRIGGER ALL",
        f"ALTER TABLE audit_log OWNER TO {OWNER_ROLE}",
        "DROP TABLE audit_log",
        "DELETE FROM audit_log",
        "UPDATE audit_log SET actor = 'nobody'",
        "TRUNCATE audit_log",
        "DELETE FROM access_log",
        f"SET ROLE {OWNER_ROLE}",
        "CREATE OR REPLACE FUNCTION ismart_audit_append_only() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN OLD; END $$",
    ],
)
def test_the_serving_role_cannot_get_round_the_triggers(serving: Engine, statement: str) -> None:
    with pytest.raises(DBAPIError, match=r"must be owner|permission denied"), serving.begin() as conn:
        conn.execute(text(statement))


def test_the_serving_role_runs_the_registry(admin: Engine, serving: Engine) -> None:
    sessions = db.make_sessionmaker(engine=serving)
    with sessions.begin() as session:
        services.seed(session)
        code = services.create_subject(session, actor=services.SYSTEM, site_code=SITE).code
    with sessions() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == code)))
    assert actions == ["subject.create"]
