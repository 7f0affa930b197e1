"""Registry operations: an append-only access log of reads of patient records (apart from the
clinical audit chain), and, on PostgreSQL where the connecting role may create roles, a separate
owner role for the two log tables so that the application's role cannot disable their triggers.

Revision ID: 0012_registry_ops
Revises: 0010

The owner role is NOLOGIN and is never dropped by a downgrade (other databases of the cluster may
use it). The deployment is described in docs/database-roles.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_registry_ops"
down_revision = "0011_web"
branch_labels = None
depends_on = None

OWNER = "ismart_audit_owner"
LOG_TABLES = ("audit_log", "access_log")
FUNCTIONS = ("ismart_audit_append_only()", "ismart_access_append_only()")
MESSAGE = "access_log is append-only"


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("subjects", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_access_log_at", "access_log", ["at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ismart_access_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log "
            "FOR EACH ROW EXECUTE FUNCTION ismart_access_append_only()"
        )
        op.execute(
            "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION ismart_access_append_only()"
        )
        _hand_logs_to_owner()
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER access_log_no_{event.lower()} BEFORE {event} ON access_log "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def _may_create_roles() -> tuple[bool, bool]:
    """(superuser, may create roles) of the connecting role."""
    row = (
        op.get_bind()
        .execute(sa.text("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user"))
        .one()
    )
    return bool(row[0]), bool(row[0] or row[1])


def _hand_logs_to_owner() -> None:
    """The log tables and their trigger functions change owner; the connecting role keeps only
    SELECT and INSERT (with the grant option, so that it can pass them on to a serving role).
    Only an owner (or a superuser) may disable or drop a trigger."""
    superuser, may = _may_create_roles()
    if not may:
        return  # the tables stay the connecting role's: docs/database-roles.md says what to do
    op.execute(
        "DO $$ BEGIN CREATE ROLE " + OWNER + " NOLOGIN; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    )
    if not superuser:
        op.execute(f"GRANT {OWNER} TO current_user")  # ALTER ... OWNER needs membership, for now
    for table in LOG_TABLES:
        op.execute(f"ALTER TABLE {table} OWNER TO {OWNER}")
        op.execute(f"GRANT SELECT, INSERT ON {table} TO current_user WITH GRANT OPTION")
        op.execute(f"GRANT USAGE, SELECT ON SEQUENCE {table}_id_seq TO current_user WITH GRANT OPTION")
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} OWNER TO {OWNER}")
    if not superuser:
        op.execute(f"REVOKE {OWNER} FROM current_user")


def _take_logs_back() -> None:
    owner = op.get_bind().scalar(
        sa.text(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log' AND schemaname = current_schema()"
        )
    )
    if owner != OWNER:
        return
    superuser, _ = _may_create_roles()
    if not superuser:
        op.execute(f"GRANT {OWNER} TO current_user")
    for table in LOG_TABLES:
        op.execute(f"ALTER TABLE {table} OWNER TO current_user")
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} OWNER TO current_user")
    if not superuser:
        op.execute(f"REVOKE {OWNER} FROM current_user")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _take_logs_back()
        op.execute("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log")
        op.execute("DROP TRIGGER IF EXISTS access_log_append_only ON access_log")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS access_log_no_{event}")
    op.drop_index("ix_access_log_at", table_name="access_log")
    op.drop_table("access_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ismart_access_append_only()")
