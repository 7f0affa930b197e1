"""A whole rolling-six phase I through the API, checked step by step against the pure engine; the
race of two sites for the last place at a level; migration of an existing database."""

from __future__ import annotations

import csv
import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conduct_helpers import LEVELS, SITES, Phase1, open_phase1, reviewed
from sqlalchemy import Engine, inspect, text

from ismart.registry import db
from ismart.treatment.dosefinding import Design, PatientRecord, next_decision

DESIGN = Design("rolling6", tuple(LEVELS), 1)
# Cycle 1 of B (protocol data): administrations planned per drug.
PLAN = {"dasatinib": 14, "venetoclax": 28, "dexamethasone": 5, "cyclophosphamide": 1, "cytarabine": 8}
DRUGS = list(PLAN)
# Scripted outcomes: the n-th patient treated at a level has a DLT on day 10 when listed here, and
# the patients listed in SHORT receive too few doses (not evaluable, replaced).
DLT_AT = {1: set(), 2: set(), 3: {2}, 4: {1, 3}, -1: set()}
SHORT = {(1, 2), (1, 4), (2, 2), (2, 5), (3, 5)}


@pytest.fixture
def phase1(engine: Engine, tmp_path: Path) -> Iterator[Phase1]:
    yield from open_phase1(engine, tmp_path)


@dataclass
class Patient:
    code: str
    site: str
    level: int
    c1d1: date
    dlt: bool
    short: bool

    @property
    def window_end(self) -> date:
        return self.c1d1 + timedelta(days=27)

    @property
    def dlt_day(self) -> date:
        return self.c1d1 + timedelta(days=9)

    def record(self, on: date) -> PatientRecord:
        """The test's own bookkeeping, independent of the registry's derivation."""
        if self.dlt and on >= self.dlt_day:
            return PatientRecord(self.code, self.level, self.c1d1, "yes", True)
        if on > self.window_end:
            return PatientRecord(self.code, self.level, self.c1d1, "no" if self.short else "yes", False)
        return PatientRecord(self.code, self.level, self.c1d1, "pending", None)


def _cycle1(on: date, short: bool) -> dict[str, Any]:
    doses = [
        {"drug": d, "given_administrations": n - 8 if short and d == "venetoclax" else n}
        for d, n in PLAN.items()
    ]
    return {"number": 1, "start_date": on.isoformat(), "height_cm": 140, "weight_kg": 35, "doses": doses}


def _dlt_event(on: date) -> dict[str, Any]:
    return {
        "term": "Alanine aminotransferase increased",
        "lab": {"value": 210, "unit": "U/L", "uln": 40},
        "onset": on.isoformat(),
        "cycle": 1,
        "attribution": {d: ("probable" if d == "venetoclax" else "unlikely") for d in DRUGS},
    }


