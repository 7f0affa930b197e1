"""Issue 12 (registry): the protocol in force travels with the session factory, not in a module
global; every clinical write goes through one audited-write helper; the audit log keeps a
dossier's reference and hash, not its content; verdicts are read from their column."""

from __future__ import annotations

import json
from pathlib import Path

from registry_helpers import TODAY, Registry, add_users, amended_protocol, eligible_b, flow_to_screened
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ismart.protocol.loader import load_from
from ismart.registry import audit, db, dossiers, responses, screenings, subjects
from ismart.registry.access import SYSTEM
from ismart.registry.context import RegistryContext, from_settings, in_force, shipped
from ismart.registry.models import AuditEntry, DossierVersion, Screening, Subject


def test_two_registries_in_one_process_keep_their_own_protocol(registry: Registry, tmp_path: Path) -> None:
    amended = load_from(amended_protocol(tmp_path, version="2027.1.0", b_status="suspended"))
    engine = registry.state.sessions.kw["bind"]
    other = db.make_sessionmaker(engine=engine, context=RegistryContext(amended, shipped().efficacy))
    with other() as session:
        assert in_force(session).protocol.version == "2027.1.0"
    with registry.state.sessions() as session:
        assert in_force(session).protocol.version == shipped().protocol.version != "2027.1.0"

    def screen(session: Session) -> Screening:
        subject = subjects.create_subject(session, actor=SYSTEM, site_code="SE-STO")
        dossiers.add_dossier(
            session, actor=SYSTEM, code=subject.code, data=eligible_b(), reason=None, as_of=TODAY
        )
        return screenings.screen_subject(session, actor=SYSTEM, code=subject.code, as_of=TODAY)

    with other.begin() as session:
        under_amended = screen(session)
    under_shipped = registry.state.write(screen)
    assert (under_amended.protocol_version, screenings.stored_verdicts(under_amended)["B"]) == (
        "2027.1.0",
        "NOT_ELIGIBLE",
    )
    assert screenings.stored_verdicts(under_shipped)["B"] == "ELIGIBLE"


def test_settings_choose_the_folder_and_its_efficacy_file_once(tmp_path: Path) -> None:
    folder = amended_protocol(tmp_path, version="2027.1.0", b_status="closed")
    context = from_settings(protocol_dir=str(folder))
    assert context.protocol.version == "2027.1.0"
    assert context.efficacy == shipped().efficacy  # the copy's efficacy.yaml is the shipped one
    assert from_settings() is shipped()


def test_audit_log_keeps_the_dossier_reference_and_hash_not_its_content(registry: Registry) -> None:
    code = flow_to_screened(registry)
    data = eligible_b()
    data["patient"]["weight_kg"] = 31.5
    registry.state.write(
        lambda s: dossiers.add_dossier(s, actor=SYSTEM, code=code, data=data, reason="typo", as_of=TODAY)
    )
    with registry.state.sessions() as session:
        rows = session.scalars(select(DossierVersion).order_by(DossierVersion.version)).all()
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "dossier.add").order_by(AuditEntry.id)
        ).all()
        assert [json.loads(e.after or "{}") for e in entries] == [
            {"dossier_id": r.id, "version": r.version, "sha256": audit.content_hash(r.data)} for r in rows
        ]
        assert json.loads(entries[1].before or "{}")["version"] == 1
        for entry in entries:
            logged = (entry.before or "") + (entry.after or "")
            assert "NUP214" not in logged and "2014-05-03" not in logged  # no clinical content
            assert "dossier_versions" in (entry.rows or "")  # the row's content hash, for verify_tables
        assert audit.verify_tables(session) == []


def test_an_edited_dossier_is_still_named_by_the_table_check(registry: Registry) -> None:
    flow_to_screened(registry)
    with registry.state.sessions.begin() as session:
        session.execute(text("UPDATE dossier_versions SET data = '{}'"))
    with registry.state.sessions() as session:
        problems = audit.verify_tables(session)
    assert any(p.startswith("dossier_versions row") and "outside the service" in p for p in problems), (
        problems
    )


def test_audited_write_names_the_row_by_its_key_and_hashes_it(registry: Registry) -> None:
    code = flow_to_screened(registry)

    def write(session: Session) -> AuditEntry:
        subject = session.get(Subject, code)
        assert subject is not None
        subject.off_study_reason = "test"
        return audit.write(session, subject, actor="tester", action="test.write", entity="subject")

    entry = registry.state.write(write)
    assert entry.entity_id == code
    [[table, key, digest]] = json.loads(entry.rows or "[]")
    with registry.state.sessions() as session:
        subject = session.get(Subject, code)
        assert (table, key, digest) == audit.row_hash(subject)


def test_flow_counts_eligible_from_the_stored_verdicts(registry: Registry) -> None:
    add_users(registry)
    flow_to_screened(registry)
    with registry.state.sessions.begin() as session:
        session.execute(text("UPDATE screenings SET result = '{}'"))  # the report is not read
    with registry.state.sessions() as session:
        counts = responses.flow(session, actor=SYSTEM, subprotocol="B").counts
    assert (counts["screened"], counts["eligible"]) == (1, 1)


def test_services_is_only_a_facade_over_the_entity_modules() -> None:
    from ismart.registry import services

    homes = {
        name: getattr(services, name).__module__
        for name in services.__all__
        if callable(getattr(services, name))
    }
    assert homes and all(home != "ismart.registry.services" for home in homes.values()), homes
    assert homes["register"] == "ismart.registry.registrations"
    assert homes["screen_subject"] == "ismart.registry.screenings"
