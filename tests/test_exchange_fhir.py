"""FHIR import/export: the shipped external examples, round trips that screen identically, errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ismart import dossier
from ismart.cli.main import app
from ismart.eligibility.engine import screen
from ismart.exchange import fhir_export, fhir_import, fhir_io
from ismart.protocol import load_protocol
from ismart.report import json_report

ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = ROOT.parent / "shared" / "external"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
AS_OF = date(2026, 3, 9)
runner = CliRunner()

needs_external = pytest.mark.skipif(not EXTERNAL.is_dir(), reason="shared/external test material absent")


def _import(path: Path, pid: str = "T-1") -> tuple[dict, list]:
    from ismart.exchange.service import fhir_to_dossier

    return fhir_to_dossier(fhir_io.read_path(path), str(path), pid)


def _external_inputs() -> list[Path]:
    if not EXTERNAL.is_dir():
        return []
    files = [
        p
        for d in ("fhir-uscore", "fhir-ips")
        for p in sorted((EXTERNAL / d).iterdir())
        if p.suffix in (".json", ".xml")
    ]
    return [*files, EXTERNAL / "synthea-bulk-10"]


@needs_external
@pytest.mark.parametrize("path", _external_inputs(), ids=lambda p: p.name)
def test_every_external_example_imports_with_a_report(path: Path) -> None:
    data, report = _import(path)
    assert data["patient"]["id"] == "T-1"
    assert report, "every external example has something ismart does not map"
    for entry in report:
        assert entry.resource and entry.why


@needs_external
def test_names_and_identifiers_are_never_copied() -> None:
    data, report = _import(EXTERNAL / "fhir-uscore" / "patient-child-example.json")
    text = json.dumps(data)
    original = json.loads((EXTERNAL / "fhir-uscore" / "patient-child-example.json").read_text())
    for name in original.get("name", []):
        for given in name.get("given", []):
            assert given not in text
    assert any(e.path == "identifier" and "never copied" in e.why for e in report)
    assert set(data["patient"]) <= {"id", "sex", "birth_date"}


@needs_external
def test_xml_bundle_with_xhtml_narratives_imports() -> None:
    data, report = _import(EXTERNAL / "fhir-ips" / "IPS-bundle-01.xml")
    assert data["patient"]["sex"] == "female"
    assert any("not ALL or LBL" in e.why for e in report)
    # MedicationStatements refer to their Medication by the entry's fullUrl (urn:uuid:...)
    assert {m["name"] for m in data["current_medications"]} == {
        "Product containing anastrozole (medicinal product)",
        "Black Cohosh Extract herbal supplement",
    }


@needs_external
def test_uscore_creatinine_lab_keeps_unit_and_reference_range() -> None:
    data, _ = _import(EXTERNAL / "fhir-uscore" / "observation-serum-creatinine.json")
    assert data["labs"] == [
        {
            "test": "creatinine",
            "value": 1.0,
            "unit": "mg/dL",
            "uln": 0.6,
            "lln": 0.2,
            "collected_at": "2005-07-05",
        }
    ]


@needs_external
def test_bulk_export_takes_the_first_patient_and_lists_the_others() -> None:
    data, report = _import(EXTERNAL / "synthea-bulk-10")
    assert data["patient"]["birth_date"]
    assert sum(e.why.startswith("another patient") for e in report) == 12  # 13 patients in Patient.000.ndjson


def _obs(code: str, value: dict, **extra: object) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        **value,
        **extra,
    }


def test_unknown_unit_and_unknown_code_are_reported_not_guessed() -> None:
    res = [
        _obs(
            "2160-0", {"valueQuantity": {"value": 1, "code": "g/L"}}, effectiveDateTime="2026-01-01", id="a"
        ),
        _obs("2951-2", {"valueQuantity": {"value": 140, "code": "mmol/L"}}, id="b"),
    ]
    result = fhir_import.import_resources(res, patient_id="X")
    assert "labs" not in result.dossier
    whys = {e.resource: e.why for e in result.report}
    assert "unit 'g/L' is not one of" in whys["Observation/a"]
    assert "no mapping for http://loinc.org|2951-2" in whys["Observation/b"]


def test_genomics_ig_variant_observation_becomes_a_profile_variant() -> None:
    comp = lambda code, **v: {"code": {"coding": [{"system": "http://loinc.org", "code": code}]}, **v}  # noqa: E731
    res = {
        "resourceType": "Observation",
        "id": "v",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "69548-6"}]},
        "component": [
            comp(
                "48018-6",
                valueCodeableConcept={
                    "coding": [
                        {"system": "http://www.genenames.org/geneId", "code": "HGNC:6407", "display": "KRAS"}
                    ]
                },
            ),
            comp("48005-3", valueCodeableConcept={"coding": [{"code": "NP_004976.2:p.Gly12Asp"}]}),
            comp("81258-6", valueQuantity={"value": 0.4}),
        ],
    }
    result = fhir_import.import_resources([res], patient_id="X")
    assert result.dossier["profiling"]["variants"] == [{"gene": "KRAS", "hgvs_p": "p.Gly12Asp", "vaf": 0.4}]


def _verdicts(record: dossier.Dossier) -> str:
    result = screen(record, load_protocol(), as_of=AS_OF)
    report = json.loads(json_report.render(result))
    report.pop("patient", None)
    return json.dumps(report, sort_keys=True, default=str)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_round_trip_screens_identically(path: Path) -> None:
    record = dossier.load(path, as_of=AS_OF)
    bundle, _ = fhir_export.export_dossier(record.model_dump(mode="json", by_alias=True, exclude_none=True))
    fhir_io.validate_bundle(bundle)
    back = fhir_import.import_many([json.loads(json.dumps(bundle))], patient_id=record.patient.id or "X")
    again = dossier.from_mapping(back.dossier, as_of=AS_OF)
    assert _verdicts(again) == _verdicts(record)
    assert back.report == []


def test_cli_round_trip_and_malformed_input(tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    r = runner.invoke(
        app, ["fhir", "export", str(ROOT / "examples" / "d-kras-g12d-eligible.yaml"), "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app, ["fhir", "import", str(out), "--patient-id", "P-9", "-o", str(tmp_path / "d.yaml")]
    )
    assert r.exit_code == 0, r.output
    assert "id: P-9" in (tmp_path / "d.yaml").read_text()
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Patient", ')
    r = runner.invoke(app, ["fhir", "import", str(bad)])
    assert r.exit_code == 2
    assert "invalid JSON at line 1" in r.output
    bad.write_text('{"hello": 1}')
    r = runner.invoke(app, ["fhir", "import", str(bad)])
    assert r.exit_code == 2 and "no resourceType" in r.output
    xml = tmp_path / "bad.xml"
    xml.write_text("<Patient xmlns='http://hl7.org/fhir'><gender value='female'></Patient>")
    r = runner.invoke(app, ["fhir", "import", str(xml)])
    assert r.exit_code == 2 and "not well-formed XML" in r.output


def test_generated_pseudonym_when_no_patient_id(tmp_path: Path) -> None:
    src = tmp_path / "p.json"
    src.write_text(json.dumps({"resourceType": "Patient", "id": "hosp-123", "gender": "male"}))
    r = runner.invoke(app, ["fhir", "import", str(src)])
    assert r.exit_code == 0
    assert "id: ISM-" in r.stdout and "hosp-123" not in r.stdout


def test_subprotocols_as_research_studies_and_subjects_validate() -> None:
    from fhir.resources.R4B.researchsubject import ResearchSubject

    protocol = load_protocol()
    resources = fhir_export.research_studies(protocol)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
    fhir_io.validate_bundle(bundle)
    studies = {r["id"]: r for r in resources if r["resourceType"] == "ResearchStudy"}
    by_id = {sp.id: sp for sp in protocol.subprotocols}
    for sp_id, sp in by_id.items():
        study = studies[f"subprotocol-{sp_id}"]
        assert study["status"] == fhir_export.STUDY_STATUS[sp.status]
        assert len(study.get("site", [])) == len(sp.sites)
        first = sp.criteria[0]
        assert f"{first.kind} {first.number or '-'}: {first.label}" in study["description"]
    subject = fhir_export.research_subject(code="NL-UTR-0001", subprotocol="B", state="registered")
    assert ResearchSubject.model_validate(subject).status == "on-study"
    for state in ("new", "screened", "board_reviewed", "registered", "on_treatment", "off_study"):
        ResearchSubject.model_validate(fhir_export.research_subject(code="X", subprotocol="A", state=state))