def test_rolling_six_to_an_mtd_through_the_api(phase1: Phase1) -> None:
    client, h = phase1.registry.client(), phase1.headers
    queue = [reviewed(phase1, SITES[i % 3]) for i in range(34)]
    patients: list[Patient] = []
    treated: dict[int, int] = {}
    current, suspends, accepted = 1, 0, []
    for _step in range(400):
        on = phase1.clock[0]
        for p in patients:  # the sites record what happened today
            if p.dlt and p.dlt_day == on:
                inv = h[f"inv_{p.site}"]
                event = client.post(f"/subjects/{p.code}/adverse-events", json=_dlt_event(on), headers=inv)
                assert event.status_code == 201, event.text
                assert (event.json()["grade"], event.json()["grade_source"].split(":")[0]) == (
                    3,
                    "laboratory value 210 U/L",
                )
                dlt = client.get(f"/subjects/{p.code}/dlt", headers=h["monitor"]).json()
                assert dlt["evaluable"] == "pending"
                assert dlt["reason"] == "1 DLT candidate(s) await the investigator's decision"
                decision = {"dlt": True, "note": "grade 3 ALT on day 10", "event_ids": [event.json()["id"]]}
                assert client.post(f"/subjects/{p.code}/dlt", json=decision, headers=inv).status_code == 201
        state = client.get("/subprotocols/B/dose-finding", headers=h["office"]).json()
        pure = next_decision(DESIGN, [p.record(on) for p in patients], current)
        assert state["engine"] == pure.as_dict(), (on, state["reason"])
        assert state["current_level"] == current
        if state["awaiting_committee"]:
            proposal = state["proposal"]
            target = proposal["mtd"] if proposal["decision"] == "mtd" else proposal["dose_level"]
            body = {
                "kind": proposal["decision"],
                "to_level": target,
                "accept": True,
                "note": "reviewed the data",
            }
            answer = client.post("/subprotocols/B/dose-finding/decisions", json=body, headers=h["committee"])
            assert answer.status_code == 201, answer.text
            accepted.append((proposal["decision"], target))
            if proposal["decision"] == "mtd":
                break
            current = target
            continue
        code = queue[0]
        site = code[:6]
        reply = client.post(
            f"/subjects/{code}/dose-finding-registration", json={"subprotocol": "B"}, headers=h[f"inv_{site}"]
        )
        if state["action"] == "ENROL":
            assert reply.status_code == 201, reply.text
            assert reply.json()["dose_level"] == state["dose_level"] == pure.dose_level
            queue.pop(0)
            level = reply.json()["dose_level"]
            treated[level] = treated.get(level, 0) + 1
            n = treated[level]
            patient = Patient(code, site, level, on, n in DLT_AT[level], (level, n) in SHORT)
            cycle = client.post(
                f"/subjects/{code}/cycles", json=_cycle1(on, patient.short), headers=h[f"staff_{site}"]
            )
            assert cycle.status_code == 201, cycle.text
            patients.append(patient)
            continue  # the next site registers on the same day when the design allows
        assert state["action"] == "SUSPEND"
        assert reply.status_code == 409, reply.text
        assert reply.json()["detail"] == f"SUSPEND: {state['reason']}" + (
            f" (until {state['until']} at the earliest)" if state["until"] else ""
        )
        suspends += 1
        phase1.clock[0] = on + timedelta(days=1)
    else:
        pytest.fail("the phase I did not reach an MTD")
    # level 4 has 2 DLTs: stepping down to level 3, which already has six evaluable with one DLT
    assert accepted == [("escalate", 2), ("escalate", 3), ("escalate", 4), ("mtd", 3)], accepted
    assert 24 <= len(patients) <= 34, len(patients)
    assert {p.site for p in patients} == set(SITES)
    assert suspends > 0
    final = client.get("/subprotocols/B/dose-finding", headers=h["monitor"]).json()
    assert final["action"] == "SUSPEND"
    assert final["mtd"] == 3
    assert final["reason"].startswith("dose finding ended: the safety committee accepted level 3 as the MTD")
    refused = client.post(
        f"/subjects/{queue[0]}/dose-finding-registration",
        json={"subprotocol": "B"},
        headers=h[f"inv_{queue[0][:6]}"],
    )
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("SUSPEND: dose finding ended")
    _check_reports(phase1, patients)
    # no registration landed on level 4 once its second DLT had closed it for toxicity
    closed_on = sorted(p.dlt_day for p in patients if p.level == 4 and p.dlt)[1]
    assert all(p.c1d1 < closed_on for p in patients if p.level == 4)
    assert all(p.c1d1 <= closed_on for p in patients)  # nobody at all: the committee had the MTD proposal


