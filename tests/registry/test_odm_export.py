"""ODM 1.3.2 export of the registry: valid against the CDISC schema that odmlib ships, with audits."""

from __future__ import annotations

from lxml import etree  # type: ignore[import-untyped]
from odmlib import schema_manager
from registry_helpers import TODAY, Registry, flow_to_reviewed

from ismart.exchange import odm
from ismart.exchange.odm_registry import records_from_registry
from ismart.protocol import load_protocol
from ismart.registry import services

NS = {"o": "http://www.cdisc.org/ns/odm/v1.3"}


def test_registry_exports_as_valid_odm_with_audit_records(registry: Registry) -> None:
    code = flow_to_reviewed(registry)
    registry.state.write(
        lambda s: services.register(
            s, actor=services.SYSTEM, code=code, subprotocol="B", dose_level=1, as_of=TODAY
        )
    )
    records = registry.state.write(records_from_registry)
    xml = odm.build(load_protocol(), records, created="2026-03-09T10:00:00+00:00")
    schema = etree.XMLSchema(etree.parse(schema_manager.get_schema_path("odm", "1.3.2", "ODM1-3-2.xsd")))
    doc = etree.fromstring(xml.encode())
    assert schema.validate(doc), schema.error_log.last_error
    assert [e.get("OID") for e in doc.iterfind(".//o:StudyEventDef", NS)] == [f"SE.{x}" for x in "ABCDE"]
    forms = {e.get("OID") for e in doc.iterfind(".//o:FormDef", NS)}
    assert forms == {"F.SCREENING", "F.REGISTRATION", "F.ADVERSE_EVENT", "F.RESPONSE"}
    subject = doc.find(".//o:SubjectData", NS)
    assert subject is not None and subject.get("SubjectKey") == code
    reg = doc.find(".//o:FormData[@FormOID='F.REGISTRATION']", NS)
    assert reg is not None
    assert reg.find("o:AuditRecord/o:ReasonForChange", NS).text == "registration.add"
    rows = odm.form_rows(records, "REGISTRATION")
    assert rows[0]["SUBPROTOCOL"] == "B" and rows[0]["SUBJECT"] == code
    assert len(odm.form_rows(records, "SCREENING")) == 5


def test_a_broken_document_fails_the_schema() -> None:
    schema = etree.XMLSchema(etree.parse(schema_manager.get_schema_path("odm", "1.3.2", "ODM1-3-2.xsd")))
    xml = odm.build(load_protocol(), [], created="2026-03-09T10:00:00+00:00").replace(
        'FileType="Snapshot"', 'FileType="Bogus"'
    )
    assert not schema.validate(etree.fromstring(xml.encode()))
