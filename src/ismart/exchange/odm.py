"""CDISC ODM 1.3.2 export with odmlib: study metadata and clinical data with audit records.

Pure: ``build`` takes the protocol and plain subject records (what ``records_from_registry`` reads
from the registry database) and returns the ODM XML text; ``form_rows`` gives the CSV rows per form.
Forms: screening (one row per sub-protocol verdict), registration, adverse event, response. The
registry has no adverse-event or response tables yet, so those forms carry metadata only unless
the records hold rows for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import odmlib.odm_1_3_2.model as ODM

from ismart.protocol.model import Protocol

FORMS: dict[str, list[tuple[str, str]]] = {
    # form -> items (name, ODM data type)
    "SCREENING": [
        ("SUBPROTOCOL", "text"),
        ("VERDICT", "text"),
        ("SCREENED_ON", "date"),
        ("PROTOCOL_VERSION", "text"),
    ],
    "REGISTRATION": [
        ("SUBPROTOCOL", "text"),
        ("SUBJECT_NUMBER", "text"),
        ("DOSE_LEVEL", "integer"),
        ("REGISTERED_ON", "date"),
    ],
    "ADVERSE_EVENT": [("TERM", "text"), ("GRADE", "integer"), ("ONSET", "date")],
    "RESPONSE": [("ASSESSMENT", "text"), ("ASSESSED_ON", "date")],
}


@dataclass
class Audit:
    user: str
    at: str  # ISO 8601 datetime
    action: str


@dataclass
class SubjectRecord:
    code: str
    site: str
    forms: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # form -> rows (item -> value)
    audits: dict[str, list[Audit]] = field(default_factory=dict)  # form -> audit rows, in row order


def _tt(text: str) -> Any:
    return ODM.Description(TranslatedText=[ODM.TranslatedText(_content=text, lang="en")])


def _metadata(protocol: Protocol) -> Any:
    events = []
    for sp in protocol.subprotocols:
        events.append(
            ODM.StudyEventDef(
                OID=f"SE.{sp.id}",
                Name=f"{sp.name} ({sp.status})",
                Repeating="No",
                Type="Common",
                Description=_tt(
                    f"Sub-protocol {sp.id}: {', '.join(sp.drugs)}; registry {sp.registry_id or 'none'}"
                ),
                FormRef=[
                    ODM.FormRef(FormOID=f"F.{f}", Mandatory="No", OrderNumber=i + 1)
                    for i, f in enumerate(FORMS)
                ],
            )
        )
    forms = [
        ODM.FormDef(
            OID=f"F.{f}",
            Name=f.replace("_", " ").title(),
            Repeating="Yes",
            ItemGroupRef=[ODM.ItemGroupRef(ItemGroupOID=f"IG.{f}", Mandatory="Yes")],
        )
        for f in FORMS
    ]
    groups = [
        ODM.ItemGroupDef(
            OID=f"IG.{f}",
            Name=f,
            Repeating="Yes",
            ItemRef=[ODM.ItemRef(ItemOID=f"IT.{f}.{n}", Mandatory="No") for n, _ in items],
        )
        for f, items in FORMS.items()
    ]
    defs = [
        ODM.ItemDef(OID=f"IT.{f}.{n}", Name=n, DataType=t, Length=200 if t == "text" else None)
        for f, items in FORMS.items()
        for n, t in items
    ]
    return ODM.MetaDataVersion(
        OID="MDV.1",
        Name=f"{protocol.name} {protocol.version}",
        Protocol=ODM.Protocol(
            StudyEventRef=[
                ODM.StudyEventRef(StudyEventOID=f"SE.{sp.id}", Mandatory="No", OrderNumber=i + 1)
                for i, sp in enumerate(protocol.subprotocols)
            ]
        ),
        StudyEventDef=events,
        FormDef=forms,
        ItemGroupDef=groups,
        ItemDef=defs,
    )


def _audit(a: Audit, site: str) -> Any:
    return ODM.AuditRecord(
        UserRef=ODM.UserRef(UserOID=f"USR.{a.user}"),
        LocationRef=ODM.LocationRef(LocationOID=f"LOC.{site}"),
        DateTimeStamp=ODM.DateTimeStamp(_content=a.at),
        ReasonForChange=ODM.ReasonForChange(_content=a.action),
    )


def build(protocol: Protocol, subjects: list[SubjectRecord], *, created: str) -> str:
    """The ODM 1.3.2 document (XML text)."""
    clinical = []
    for s in subjects:
        events = []
        by_sp: dict[str, list[Any]] = {}
        for form, rows in s.forms.items():
            audits = s.audits.get(form, [])
            for i, row in enumerate(rows):
                sp = str(row.get("SUBPROTOCOL") or "A")
                items = [
                    ODM.ItemData(ItemOID=f"IT.{form}.{n}", Value=str(row[n]))
                    for n, _ in FORMS[form]
                    if row.get(n) is not None
                ]
                group = ODM.ItemGroupData(
                    ItemGroupOID=f"IG.{form}", ItemGroupRepeatKey=str(i + 1), ItemData=items
                )
                fd = ODM.FormData(FormOID=f"F.{form}", FormRepeatKey=str(i + 1), ItemGroupData=[group])
                if i < len(audits):
                    fd.AuditRecord = _audit(audits[i], s.site)
                by_sp.setdefault(sp, []).append(fd)
        for sp, forms in sorted(by_sp.items()):
            events.append(ODM.StudyEventData(StudyEventOID=f"SE.{sp}", FormData=forms))
        clinical.append(ODM.SubjectData(SubjectKey=s.code, StudyEventData=events))
    odm = ODM.ODM(
        FileOID=f"ISMART.{created.replace(':', '').replace('-', '')}",
        FileType="Snapshot",
        CreationDateTime=created,
        ODMVersion="1.3.2",
        Originator="ismart",
        Granularity="All",
        Study=[
            ODM.Study(
                OID="HEM-iSMART",
                GlobalVariables=ODM.GlobalVariables(
                    StudyName=ODM.StudyName(_content=protocol.name),
                    StudyDescription=ODM.StudyDescription(_content=protocol.master.description.strip()),
                    ProtocolName=ODM.ProtocolName(_content=f"{protocol.name} {protocol.version}"),
                ),
                MetaDataVersion=[_metadata(protocol)],
            )
        ],
        ClinicalData=[
            ODM.ClinicalData(StudyOID="HEM-iSMART", MetaDataVersionOID="MDV.1", SubjectData=clinical)
        ],
    )
    text: str = odm.to_xml_string(xml_declaration=True)
    return text


def form_rows(subjects: list[SubjectRecord], form: str) -> list[dict[str, Any]]:
    """One CSV row per form entry: subject, site, then the form's items."""
    return [
        {"SUBJECT": s.code, "SITE": s.site, **{n: row.get(n) for n, _ in FORMS[form]}}
        for s in subjects
        for row in s.forms.get(form, [])
    ]
