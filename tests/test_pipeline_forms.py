"""Protein changes, MAF dialects and variant effects as real pipelines write them (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ismart.dossier import Fusion, Profiling, Variant
from ismart.errors import ProfileFileError
from ismart.molecular.profile import build_profile
from ismart.molecular.protein import ChangeKind, HgvsError, parse_protein_change
from ismart.molecular.triage import triage
from ismart.prescreen.study import prescreen
from ismart.profiles import read_maf
from ismart.protocol import load_protocol

PROTOCOL = load_protocol()


@pytest.mark.parametrize(
    ("text", "normalized", "kind"),
    [
        # short forms without the reference residues (GDC/cBioPortal HGVSp_Short of older pipelines)
        ("p.595_596insEDNEYFYVDFR", "p.595_596insEDNEYFYVDFR", ChangeKind.INFRAME_INSERTION),
        ("p.102_103del", "p.102_103del", ChangeKind.INFRAME_DELETION),
        ("p.57fs*5", "p.57fs*5", ChangeKind.FRAMESHIFT),
        # Oncotator / older TCGA '>' forms, read into the HGVS edit they mean
        ("p.600_600D>DSSDNEY", "p.D600_601insSSDNEY", ChangeKind.INFRAME_INSERTION),
        ("p.599_600YD>Y", "p.D600del", ChangeKind.INFRAME_DELETION),
        ("p.V600_K601>E", "p.V600_K601delinsE", ChangeKind.DELINS),
        ("p.12_13GG>GD", "p.G13D", ChangeKind.MISSENSE),
        # duplications as VEP writes FLT3-ITDs, predicted forms, stops, whole-protein forms
        ("p.Tyr591_Glu598dup", "p.Y591_E598dup", ChangeKind.DUPLICATION),
        ("p.(Gly12Asp)", "p.G12D", ChangeKind.MISSENSE),
        ("p.L45fsX12", "p.L45fs*12", ChangeKind.FRAMESHIFT),
        ("p.Lys57GlufsTer5", "p.K57Efs*5", ChangeKind.FRAMESHIFT),
        ("p.R123X", "p.R123*", ChangeKind.NONSENSE),
        ("p.Arg123Ter", "p.R123*", ChangeKind.NONSENSE),
        ("p.?", "p.?", ChangeKind.UNKNOWN),
        ("p.0", "p.0", ChangeKind.START_LOSS),
        ("p.=", "p.=", ChangeKind.SYNONYMOUS),
        ("p.(=)", "p.=", ChangeKind.SYNONYMOUS),
    ],
)
def test_pipeline_forms_parse_and_round_trip(text: str, normalized: str, kind: ChangeKind) -> None:
    change = parse_protein_change(text)
    assert (change.normalized(), change.kind) == (normalized, kind)
    assert parse_protein_change(change.normalized()) == change


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("p.12D", "reference residue"),  # a substitution without its reference residue is ambiguous
        ("p.600_600DD>D", "2 reference residues for a range of 1"),
        ("p.600_600>D", "needs the reference residues"),
    ],
)
def test_unreadable_pipeline_forms_say_why(text: str, why: str) -> None:
    with pytest.raises(HgvsError, match=why):
        parse_protein_change(text)


# --- MAF dialects --------------------------------------------------------------------------------


def _maf(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "column", ["HGVSp_Short", "HGVSp", "Protein_Change", "Amino_Acid_Change", "aaChange"]
)
def test_maf_protein_change_in_any_dialect_column(tmp_path: Path, column: str) -> None:
    path = _maf(
        tmp_path / "d.maf",
        ["Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", column],
        [["KRAS", "S1", "Missense_Mutation", "p.Gly12Asp"]],
    )
    (kras,) = read_maf(path)["S1"]
    assert (kras.hgvs_p, kras.protein_raw) == ("p.G12D", "p.Gly12Asp")


def test_maf_intronic_utr_and_rna_rows_are_not_protein_changes(tmp_path: Path) -> None:
    header = ["Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "Protein_Change"]
    rows = [
        ["KRAS", "S1", "Intron", "p.G12D"],
        ["KRAS", "S1", "3'UTR", "p.G12D"],
        ["KRAS", "S1", "RNA", "p.G12D"],
        ["NRAS", "S1", "Missense_Mutation", "p.Q61K"],
    ]
    assert [v.gene for v in read_maf(_maf(tmp_path / "d.maf", header, rows))["S1"]] == ["NRAS"]


def test_maf_vaf_in_its_column_unit(tmp_path: Path) -> None:
    header = ["Hugo_Symbol", "Tumor_Sample_Barcode", "Protein_Change", "tumor_f", "tumor_var_freq"]
    rows = [
        ["KRAS", "S1", "p.G12D", "0.25", ""],  # Oncotator: a fraction
        ["NRAS", "S2", "p.Q61K", "", "40.5"],  # WashU: a percentage
        ["HRAS", "S3", "p.G12V", "", "12%"],
    ]
    found = read_maf(_maf(tmp_path / "d.maf", header, rows))
    assert [found[s][0].vaf for s in ("S1", "S2", "S3")] == [0.25, 0.405, 0.12]


def test_maf_fraction_column_above_one_names_the_line(tmp_path: Path) -> None:
    header = ["Hugo_Symbol", "Tumor_Sample_Barcode", "Protein_Change", "tumor_f"]
    path = _maf(tmp_path / "d.maf", header, [["KRAS", "S1", "p.G12D", "0.2"], ["KRAS", "S2", "p.G12D", "25"]])
    with pytest.raises(ProfileFileError) as caught:
        read_maf(path)
    assert caught.value.line == 3 and "tumor_f 25 is not between 0 and 1" in str(caught.value)


# --- variant effect --------------------------------------------------------------------------------


def _calls(*variants: Variant) -> dict[str, tuple[str, str]]:
    result = triage(build_profile(Profiling(variants=list(variants))), PROTOCOL)
    return {a.name: (a.tier, ",".join(s.subprotocol for s in a.supports)) for a in result.alterations}


@pytest.mark.parametrize(
    "hgvs_p",
    ["p.Tyr591_Glu598dup", "p.595_596insEDNEYFYVDFR", "p.600_600D>DSSDNEY", "p.E598_Y599delinsDYVDFREYE"],
)
def test_flt3_itd_in_every_notation_is_called_itd_and_counts_for_d(hgvs_p: str) -> None:
    profile = build_profile(Profiling(variants=[Variant(gene="FLT3", protein_raw=hgvs_p)]))
    (alt,) = profile.alterations
    assert alt.classes is not None and "itd" in alt.classes and alt.detail.startswith("ITD ")
    (call,) = _calls(Variant(gene="FLT3", protein_raw=hgvs_p)).values()
    assert call == ("protocol-named", "D")


def test_flt3_in_frame_change_outside_the_itd_region_is_not_an_itd() -> None:
    profile = build_profile(Profiling(variants=[Variant(gene="FLT3", hgvs_p="p.D835_I836insA")]))
    assert "itd" not in (profile.alterations[0].classes or ())


@pytest.mark.parametrize(
    ("gene", "hgvs_p"), [("KRAS", "p.Q22*"), ("FLT3", "p.E598fs*3"), ("PTPN11", "p.R138*")]
)
def test_truncating_change_of_a_gain_of_function_gene_is_not_a_match(gene: str, hgvs_p: str) -> None:
    (call,) = _calls(Variant(gene=gene, hgvs_p=hgvs_p)).values()
    assert call == ("not actionable", "")


def test_truncating_nf1_still_goes_to_the_board() -> None:
    (call,) = _calls(Variant(gene="NF1", hgvs_p="p.R1362*")).values()
    assert call == ("possible", "D")


def test_unreadable_lab_change_is_review_with_the_raw_text_and_hides_nothing() -> None:
    calls = _calls(
        Variant(gene="KRAS", protein_raw="p.G12Dxyz?"), Variant(gene="NRAS", protein_raw="p.Gln61Lys")
    )
    assert calls["NRAS p.Q61K"] == ("rule-matched", "D")
    assert calls["KRAS protein change 'p.G12Dxyz?' not readable"] == ("possible", "D")


# --- pre-screening: one bad row never changes another sample ---------------------------------------

_HEADER = ["Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "HGVSp_Short"]
_ROWS = [
    ["KRAS", "S1", "Missense_Mutation", "p.G12D"],
    ["TP53", "S1", "Missense_Mutation", "p.R175H"],
    ["FLT3", "S2", "In_Frame_Ins", "p.595_596insEDNEYFYVDFR"],
    ["NRAS", "S3", "Missense_Mutation", "p.Q61K"],
    ["KRAS", "S3", "Missense_Mutation", "p.Gxx"],
    ["JAK2", "S4", "Missense_Mutation", "p.V617F"],
    ["BRAF", "S5", "Missense_Mutation", "p.V600E"],
    ["KRAS", "S6", "Nonsense_Mutation", "p.Q22*"],
]


def _study(root: Path, rows: list[list[str]]) -> dict[str, tuple[str, str]]:
    root.mkdir()
    _maf(root / "data_mutations.txt", _HEADER, rows)
    frame = prescreen(root, PROTOCOL)
    return {r["sample_id"]: (r["candidates"], r["review"]) for r in frame.iter_rows(named=True)}


def test_prescreen_calls_on_pipeline_forms(tmp_path: Path) -> None:
    calls = _study(tmp_path / "s", _ROWS)
    assert calls["S1"][0] == "D" and calls["S2"][0] == "D"
    assert calls["S3"] == ("D", "")  # the unreadable KRAS row never hides NRAS p.Q61K
    assert calls["S6"] == ("", "")  # KRAS p.Q22* is not an activating mutation


def test_prescreen_cut_file_is_an_error_naming_the_line(tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    text = "\n".join("\t".join(r) for r in [_HEADER, *_ROWS])
    (root / "data_mutations.txt").write_text(text[: text.rindex("\t")], encoding="utf-8")  # last line cut
    with pytest.raises(ProfileFileError) as caught:
        prescreen(root, PROTOCOL)
    assert caught.value.line == len(_ROWS) + 1 and "ends inside this row" in str(caught.value)


def test_prescreen_ragged_row_in_the_middle_is_an_error_naming_it(tmp_path: Path) -> None:
    rows = [*_ROWS[:3], ["NRAS", "S3"], *_ROWS[3:]]
    with pytest.raises(ProfileFileError) as caught:
        _study(tmp_path / "s", rows)
    assert caught.value.line == 5 and "the header has 4" in str(caught.value)


_CELL = st.text(st.characters(blacklist_characters="\t\r\n", blacklist_categories=["Cs"]), max_size=20)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    index=st.integers(0, len(_ROWS) - 1),
    action=st.sampled_from(["delete", "duplicate", "corrupt"]),
    column=st.sampled_from([0, 2, 3]),
    garbage=_CELL,
)
def test_one_bad_row_never_changes_another_sample(
    tmp_path_factory: pytest.TempPathFactory, index: int, action: str, column: int, garbage: str
) -> None:
    base = _study(tmp_path_factory.mktemp("b") / "s", _ROWS)
    rows = [list(r) for r in _ROWS]
    if action == "delete":
        del rows[index]
    elif action == "duplicate":
        rows.insert(index, list(rows[index]))
    else:
        rows[index][column] = garbage
    changed = _study(tmp_path_factory.mktemp("c") / "s", rows)
    touched = _ROWS[index][1]
    for sample, call in base.items():
        if sample != touched:
            assert changed.get(sample) == call, (sample, action)


# --- tumour-board flags -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gene", "hgvs_p", "sub", "pathway"),
    [
        ("BRAF", "p.V600E", "D", "RAS-MAPK"),
        ("SOS1", "p.N233Y", "D", "RAS-MAPK"),
        ("STAT3", "p.Y640F", "C", "JAK-STAT"),
    ],
)
def test_open_list_pathway_gene_is_review_with_the_pathway_named(
    gene: str, hgvs_p: str, sub: str, pathway: str
) -> None:
    result = triage(build_profile(Profiling(variants=[Variant(gene=gene, hgvs_p=hgvs_p)])), PROTOCOL)
    (alt,) = result.alterations
    assert alt.tier == "possible" and [s.subprotocol for s in alt.supports] == [sub]
    assert f"{pathway} pathway gene the documents do not list" in alt.supports[0].rule
    assert [(c.subprotocol, c.tier) for c in result.candidates] == [(sub, "possible")]


def test_abl2_fusion_and_5_prime_abl1_fusion_are_review_for_b() -> None:
    fusions = [Fusion(five_prime="ZC3HAV1", three_prime="ABL2", in_frame=True)]
    result = triage(build_profile(Profiling(fusions=fusions)), PROTOCOL)
    assert [(c.subprotocol, c.tier) for c in result.candidates] == [("B", "possible")]
    keeps = [Fusion(five_prime="ABL1", three_prime="NUP214", in_frame=True, retains_kinase_domain=True)]
    result = triage(build_profile(Profiling(fusions=keeps)), PROTOCOL)
    assert [(c.subprotocol, c.tier) for c in result.candidates] == [("B", "possible")]
    assert "5′ partner" in result.candidates[0].reason
    loses = [Fusion(five_prime="ABL1", three_prime="NUP214", in_frame=True, retains_kinase_domain=False)]
    assert triage(build_profile(Profiling(fusions=loses)), PROTOCOL).candidates == ()


def test_abl1_t315i_is_flagged_against_b_with_its_source() -> None:
    profiling = Profiling(
        variants=[Variant(gene="ABL1", hgvs_p="p.Thr315Ile")],
        fusions=[Fusion(five_prime="BCR", three_prime="ABL1", in_frame=True)],
    )
    result = triage(build_profile(profiling), PROTOCOL)
    t315i = next(a for a in result.alterations if a.name == "ABL1 p.T315I")
    assert t315i.resistance and "published resistance to dasatinib: against B" in t315i.resistance[0]
    assert "doi.org/10.1182/blood-2010-12-326405" in t315i.resistance[0]
    b = next(c for c in result.candidates if c.subprotocol == "B")
    assert "published resistance to dasatinib" in b.reason


def test_prescreen_open_list_gene_goes_to_review_never_candidates(tmp_path: Path) -> None:
    calls = _study(tmp_path / "s", _ROWS)
    assert calls["S5"] == ("", "D")  # BRAF p.V600E
