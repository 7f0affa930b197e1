"""The tumour-board triage: tiers, domains, rules with sources, resistance flags and ranking."""

from __future__ import annotations

import json
import os
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


REAL = Path(__file__).parent / "data"


def _cli(*args: str, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)} if columns else None
    return subprocess.run([sys.executable, "-m", "ismart", "triage", *args], capture_output=True, text=True,
                          check=False, env=env)  # fmt: skip


def test_cli_triage_help_says_what_html_is() -> None:
    run = _cli("--help")
    assert run.returncode == 0 and "html (a self-contained page)" in " ".join(
        run.stdout.replace("│", " ").split()
    )


def test_cli_triage_html_on_real_lab_files_shows_raw_vaf_reads_and_every_candidate() -> None:
    maf, fusions = (
        REAL / "maf" / "tcga_laml_maftools_excerpt.maf",
        REAL / "fusions" / "arriba_test_fusions.tsv",
    )
    run = _cli("--maf", str(maf), "--sample", "TCGA-AB-2870", "--fusions", str(fusions), "--format", "html")
    assert run.returncode == 0, run.stderr
    page = run.stdout
    assert "<th>as written</th><th>VAF / reads</th>" in page
    # the Oncotator form beside its normalised reading, the WashU percentage read as a fraction
    assert "<td>FLT3 p.F594_D600delinsY</td><td>p.594_600FREYEYD&gt;Y</td><td>-</td>" in page
    assert "<td>NRAS p.Q61K</td><td>p.Q61K</td><td>18.2%</td>" in page
    assert "<td>BCR::ABL1</td><td>-</td><td>11 reads</td>" in page  # Arriba split reads + discordant mates
    # every candidate alteration of D, not only the best one
    assert "<td>D</td><td>rule-matched</td><td>NRAS p.Q61K, FLT3 p.F594_D600delinsY</td>" in page
    assert "<td>B</td><td>rule-matched</td><td>BCR::ABL1</td>" in page


def test_cli_triage_text_never_cuts_the_raw_string() -> None:
    maf = str(REAL / "maf" / "tcga_laml_maftools_excerpt.maf")
    narrow = _cli("--maf", maf, "--sample", "TCGA-AB-2812", columns=80)
    assert narrow.returncode == 0, narrow.stderr
    assert "…" not in narrow.stdout  # long cells wrap, they are not cut
    wide = _cli("--maf", maf, "--sample", "TCGA-AB-2812", columns=400)
    assert (
        "p.600_600D>DSSDNEYFYVDFREYEYD" in wide.stdout
        and "FLT3 ITD p.D600_601insSSDNEYFYVDFREYEYD" in wide.stdout
    )


def test_cli_triage_json_carries_symbol_and_annotation_notes(tmp_path: Path) -> None:
    dossier = tmp_path / "p.yaml"
    dossier.write_text(
        "patient: {id: XX-TEST-1}\nprofiling:\n  methods: [WES]\n  variants:\n"
        "  - {gene: KRASS, hgvs_p: p.G12D, vaf: 0.3}\n  - {gene: KRAS, hgvs_p: p.A12D}\n",
        encoding="utf-8",
    )
    run = _cli(str(dossier), "--format", "json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    by = {a["name"]: a for a in report["alterations"]}
    assert "did you mean KRAS?" in by["KRASS p.G12D"]["symbol_note"]
    assert "residue 12 of KRAS is G" in by["KRAS p.A12D"]["annotation_error"]
    assert [c["tier"] for c in report["candidates"] if c["subprotocol"] == "D"] == ["possible"]
