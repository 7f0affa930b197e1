"""End to end through the API: a synthetic sub-trial from its RP2D through stage 1 to both outcomes
(stop for futility; continue to stage 2, then the final decision), responses confirmed by the
investigator, off treatment and off study with coded reasons, and the error contract."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from registry_helpers import Registry, add_users, flow_to_reviewed, use_context
from starlette.testclient import TestClient

from ismart.registry.context import from_settings

# A synthetic sponsor design for B: stop after 4 evaluable with at most 1 response; promising
# with more than 3 responses among 8.
SPONSOR = """schema_version: 1
sources: {sponsor_test: "synthetic sponsor file for the end-to-end test"}
evaluability: {non_responder_if_off_before_assessment: [progression, death], source: sponsor_test}
designs:
  B: {design: simon_two_stage, status: sponsor, source: sponsor_test,
      p0: 0.2, p1: 0.5, alpha: 0.1, beta: 0.2, r1: 1, n1: 4, r: 3, n: 8}
"""
CR = {
    "marrow_blasts_pct": 1,
    "peripheral_blasts": 0,
    "anc": 1.2,
    "platelets": 120,
    "cns": "CNS1",
    "extramedullary": "none",
    "baseline_marrow_blasts_pct": 70,
    "baseline_peripheral_blasts": 3,
    "mrd": {"method": "flow_cytometry", "value": 0.0005, "sensitivity": 0.00001},
}
NR = {**CR, "marrow_blasts_pct": 60}


@pytest.fixture
def trial(registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """The registry with a fixture protocol folder: the shipped data plus a sponsor efficacy file."""
    folder = tmp_path / "protocol"
    shutil.copytree(str(resources.files("ismart") / "protocols" / "hem_ismart"), folder)
    (folder / "efficacy.yaml").write_text(SPONSOR, encoding="utf-8")
    monkeypatch.setenv("ISMART_PROTOCOL_DIR", str(folder))
    use_context(registry.state, from_settings(protocol_dir=str(folder)))
    yield registry


def _treated(trial: Registry, c: TestClient, h: dict[str, dict[str, str]], dose_level: int = 1) -> str:
    code = flow_to_reviewed(trial)
    reg = c.post(
        f"/subjects/{code}/registrations",
        json={"subprotocol": "B", "dose_level": dose_level},
        headers=h["investigator"],
    )
    assert reg.status_code == 201, reg.text
    on = c.post(
        f"/subjects/{code}/transitions",
        json={"to": "on_treatment", "reason": "C1D1"},
        headers=h["investigator"],
    )
    assert on.status_code == 200, on.text
    out = c.patch(f"/subjects/{code}/outcome", json={"c1d1": "2026-02-02"}, headers=h["staff"])
    assert out.status_code == 200, out.text
    return code


def _assess(c: TestClient, h: dict[str, dict[str, str]], code: str, parts: dict[str, Any]) -> dict[str, Any]:
    body = {"cycle": 1, "assessed_on": "2026-03-02", "leukaemia": parts}
    made = c.post(f"/subjects/{code}/responses", json=body, headers=h["staff"])
    assert made.status_code == 201, made.text
    confirmed = c.post(f"/subjects/{code}/responses/{made.json()['id']}/confirm", headers=h["investigator"])
    assert confirmed.status_code == 200, confirmed.text
    result: dict[str, Any] = confirmed.json()
    return result


def _efficacy(c: TestClient, h: dict[str, dict[str, str]]) -> dict[str, Any]:
    got = c.get("/subprotocols/B/efficacy", headers=h["office"])
    assert got.status_code == 200, got.text
    result: dict[str, Any] = got.json()
    return result


def _declare(c: TestClient, h: dict[str, dict[str, str]], level: int = 1) -> None:
    rp2d = c.put(
        "/subprotocols/B/rp2d", json={"dose_level": level, "declared_on": "2026-01-15"}, headers=h["office"]
    )
    assert rp2d.status_code == 200, rp2d.text


def test_stage_1_stops_for_futility(trial: Registry) -> None:
    h = add_users(trial)
    c = trial.client()
    # treated in dose finding at the design's level 1: not at the phase II dose declared below (level 2)
    phase1 = _treated(trial, c, h, dose_level=1)
    _assess(c, h, phase1, CR)
    before = _efficacy(c, h)
    assert before["stage"] == "no recommended phase II dose declared"
    assert before["design"]["n1"] == 4 and before["design"]["status"] == "sponsor"
    _declare(c, h, level=2)
    codes = [_treated(trial, c, h, dose_level=2) for _ in range(3)]
    first = _assess(c, h, codes[0], CR)
    assert first["category"] == "CR" and "counts recovered" in " ".join(first["reasons"])
    _assess(c, h, codes[1], NR)
    midway = _efficacy(c, h)
    assert midway["stage"] == "stage 1 enrolling"
    assert (midway["evaluable"], midway["responders"], midway["pending"]) == (2, 1, 1)
    off = c.post(
        f"/subjects/{codes[2]}/off-treatment",
        json={"on": "2026-02-20", "reason": "progression"},
        headers=h["investigator"],
    )
    assert off.status_code == 200 and off.json()["off_treatment_reason"] == "progression"
    last = _treated(trial, c, h, dose_level=2)
    _assess(c, h, last, NR)
    final = _efficacy(c, h)
    assert final["stage"] == "stop for futility"
    assert final["decision"] == "1 responses among the first 4 evaluable: at most r1 = 1"
    assert (final["evaluable"], final["responders"], final["stage1_evaluable"]) == (4, 1, 4)
    assert [p["code"] for p in final["patients"]] == [*codes, last]
    assert "off treatment before assessment (progression): non-responder" in final["patients"][2]["reason"]
    assert final["operating_characteristics"]["p0"]["pet"] == pytest.approx(0.8192, abs=1e-4)


def test_stage_1_continues_then_the_final_decision(trial: Registry) -> None:
    h = add_users(trial)
    c = trial.client()
    _declare(c, h)
    codes = [_treated(trial, c, h) for _ in range(2)]
    for code in codes:
        _assess(c, h, code, CR)
    state = _efficacy(c, h)
    assert state["stage"] == "continue to stage 2"
    assert state["decision"] == "2 responses among 2 evaluable: more than r1 = 1"
    more = [_treated(trial, c, h) for _ in range(3)]
    _assess(c, h, more[0], NR)
    _assess(c, h, more[1], NR)
    _assess(c, h, more[2], NR)
    assert _efficacy(c, h)["stage"] == "continue to stage 2"
    for _ in range(2):
        _assess(c, h, _treated(trial, c, h), CR)
    done = _efficacy(c, h)
    assert done["stage"] == "promising: more than r responses"
    assert done["decision"] == "4 responses among 7 evaluable: more than r = 3"


def test_responses_off_study_and_errors(trial: Registry) -> None:
    h = add_users(trial)
    c = trial.client()
    code = _treated(trial, c, h)
    body = {"cycle": 1, "assessed_on": "2026-03-02", "leukaemia": {**CR, "platelets": 60}}
    made = c.post(f"/subjects/{code}/responses", json=body, headers=h["staff"]).json()
    assert made["category"] == "CRp" and made["confirmed_by"] is None
    listed = c.get(f"/subjects/{code}/responses", headers=h["staff"]).json()
    assert listed["best_overall"]["category"] == "UNKNOWN"  # not confirmed yet
    staff = c.post(f"/subjects/{code}/responses/{made['id']}/confirm", headers=h["staff"])
    assert staff.status_code == 403
    other = c.post(f"/subjects/{code}/responses/{made['id']}/confirm", headers=h["other_investigator"])
    assert other.status_code == 404
    assert (
        c.post(f"/subjects/{code}/responses/{made['id']}/confirm", headers=h["investigator"]).status_code
        == 200
    )
    again = c.post(f"/subjects/{code}/responses/{made['id']}/confirm", headers=h["investigator"])
    assert again.status_code == 409 and "was confirmed by investigator" in again.json()["detail"]
    listed = c.get(f"/subjects/{code}/responses", headers=h["staff"]).json()
    assert listed["best_after_cycle_1"] == {
        "category": "CRp",
        "mrd_negative": False,
        "cycle": 1,
        "reason": "CRp after cycle 1",
    }
    gate = c.get(f"/subjects/{code}/cycle-gates/2", headers=h["staff"]).json()
    assert gate == {
        "cycle": 2,
        "gate": "allowed",
        "reason": "CRp at the end of cycle 1: at least a partial response",
    }
    third = c.get(f"/subjects/{code}/cycle-gates/3?sponsor_approved=true", headers=h["staff"]).json()
    assert (third["gate"], third["reason"]) == ("unknown", "response at the end of cycle 2 not known")
    future = c.post(
        f"/subjects/{code}/responses", json={**body, "assessed_on": "2026-04-01"}, headers=h["staff"]
    )
    assert future.status_code == 422 and future.json()["detail"] == "assessed_on: 2026-04-01 is in the future"
    early = c.post(
        f"/subjects/{code}/responses", json={**body, "assessed_on": "2026-01-01"}, headers=h["staff"]
    )
    assert early.json()["detail"] == "assessed_on: 2026-01-01 is before C1D1 (2026-02-02)"
    both = c.post(f"/subjects/{code}/responses", json={**body, "lymphoma": {}}, headers=h["staff"])
    assert (
        both.status_code == 422 and both.json()["detail"] == "body: give exactly one of leukaemia or lymphoma"
    )
    bad = c.post(
        f"/subjects/{code}/responses", json={**body, "leukaemia": {"cns": "CNS9"}}, headers=h["staff"]
    )
    assert bad.status_code == 422 and bad.json()["detail"].startswith("body.leukaemia.cns")
    reason = c.post(
        f"/subjects/{code}/off-study", json={"on": "2026-03-05", "reason": "bored"}, headers=h["investigator"]
    )
    assert reason.status_code == 422 and "reason" in reason.json()["detail"]
    hsct = c.post(
        f"/subjects/{code}/off-study",
        json={"on": "2026-03-05", "reason": "hsct", "note": "MUD"},
        headers=h["investigator"],
    )
    assert hsct.status_code == 200, hsct.text
    outcome = hsct.json()
    assert (outcome["off_study_reason"], outcome["off_treatment_reason"]) == ("hsct", "hsct")
    subject = c.get(f"/subjects/{code}", headers=h["staff"]).json()
    assert subject["state"] == "off_study" and subject["off_study_reason"] == "hsct: MUD"
    follow = c.patch(
        f"/subjects/{code}/outcome",
        json={"hsct_on": "2026-03-06", "last_contact_on": "2026-03-08", "follow_up_status": "in_follow_up"},
        headers=h["investigator"],
    ).json()
    assert (follow["os_days"], follow["os_event"], follow["efs_event"]) == (34, False, False)
    died = c.patch(f"/subjects/{code}/outcome", json={"death_on": "2026-03-08"}, headers=h["investigator"])
    assert died.status_code == 422 and "contradicts death_on" in died.json()["detail"]
    office_only = c.get("/subprotocols/B/efficacy", headers=h["staff"])
    assert office_only.status_code == 403
    assert c.get("/subprotocols/Z/efficacy", headers=h["office"]).status_code == 404
    actions = [row["action"] for row in c.get("/audit?limit=1000", headers=h["office"]).json()]
    assert {"response.add", "response.confirm", "outcome.update"} <= set(actions)
    assert c.get("/audit/verify", headers=h["office"]).json()["ok"] is True


def test_migration_0003_response_creates_and_drops_its_tables(registry: Registry) -> None:
    from sqlalchemy import inspect

    from ismart.registry import db

    engine = registry.state.sessions.kw["bind"]
    tables = {"response_assessments", "subject_outcomes", "rp2d_declarations"}
    assert tables <= set(inspect(engine).get_table_names())
    db.downgrade(engine=engine, revision="0003")
    assert not tables & set(inspect(engine).get_table_names())
    db.upgrade(engine=engine)
    assert tables <= set(inspect(engine).get_table_names())
