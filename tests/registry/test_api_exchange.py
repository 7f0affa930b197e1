"""POST /fhir/import: a JSON Bundle or a zip of NDJSON files in, a dossier and mapping report out."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from registry_helpers import Registry, add_users

EXTERNAL = Path(__file__).resolve().parents[2].parent / "shared" / "external"
PATIENT = {
    "resourceType": "Patient",
    "id": "h-77",
    "gender": "male",
    "birthDate": "2016-04-02",
    "name": [{"family": "Doe"}],
}


def test_json_bundle_and_ndjson_zip(registry: Registry) -> None:
    headers = add_users(registry)["staff"]
    c = registry.client()
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": PATIENT}]}
    r = c.post("/fhir/import?patient_id=NL-X-0001", json=bundle, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dossier"]["patient"] == {"id": "NL-X-0001", "sex": "male", "birth_date": "2016-04-02"}
    assert {
        "resource": "Patient/h-77",
        "path": "name",
        "why": "never copied: directly identifying (the dossier id is the pseudonym)",
    } in body["mapping_report"]
    assert "Doe" not in r.text
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("Patient.000.ndjson", json.dumps(PATIENT) + "\n")
    r = c.post("/fhir/import", content=buf.getvalue(), headers={**headers, "Content-Type": "application/zip"})
    assert r.status_code == 200, r.text
    assert r.json()["dossier"]["patient"]["id"].startswith("ISM-")


def test_malformed_body_is_one_line_400(registry: Registry) -> None:
    headers = add_users(registry)["staff"]
    c = registry.client()
    r = c.post("/fhir/import", content=b"{nope", headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 400
    assert "invalid JSON at line 1" in r.text
    r = c.post(
        "/fhir/import", content=b"PK\x03\x04broken", headers={**headers, "Content-Type": "application/zip"}
    )
    assert r.status_code == 400 and "not a readable zip archive" in r.text
    assert c.post("/fhir/import", json=PATIENT).status_code == 401