def _check_reports(phase1: Phase1, patients: list[Patient]) -> None:
    client, h = phase1.registry.client(), phase1.headers
    png = client.get("/subprotocols/B/reports/dose-escalation.png", headers=h["committee"])
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    out = os.environ.get("ISMART_CONDUCT_CHART")  # set it to look at the chart
    if out:
        Path(out).write_bytes(png.content)
    pdf = client.get("/subprotocols/B/reports/dose-escalation.pdf", headers=h["office"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    listing = client.get("/subprotocols/B/reports/safety-listing.csv", headers=h["monitor"])
    assert listing.status_code == 200
    rows = list(csv.DictReader(io.StringIO(listing.text)))
    with_dlt = sorted(p.code for p in patients if p.dlt)
    assert sorted(r["subject"] for r in rows if r["section"] == "DLT") == with_dlt
    severe = [r for r in rows if r["section"] == "grade>=3"]
    assert [(r["term"], r["grade"], r["events"], r["patients"]) for r in severe] == [
        ("Alanine aminotransferase increased", "3", str(len(with_dlt)), str(len(with_dlt)))
    ]
    assert [r for r in rows if r["section"] in ("SAE", "death")] == []
    site = client.get("/subprotocols/B/reports/safety-listing.csv", headers=h["inv_AT-VIE"])
    assert site.status_code == 403


def test_suspended_patient_waits_in_order(phase1: Phase1) -> None:
    client, h = phase1.registry.client(), phase1.headers
    codes = [reviewed(phase1, SITES[i % 3]) for i in range(8)]
    for code in codes[:6]:
        site = code[:6]
        ok = client.post(
            f"/subjects/{code}/dose-finding-registration", json={"subprotocol": "B"}, headers=h[f"inv_{site}"]
        )
        assert ok.status_code == 201, ok.text
        assert (
            client.post(
                f"/subjects/{code}/cycles", json=_cycle1(phase1.clock[0], False), headers=h[f"inv_{site}"]
            ).status_code
            == 201
        )
    refused = client.post(
        f"/subjects/{codes[6]}/dose-finding-registration",
        json={"subprotocol": "B"},
        headers=h[f"inv_{codes[6][:6]}"],
    )
    assert refused.status_code == 409
    end = (phase1.clock[0] + timedelta(days=27)).isoformat()
    assert refused.json()["detail"].startswith(
        f"SUSPEND: 6 patients at level 1, 6 still in their DLT window ending {end}"
    )
    for code in codes[6:]:
        added = client.post(
            "/subprotocols/B/waiting-list",
            json={"subject": code, "reason": "suspended"},
            headers=h[f"staff_{code[:6]}"],
        )
        assert added.status_code == 201, added.text
    listing = client.get("/subprotocols/B/waiting-list", headers=h["office"]).json()
    assert [(e["position"], e["subject"]) for e in listing] == [(1, codes[6]), (2, codes[7])]
    own = client.get("/subprotocols/B/waiting-list", headers=h[f"staff_{codes[6][:6]}"]).json()
    assert [e["subject"] for e in own] == [codes[6]]
    again = client.post(
        "/subprotocols/B/waiting-list", json={"subject": codes[6], "reason": "x"}, headers=h["office"]
    )
    assert again.status_code == 409
    assert again.json()["detail"] == f"subject {codes[6]} is already number 1 on the B waiting list"


def test_two_sites_race_for_the_last_place_at_a_level(phase1: Phase1) -> None:
    client, h = phase1.registry.client(), phase1.headers
    for i in range(5):
        code = reviewed(phase1, SITES[i % 3])
        assert (
            client.post(
                f"/subjects/{code}/dose-finding-registration",
                json={"subprotocol": "B"},
                headers=h[f"inv_{code[:6]}"],
            ).status_code
            == 201
        )
    racers = [reviewed(phase1, SITES[0]), reviewed(phase1, SITES[1])]
    barrier = threading.Barrier(2)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def race(code: str) -> None:
        with phase1.registry.client() as c:
            barrier.wait()
            r = c.post(
                f"/subjects/{code}/dose-finding-registration",
                json={"subprotocol": "B"},
                headers=h[f"inv_{code[:6]}"],
            )
        with lock:
            answers.append((r.status_code, r.json().get("detail", r.json().get("action", ""))))

    threads = [threading.Thread(target=race, args=(code,)) for code in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(s for s, _ in answers) == [201, 409], answers
    loser = next(d for s, d in answers if s == 409)
    assert loser.startswith("SUSPEND: 6 patients at level 1, 6 still pending"), loser
    state = client.get("/subprotocols/B/dose-finding", headers=h["office"]).json()
    assert [c["on_level"] for c in state["levels_counts"] if c["level"] == 1] == [6]


def test_old_registration_route_cannot_pick_another_level(phase1: Phase1) -> None:
    client, h = phase1.registry.client(), phase1.headers
    code = reviewed(phase1, SITES[0])
    wrong = client.post(
        f"/subjects/{code}/registrations", json={"subprotocol": "B", "dose_level": 2}, headers=h["inv_AT-VIE"]
    )
    assert wrong.status_code == 409
    assert wrong.json()["detail"] == "dose_level: the design assigns level 1 now, not 2"


def test_migration_upgrades_an_existing_database(tmp_path: Path) -> None:
    engine = db.make_engine(url=f"sqlite:///{tmp_path / 'old.db'}")
    db.upgrade(engine=engine, revision="0003")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sites VALUES ('XX-ONE', 'Old site', 'City', 'Country')"))
    db.upgrade(engine=engine)
    names = set(inspect(engine).get_table_names())
    assert {"cycles", "adverse_events", "dlt_decisions", "committee_decisions", "waiting_list"} <= names
    with engine.connect() as conn:
        assert conn.execute(text("SELECT institution FROM sites")).scalar() == "Old site"
    db.downgrade(engine=engine, revision="0003")
    assert "cycles" not in set(inspect(engine).get_table_names())
    engine.dispose()
