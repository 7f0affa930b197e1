"""The laboratory file readers (ismart.profiles): good files, broken files, and format edge cases."""

from __future__ import annotations

import contextlib
import gzip
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ismart.dossier import CopyNumber, Fusion, Profiling, Variant
from ismart.errors import ProfileFileError
from ismart.molecular.profile import build_profile
from ismart.profiles import (
    read_arriba,
    read_cna,
    read_ic50,
    read_maf,
    read_seg,
    read_star_fusion,
    read_vcf,
)
from ismart.profiles.cnv import gene_spans
from ismart.profiles.fusions import locus_name

DATA = Path(__file__).parent / "data" / "profiles"
STAR = DATA / "star_fusion.fusion_predictions.abridged.coding_effect.tsv"


def _by_gene(variants: list[Variant]) -> dict[str, list[Variant]]:
    found: dict[str, list[Variant]] = {}
    for variant in variants:
        found.setdefault(variant.gene, []).append(variant)
    return found


def _error(reader: object, path: Path, *args: object) -> ProfileFileError:
    with pytest.raises(ProfileFileError) as caught:
        reader(path, *args)  # type: ignore[operator]
    return caught.value


# --- VCF: VEP ----------------------------------------------------------------------------------


def test_vep_vcf_reads_the_canonical_transcript_and_normalises_hgvs() -> None:
    genes = _by_gene(read_vcf(DATA / "vep.vcf"))
    (kras,) = genes["KRAS"]
    assert kras == Variant(
        gene="KRAS",
        hgvs_p="p.G12D",
        hgvs_c="c.35G>A",
        type="missense",
        exon=2,
        vaf=35 / 75,
        protein_raw="ENSP00000308495.3:p.Gly12Asp",
    )


def test_vep_vcf_flt3_itd_only_when_the_caller_flags_it() -> None:
    flt3 = _by_gene(read_vcf(DATA / "vep.vcf"))["FLT3"]
    flagged, unflagged = flt3
    assert (flagged.type, flagged.exon, flagged.vaf) == ("ITD", 14, 0.22)
    assert flagged.hgvs_p == "p.D600_L601insFREYEYDLKW"
    assert unflagged.type == "inframe_insertion"


def test_vep_vcf_keeps_synonymous_with_decoded_equals_sign() -> None:
    (ptpn11,) = _by_gene(read_vcf(DATA / "vep.vcf"))["PTPN11"]
    assert (ptpn11.hgvs_p, ptpn11.type) == ("p.G60=", "synonymous")


def test_vep_vcf_skips_filtered_and_non_coding_records() -> None:
    genes = _by_gene(read_vcf(DATA / "vep.vcf"))
    assert "NRAS" not in genes  # FILTER weak_evidence
    assert len(genes["KRAS"]) == 1  # the intronic KRAS record has no protein change


def test_vep_vcf_matches_annotations_to_each_alternate_allele() -> None:
    cbl = _by_gene(read_vcf(DATA / "vep.vcf"))["CBL"]
    assert [(v.hgvs_p, v.vaf) for v in cbl] == [("p.C404Y", 20 / 35), ("p.C404F", 10 / 35)]


def test_engine_reads_the_vcf_itd_as_an_itd() -> None:
    profile = build_profile(Profiling(variants=read_vcf(DATA / "vep.vcf")))
    itds = [a for a in profile.alterations if a.classes and "itd" in a.classes]
    # the caller-flagged ITD, and the unflagged in-frame insertion in the juxtamembrane domain
    assert [a.gene for a in itds] == ["FLT3", "FLT3"]
    assert [a.detail for a in itds] == ["ITD p.D600_L601insFREYEYDLKW", "ITD p.S591_E592insVE"]


