"""Conduct API: role rules, bad input answered 4xx with the field, SAE clocks, cycle gates, DLTs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conduct_helpers import SITES, Phase1, open_phase1, reviewed
from sqlalchemy import Engine
from typer.testing import CliRunner

from ismart.cli import app as main_app

DRUGS = ["dasatinib", "venetoclax", "dexamethasone", "cyclophosphamide", "cytarabine"]
FULL = {"dasatinib": 14, "venetoclax": 28, "dexamethasone": 5, "cyclophosphamide": 1, "cytarabine": 8}


@pytest.fixture
def phase1(engine: Engine, tmp_path: Path) -> Iterator[Phase1]:
    yield from open_phase1(engine, tmp_path)


def _registered(phase1: Phase1) -> tuple[Any, dict[str, dict[str, str]], str]:
    client, h = phase1.registry.client(), phase1.headers
    code = reviewed(phase1, SITES[0])
    reply = client.post(
        f"/subjects/{code}/dose-finding-registration", json={"subprotocol": "B"}, headers=h["inv_AT-VIE"]
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["dose_level"] == 1
    return client, h, code


def _ae(**kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "term": "Platelet count decreased",
        "grade": 3,
        "onset": "2026-03-09",
        "cycle": 1,
        "attribution": dict.fromkeys(DRUGS, "possible"),
    }
    body.update(kw)
    return body


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (
            {"term": "Nausia"},
            "term: 'Nausia' is not in the CTCAE v5.0 term list in force (all 837 terms) "
            "(did you mean 'Nausea'?)",
        ),
        (
            {"term": "Leukocytosis", "grade": 1},
            "grade: 'Leukocytosis' has no CTCAE v5.0 grade 1 (defined: 3, 4, 5)",
        ),
        ({"attribution": {"venetoclax": "possible"}}, "attribution: missing for dasatinib"),
        (
            {"attribution": {**dict.fromkeys(DRUGS, "possible"), "aspirin": "unlikely"}},
            "attribution: 'aspirin' is not a drug of B",
        ),
        ({"onset": "2026-03-10"}, "onset: 2026-03-10 is in the future"),
        ({"resolution": "2026-03-01"}, "resolution: 2026-03-01 is before onset 2026-03-09"),
        ({"serious": True, "seriousness": ["hospitalisation"]}, "aware_at: a serious event needs the time"),
        ({"serious": True}, "seriousness: a serious event needs its criterion"),
        (
            {
                "term": "Alanine aminotransferase increased",
                "grade": 2,
                "lab": {"value": 210, "unit": "U/L", "uln": 40},
            },
            "grade: the laboratory value grades 3",
        ),
        (
            {
                "term": "Alanine aminotransferase increased",
                "grade": None,
                "lab": {"value": 30, "unit": "U/L", "uln": 40},
            },
            "lab: 30 U/L is grade 0 by CTCAE v5.0: not an adverse event",
        ),
        ({"grade": 7}, "body.grade: Input should be less than or equal to 5"),
    ],
)
def test_bad_adverse_events_are_refused_with_the_field(
    phase1: Phase1, change: dict[str, Any], detail: str
) -> None:
    client, h, code = _registered(phase1)
    reply = client.post(f"/subjects/{code}/adverse-events", json=_ae(**change), headers=h["staff_AT-VIE"])
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"].startswith(detail), reply.json()


def test_role_rules(phase1: Phase1) -> None:
    client, h, code = _registered(phase1)
    assert (
        client.post(f"/subjects/{code}/adverse-events", json=_ae(), headers=h["staff_DK-COP"]).status_code
        == 404
    )
    assert (
        client.post(f"/subjects/{code}/adverse-events", json=_ae(), headers=h["monitor"]).status_code == 403
    )
    added = client.post(f"/subjects/{code}/adverse-events", json=_ae(), headers=h["staff_AT-VIE"])
    assert added.status_code == 201
    assert added.json()["attribution_confirmed_by"] is None
    event = added.json()["id"]
    confirm = f"/subjects/{code}/adverse-events/{event}/attribution-confirmation"
    assert client.post(confirm, json={}, headers=h["staff_AT-VIE"]).status_code == 403
    confirmed = client.post(confirm, json={}, headers=h["inv_AT-VIE"])
    assert confirmed.json()["attribution_confirmed_by"] == "inv_AT-VIE"
    assert client.get(f"/subjects/{code}/adverse-events", headers=h["monitor"]).status_code == 200
    decision = {"dlt": True, "note": "grade 3 thrombocytopenia", "event_ids": [event]}
    assert client.post(f"/subjects/{code}/dlt", json=decision, headers=h["staff_AT-VIE"]).status_code == 403
    assert client.post(f"/subjects/{code}/dlt", json=decision, headers=h["office"]).status_code == 403
    assert client.post(f"/subjects/{code}/dlt", json=decision, headers=h["inv_AT-VIE"]).status_code == 201
    dlt = client.get(f"/subjects/{code}/dlt", headers=h["office"]).json()
    assert (dlt["evaluable"], dlt["dlt"], dlt["reason"]) == ("yes", True, "DLT confirmed by the investigator")
    body = {"kind": "escalate", "to_level": 2, "accept": True, "note": "x"}
    assert (
        client.post("/subprotocols/B/dose-finding/decisions", json=body, headers=h["office"]).status_code
        == 403
    )
    none = client.post("/subprotocols/B/dose-finding/decisions", json=body, headers=h["committee"])
    assert none.status_code == 409
    assert none.json()["detail"].startswith("no proposal awaits the safety committee for B")


def test_sae_clock_is_listed_for_the_trial_office(phase1: Phase1) -> None:
    client, h, code = _registered(phase1)
    aware = (datetime.now() - timedelta(hours=30)).replace(microsecond=0)
    sae = _ae(serious=True, seriousness=["hospitalisation"], aware_at=aware.isoformat())
    added = client.post(f"/subjects/{code}/adverse-events", json=sae, headers=h["inv_AT-VIE"])
    assert added.status_code == 201, added.text
    clocks = added.json()["clocks"]
    assert [c["state"] for c in clocks] == ["overdue", "assessment_needed"]
    due = (aware + timedelta(hours=24)).strftime("%Y-%m-%d %H:%M")
    assert clocks[0]["reason"] == f"SAE report to the sponsor overdue since {due}"
    listed = client.get("/adverse-events/overdue", headers=h["office"]).json()
    assert [(x["subject"], x["state"]) for x in listed] == [(code, "overdue"), (code, "assessment_needed")]
    assert client.get("/adverse-events/overdue", headers=h["inv_DK-COP"]).json() == []
    report = {"reported_at": datetime.now().replace(microsecond=0).isoformat(), "unexpected": False}
    path = f"/subjects/{code}/adverse-events/{added.json()['id']}/reporting"
    updated = client.post(path, json=report, headers=h["inv_AT-VIE"]).json()
    assert [c["state"] for c in updated["clocks"]] == ["late", "not_applicable"]
    listing = client.get("/subprotocols/B/reports/safety-listing.csv", headers=h["office"]).text
    assert "SAE" in listing and "SAE report to the sponsor done late" in listing


def _cycle(number: int, start: str, **kw: Any) -> dict[str, Any]:
    plan = FULL if number == 1 else {**FULL, "dasatinib": 28}  # B: dasatinib days 1-28 from cycle 2
    doses = [{"drug": d, "given_administrations": n} for d, n in plan.items()]
    body: dict[str, Any] = {
        "number": number,
        "start_date": start,
        "height_cm": 140,
        "weight_kg": 35,
        "doses": doses,
    }
    body.update(kw)
    return body


def test_cycles_plan_gates_and_deviations(phase1: Phase1) -> None:
    client, h, code = _registered(phase1)
    short = _cycle(1, "2026-03-09")
    short["doses"][1] = {"drug": "venetoclax", "given_administrations": 21, "interruption_days": 7}
    first = client.post(f"/subjects/{code}/cycles", json=short, headers=h["staff_AT-VIE"])
    assert first.status_code == 201, first.text
    got = first.json()
    assert got["bsa_m2"] == pytest.approx(1.167, abs=0.001)  # Mosteller: sqrt(140 x 35 / 3600)
    assert got["deviations"] == [
        "deviation: venetoclax: 21 of 28 administrations given",
        "deviation: venetoclax interrupted 7 day(s)",
    ]
    assert {d["drug"]: d["planned_administrations"] for d in got["doses"]} == FULL
    assert all(d["planned_mg"] is None for d in got["doses"])  # no public mg dose: to be set by the sponsor
    gate = client.post(f"/subjects/{code}/cycles", json=_cycle(2, "2026-04-08"), headers=h["staff_AT-VIE"])
    assert gate.status_code == 422
    assert gate.json()["detail"].startswith("gate_reason: cycle 2 needs the recorded response that opens it")
    second = client.post(
        f"/subjects/{code}/cycles",
        json=_cycle(2, "2026-04-08", gate_reason="PR at day 28"),
        headers=h["staff_AT-VIE"],
    )
    assert second.status_code == 201
    assert second.json()["deviations"] == [
        "gate: PR at day 28",
        "deviation: cycle 2 started 2 day(s) late (calendar: 2026-04-06)",
    ]
    third = client.post(
        f"/subjects/{code}/cycles", json=_cycle(3, "2026-05-06", gate_reason="CR"), headers=h["staff_AT-VIE"]
    )
    assert third.status_code == 422
    assert third.json()["detail"] == "sponsor_approval: cycle 3 needs the sponsor's approval"
    skip = client.post(f"/subjects/{code}/cycles", json=_cycle(5, "2026-05-06"), headers=h["staff_AT-VIE"])
    assert skip.status_code == 409
    assert skip.json()["detail"] == f"number: the next cycle of {code} is cycle 3, not 5"
    phase1.clock[0] = phase1.clock[0] + timedelta(days=40)
    dlt = client.get(f"/subjects/{code}/dlt", headers=h["office"]).json()
    assert dlt["evaluable"] == "no"
    assert dlt["dose_fraction"] == pytest.approx(0.75)
    assert "below the 100% needed (ismart placeholder): not evaluable" in dlt["reason"]
    assert any("placeholder" in p for p in dlt["placeholders"])


def test_cli_state_chart_safety(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISMART_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ISMART_SECRET_KEY", "cli-test-secret-0123456789")
    runner = CliRunner()
    state = runner.invoke(main_app, ["conduct", "state", "B", "--on", "2026-03-09"])
    assert state.exit_code == 0, state.output
    assert state.output.startswith("B on 2026-03-09: ENROL at level 1\n")
    assert "note: DLT rule: ismart placeholder" in state.output
    assert runner.invoke(main_app, ["conduct", "state", "B", "--format", "json"]).exit_code == 0
    unknown = runner.invoke(main_app, ["conduct", "state", "Z"])
    assert unknown.exit_code == 2 and "sub-protocol 'Z' not found" in unknown.output
    bad_day = runner.invoke(main_app, ["conduct", "state", "B", "--on", "soon"])
    assert bad_day.exit_code == 2 and "--on: 'soon' is not a date" in bad_day.output
    chart = tmp_path / "chart.png"
    assert runner.invoke(main_app, ["conduct", "chart", "B", "-o", str(chart)]).exit_code == 0
    assert chart.read_bytes().startswith(b"\x89PNG")
    wrong = runner.invoke(main_app, ["conduct", "chart", "B", "-o", str(tmp_path / "chart.txt")])
    assert wrong.exit_code == 2 and "must end in .png or .pdf" in wrong.output
    safety = runner.invoke(main_app, ["conduct", "safety", "B"])
    assert safety.output == "section,subject,dose_level,term,soc,grade,events,patients,onset,detail\n"
    assert runner.invoke(main_app, ["conduct", "overdue"]).output == "no overdue SAE or SUSAR reports\n"


def test_committee_declines_and_a_stale_form_is_refused(phase1: Phase1) -> None:
    client, h = phase1.registry.client(), phase1.headers
    for i in range(3):
        code = reviewed(phase1, SITES[i])
        site = code[:6]
        reply = client.post(
            f"/subjects/{code}/dose-finding-registration", json={"subprotocol": "B"}, headers=h[f"inv_{site}"]
        )
        assert reply.status_code == 201
        cycle = client.post(
            f"/subjects/{code}/cycles", json=_cycle(1, "2026-03-09"), headers=h[f"staff_{site}"]
        )
        assert cycle.status_code == 201
    phase1.clock[0] = phase1.clock[0] + timedelta(days=28)
    state = client.get("/subprotocols/B/dose-finding", headers=h["committee"]).json()
    assert state["awaiting_committee"] and state["proposal"]["decision"] == "escalate"
    assert state["proposal"]["dose_level"] == 2
    stale = {"kind": "escalate", "to_level": 3, "accept": True, "note": "old form"}
    refused = client.post("/subprotocols/B/dose-finding/decisions", json=stale, headers=h["committee"])
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("the design now proposes escalate to level 2")
    decline = {"kind": "escalate", "to_level": 2, "accept": False, "note": "wait for the PK data"}
    assert (
        client.post(
            "/subprotocols/B/dose-finding/decisions", json=decline, headers=h["committee"]
        ).status_code
        == 201
    )
    after = client.get("/subprotocols/B/dose-finding", headers=h["office"]).json()
    assert (after["action"], after["awaiting_committee"]) == ("SUSPEND", False)
    assert (
        after["reason"]
        == f"the safety committee declined the proposal (escalate) on {phase1.clock[0]}: wait for the PK data"
    )
    code = reviewed(phase1, SITES[0])
    held = client.post(
        f"/subjects/{code}/dose-finding-registration", json={"subprotocol": "B"}, headers=h["inv_AT-VIE"]
    )
    assert held.status_code == 409
    assert held.json()["detail"] == f"SUSPEND: {after['reason']}"


def test_awareness_with_a_utc_offset_is_converted(phase1: Phase1) -> None:
    client, h, code = _registered(phase1)
    sae = _ae(serious=True, seriousness=["life_threatening"], aware_at="2026-03-09T08:00:00+02:00")
    added = client.post(f"/subjects/{code}/adverse-events", json=sae, headers=h["inv_AT-VIE"])
    assert added.status_code == 201, added.text
    assert added.json()["clocks"][0]["due"] == "2026-03-10T06:00:00"


def test_a_cycle_started_before_the_registration_is_flagged(phase1: Phase1) -> None:
    client, h, code = _registered(phase1)  # registered on the registry's day, 2026-03-09
    early = client.post(f"/subjects/{code}/cycles", json=_cycle(1, "2026-03-08"), headers=h["staff_AT-VIE"])
    assert early.status_code == 201, early.text
    assert early.json()["deviations"] == [
        "deviation: cycle 1 started 2026-03-08, before the dose-level assignment at registration "
        "to B on 2026-03-09"
    ]
