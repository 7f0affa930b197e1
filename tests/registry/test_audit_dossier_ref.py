"""The audit trail, which monitors read, keeps a reference and a hash of each dossier version,
never its clinical content (issue 11)."""

from __future__ import annotations

import hashlib
import json

from registry_helpers import Registry, add_users, eligible_b, flow_to_screened
from sqlalchemy import select

from ismart.registry.models import AuditEntry, DossierVersion


def test_a_dossier_audit_row_holds_a_reference_and_hash_not_the_content(registry: Registry) -> None:
    headers = add_users(registry)
    code = flow_to_screened(registry)
    data = eligible_b()
    data["patient"]["weight_kg"] = 31.5
    changed = registry.client().post(
        f"/subjects/{code}/dossiers", json={"data": data, "reason": "new weight"}, headers=headers["staff"]
    )
    assert changed.status_code == 201, changed.text
    with registry.state.sessions() as db:
        versions = list(db.scalars(select(DossierVersion).where(DossierVersion.subject_code == code)))
        rows = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "dossier.add")))
    first, second = versions
    digest = {v.version: hashlib.sha256(v.data.encode()).hexdigest() for v in versions}
    assert json.loads(rows[-1].after or "") == {"version": 2, "dossier_id": second.id, "sha256": digest[2]}
    assert json.loads(rows[-1].before or "") == {"version": 1, "dossier_id": first.id, "sha256": digest[1]}
    listed = registry.client().get("/audit", params={"limit": 1000}, headers=headers["monitor"]).text
    assert "NUP214" not in listed and "31.5" not in listed and "birth_date" not in listed
