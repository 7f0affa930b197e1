from __future__ import annotations

from registry_helpers import Registry, flow_to_screened
from sqlalchemy import text

from ismart.registry import services
from ismart.registry.audit import verify_chain


def test_chain_verifies_then_catches_raw_update(registry: Registry) -> None:
    flow_to_screened(registry)
    with registry.state.sessions() as session:
        report = verify_chain(session)
    assert report.ok and report.rows >= 3
    with registry.state.sessions.begin() as session:
        session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 2"))
    with registry.state.sessions() as session:
        report = verify_chain(session)
    assert not report.ok
    assert report.row_id == 2
    assert "audit row 2" in (report.problem or "")


def test_chain_catches_deleted_row(registry: Registry) -> None:
    flow_to_screened(registry)
    with registry.state.sessions.begin() as session:
        session.execute(text("DELETE FROM audit_log WHERE id = 2"))
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
