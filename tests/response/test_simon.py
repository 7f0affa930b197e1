"""Simon's two-stage designs reproduce published designs; the CLI's JSON contract and its errors."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ismart.cli.efficacy import app
from ismart.errors import InputError
from ismart.response.simon import SimonDesign, characteristics, designs

ROWS = list(
    csv.DictReader(
        (Path(__file__).parent.parent / "data" / "simon" / "published_designs.tsv")
        .read_text(encoding="utf-8")
        .splitlines(),
        delimiter="\t",
    )
)
runner = CliRunner()


def _key(row: dict[str, str]) -> str:
    return f"{row['p0']}/{row['p1']} a{row['alpha']} b{row['beta']} nmax{row['nmax']} {row['design']}"


@pytest.mark.parametrize("row", ROWS, ids=_key)
def test_published_design(row: dict[str, str]) -> None:
    found = designs(
        float(row["p0"]), float(row["p1"]), float(row["alpha"]), float(row["beta"]), nmax=int(row["nmax"])
    )
    d: SimonDesign = getattr(found, row["design"])
    assert (d.r1, d.n1, d.r, d.n) == (int(row["r1"]), int(row["n1"]), int(row["r"]), int(row["n"]))
    assert round(d.en0, 2) == float(row["en0"])
    assert round(d.pet0, 4) == float(row["pet0"])


def test_designs_meet_their_error_rates() -> None:
    found = designs(0.2, 0.4, 0.1, 0.1)
    for d in (found.optimal, found.minimax):
        assert characteristics(d, 0.2).reject_h0 <= 0.1
        assert characteristics(d, 0.4).reject_h0 >= 0.9
        assert characteristics(d, 0.2).pet == pytest.approx(d.pet0)
        assert characteristics(d, 0.2).en == pytest.approx(d.en0)


def test_fast_enough() -> None:
    designs(0.1, 0.3, 0.05, 0.2)  # warm caches
    started = time.perf_counter()
    designs(0.2, 0.4, 0.05, 0.2)
    assert time.perf_counter() - started < 5.0


def test_cli_json_has_exactly_the_contract_fields() -> None:
    result = runner.invoke(
        app, ["simon", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.1", "--beta", "0.1", "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    assert list(document) == ["optimal", "minimax"]
    for design in document.values():
        assert list(design) == ["r1", "n1", "r", "n", "en0", "pet0"]
    assert document["optimal"] == {"r1": 3, "n1": 17, "r": 10, "n": 37, "en0": 26.0225, "pet0": 0.5489}


def test_cli_text_shows_both_designs() -> None:
    result = runner.invoke(app, ["simon", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.1", "--beta", "0.1"])
    assert result.exit_code == 0
    assert "3/17" in result.stdout and "10/36" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--p0", "0.5", "--p1", "0.4"], "p1: 0.4 must exceed p0 (0.5)"),
        (["--p0", "abc", "--p1", "0.4"], "--p0: 'abc' is not a number"),
        (["--p0", "0", "--p1", "0.4"], "p0: 0 must lie strictly between 0 and 1"),
        (["--p0", "0.2", "--p1", "0.4", "--nmax", "1"], "nmax: 1 must be from 2 to 300"),
        (["--p0", "0.2", "--p1", "0.4", "--nmax", "ten"], "--nmax: 'ten' is not a whole number"),
        (["--p0", "0.2", "--p1", "0.25", "--nmax", "20"], "no two-stage design with n <= 20"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["simon", *args, "--alpha", "0.1", "--beta", "0.1"])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {message}" or message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_library_refuses_bad_rates() -> None:
    with pytest.raises(InputError, match="beta: 1 must lie strictly between 0 and 1"):
        designs(0.2, 0.4, 0.1, 1.0)


def test_mounted_in_the_ismart_command() -> None:
    from ismart.cli.main import app as ismart

    args = ["efficacy", "simon", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.05", "--beta", "0.2"]
    args += ["-f", "json"]
    result = runner.invoke(ismart, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["minimax"]["n"] == 33
