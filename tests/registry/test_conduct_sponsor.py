"""Sponsor files put in force (complete term list, DLT rule, dose table) and a sub-protocol without
public dose levels, whose levels the safety committee assigns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conduct_helpers import Phase1, open_phase1, registered_to_b, sponsor_files_in_force
from registry_helpers import EXAMPLES, TODAY
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ismart.errors import ProtocolDataError
from ismart.registry import services
from ismart.registry.context import in_force
from ismart.registry.sponsor_data import from_environment

DRUGS = ["dasatinib", "venetoclax", "dexamethasone", "cyclophosphamide", "cytarabine"]


@pytest.fixture
def phase1(engine: Engine, tmp_path: Path) -> Iterator[Phase1]:
    yield from open_phase1(engine, tmp_path)


def test_sponsor_files_are_put_in_force(
    phase1: Phase1, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terms = tmp_path / "terms.yaml"
    terms.write_text(
        "schema_version: 1\nname: sponsor list\nversion: '5.0'\ncoverage: the sponsor's complete list\n"
        "terms:\n  - {term: Nausea, soc: Gastrointestinal disorders, grades: [1, 2, 3]}\n",
        encoding="utf-8",
    )
    rules = tmp_path / "dlt.yaml"
    rules.write_text(
        "schema_version: 1\nsource: sponsor DLT charter\n"
        "dlt_rule: {shipped_as_placeholder: false}\n"
        "evaluability: {min_dose_fraction: 0.7, shipped_as_placeholder: false}\n",
        encoding="utf-8",
    )
    doses = tmp_path / "doses.yaml"
    doses.write_text("venetoclax: {1: {basis: mg/m2, value: 100, max_mg: 400}}\n", encoding="utf-8")
    monkeypatch.setenv("ISMART_CTCAE_TERMS", str(terms))
    monkeypatch.setenv("ISMART_DLT_RULES", str(rules))
    monkeypatch.setenv("ISMART_DOSE_TABLE", str(doses))
    sponsor_files_in_force(phase1)
    client, h = phase1.registry.client(), phase1.headers
    code = registered_to_b(phase1)
    event = {
        "term": "nausea",
        "grade": 3,
        "onset": TODAY.isoformat(),
        "cycle": 1,
        "attribution": dict.fromkeys(DRUGS, "unlikely"),
    }
    added = client.post(f"/subjects/{code}/adverse-events", json=event, headers=h["staff_AT-VIE"])
    assert added.status_code == 201, added.text
    assert (added.json()["term"], added.json()["soc"]) == ("Nausea", "Gastrointestinal disorders")
    cycle = {
        "number": 1,
        "start_date": TODAY.isoformat(),
        "height_cm": 140,
        "weight_kg": 35,
        "doses": [
            {"drug": d, "given_administrations": 20 if d == "venetoclax" else n}
            for d, n in {
                "dasatinib": 14,
                "venetoclax": 28,
                "dexamethasone": 5,
                "cyclophosphamide": 1,
                "cytarabine": 8,
            }.items()
        ],
    }
    made = client.post(f"/subjects/{code}/cycles", json=cycle, headers=h["staff_AT-VIE"])
    assert made.status_code == 201, made.text
    planned = {d["drug"]: d["planned_mg"] for d in made.json()["doses"]}
    assert planned["venetoclax"] == pytest.approx(116.7, abs=0.1)  # 100 mg/m2 x 1.167 m2 (Mosteller)
    assert planned["dasatinib"] is None
    state = client.get("/subprotocols/B/dose-finding", headers=h["office"]).json()
    assert state["placeholders"] == []
    phase1.clock[0] = TODAY.replace(month=4, day=20)
    dlt = client.get(f"/subjects/{code}/dlt", headers=h["office"]).json()
    assert (dlt["evaluable"], dlt["dose_fraction"]) == ("yes", pytest.approx(20 / 28))


def _reviewed_for_d(phase1: Phase1, site: str) -> str:
    data = yaml.safe_load((EXAMPLES / "d-kras-g12d-eligible.yaml").read_text(encoding="utf-8"))
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    plain["patient"].pop("id", None)  # filed under the registry's own subject code (issue 9)

    def work(session: Session) -> str:
        subject = services.create_subject(session, actor=services.SYSTEM, site_code=site)
        services.add_dossier(
            session, actor=services.SYSTEM, code=subject.code, data=plain, reason=None, as_of=TODAY
        )
        services.screen_subject(session, actor=services.SYSTEM, code=subject.code, as_of=TODAY)
        services.add_board_decision(
            session,
            actor=services.SYSTEM,
            code=subject.code,
            subprotocol="D",
            priority=1,
            rationale="KRAS G12D",
            members=["A", "B"],
            non_referral_reason=None,
        )
        return subject.code

    return phase1.registry.state.write(work)


def test_without_levels_the_committee_assigns_the_level(phase1: Phase1) -> None:
    client, h = phase1.registry.client(), phase1.headers
    state = client.get("/subprotocols/D/dose-finding", headers=h["office"]).json()
    assert state["action"] == "ASSIGN_BY_COMMITTEE"
    assert state["reason"] == (
        "D has no public dose levels and no sponsor dose-level file: "
        "the safety committee assigns each patient's level"
    )
    code = _reviewed_for_d(phase1, "DK-COP")
    reply = client.post(
        f"/subjects/{code}/dose-finding-registration", json={"subprotocol": "D"}, headers=h["inv_DK-COP"]
    )
    assert reply.status_code == 201, reply.text
    assert (reply.json()["dose_level"], reply.json()["status"]) == (None, "to_be_assigned")
    body = {"dose_level": 1, "note": "sponsor's level 1 per the committee minutes"}
    assert client.post(f"/subjects/{code}/dose-level", json=body, headers=h["office"]).status_code == 403
    assigned = client.post(f"/subjects/{code}/dose-level", json=body, headers=h["committee"])
    assert assigned.status_code == 201, assigned.text
    assert assigned.json() == {"subject": code, "dose_level": 1, "status": "assigned"}
    decisions = client.get("/subprotocols/D/dose-finding", headers=h["monitor"]).json()["decisions"]
    assert [(d["kind"], d["to_level"], d["note"]) for d in decisions] == [("assign", 1, body["note"])]


def test_a_sponsor_dose_level_file_gives_d_its_levels_and_design(
    phase1: Phase1, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    levels = tmp_path / "levels.yaml"
    levels.write_text(
        "schema_version: 1\nsource: synthetic test plan (not HEM-iSMART's)\n"
        "subprotocols:\n  D: {design: 3+3, levels: [-1, 1, 2], start_level: 1}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ISMART_DOSE_LEVELS", str(levels))
    sponsor_files_in_force(phase1)
    client, h = phase1.registry.client(), phase1.headers
    state = client.get("/subprotocols/D/dose-finding", headers=h["office"]).json()
    assert (state["design"], state["levels"], state["action"], state["dose_level"]) == (
        "3+3",
        [-1, 1, 2],
        "ENROL",
        1,
    )
    code = _reviewed_for_d(phase1, "DK-COP")
    reply = client.post(
        f"/subjects/{code}/dose-finding-registration", json={"subprotocol": "D"}, headers=h["inv_DK-COP"]
    )
    assert reply.status_code == 201, reply.text
    assert (reply.json()["dose_level"], reply.json()["status"]) == (1, "assigned")
    # B's public levels win: the design name still comes from the protocol data (master.yaml)
    assert client.get("/subprotocols/B/dose-finding", headers=h["office"]).json()["design"] == "rolling6"


def test_a_sponsor_file_may_not_change_public_levels(
    phase1: Phase1, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    levels = tmp_path / "levels.yaml"
    levels.write_text(
        "schema_version: 1\nsource: synthetic\nsubprotocols:\n"
        "  B: {design: rolling6, levels: [1, 2], start_level: 1}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ISMART_DOSE_LEVELS", str(levels))
    with pytest.raises(ProtocolDataError) as caught:
        from_environment(in_force(phase1.registry.state.sessions).protocol)
    assert str(caught.value) == (
        "levels.yaml: subprotocols.B: the protocol's public levels are [-1, 1, 2, 3, 4] starting at 1; "
        "the sponsor file may not change them"
    )


def test_intrathecal_doses_come_from_the_sponsor_table_by_age(
    phase1: Phase1, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, h = phase1.registry.client(), phase1.headers
    code = registered_to_b(phase1)
    cycle: dict[str, Any] = {
        "number": 1,
        "start_date": TODAY.isoformat(),
        "doses": [{"drug": d, "given_administrations": 1, "planned_administrations": 1} for d in DRUGS],
        "intrathecal": [{"drug": "methotrexate", "planned_administrations": 2, "given_administrations": 2}],
    }
    made = client.post(f"/subjects/{code}/cycles", json=cycle, headers=h["staff_AT-VIE"])
    assert made.status_code == 201, made.text
    it = next(d for d in made.json()["doses"] if d["route"] == "intrathecal")
    assert (it["drug"], it["planned_mg"]) == ("intrathecal methotrexate", None)  # never a default
    assert it["plan_basis"] == "dose to be set: the sponsor's intrathecal table by age is not in force"


def test_intrathecal_table_plans_the_mg_for_the_age(
    phase1: Phase1, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = tmp_path / "it.yaml"
    table.write_text(
        "schema_version: 1\nsource: synthetic test table (not HEM-iSMART's)\ndrugs:\n"
        "  methotrexate:\n    - {from_years: 0, to_years: 9, dose_mg: 10}\n"
        "    - {from_years: 9, dose_mg: 12}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ISMART_INTRATHECAL_TABLE", str(table))
    sponsor_files_in_force(phase1)
    client, h = phase1.registry.client(), phase1.headers
    code = registered_to_b(phase1)
    cycle: dict[str, Any] = {
        "number": 1,
        "start_date": TODAY.isoformat(),
        "doses": [{"drug": d, "given_administrations": 1, "planned_administrations": 1} for d in DRUGS],
        "intrathecal": [
            {"drug": "Methotrexate", "planned_administrations": 2, "given_administrations": 1, "given_mg": 10}
        ],
    }
    made = client.post(f"/subjects/{code}/cycles", json=cycle, headers=h["staff_AT-VIE"])
    assert made.status_code == 201, made.text
    body = made.json()
    it = next(d for d in body["doses"] if d["route"] == "intrathecal")
    assert it["planned_mg"] == 12 and it["plan_basis"].startswith("age 9 years: 12 mg")
    assert "deviation: intrathecal methotrexate 10 mg given, 12 mg by age" in body["deviations"]
    assert "deviation: intrathecal methotrexate: 1 of 2 administrations given" in body["deviations"]
    bad = {
        **cycle,
        "number": 2,
        "gate_reason": "PR",
        "intrathecal": [{"drug": "aspirin", "planned_administrations": 1, "given_administrations": 1}],
    }
    refused = client.post(f"/subjects/{code}/cycles", json=bad, headers=h["staff_AT-VIE"])
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("intrathecal: 'aspirin' is not an intrathecal drug of B")


def test_ctcae_term_search_over_the_api(phase1: Phase1) -> None:
    client, h = phase1.registry.client(), phase1.headers
    reply = client.get("/ctcae-terms", params={"q": "febrile neutro"}, headers=h["staff_AT-VIE"])
    assert reply.status_code == 200, reply.text
    [term] = reply.json()
    assert (term["term"], term["meddra_code"], term["grades"]) == ("Febrile neutropenia", 10016288, [3, 4, 5])
    assert term["criteria"]["5"] == "Death"
    assert client.get("/ctcae-terms", params={"q": "x"}).status_code == 401


def test_a_bad_sponsor_file_stops_the_registry_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ismart.registry.bootstrap import open_registry
    from ismart.registry.settings import Settings

    table = tmp_path / "it.yaml"
    table.write_text(
        "schema_version: 1\nsource: synthetic\ndrugs:\n  methotrexate:\n    - {from_years: 2, dose_mg: 8}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ISMART_INTRATHECAL_TABLE", str(table))
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.db'}", secret_key="test-secret-key-0123456789"
    )
    with pytest.raises(ProtocolDataError) as caught:
        open_registry(settings)
    assert str(caught.value) == (
        "it.yaml: file: Value error, methotrexate: band 1 starts at 2 years, expected 0 "
        "(bands are contiguous from 0, in order)"
    )
