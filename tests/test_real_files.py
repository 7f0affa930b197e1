"""Readers and matcher on files public projects ship (tests/data/{maf,vcf,fusions}/README.md name the
source repository, path, commit and licence of each): the reader parses them, and the calls are right."""

from __future__ import annotations

from pathlib import Path

import pytest

from ismart.dossier import Fusion, Profiling, Variant
from ismart.errors import ProfileFileError
from ismart.molecular.profile import build_profile
from ismart.molecular.triage import triage
from ismart.profiles import read_arriba, read_maf, read_star_fusion, read_vcf
from ismart.protocol import load_protocol

DATA = Path(__file__).parent / "data"
LAML = DATA / "maf" / "tcga_laml_maftools_excerpt.maf"
GDC = DATA / "maf" / "vcf2maf_test_b38_output.maf"
PROTOCOL = load_protocol()


def _candidates(variants: list[Variant] = (), fusions: list[Fusion] = ()) -> dict[str, str]:  # type: ignore[assignment]
    profiling = Profiling(variants=list(variants), fusions=list(fusions), methods=["WES", "RNA-seq"])
    return {c.subprotocol: c.tier for c in triage(build_profile(profiling), PROTOCOL).candidates}


def _gene(variants: list[Variant], gene: str) -> Variant:
    (found,) = [v for v in variants if v.gene == gene]
    return found


# --- maftools' TCGA LAML (WashU / Oncotator dialect) ---------------------------------------------


def test_laml_excerpt_reads_every_sample_and_row() -> None:
    calls = read_maf(LAML)
    assert set(calls) == {
        *("TCGA-AB-2812", "TCGA-AB-2836", "TCGA-AB-2870", "TCGA-AB-2942", "TCGA-AB-2825"),
        *("TCGA-AB-2816", "TCGA-AB-2970", "TCGA-AB-2931", "TCGA-AB-2999", "TCGA-AB-3009"),
    }
    # silent rows are kept as synonymous (not dropped), splice rows without a change as splice
    assert _gene(calls["TCGA-AB-2999"], "SEPT14").hgvs_p == "p.T206="
    assert _gene(calls["TCGA-AB-2970"], "WT1").type == "splice"


@pytest.mark.parametrize(
    ("sample", "raw", "normalised"),
    [
        ("TCGA-AB-2812", "p.600_600D>DSSDNEYFYVDFREYEYD", "p.D600_601insSSDNEYFYVDFREYEYD"),  # Oncotator >
        ("TCGA-AB-2836", "p.595_596insEDNEYFYVDFR", "p.595_596insEDNEYFYVDFR"),  # no reference residues
        ("TCGA-AB-2970", "p.599_600YD>YPAPQIMSTSTLISENMNIAD", "p.Y599_D600insPAPQIMSTSTLISENMNIA"),
        ("TCGA-AB-2931", "p.611_612insFQGFYVDFREYEYDLKWEFPRENLE", "p.611_612insFQGFYVDFREYEYDLKWEFPRENLE"),
    ],
)
def test_laml_flt3_itds_in_their_real_notations_are_called_itd_for_d(
    sample: str, raw: str, normalised: str
) -> None:
    variants = read_maf(LAML)[sample]
    flt3 = _gene(variants, "FLT3")
    assert (flt3.protein_raw, flt3.hgvs_p) == (raw, normalised)
    result = triage(build_profile(Profiling(variants=variants, methods=["WES"])), PROTOCOL)
    (alt,) = [a for a in result.alterations if a.gene == "FLT3"]
    assert alt.name.startswith("FLT3 ITD") and "itd" in alt.classes and alt.raw == raw
    assert alt.supports[0].subprotocol == "D" and "internal tandem duplication" in alt.supports[0].rule


def test_laml_unreadable_itd_is_kept_raw_for_review_and_the_sample_keeps_its_other_rows() -> None:
    variants = read_maf(LAML)["TCGA-AB-2942"]  # p.599_600YD>YR*FQRI*ID: stops inside the insertion
    flt3 = _gene(variants, "FLT3")
    assert flt3.hgvs_p is None and flt3.protein_raw == "p.599_600YD>YR*FQRI*ID"
    assert _candidates(variants) == {"D": "possible"}


def test_laml_ras_hotspots_and_vaf_in_percent() -> None:
    calls = read_maf(LAML)
    nras = _gene(calls["TCGA-AB-2870"], "NRAS")
    assert (nras.hgvs_p, nras.vaf) == ("p.Q61K", pytest.approx(0.1821))  # i_TumorVAF_WU 18.21 (%)
    assert _candidates(calls["TCGA-AB-2870"]) == {"D": "rule-matched"}
    assert _candidates(calls["TCGA-AB-2816"]) == {"D": "rule-matched"}  # FLT3 D835Y and NRAS G13D


def test_laml_samples_without_a_target_have_no_candidate_and_nf1_truncation_is_for_the_board() -> None:
    calls = read_maf(LAML)
    assert _candidates(calls["TCGA-AB-2999"]) == {}  # ABL1 P918L without a fusion is not ABL-class
    assert _candidates(calls["TCGA-AB-3009"]) == {"D": "possible"}  # NF1 R1306*: the text names deletion


