"""`ismart dosefinding` through typer's CliRunner: JSON fields, tables, simulations, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import DATA
from ismart.cli.dosefinding import app

runner = CliRunner()
HEADER = "patient_id,dose_level,enrolled_on,evaluable,dlt\n"


def _csv(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "patients.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_next_json_escalates_after_three_without_dlt(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "P1,1,2026-01-05,yes,no\nP2,1,2026-01-12,yes,no\nP3,1,2026-01-19,yes,no\nP4,1,2026-01-26,no,\n",
    )
    code, out, err = _run("next", str(path), "--design", "rolling6", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["decision"] == "escalate"
    assert document["dose_level"] == 2
    assert document["mtd"] is None
    assert document["counts"] == {
        "level": 1,
        "on_level": 3,
        "evaluable": 3,
        "dlts": 0,
        "pending": 0,
        "not_evaluable": 1,
    }
    assert "grid row" in document["reason"]
    assert document["eliminated"] == []


def test_next_json_declares_the_mtd_on_de_escalation(tmp_path: Path) -> None:
    rows = [f"A{i},1,2026-01-{5 + i:02d},yes,{'yes' if i == 0 else 'no'}" for i in range(6)]
    rows += ["B1,2,2026-03-02,yes,yes", "B2,2,2026-03-03,yes,yes", "B3,2,2026-03-04,pending,"]
    path = _csv(tmp_path, "\n".join(rows) + "\n")
    code, out, err = _run("next", str(path), "--format", "json", "--current-level", "2", "--levels=-1,1,2")
    assert code == 0, err
    document = json.loads(out)
    assert (document["decision"], document["dose_level"], document["mtd"]) == ("mtd", None, 1)
    assert document["eliminated"] == [2]


def test_next_text_and_boin(tmp_path: Path) -> None:
    path = _csv(tmp_path, "P1,1,2026-01-05,yes,no\nP2,1,2026-01-06,yes,yes\nP3,1,2026-01-07,yes,yes\n")
    code, out, _ = _run("next", str(path), "-d", "boin", "--levels", "1,2,3", "--target", "0.3")
    assert code == 0
    assert "de-escalate" not in out  # level 1 is the lowest: BOIN stays
    assert "stay at level 1" in out


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("P1,1,2026-01-05,yes,no\nP2,1,2026-01-06,yes,maybe\n", "patients.csv:3: column 'dlt'"),
        ("P1,x,2026-01-05,yes,no\n", "patients.csv:2: column 'dose_level'"),
        ("P1,1,05/01/2026,yes,no\n", "patients.csv:2: column 'enrolled_on'"),
        ("P1,1,2026-01-05,sometimes,no\n", "patients.csv:2: column 'evaluable'"),
        ("P1,1,2026-01-05,yes,\n", "patients.csv:2: column 'dlt'"),
        ("P1,1,2026-01-05,yes,no\nP1,1,2026-01-06,yes,no\n", "patients.csv:3: column 'patient_id'"),
        ("P1,1,2026-01-05,yes\n", "patients.csv:2:"),
        ("P1,7,2026-01-05,yes,no\n", "dose level 7"),
    ],
)
def test_bad_csv_is_one_line_exit_2(tmp_path: Path, body: str, where: str) -> None:
    result = runner.invoke(app, ["next", str(_csv(tmp_path, body))])
    assert result.exit_code == 2
    assert where in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_column_names_line_one(tmp_path: Path) -> None:
    path = _csv(tmp_path, "P1,1,2026-01-05,yes\n", header="patient_id,dose_level,enrolled_on,evaluable\n")
    code, _, err = _run("next", str(path))
    assert code == 2
    assert "patients.csv:1: missing column(s) dlt" in err


def test_unreadable_file_exit_2(tmp_path: Path) -> None:
    code, _, err = _run("next", str(tmp_path / "absent.csv"))
    assert code == 2
    assert "cannot read" in err


def test_table_csv_reproduces_the_boin_boundaries() -> None:
    code, out, _ = _run("table", "--design", "boin", "--target", "0.25", "--format", "csv")
    assert code == 0
    expected = (
        (DATA / "boin" / "boin_boundaries_derived_from_cran_BOIN_get.boundary.csv")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    assert out.splitlines() == expected[:31]


def test_table_rolling6_json_and_text() -> None:
    code, out, _ = _run("table", "--format", "json")
    assert code == 0
    assert len(json.loads(out)) == 21
    code, out, _ = _run("table", "-d", "3+3")
    assert code == 0
    assert "expand the level to six" in out


def test_simulate_json_reports_speed() -> None:
    code, out, err = _run(
        "simulate",
        "--design",
        "rolling6",
        "--true-tox",
        "0.05,0.15,0.3",
        "--trials",
        "300",
        "--seed",
        "1",
        "--format",
        "json",
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["levels"] == [-1, 1, 2]
    assert sum(document["selection"].values()) + document["no_mtd"] == pytest.approx(1.0)
    assert document["trials_per_second"] > 0
    assert document["mean_duration_days"] > 28


def test_simulate_text_and_bad_probabilities() -> None:
    code, out, _ = _run("simulate", "-d", "boin", "--true-tox", "0.1,0.2,0.3,0.5", "--trials", "200")
    assert code == 0
    assert "trials simulated per second" in out
    code, _, err = _run("simulate", "--true-tox", "0.1,abc")
    assert code == 2
    assert "--true-tox" in err
    code, _, err = _run("simulate", "--true-tox", "0.1,1.5,0.2")
    assert code == 2
    assert "between 0 and 1" in err
