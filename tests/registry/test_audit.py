from __future__ import annotations

import pytest
from registry_helpers import Registry, flow_to_screened
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from ismart.registry import services
from ismart.registry.audit import verify_chain


def _behind_the_service(session: Session, statement: str) -> None:
    """Tamper as someone with the database owner's rights would: drop the guard triggers first."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
    else:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("DROP TRIGGER audit_log_no_delete"))
    session.execute(text(statement))


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET actor = 'mallory' WHERE id = 2", "DELETE FROM audit_log WHERE id = 2"]
)
def test_database_refuses_changes_to_the_log(registry: Registry, statement: str) -> None:
    flow_to_screened(registry)
    with pytest.raises(DatabaseError, match="append-only"), registry.state.sessions.begin() as session:
        session.execute(text(statement))
    with registry.state.sessions() as session:
        assert verify_chain(session).ok


def test_postgresql_refuses_truncate(registry: Registry) -> None:
    flow_to_screened(registry)
    with registry.state.sessions.begin() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DatabaseError, match="append-only"), registry.state.sessions.begin() as session:
        session.execute(text("TRUNCATE audit_log"))


def test_chain_verifies_then_catches_raw_update(registry: Registry) -> None:
    flow_to_screened(registry)
    with registry.state.sessions() as session:
        report = verify_chain(session)
    assert report.ok and report.rows >= 3
    with registry.state.sessions.begin() as session:
        _behind_the_service(session, "UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    with registry.state.sessions() as session:
        report = verify_chain(session)
    assert not report.ok
    assert report.row_id == 2
    assert "audit row 2" in (report.problem or "")


def test_chain_catches_deleted_row(registry: Registry) -> None:
    flow_to_screened(registry)
    with registry.state.sessions.begin() as session:
        _behind_the_service(session, "DELETE FROM audit_log WHERE id = 2")
    with registry.state.sessions() as session:
        report = verify_chain(session)
    assert not report.ok and report.row_id == 2


def test_site_status_change_is_audited_with_reason(registry: Registry) -> None:
    registry.state.write(
        lambda s: services.set_site_status(
            s, actor=services.SYSTEM, site_code="SE-STO", subprotocol="B", status="suspended", reason="audit"
        )
    )
    with registry.state.sessions() as session:
        rows = session.execute(text("SELECT action, reason FROM audit_log")).all()
    assert ("site.status", "audit") in [tuple(r) for r in rows]
