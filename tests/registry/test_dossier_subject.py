"""A dossier filed under a subject must not name another patient (issue 9, dossier hygiene)."""

from __future__ import annotations

from registry_helpers import SITE, Registry, add_users, eligible_b


def test_dossier_with_another_patient_id_is_refused(registry: Registry) -> None:
    h = add_users(registry)
    c = registry.client()
    code = c.post("/subjects", json={"site_code": SITE}, headers=h["staff"]).json()["code"]
    data = eligible_b()
    data["patient"]["id"] = "SOMEONE-ELSE-0042"
    refused = c.post(f"/subjects/{code}/dossiers", json={"data": data}, headers=h["staff"])
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "patient.id" in detail and code in detail and "\n" not in detail
    data["patient"]["id"] = code
    assert c.post(f"/subjects/{code}/dossiers", json={"data": data}, headers=h["staff"]).status_code == 201
    data["patient"].pop("id")
    again = c.post(
        f"/subjects/{code}/dossiers", json={"data": data, "reason": "id left out"}, headers=h["staff"]
    )
    assert again.status_code == 201
