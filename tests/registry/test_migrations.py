from __future__ import annotations

from sqlalchemy import Engine, inspect

from ismart.registry import db


def test_empty_to_head_and_back_to_base(engine: Engine) -> None:
    db.downgrade(engine=engine)
    assert "subjects" not in inspect(engine).get_table_names()
    db.upgrade(engine=engine)
    tables = set(inspect(engine).get_table_names())
    assert {
        "sites",
        "users",
        "subjects",
        "dossier_versions",
        "screenings",
        "board_decisions",
        "registrations",
        "withdrawals",
        "audit_log",
        "subprotocol_counters",
    } <= tables
    db.downgrade(engine=engine)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    db.upgrade(engine=engine)