def _vep_with(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    path = tmp_path / "edited.vcf"
    text = (DATA / "vep.vcf").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path


def test_vep_pick_flag_wins_over_canonical(tmp_path: Path) -> None:
    # Flag the non-canonical KRAS transcript as VEP's pick: its annotation (exon 2/6) is the one read.
    old = "ENSP00000256078.5:p.Gly12Asp|12|G/D||"
    path = _vep_with(tmp_path, (old, "ENSP00000256078.5:p.Gly12Cys|12|G/C||1"))
    (kras,) = _by_gene(read_vcf(path))["KRAS"]
    assert kras.hgvs_p == "p.G12C"


def test_vep_first_transcript_when_nothing_is_flagged(tmp_path: Path) -> None:
    path = _vep_with(
        tmp_path,
        ("p.Gly12Asp|12|G/D|YES|", "p.Gly12Asp|12|G/D||"),  # the canonical flag removed
        ("ENSP00000256078.5:p.Gly12Asp", "ENSP00000256078.5:p.Gly12Val"),  # the first transcript listed
    )
    (kras,) = _by_gene(read_vcf(path))["KRAS"]
    assert kras.hgvs_p == "p.G12V"


def test_vcf_gzip_is_read(tmp_path: Path) -> None:
    path = tmp_path / "vep.vcf.gz"
    path.write_bytes(gzip.compress((DATA / "vep.vcf").read_bytes()))
    assert read_vcf(path) == read_vcf(DATA / "vep.vcf")


def test_unannotated_vcf_is_refused_with_how_to_annotate() -> None:
    error = _error(read_vcf, DATA / "unannotated.vcf")
    assert error.line == 7 and "annotate with Ensembl VEP" in str(error) and "SnpEff" in str(error)


def test_vep_without_hgvsp_field_is_refused(tmp_path: Path) -> None:
    path = _vep_with(tmp_path, ("|HGVSc|HGVSp|", "|HGVSc|HGVSp_missing|"))
    assert "HGVSp" in str(_error(read_vcf, path)) and "--hgvs" in str(_error(read_vcf, path))


def test_vcf_with_an_unreadable_hgvsp_keeps_the_record_raw_for_review() -> None:
    variants = read_vcf(DATA / "broken_vep_hgvsp.vcf")
    (kras,) = [v for v in variants if v.gene == "KRAS"]
    assert (kras.hgvs_p, kras.protein_raw) == (None, "ENSP00000308495.3:p.Gly12Xyz")
    assert len({v.gene for v in variants}) > 1  # the other records are read
    profile = build_profile(Profiling(variants=variants))
    (unread,) = [a for a in profile.alterations if a.unreadable]
    assert "Gly12Xyz" in unread.unreadable


def test_vcf_malformed_header_line_is_named(tmp_path: Path) -> None:
    line = '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">'
    path = _vep_with(tmp_path, (line, line[:-2]))  # the closing quote and bracket lost
    error = _error(read_vcf, path)
    assert error.line == 12 and "invalid VCF header" in str(error)


def test_vcf_record_with_missing_columns_names_the_line() -> None:
    error = _error(read_vcf, DATA / "broken_vep_columns.vcf")
    assert error.line == 21 and "invalid VCF record" in str(error)


def test_csq_entry_shorter_than_its_format_names_the_line(tmp_path: Path) -> None:
    path = _vep_with(tmp_path, ("CSQ=TTCGAG|inframe_insertion|MODERATE|", "CSQ=TTCGAG|inframe_insertion,X|"))
    assert _error(read_vcf, path).line == 22


def test_text_that_is_not_a_vcf(tmp_path: Path) -> None:
    path = tmp_path / "x.vcf"
    path.write_text("#CHROM\tPOS\n", encoding="utf-8")
    assert _error(read_vcf, path).line == 1
    path.write_text("##fileformat=VCFv4.2\nchr1\t1\n", encoding="utf-8")
    assert _error(read_vcf, path).line == 2
    path.write_text("##fileformat=VCFv4.2\n", encoding="utf-8")
    assert _error(read_vcf, path).line is None


def test_missing_file_is_a_profile_file_error(tmp_path: Path) -> None:
    error = _error(read_vcf, tmp_path / "absent.vcf")
    assert error.line is None and "cannot open" in str(error)


# --- VCF: SnpEff -------------------------------------------------------------------------------


def test_snpeff_vcf_needs_a_sample_when_there_are_several() -> None:
    error = _error(read_vcf, DATA / "snpeff.vcf")
    assert "NORMAL, TUMOR" in str(error) and error.line == 13
    assert "no sample 'RELAPSE'" in str(_error(read_vcf, DATA / "snpeff.vcf", "RELAPSE"))


def test_snpeff_vcf_tumour_sample() -> None:
    genes = _by_gene(read_vcf(DATA / "snpeff.vcf", "TUMOR"))
    assert set(genes) == {"KRAS", "JAK2", "SH2B3", "JAK1"}  # NRAS is filtered (LowEVS), INSL6 upstream
    assert genes["JAK2"][0] == Variant(
        gene="JAK2",
        hgvs_p="p.V617F",
        hgvs_c="c.1849G>T",
        type="missense",
        exon=14,
        vaf=0.3,
        protein_raw="p.Val617Phe",
    )
    assert genes["SH2B3"][0].type == "frameshift" and genes["SH2B3"][0].hgvs_p == "p.E208fs"


def test_snpeff_rank_of_an_intronic_splice_variant_is_not_an_exon() -> None:
    (jak1,) = _by_gene(read_vcf(DATA / "snpeff.vcf", "TUMOR"))["JAK1"]
    assert (jak1.type, jak1.exon, jak1.hgvs_p) == ("splice", None, None)


def test_snpeff_normal_sample_carries_nothing() -> None:
    assert read_vcf(DATA / "snpeff.vcf", "NORMAL") == []


# --- MAF ---------------------------------------------------------------------------------------


def test_maf_groups_by_sample_and_skips_comments() -> None:
    by_sample = read_maf(DATA / "mutations.maf")
    assert list(by_sample) == ["PAT1-REL", "PAT2-REL", "PAT3-REL"]
    assert [v.gene for v in by_sample["PAT1-REL"]] == ["KRAS", "NRAS"]  # the intronic KRAS row is dropped
    assert by_sample["PAT1-REL"][0] == Variant(
        gene="KRAS",
        hgvs_p="p.G12D",
        hgvs_c="c.35G>A",
        type="missense",
        exon=2,
        vaf=0.4,
        protein_raw="p.G12D",
    )


def test_maf_keeps_synonymous_and_drops_utr() -> None:
    assert read_maf(DATA / "mutations.maf")["PAT3-REL"] == [
        Variant(
            gene="PTPN11",
            hgvs_p="p.G60=",
            hgvs_c="c.180C>T",
            type="synonymous",
            exon=3,
            vaf=0.5,
            protein_raw="p.G60=",
        )
    ]


def test_maf_splice_notation_is_a_splice_type_not_a_protein_change() -> None:
    jak2 = next(v for v in read_maf(DATA / "mutations.maf")["PAT2-REL"] if v.gene == "JAK2")
    assert (jak2.hgvs_p, jak2.type, jak2.vaf) == (None, "splice", 30 / 90)


def test_maf_in_frame_insertion_is_not_assumed_to_be_an_itd() -> None:
    flt3 = next(v for v in read_maf(DATA / "mutations.maf")["PAT2-REL"] if v.gene == "FLT3")
    assert flt3.type == "inframe_insertion"


def test_maf_unreadable_protein_change_is_kept_raw_and_hides_nothing() -> None:
    by_sample = read_maf(DATA / "broken_maf_hgvsp.maf")
    genes = [v.gene for v in by_sample["PAT2-REL"]]
    assert genes == ["FLT3", "JAK2", "SH2B3"]  # the sample's other rows are all there
    sh2b3 = by_sample["PAT2-REL"][2]
    assert (sh2b3.hgvs_p, sh2b3.protein_raw) == (None, "p.E208Rfs*14?!")
    profile = build_profile(Profiling(variants=by_sample["PAT2-REL"]))
    (unread,) = [a for a in profile.alterations if a.unreadable]
    assert unread.gene == "SH2B3" and "not readable" in unread.detail


def test_maf_without_sample_column_names_the_header_line() -> None:
    error = _error(read_maf, DATA / "broken_maf_header.maf")
    assert error.line == 3 and "Tumor_Sample_Barcode" in str(error)


def test_maf_row_with_too_few_columns(tmp_path: Path) -> None:
    path = tmp_path / "short.maf"
    path.write_text("Hugo_Symbol\tTumor_Sample_Barcode\tHGVSp_Short\nKRAS\tS1\n", encoding="utf-8")
    assert _error(read_maf, path).line == 2


def test_maf_empty_and_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "x.maf"
    path.write_text("#version 2.4\n", encoding="utf-8")
    assert "no header line" in str(_error(read_maf, path))
    path.write_bytes(b"Hugo_Symbol\tTumor_Sample_Barcode\nKRAS\tS\xff1\n")
    error = _error(read_maf, path)
    assert (error.line, "UTF-8" in str(error)) == (2, True)


def test_maf_depth_columns(tmp_path: Path) -> None:
    path = tmp_path / "depth.maf"
    rows = [
        "Hugo_Symbol\tTumor_Sample_Barcode\tHGVSp_Short\tt_alt_count\tt_depth",
        "NRAS\tS1\tp.G12D\t15\t60",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert read_maf(path)["S1"][0].vaf == 0.25
    path.write_text("\n".join([rows[0], "NRAS\tS1\tp.G12D\tmany\t60"]) + "\n", encoding="utf-8")
    assert "t_alt_count" in str(_error(read_maf, path))


# --- HGVS equivalence across files ----------------------------------------------------------------


def test_hgvs_from_vep_snpeff_and_maf_normalise_the_same() -> None:
    vep = _by_gene(read_vcf(DATA / "vep.vcf"))["KRAS"][0]  # ENSP...:p.Gly12Asp
    snpeff = _by_gene(read_vcf(DATA / "snpeff.vcf", "TUMOR"))["KRAS"][0]  # p.Gly12Asp
    maf = read_maf(DATA / "mutations.maf")["PAT1-REL"][0]  # p.G12D
    assert vep.hgvs_p == snpeff.hgvs_p == maf.hgvs_p == "p.G12D"
    flt3_vcf = _by_gene(read_vcf(DATA / "vep.vcf"))["FLT3"][0]
    flt3_maf = next(v for v in read_maf(DATA / "mutations.maf")["PAT2-REL"] if v.gene == "FLT3")
    assert flt3_vcf.hgvs_p == flt3_maf.hgvs_p


# --- fusions -----------------------------------------------------------------------------------


def test_arriba_partners_frames_and_loci() -> None:
    assert read_arriba(DATA / "arriba_fusions.tsv") == [
        Fusion(five_prime="P2RY8", three_prime="CRLF2", in_frame=None, supporting_reads=100),
        # in frame on one of two rows; that row keeps ABL1's Protein_kinase_domain(100%)
        Fusion(
            five_prime="NUP214",
            three_prime="ABL1",
            in_frame=True,
            retains_kinase_domain=True,
            supporting_reads=150,
        ),  # supporting_reads: split_reads1 + split_reads2 + discordant_mates of the best row
        Fusion(five_prime="SSBP2", three_prime="JAK2", in_frame=False, supporting_reads=28),
        # IGHM; closest intergenic gene
        Fusion(five_prime="IGH", three_prime="CRLF2", in_frame=None, supporting_reads=31),
        # transcribed strand unknown
        Fusion(five_prime="ETV6", three_prime="NTRK3", in_frame=None, supporting_reads=3),
    ]


def test_star_fusion_partners_and_coding_effect() -> None:
    assert read_star_fusion(STAR) == [
        Fusion(five_prime="P2RY8", three_prime="CRLF2", in_frame=None, supporting_reads=59),
        Fusion(five_prime="NUP214", three_prime="ABL1", in_frame=True, supporting_reads=82),
        Fusion(five_prime="SSBP2", three_prime="JAK2", in_frame=False, supporting_reads=17),
        Fusion(five_prime="IGH", three_prime="CRLF2", in_frame=None, supporting_reads=22),
    ]  # supporting_reads: JunctionReadCount + SpanningFragCount


def test_out_of_frame_fusion_does_not_count_as_keeping_the_kinase() -> None:
    profile = build_profile(Profiling(fusions=read_star_fusion(STAR)))
    jak2 = next(a for a in profile.alterations if a.gene == "JAK2")
    assert (jak2.side, jak2.in_frame, jak2.retains_kinase_domain) == ("three_prime", False, None)


def test_star_fusion_without_coding_effect_columns(tmp_path: Path) -> None:
    path = tmp_path / "star-fusion.fusion_predictions.abridged.tsv"
    lines = [line.split("\t")[:17] for line in STAR.read_text(encoding="utf-8").splitlines()]
    path.write_text("\n".join("\t".join(cells) for cells in lines) + "\n", encoding="utf-8")
    assert {f.in_frame for f in read_star_fusion(path)} == {None}


def test_arriba_head_to_head_and_stop_codon(tmp_path: Path) -> None:
    header = "#gene1\tgene2\tstrand1(gene/fusion)\tstrand2(gene/fusion)\ttype\treading_frame"
    rows = [
        "BCR\tABL1\t+/+\t+/+\ttranslocation/5'-5'\t.",
        "EBF1\tPDGFRB\t-/-\t-/-\ttranslocation\tstop-codon",
    ]
    path = tmp_path / "fusions.tsv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    assert [f.in_frame for f in read_arriba(path)] == [False, False]


def test_arriba_without_gene_at_a_breakpoint_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "fusions.tsv"
    path.write_text("#gene1\tgene2\treading_frame\n.\tABL1\t.\nRCSD1\tABL1\tin-frame\n", encoding="utf-8")
    assert read_arriba(path) == [Fusion(five_prime="RCSD1", three_prime="ABL1", in_frame=True)]


def test_broken_fusion_files_name_the_line() -> None:
    arriba = _error(read_arriba, DATA / "broken_arriba_frame.tsv")
    assert arriba.line == 4 and "frame-unknown" in str(arriba)
    star = _error(read_star_fusion, DATA / "broken_star_fusion_name.tsv")
    assert star.line == 4 and "GENE1--GENE2" in str(star)


def test_fusion_table_of_the_other_caller_is_refused() -> None:
    assert _error(read_arriba, STAR).line == 1
    assert _error(read_star_fusion, DATA / "arriba_fusions.tsv").line == 1


def test_arriba_bad_gene_list(tmp_path: Path) -> None:
    path = tmp_path / "fusions.tsv"
    path.write_text("#gene1\tgene2\nIGHM\tCRLF2(12,CSF2RA(4)\n", encoding="utf-8")
    assert _error(read_arriba, path).line == 2


@pytest.mark.parametrize(
    ("symbol", "locus"),
    [
        ("IGH@", "IGH"),
        ("IGH@-ext", "IGH"),
        ("IGH", "IGH"),
        ("IGHJ6", "IGH"),
        ("IGHV3-23", "IGH"),
        ("IGHM", "IGH"),
        ("IGHG1", "IGH"),
        ("IGKC", "IGK"),
        ("IGLV3-21", "IGL"),
        ("TRBC1", "TRB"),
        ("TRAJ61", "TRA"),
        ("IGHMBP2", "IGHMBP2"),
        ("IGLL1", "IGLL1"),
        ("TRAF3", "TRAF3"),
        ("TRDN", "TRDN"),
        ("CRLF2", "CRLF2"),
    ],
)
def test_locus_names(symbol: str, locus: str) -> None:
    assert locus_name(symbol) == locus


# --- copy number: discrete --------------------------------------------------------------------


def test_cna_heterozygous_versus_homozygous_deletion() -> None:
    calls = read_cna(DATA / "data_cna.txt")
    assert list(calls) == ["PAT1-REL", "PAT2-REL", "PAT3-REL"]
    pat1 = {c.gene: c.call for c in calls["PAT1-REL"]}
    assert pat1 == {
        "SH2B3": "homozygous_deletion",
        "NF1": "heterozygous_deletion",
        "ABL1": "amplification",
        "CDKN2A": "homozygous_deletion",
        "IKZF1": "heterozygous_deletion",
    }
    assert CopyNumber(gene="SH2B3", call="heterozygous_deletion") in calls["PAT2-REL"]


def test_cna_gain_na_and_minus_one_and_a_half() -> None:
    pat3 = read_cna(DATA / "data_cna.txt")["PAT3-REL"]
    assert pat3 == [CopyNumber(gene="ABL1", call="gain"), CopyNumber(gene="CDKN2A", call="deletion")]


def test_cna_broken_value_names_line_and_sample() -> None:
    error = _error(read_cna, DATA / "broken_cna_value.txt")
    assert error.line == 5 and "PAT3-REL" in str(error) and "'3'" in str(error)


def test_cna_gistic_headers_and_missing_gene(tmp_path: Path) -> None:
    path = tmp_path / "all_thresholded.by_genes.txt"
    path.write_text("Gene Symbol\tLocus ID\tCytoband\tS1\nPTPN2\t5771\t18p11.21\t-1\n", encoding="utf-8")
    assert read_cna(path) == {"S1": [CopyNumber(gene="PTPN2", call="heterozygous_deletion")]}
    path.write_text("Hugo_Symbol\tEntrez_Gene_Id\tS1\n\t5771\t-1\n", encoding="utf-8")
    assert _error(read_cna, path).line == 2
    path.write_text("Hugo_Symbol\tEntrez_Gene_Id\n", encoding="utf-8")
    assert "no sample columns" in str(_error(read_cna, path))


# --- copy number: segments ---------------------------------------------------------------------


def test_seg_calls_genes_from_overlapping_segments() -> None:
    calls = read_seg(DATA / "segments_grch38.seg")
    assert {(c.gene, c.call) for c in calls["PAT1-REL"]} == {
        ("SH2B3", "homozygous_deletion"),
        ("ABL1", "amplification"),
        ("NF1", "deletion"),
        ("JAK1", "gain"),
    }
    assert calls["PAT2-REL"] == []


def test_seg_restricted_to_chosen_genes() -> None:
    calls = read_seg(DATA / "segments_grch38.seg", ["sh2b3", "KRAS"])
    assert calls["PAT1-REL"] == [CopyNumber(gene="SH2B3", call="homozygous_deletion")]
    with pytest.raises(ValueError, match="NOTAGENE"):
        read_seg(DATA / "segments_grch38.seg", ["NOTAGENE"])


def _one_segment(tmp_path: Path, mean: str, chrom: str = "chr12") -> Path:
    span = gene_spans()["SH2B3"]
    path = tmp_path / "one.seg"
    rows = [
        "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean",
        f"S1\t{chrom}\t{span.end}\t{span.end + 10}\t3\t{mean}",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mean", "expected"),
    [
        ("-1.3", ["homozygous_deletion"]),
        ("-1.2999", ["deletion"]),
        ("-0.4", ["deletion"]),
        ("-0.3999", []),
        ("0.2999", []),
        ("0.3", ["gain"]),
        ("0.8999", ["gain"]),
        ("0.9", ["amplification"]),
        ("NA", []),
    ],
)
def test_seg_thresholds_at_their_edges(tmp_path: Path, mean: str, expected: list[str]) -> None:
    assert [c.call for c in read_seg(_one_segment(tmp_path, mean))["S1"]] == expected


def test_seg_thresholds_are_parameters(tmp_path: Path) -> None:
    path = _one_segment(tmp_path, "-0.3")
    assert [c.call for c in read_seg(path, del_log2=-0.25)["S1"]] == ["deletion"]
    with pytest.raises(ValueError, match="homdel_log2 < del_log2"):
        read_seg(path, del_log2=-1.5)


def test_seg_segment_ending_before_the_gene_is_not_called(tmp_path: Path) -> None:
    span = gene_spans()["SH2B3"]
    path = tmp_path / "before.seg"
    rows = ["ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean", f"S1\t12\t1\t{span.start - 1}\t9\t-2.0"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert read_seg(path, ["SH2B3"]) == {"S1": []}


def test_seg_broken_files_name_the_line(tmp_path: Path) -> None:
    assert _error(read_seg, DATA / "broken_seg_end.seg").line == 9
    assert "seg.mean" in str(_error(read_seg, _one_segment(tmp_path, "deep")))
    path = tmp_path / "cols.seg"
    path.write_text("ID\tchrom\tloc.start\tloc.end\n", encoding="utf-8")
    assert "seg.mean" in str(_error(read_seg, path))


def test_gene_table_covers_every_rule_gene() -> None:
    rule_genes = {
        "ABL1", "PDGFRB", "CRLF2", "P2RY8", "EPOR", "JAK1", "JAK2", "JAK3", "IL7R", "SH2B3", "USP9X",
        "STAT5B", "DNM2", "PTPN2", "KRAS", "NRAS", "HRAS", "FLT3", "PTPN11", "MAP2K1", "CBL", "NF1", "BCL2",
        "IKZF1", "CDKN2A", "PAX5", "PTEN",
    }  # fmt: skip
    spans = gene_spans()
    assert rule_genes <= set(spans)
    assert all(1 <= s.start < s.end and s.end - s.start < 2_000_000 for s in spans.values())


# --- drug response -----------------------------------------------------------------------------


def test_ic50_tsv() -> None:
    responses = read_ic50(DATA / "ic50.tsv")
    assert [(r.drug, r.ic50_nM, r.central_lab) for r in responses] == [
        ("venetoclax", 12.5, True),
        ("dasatinib", 3.1, True),
        ("ruxolitinib", None, False),
        ("trametinib", 0.8, None),
    ]


def test_ic50_csv_with_unit_column() -> None:
    responses = read_ic50(DATA / "ic50_units.csv")
    assert [(r.drug, r.ic50_nM) for r in responses] == [
        ("navitoclax", 1200.0),
        ("bortezomib, 2nd batch", 4.5),
        ("dexamethasone", None),
    ]


def test_ic50_broken_files(tmp_path: Path) -> None:
    assert _error(read_ic50, DATA / "broken_ic50_unit.csv").line == 2
    path = tmp_path / "ic50.tsv"
    path.write_text("drug\tic50_nM\tcentral_lab\nvenetoclax\t-5\tyes\n", encoding="utf-8")
    assert "ic50_nM" in str(_error(read_ic50, path))
    path.write_text("drug\tic50_nM\tcentral_lab\nvenetoclax\t5\tmaybe\n", encoding="utf-8")
    assert "central_lab" in str(_error(read_ic50, path))
    path.write_text("drug\tcentral_lab\nvenetoclax\tyes\n", encoding="utf-8")
    assert _error(read_ic50, path).line == 1


# --- never anything but ProfileFileError ---------------------------------------------------------

_SAMPLED = "|NA|-2|-1|0|1|2|-1.5|3|nan|1e400|p.G12D|p.Gly12Asp|p.X12_splice|p.(=)|14/24|0/3|-4|12|KRAS|Silent"
_CELLS = st.one_of(st.sampled_from(_SAMPLED.split("|")), st.text(max_size=12))
_MAF_COLUMNS = ["Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "HGVSp_Short", "HGVSp",
                "HGVSc", "Exon_Number", "t_alt_count", "t_ref_count", "t_depth"]  # fmt: skip


def _table(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join("\t".join(cells) for cells in [header, *rows])


def _rows(draw: st.DrawFn, width: int) -> list[list[str]]:
    """Rows mostly as wide as the header, sometimes one cell short or long."""
    widths = st.sampled_from([width, width, width, max(width - 1, 0), width + 1])
    return [draw(st.lists(_CELLS, min_size=w, max_size=w)) for w in draw(st.lists(widths, max_size=5))]


@st.composite
def _maf_text(draw: st.DrawFn) -> str:
    header = list(draw(st.permutations(_MAF_COLUMNS))[: draw(st.integers(1, len(_MAF_COLUMNS)))])
    comment = draw(st.sampled_from(["", "#version 2.4\n"]))
    return comment + _table(header, _rows(draw, len(header)))


@st.composite
def _cna_text(draw: st.DrawFn) -> str:
    samples = draw(st.lists(st.text(min_size=0, max_size=6), max_size=4))
    header = ["Hugo_Symbol", "Entrez_Gene_Id", *samples]
    return _table(header, _rows(draw, len(header)))


def _only_profile_errors(reader: object, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.txt"
        path.write_bytes(content)
        with contextlib.suppress(ProfileFileError):
            reader(path)  # type: ignore[operator]


_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode), _maf_text().map(str.encode)))
def test_read_maf_raises_only_profile_file_errors(content: bytes) -> None:
    _only_profile_errors(read_maf, content)


@_SETTINGS
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode), _cna_text().map(str.encode)))
def test_read_cna_raises_only_profile_file_errors(content: bytes) -> None:
    _only_profile_errors(read_cna, content)
