"""Efficacy-stage reports: their numbers equal the records; CSV, PNG and PDF are written."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from registry_helpers import Registry, add_users, flow_to_reviewed, flow_to_screened
from test_efficacy_flow import CR, NR, _assess, _declare, _treated, trial  # noqa: F401  (fixture)
from typer.testing import CliRunner

from ismart.cli.efficacy import app
from ismart.registry import responses, services
from ismart.report.efficacy_report import write_all


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8").splitlines()))


def _build(trial: Registry) -> None:  # noqa: F811
    h = add_users(trial)
    c = trial.client()
    _declare(c, h)
    for parts in (CR, CR, NR):
        _assess(c, h, _treated(trial, c, h), parts)
    waiting = flow_to_reviewed(trial)
    reg = c.post(
        f"/subjects/{waiting}/registrations",
        json={"subprotocol": "B", "dose_level": 1},
        headers=h["investigator"],
    )
    assert reg.status_code == 201
    flow_to_reviewed(trial)
    flow_to_screened(trial)


def test_reports_equal_the_records(trial: Registry, tmp_path: Path) -> None:  # noqa: F811
    _build(trial)
    with trial.state.sessions() as session:
        report = responses.efficacy(session, actor=services.SYSTEM, subprotocol="B")
        flow = responses.flow(session, actor=services.SYSTEM, subprotocol="B")
        rows = responses.enrolment(session, actor=services.SYSTEM, subprotocol="B")
    assert flow.counts == {
        "screened": 6,
        "eligible": 6,
        "referred": 5,
        "registered": 4,
        "treated": 3,
        "evaluable": 3,
        "responded": 2,
    }
    files = write_all(report, flow, rows, tmp_path)
    assert [f.name for f in files] == [
        "B-efficacy.csv",
        "B-enrolment.csv",
        "B-flow.csv",
        "B-flow.png",
        "B-report.pdf",
    ]
    assert _rows(tmp_path / "B-flow.csv")[1:] == [["B", step, str(n)] for step, n in flow.counts.items()]
    month = f"{datetime.now(UTC):%Y-%m}"
    assert _rows(tmp_path / "B-enrolment.csv")[1:] == [["B", "SE-STO", month, "4"], ["B", "all", "all", "4"]]
    efficacy = dict(_rows(tmp_path / "B-efficacy.csv")[1:])
    assert efficacy["stage"] == "continue to stage 2"
    assert efficacy["decision"] == "2 responses among 3 evaluable: more than r1 = 1"
    assert efficacy["evaluable / responders / pending / not evaluable"] == "3 / 2 / 0 / 0"
    assert efficacy["ORR after cycle 1 at the RP2D"] == "2 of 3 evaluable (67%)"
    assert (tmp_path / "B-flow.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "B-report.pdf").read_bytes()[:5] == b"%PDF-"


def test_report_command(trial: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    url = str(trial.state.sessions.kw["bind"].url)
    if not url.startswith("sqlite"):
        pytest.skip("the command opens its own database from ISMART_DATABASE_URL")
    _build(trial)
    monkeypatch.setenv("ISMART_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["report", "B", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("B: continue to stage 2 (2 responses among 3 evaluable")
    assert (tmp_path / "out" / "B-report.pdf").is_file()
    bad = CliRunner().invoke(app, ["report", "Z", "--out", str(tmp_path / "out")])
    assert bad.exit_code == 2 and bad.stderr.strip() == "error: sub-protocol Z not found"
