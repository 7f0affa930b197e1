"""`ismart` as a user runs it: a real subprocess, exit codes, one-line errors, the three formats."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from helpers import DATA, EXAMPLES

SCHEMA = json.loads((DATA / "screening-output.schema.json").read_text(encoding="utf-8"))


def _ismart(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ismart", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "ismart"]
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False
    )


def test_screen_json_prints_the_contract() -> None:
    run = _ismart("screen", str(EXAMPLES / "dossier-example.yaml"), "--format", "json")
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    jsonschema.validate(document, SCHEMA)
    assert document["patient_id"] == "NL-UTR-0007"


def test_screen_text_names_blockers() -> None:
    run = _ismart("screen", str(EXAMPLES / "dossier-example.yaml"), "--today", "2026-11-23")
    assert run.returncode == 0, run.stderr
    assert "prohibited_medication" in run.stdout
    assert "NOT_ELIGIBLE" in run.stdout
    assert "Recommendation" in run.stdout


def test_screen_text_all_lists_met_criteria() -> None:
    run = _ismart("screen", str(EXAMPLES / "d-kras-g12d-eligible.yaml"), "--all", "--today", "2026-03-09")
    assert run.returncode == 0, run.stderr
    assert "ELIGIBLE" in run.stdout and "washout_surgery" in run.stdout


def test_screen_html_writes_a_self_contained_page(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    run = _ismart(
        "screen",
        str(EXAMPLES / "d-washout-delay.yaml"),
        "--format",
        "html",
        "-o",
        str(out),
        "--today",
        "2026-03-09",
    )
    assert run.returncode == 0, run.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "2026-03-13" in page and "washout_chemotherapy" in page
    assert "<script" not in page and "http" not in page.split("<footer>")[0].split("<body>")[1]


def test_c1d1_override_moves_the_windows() -> None:
    run = _ismart(
        "screen",
        str(EXAMPLES / "d-washout-delay.yaml"),
        "--format",
        "json",
        "--c1d1",
        "2026-03-13",
        "--today",
        "2026-03-09",
    )
    d = next(s for s in json.loads(run.stdout)["subprotocols"] if s["id"] == "D")
    status = {c["key"]: c["status"] for c in d["criteria"]}
    assert status["washout_chemotherapy"] == "MET"
    # The labs of 2026-03-08 are stale for a C1D1 of 2026-03-13: never ELIGIBLE on stale data.
    assert status["renal"] == "UNKNOWN" and d["verdict"] == "INCOMPLETE"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("patient:\n  weight_kg: -3\n", "patient.weight_kg"),
        ("labs:\n  - {test: creatinine, value: 40}\n", "labs[0].unit"),
        ("patient: [", "invalid YAML"),
        ("prior_therapy:\n  - {agent: x, last_dose: 2999-01-01}\n", "future"),
    ],
)
def test_bad_dossier_is_one_line_exit_2(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    run = _ismart("screen", str(path))
    assert run.returncode == 2
    assert words in run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_missing_file_and_bad_option_exit_2(tmp_path: Path) -> None:
    assert _ismart("screen", str(tmp_path / "nope.yaml")).returncode == 2
    run = _ismart("screen", str(EXAMPLES / "dossier-example.yaml"), "--c1d1", "soon")
    assert run.returncode == 2 and "--c1d1" in run.stderr


def test_version() -> None:
    run = _ismart("version")
    assert run.returncode == 0 and "HEM-iSMART" in run.stdout


def test_calendar_csv_and_refusals(tmp_path: Path) -> None:
    dossier_path = str(EXAMPLES / "d-kras-g12d-eligible.yaml")
    run = _ismart("calendar", dossier_path, "-s", "B", "--start", "2026-03-09", "--format", "csv")
    assert run.returncode == 0, run.stderr
    header = run.stdout.splitlines()[0].split(",")
    assert header[:8] == ["cycle", "day", "date", "weekday", "drug", "route", "dose", "unit"]
    refused = _ismart("calendar", dossier_path, "-s", "D", "--start", "2026-03-09")
    assert refused.returncode == 2 and "not public" in refused.stderr
    bad_level = _ismart("calendar", dossier_path, "-s", "B", "--start", "2026-03-09", "--dose-level", "5")
    assert bad_level.returncode == 2 and "--dose-level 5" in bad_level.stderr
    ics = tmp_path / "b.ics"
    made = _ismart(
        "calendar", dossier_path, "-s", "B", "--start", "2026-03-09", "--format", "ics", "-o", str(ics)
    )
    assert made.returncode == 0 and ics.read_bytes().startswith(b"BEGIN:VCALENDAR")


PROFILES = Path(__file__).parent / "data" / "profiles"


def test_screen_with_laboratory_files() -> None:
    run = _ismart(
        "screen",
        str(EXAMPLES / "incomplete-early-referral.yaml"),
        "--vcf",
        str(PROFILES / "vep.vcf"),
        "--fusions",
        str(PROFILES / "arriba_fusions.tsv"),
        "--format",
        "json",
        "--today",
        "2026-03-09",
    )
    assert run.returncode == 0, run.stderr
    subs = {s["id"]: s for s in json.loads(run.stdout)["subprotocols"]}
    assert subs["B"]["molecular_match"] is True
    assert any(a["detail"] == "p.G12D" and a["gene"] == "KRAS" for a in subs["D"]["alterations"])


def test_dossier_can_point_to_its_files(tmp_path: Path) -> None:
    shutil.copy(PROFILES / "mutations.maf", tmp_path / "mutations.maf")
    (tmp_path / "d.yaml").write_text(
        "patient: {id: X-1, birth_date: 2015-01-01}\n"
        "profiling:\n  files: {maf: mutations.maf, sample: PAT1-REL}\n",
        encoding="utf-8",
    )
    run = _ismart("triage", str(tmp_path / "d.yaml"), "--format", "json", "--today", "2026-03-09")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["alterations"]


def test_multi_sample_file_needs_a_sample() -> None:
    run = _ismart("triage", "--maf", str(PROFILES / "mutations.maf"))
    assert run.returncode == 2 and "--sample" in run.stderr
    ok = _ismart(
        "triage", "--maf", str(PROFILES / "mutations.maf"), "--sample", "PAT1-REL", "--format", "json"
    )
    assert ok.returncode == 0, ok.stderr


def test_unannotated_vcf_is_refused_with_advice() -> None:
    run = _ismart(
        "screen", str(EXAMPLES / "incomplete-early-referral.yaml"), "--vcf", str(PROFILES / "unannotated.vcf")
    )
    assert run.returncode == 2 and "annotate" in run.stderr.lower()


def test_ae_commands(tmp_path: Path) -> None:
    graded = _ismart("ae", "grade", "Alanine aminotransferase increased", "201", "U/L", "--uln", "40")
    assert graded.returncode == 0 and "grade 3" in graded.stdout
    dlt = _ismart("ae", "dlt", str(EXAMPLES / "adverse-events-example.csv"))
    assert dlt.returncode == 0 and "placeholder" in dlt.stdout
    table = _ismart("ae", "table", str(EXAMPLES / "adverse-events-example.csv"))
    assert table.returncode == 0 and "Safety by sub-protocol" in table.stdout
    bad = tmp_path / "events.csv"
    bad.write_text(
        (EXAMPLES / "adverse-events-example.csv").read_text().replace(",3,possible", ",9,possible")
    )
    refused = _ismart("ae", "table", str(bad))
    assert refused.returncode == 2 and "events.csv:2" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.parametrize(
    ("term", "grade", "expected"),
    [
        ("Nausia", "3", "events.csv:2: column 'term': 'Nausia' is not in the CTCAE v5.0 term list"),
        ("Nausea", "5", "events.csv:2: column 'grade': 'Nausea' has no CTCAE v5.0 grade 5"),
    ],
)
def test_ae_csv_terms_are_checked_against_the_full_ctcae_list(
    tmp_path: Path, term: str, grade: str, expected: str
) -> None:
    bad = tmp_path / "events.csv"
    bad.write_text(
        "subprotocol,patient_id,c1d1,term,grade,attribution,onset,resolution,cycle,serious\n"
        f"B,SE-STO-0003,2026-03-16,{term},{grade},possible,2026-03-30,,1,no\n",
        encoding="utf-8",
    )
    refused = _ismart("ae", "dlt", str(bad))
    assert refused.returncode == 2 and expected in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


def test_ae_csv_reads_terms_in_their_ctcae_spelling(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "subprotocol,patient_id,c1d1,term,grade,attribution,onset,resolution,cycle,serious\n"
        "B,SE-STO-0003,2026-03-16,nausea,3,possible,2026-03-30,,1,no\n",
        encoding="utf-8",
    )
    from ismart.conduct.ctcae_terms import validate_ae_term
    from ismart.treatment.adverse_events_io import read_events

    by_sub, _ = read_events(events, check_term=lambda term, grade: validate_ae_term(term, grade).term)
    assert [e.term for e in by_sub["B"]] == ["Nausea"]