def test_laml_previous_hgnc_symbol_is_normalised() -> None:
    profile = build_profile(Profiling(variants=read_maf(LAML)["TCGA-AB-2999"]))
    genes = {a.gene for a in profile.alterations}
    assert "SEPTIN14" in genes and "SEPT14" not in genes  # HGNC renamed SEPT14 in 2020
    assert all(a.unknown_symbols == () for a in profile.alterations)


# --- vcf2maf's GDC-style output (HGVSp_Short, t_alt_count/t_depth) -----------------------------------


def test_gdc_maf_reads_hgvsp_short_and_counts() -> None:
    (sample,) = read_maf(GDC).items()
    name, variants = sample
    # 25 rows; the RUNX1 Splice_Region row has no protein change (near a splice site, not in it): not kept
    assert name == "TUMOR" and len(variants) == 24
    by_change = {v.hgvs_p: v for v in variants if v.hgvs_p}
    assert by_change["p.N139Qfs*5"].type == "frameshift"
    assert by_change["p.M1?"].gene == "ERG"
    assert by_change["p.S406="].type == "synonymous"
    assert by_change["p.L429R"].vaf == pytest.approx(0.38888888)
    splice = [v for v in variants if v.type == "splice"]
    assert splice and all(v.hgvs_p is None for v in splice)  # p.X168_splice is not a protein change
    assert _candidates(variants) == {}  # RUNX1, ERG, TMPRSS2, ...: nothing HEM-iSMART targets


# --- VEP (pVACtools test data) and SnpEff ------------------------------------------------------------


def test_vep_vcfs_with_other_csq_orders() -> None:
    (cecr2,) = read_vcf(DATA / "vcf" / "pvactools_input.vcf")
    assert (cecr2.gene, cecr2.hgvs_p, cecr2.protein_raw) == (
        "CECR2",
        "p.R535H",
        "ENSP00000262608.8:p.Arg535His",
    )
    assert cecr2.type == "missense" and cecr2.vaf == pytest.approx(1 / 14)
    (prickle4,) = read_vcf(DATA / "vcf" / "pvactools_input_inframe_insertion_aa_insertion.vcf")
    assert (prickle4.hgvs_p, prickle4.type) == ("p.L287dup", "inframe_insertion")


def test_vep_frameshift_without_hgvsp_keeps_its_consequence() -> None:
    (variant,) = read_vcf(DATA / "vcf" / "pvactools_input_frameshift_variant_feature_truncation.vcf")
    assert (variant.gene, variant.hgvs_p, variant.type, variant.exon) == ("TGFBRAP1", None, "frameshift", 4)


def test_snpeff_file_with_a_log_line_before_the_header_is_one_error_naming_line_1(tmp_path: Path) -> None:
    path = DATA / "vcf" / "snpeff_cancer.ann.vcf"
    with pytest.raises(ProfileFileError) as caught:
        read_vcf(path)
    assert str(caught.value) == (f"{path}:1: not a VCF file: the first line must be ##fileformat=VCFv4.x")
    # the same file as SnpEff meant it: the log line removed and the format line SnpEff did not write
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    fixed = tmp_path / "cancer.ann.vcf"
    fixed.write_text("\n".join(["##fileformat=VCFv4.1", *lines]) + "\n", encoding="utf-8")
    # the somatic genotype 2/1 carries both ALT alleles, C and G, each with its own annotation
    found = sorted((v.gene, v.hgvs_p, v.type, v.hgvs_c) for v in read_vcf(fixed, "Patient_01_Somatic"))
    assert found == [
        ("OR4F5", "p.M1?", "initiator_codon_variant", "c.1A>C"),
        ("OR4F5", "p.M1?", "start_lost", "c.1A>G"),
    ]


# --- Arriba and STAR-Fusion ------------------------------------------------------------------------


def test_arriba_test_run_bcr_abl1_is_in_frame_with_the_kinase_domain_and_matches_b() -> None:
    fusions = read_arriba(DATA / "fusions" / "arriba_test_fusions.tsv")
    assert fusions == [
        Fusion(
            five_prime="BCR",
            three_prime="ABL1",
            in_frame=True,
            retains_kinase_domain=True,
            supporting_reads=4 + 7 + 0,
        )
    ]
    assert _candidates(fusions=fusions) == {"B": "rule-matched"}  # ABL1 3′ fusion; BCR is not a named partner


def test_star_fusion_saved_set_merges_breakpoints_and_has_no_candidate() -> None:
    fusions = read_star_fusion(DATA / "fusions" / "star_fusion_saved.fusion_candidates.final.abridged.FFPM")
    pairs = [(f.five_prime, f.three_prime) for f in fusions]
    assert len(pairs) == len(set(pairs)) and ("VAPB", "IKZF3") in pairs and ("THRA", "AC090627.1") in pairs
    assert all(f.in_frame is None for f in fusions)  # the abridged table has no PROT_FUSION_TYPE
    assert _candidates(fusions=fusions) == {}
