"""PostgreSQL roles of a deployment in which the serving role cannot disable the audit triggers.

Migration 0012_registry_ops hands the two log tables (audit_log, access_log) and their trigger
functions to a NOLOGIN owner role, `ismart_audit_owner`, when the migrating role may create roles.
Only a table's owner (or a superuser) may disable or drop its triggers, so a serving role that is
neither, nor a member of the owner role, can append to the logs and never rewrite them. The
statements below give such a serving role what the registry needs; docs/database-roles.md tells
the whole deployment.
"""

from __future__ import annotations

import re

__all__ = ["OWNER_ROLE", "serving_role_grants"]

OWNER_ROLE = "ismart_audit_owner"  # as in migration 0012_registry_ops
LOG_TABLES = ("audit_log", "access_log")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def serving_role_grants(role: str, schema: str = "public") -> list[str]:
    """What the migrating role grants the serving role after each migration: every registry
    table read and written, the log tables only read and appended to."""
    for name, value in (("role", role), ("schema", schema)):
        if not _NAME.match(value):
            raise ValueError(f"{name}: {value!r} is not a plain lower-case PostgreSQL name")
    logs = ", ".join(f"{schema}.{t}" for t in LOG_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {logs} FROM {role}",
    ]
