"""The tumour-board triage: tiers, domains, rules with sources, resistance flags and ranking."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ismart.dossier import Profiling
from ismart.molecular.profile import build_profile
from ismart.molecular.triage import triage
from ismart.protocol import load_protocol

EXAMPLES = Path(__file__).parent.parent / "examples"


def _triage(**profiling: Any):  # type: ignore[no-untyped-def]
    return triage(build_profile(Profiling.model_validate(profiling)), load_protocol())


def _by_name(result: Any) -> dict[str, Any]:
    return {a.name: a for a in result.alterations}


def test_named_partner_fusion_is_protocol_named_and_other_partner_rule_matched() -> None:
    result = _by_name(
        _triage(
            fusions=[
                {"five_prime": "NUP214", "three_prime": "ABL1", "in_frame": True},
                {"five_prime": "RCSD1", "three_prime": "ABL1", "in_frame": True},
            ]
        )
    )
    assert result["NUP214::ABL1"].tier == "protocol-named"
    assert result["RCSD1::ABL1"].tier == "rule-matched"
    support = result["NUP214::ABL1"].supports[0]
    assert (support.subprotocol, support.source, support.criterion) == ("B", "registry_B", "6")


def test_domain_and_rule_for_a_jak2_pseudokinase_mutation() -> None:
    alt = _by_name(_triage(variants=[{"gene": "JAK2", "hgvs_p": "p.Arg683Gly"}]))["JAK2 p.R683G"]
    assert alt.tier == "rule-matched"
    assert alt.domains and alt.domains[0].startswith("pseudokinase (545-809")
    assert "pseudokinase" in alt.supports[0].rule


def test_resistance_mutation_is_flagged_and_ranks_its_sub_protocol_last() -> None:
    result = _triage(variants=[{"gene": "JAK1", "hgvs_p": "p.F958V"}, {"gene": "KRAS", "hgvs_p": "p.G12D"}])
    assert "resistance to ruxolitinib" in _by_name(result)["JAK1 p.F958V"].resistance[0]
    assert [c.subprotocol for c in result.candidates] == ["D", "C"]


def test_vus_is_listed_but_not_actionable() -> None:
    result = _triage(variants=[{"gene": "TP53", "hgvs_p": "p.R248Q"}, {"gene": "KRAS", "hgvs_p": "p.L19F"}])
    by = _by_name(result)
    assert by["TP53 p.R248Q"].tier == "not actionable" and by["TP53 p.R248Q"].supports == ()
    assert by["KRAS p.L19F"].tier == "possible"


def test_synonymous_change_is_not_actionable() -> None:
    result = _triage(variants=[{"gene": "KRAS", "hgvs_p": "p.Gly12="}])
    assert result.alterations[0].tier == "not actionable" and result.candidates == ()


def test_cli_triage_json() -> None:
    exe = Path(sys.executable).parent / "ismart"
    run = subprocess.run(
        [
            str(exe),
            "triage",
            str(EXAMPLES / "multi-match-b-and-d.yaml"),
            "--format",
            "json",
            "--today",
            "2026-03-09",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert {c["subprotocol"] for c in document["candidates"]} == {"B", "D"}
    assert document["alterations"][0]["tier"] in ("protocol-named", "rule-matched")


def test_cli_triage_two_dossiers_are_two_reports_with_patient_ids() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "ismart", "triage", "examples/d-kras-g12d-eligible.yaml",
         "examples/b-nup214-abl1-eligible.yaml", "--format", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    reports = json.loads(run.stdout)
    assert [r["patient_id"] for r in reports] == ["DK-CPH-0021", "SE-STO-0003"]
    kras = reports[0]["alterations"][0]
    assert (kras["name"], kras["raw"], kras["vaf"]) == ("KRAS p.G12D", "p.Gly12Asp", 0.41)
    assert "NUP214::ABL1" not in json.dumps(reports[0])  # never one merged list


def test_cli_triage_html_is_a_page_per_patient() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "ismart", "triage", "examples/d-kras-g12d-eligible.yaml", "--format", "html"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("<!doctype html>") and "<h1>Patient DK-CPH-0021</h1>" in run.stdout
    assert "<td>p.Gly12Asp</td><td>41.0%</td>" in run.stdout
