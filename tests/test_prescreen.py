"""Cohort pre-screening: study files, the summary, and a differential test against the engine."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ismart import dossier
from ismart.eligibility.engine import screen
from ismart.eligibility.status import Status
from ismart.errors import ProfileFileError
from ismart.prescreen.classify import MAF_TYPES
from ismart.prescreen.study import CNA_CALLS, prescreen
from ismart.prescreen.summary import bar_chart, summarise
from ismart.prescreen.synthetic import generate
from ismart.profiles.maf import SPLICE
from ismart.protocol import load_protocol

TODAY = date(2026, 3, 9)


def _dossiers(study: Path) -> dict[str, dict[str, Any]]:
    """Per-sample dossiers built straight from the study files, for the per-patient engine."""
    samples = pl.read_csv(study / "data_clinical_sample.txt", separator="\t")["SAMPLE_ID"].to_list()
    data: dict[str, dict[str, Any]] = {
        s: {
            "profiling": {
                "methods": ["WGS"],
                "flow_cytometry": True,
                "variants": [],
                "fusions": [],
                "copy_number": [],
            }
        }
        for s in samples
    }
    for row in pl.read_csv(study / "data_mutations.txt", separator="\t", infer_schema=False).iter_rows(
        named=True
    ):
        exon = int(row["Exon_Number"].split("/")[0]) if row["Exon_Number"] else None
        change, kind = row["HGVSp_Short"], MAF_TYPES.get(row["Variant_Classification"])
        if change and SPLICE.fullmatch(change):
            change, kind = None, "splice"
        data[row["Tumor_Sample_Barcode"]]["profiling"]["variants"].append(
            {"gene": row["Hugo_Symbol"], "protein_raw": change, "type": kind, "exon": exon}
        )
    for row in pl.read_csv(study / "data_sv.txt", separator="\t", infer_schema=False).iter_rows(named=True):
        frame = {"in-frame": True, "frameshift": False}.get(row["Site2_Effect_On_Frame"] or "")
        data[row["Sample_Id"]]["profiling"]["fusions"].append(
            {
                "five_prime": row["Site1_Hugo_Symbol"],
                "three_prime": row["Site2_Hugo_Symbol"],
                "in_frame": frame,
            }
        )
    for row in pl.read_csv(study / "data_cna.txt", separator="\t", infer_schema=False).iter_rows(named=True):
        data[row["Sample_Id"]]["profiling"]["copy_number"].append(
            {"gene": row["Hugo_Symbol"], "call": CNA_CALLS[int(row["Value"])]}
        )
    return data


def test_prescreen_gives_exactly_the_per_patient_calls(tmp_path: Path) -> None:
    study = tmp_path / "study"
    generate(study, 3000, seed=11)
    protocol = load_protocol()
    result = {r["sample_id"]: r for r in prescreen(study, protocol).iter_rows(named=True)}
    assert len(result) == 3000
    for sample, data in _dossiers(study).items():
        screened = screen(dossier.from_mapping(data, as_of=TODAY), protocol, as_of=TODAY)
        status = {
            s.id: next(c.status for c in s.criteria if c.key == "alteration") for s in screened.subprotocols
        }
        expected_candidates = ",".join(s for s, st in status.items() if st is Status.MET)
        expected_review = ",".join(s for s, st in status.items() if st is Status.REVIEW)
        assert (result[sample]["candidates"], result[sample]["review"]) == (
            expected_candidates,
            expected_review,
        ), sample


def test_small_study_by_hand(tmp_path: Path) -> None:
    study = tmp_path / "s"
    study.mkdir()
    (study / "data_mutations_extended.txt").write_text(
        "#version 2.4\nHugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\n"
        "KRAS\tT1\tMissense_Mutation\tp.G12D\nKRAS\tT2\tSilent\tp.G12=\nJAK2\tT3\tMissense_Mutation\tp.R683G\n",
        encoding="utf-8",
    )
    (study / "data_fusions.txt").write_text(
        "Hugo_Symbol\tTumor_Sample_Barcode\tFusion\tFrame\nNUP214\tT4\tNUP214-ABL1 fusion\tin-frame\n"
        "ABL1\tT4\tNUP214-ABL1 fusion\tin-frame\n",
        encoding="utf-8",
    )
    (study / "data_cna.txt").write_text("Hugo_Symbol\tT1\tT5\nNF1\t0\t-1\nABL1\tNA\t2\n", encoding="utf-8")
    result = {
        r["sample_id"]: (r["candidates"], r["alterations"])
        for r in prescreen(study, load_protocol()).iter_rows(named=True)
    }
    assert result == {
        "T1": ("D", "D: KRAS p.G12D"),
        "T2": ("", ""),
        "T3": ("C", "C: JAK2 p.R683G"),
        "T4": ("B", "B: NUP214::ABL1"),
        "T5": ("B,D", "B: ABL1 amplification; D: NF1 heterozygous_deletion"),
    }


def test_summary_and_chart(tmp_path: Path) -> None:
    study = tmp_path / "study"
    generate(study, 500, seed=2)
    protocol = load_protocol()
    result = prescreen(study, protocol)
    rows = summarise(result, protocol)
    by_name = {(r.group, r.name): r for r in rows}
    assert (
        by_name[("sub-protocol", "D")].samples == result.filter(pl.col("candidates").str.contains("D")).height
    )
    assert by_name[("sub-protocol", "none")].samples == result.filter(pl.col("candidates") == "").height
    assert by_name[("pathway", "RAS-MAPK")].percent == pytest.approx(by_name[("sub-protocol", "D")].percent)
    chart = tmp_path / "c.png"
    bar_chart(rows, chart, "test")
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_broken_studies(tmp_path: Path) -> None:
    with pytest.raises(ProfileFileError, match="not a study folder"):
        prescreen(tmp_path / "absent", load_protocol())
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ProfileFileError, match="no data_mutations"):
        prescreen(empty, load_protocol())
    (empty / "data_mutations.txt").write_text("Hugo_Symbol\tFoo\nKRAS\t1\n", encoding="utf-8")
    with pytest.raises(ProfileFileError, match="Tumor_Sample_Barcode"):
        prescreen(empty, load_protocol())


def test_unreadable_protein_change_is_reported_per_sample(tmp_path: Path) -> None:
    study = tmp_path / "s"
    study.mkdir()
    (study / "data_mutations.txt").write_text(
        "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\nKRAS\tT1\tMissense_Mutation\tp.Gxx\n",
        encoding="utf-8",
    )
    row = prescreen(study, load_protocol()).row(0, named=True)
    assert row["candidates"] == "" and "p.Gxx" in row["errors"]
