"""New protocol data: stored screenings re-run, changed verdicts wait for review, nothing overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from registry_helpers import (
    OTHER_SITE,
    TODAY,
    Registry,
    add_users,
    amended_protocol,
    flow_to_reviewed,
    use_protocol,
)
from sqlalchemy import select

from ismart.protocol.loader import load_from
from ismart.protocol.model import Protocol
from ismart.registry import services
from ismart.registry.access import Principal, Role
from ismart.registry.errors import Conflict, Forbidden, Invalid
from ismart.registry.models import AuditEntry, Screening, VerdictChange


def _amended(tmp_path: Path, *, version: str, b_status: str) -> Protocol:
    return load_from(amended_protocol(tmp_path, version=version, b_status=b_status))


def _register_b(registry: Registry, code: str) -> None:
    registry.state.write(
        lambda s: services.register(
            s, actor=services.SYSTEM, code=code, subprotocol="B", dose_level=1, as_of=TODAY
        )
    )


def _rescreen(registry: Registry) -> services.RescreenReport:
    return registry.state.write(lambda s: services.rescreen_outdated(s, actor=services.SYSTEM))


def test_unchanged_protocol_reruns_nothing(registry: Registry) -> None:
    flow_to_reviewed(registry)
    report = _rescreen(registry)
    assert (report.checked, report.rescreened, report.changes) == (1, 0, [])


def test_lost_eligibility_is_listed_old_screening_kept_registration_refused(
    registry: Registry, tmp_path: Path
) -> None:
    code = flow_to_reviewed(registry)
    with registry.state.sessions() as session:
        original = session.scalars(select(Screening)).one()
        original_result = original.result
    use_protocol(registry.state, _amended(tmp_path, version="2027.1.0", b_status="suspended"))

    report = _rescreen(registry)

    assert (report.protocol_version, report.checked, report.rescreened) == ("2027.1.0", 1, 1)
    [change] = report.changes
    assert (change.subject_code, change.subprotocol) == (code, "B")
    assert (change.old_verdict, change.new_verdict, change.status) == ("ELIGIBLE", "NOT_ELIGIBLE", "pending")
    assert (change.old_protocol_version, change.new_protocol_version) == ("2026.11.1", "2027.1.0")
    with registry.state.sessions() as session:
        rows = session.scalars(select(Screening).order_by(Screening.id)).all()
        assert [r.protocol_version for r in rows] == ["2026.11.1", "2027.1.0"]
        assert rows[0].result == original_result  # never overwritten
        assert rows[1].rescreen_of == rows[0].id
        assert json.loads(rows[1].result)["screened_on"] == json.loads(original_result)["screened_on"]
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "screening.rescreen")).one()
        assert "2026.11.1 -> 2027.1.0" in (audit.reason or "")
        assert json.loads(audit.after or "{}")["verdicts"]["B"] == "NOT_ELIGIBLE"
    with pytest.raises(Conflict, match="NOT_ELIGIBLE"):
        _register_b(registry, code)
    assert _rescreen(registry).rescreened == 0  # already under the version in force


def test_gained_eligibility_waits_for_review_then_registers(registry: Registry, tmp_path: Path) -> None:
    use_protocol(registry.state, _amended(tmp_path, version="2026.10.0", b_status="suspended"))
    code = flow_to_reviewed(registry)
    with pytest.raises(Conflict, match="NOT_ELIGIBLE"):
        _register_b(registry, code)
    use_protocol(registry.state)  # the shipped data, B recruiting

    [change] = _rescreen(registry).changes
    assert (change.old_verdict, change.new_verdict) == ("NOT_ELIGIBLE", "ELIGIBLE")

    with pytest.raises(Conflict, match="must review"):
        _register_b(registry, code)
    with pytest.raises(Invalid, match="note"):
        registry.state.write(
            lambda s: services.review_verdict_change(s, actor=services.SYSTEM, change_id=change.id, note=" ")
        )
    reviewed = registry.state.write(
        lambda s: services.review_verdict_change(
            s, actor=services.SYSTEM, change_id=change.id, note="B recruiting again; eligibility confirmed"
        )
    )
    assert (reviewed.status, reviewed.reviewed_by) == ("reviewed", "system")
    with pytest.raises(Conflict, match="already reviewed"):
        registry.state.write(
            lambda s: services.review_verdict_change(s, actor=services.SYSTEM, change_id=change.id, note="x")
        )
    _register_b(registry, code)


def test_off_study_subjects_are_not_rescreened(registry: Registry, tmp_path: Path) -> None:
    code = flow_to_reviewed(registry)
    registry.state.write(lambda s: services.withdraw(s, actor=services.SYSTEM, code=code, reason="family"))
    use_protocol(registry.state, _amended(tmp_path, version="2027.1.0", b_status="suspended"))
    report = _rescreen(registry)
    assert (report.checked, report.rescreened) == (0, 0)


def test_changes_over_the_api_by_role_and_site(registry: Registry, tmp_path: Path) -> None:
    headers = add_users(registry)
    code = flow_to_reviewed(registry)
    other = flow_to_reviewed(registry, site=OTHER_SITE)
    use_protocol(registry.state, _amended(tmp_path, version="2027.1.0", b_status="suspended"))
    client = registry.client()

    assert client.post("/screenings/rescreen", headers=headers["investigator"]).status_code == 403
    answer = client.post("/screenings/rescreen", headers=headers["office"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["rescreened"] == 2 and {c["subject_code"] for c in body["changes"]} == {code, other}

    own = client.get("/verdict-changes", headers=headers["staff"]).json()
    assert [c["subject_code"] for c in own] == [code]  # another site's subjects stay invisible
    assert len(client.get("/verdict-changes?status=pending", headers=headers["monitor"]).json()) == 2

    change_id = own[0]["id"]
    review = {"note": "sponsor suspended B; board informed"}
    refused = client.post(f"/verdict-changes/{change_id}/review", json=review, headers=headers["board"])
    assert refused.status_code == 403
    done = client.post(f"/verdict-changes/{change_id}/review", json=review, headers=headers["office"])
    assert done.status_code == 200 and done.json()["status"] == "reviewed"
    assert len(client.get("/verdict-changes?status=pending", headers=headers["office"]).json()) == 1
    screenings = client.get(f"/subjects/{code}/screenings", headers=headers["staff"]).json()
    assert [s["rescreen_of"] for s in screenings] == [None, screenings[0]["id"]]


def test_only_the_trial_office_rescreens(registry: Registry) -> None:
    staff = Principal("s", Role.site_staff, "SE-STO")
    with pytest.raises(Forbidden):
        registry.state.write(lambda s: services.rescreen_outdated(s, actor=staff))
    with registry.state.sessions() as session:
        assert session.scalars(select(VerdictChange)).all() == []
