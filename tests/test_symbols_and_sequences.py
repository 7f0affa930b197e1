"""HGNC symbol table (unknown symbols with "did you mean"), protein reference data (annotation errors)
and the published resistance beyond the protocol's exclusions, through the profile, triage and rules."""

from __future__ import annotations

from typing import Any

import pytest

from ismart.dossier import Profiling
from ismart.molecular.genes import check_symbol, normalize_gene, unknown_symbol_note
from ismart.molecular.profile import build_profile
from ismart.molecular.protein import parse_protein_change
from ismart.molecular.reference import load_board_flags, load_hgnc, load_proteins
from ismart.molecular.sequences import annotation_error
from ismart.molecular.triage import triage
from ismart.protocol import load_protocol


def _triage(**profiling: Any):  # type: ignore[no-untyped-def]
    return triage(build_profile(Profiling.model_validate(profiling)), load_protocol())


def _by_name(result: Any) -> dict[str, Any]:
    return {a.name: a for a in result.alterations}


# --- the HGNC table ------------------------------------------------------------------------------


def test_hgnc_table_is_the_whole_set_with_its_sources_and_dates() -> None:
    table = load_hgnc()
    assert len(table.approved) > 40_000
    assert table.approved["KRAS"] == "protein-coding"
    header = " ".join(table.header)
    assert "2025-10-07" in header and "2018-11-07" in header and "CC0" in header
    assert "genenames.org" in header


@pytest.mark.parametrize(
    ("name", "status", "approved"),
    [
        ("KRAS", "approved", "KRAS"),
        ("SEPT14", "previous", "SEPTIN14"),  # renamed by HGNC in 2020: the old symbol still maps
        ("C9orf72", "approved", "C9orf72"),  # HGNC's own casing is kept
        ("PRKMK1", "previous", "MAP2K1"),
        ("CFLAR", "approved", "CFLAR"),  # a passenger gene genes.yaml does not list
        ("STAT5", "not_mapped", None),  # curated: deliberately not mapped to STAT5A or STAT5B
    ],
)
def test_known_symbols(name: str, status: str, approved: str | None) -> None:
    check = check_symbol(name)
    assert (check.status, check.approved) == (status, approved)
    assert check.note() is None


def test_an_approved_symbol_is_never_taken_for_another_genes_alias() -> None:
    # every approved symbol names its own gene, whatever other genes list it as a previous symbol
    table = load_hgnc()
    assert all(table.names[k][1] == (s,) for s in ("KRAS", "FLT3", "ABL1") for k in [s])


def test_a_name_hgnc_lists_for_two_genes_is_ambiguous_and_not_mapped() -> None:
    table = load_hgnc()
    ambiguous = next(k for k, (how, owners) in table.names.items() if how != "approved" and len(owners) > 1)
    check = check_symbol(ambiguous)
    assert check.status == "ambiguous" and len(check.candidates) > 1 and check.known
    assert normalize_gene(ambiguous) == ambiguous.upper()


@pytest.mark.parametrize(
    ("typo", "meant"), [("KRASS", "KRAS"), ("NRASS", "NRAS"), ("JAK22", "JAK2"), ("FLT33", "FLT3")]
)
def test_unknown_symbol_says_did_you_mean(typo: str, meant: str) -> None:
    note = unknown_symbol_note(typo)
    assert note == (
        f"gene symbol {typo!r} is not an HGNC approved, previous or alias symbol; did you mean {meant}?"
    )
    assert normalize_gene(typo) == typo  # never silently mapped


def test_unknown_symbol_with_nothing_near_asks_to_check_the_spelling() -> None:
    assert unknown_symbol_note("QQZZXW") == (
        "gene symbol 'QQZZXW' is not an HGNC approved, previous or alias symbol; check the spelling"
    )


def test_misspelled_rule_gene_is_for_the_board_not_not_actionable() -> None:
    result = _triage(variants=[{"gene": "KRASS", "hgvs_p": "p.G12D"}])
    alt = _by_name(result)["KRASS p.G12D"]
    assert alt.tier == "possible"
    assert "did you mean KRAS?" in (alt.symbol_note or "")
    (candidate,) = [c for c in result.candidates if c.subprotocol == "D"]
    assert candidate.tier == "possible" and "KRAS is a gene of this rule" in candidate.reason


def test_unknown_symbol_far_from_any_rule_gene_is_shown_as_unknown_not_not_actionable() -> None:
    alt = _by_name(_triage(variants=[{"gene": "QQZZXW", "hgvs_p": "p.G12D"}]))["QQZZXW p.G12D"]
    assert alt.tier == "unknown gene symbol"
    assert alt.symbol_note and "check the spelling" in alt.symbol_note


def test_misspelled_fusion_partner_is_noted() -> None:
    alt = _by_name(_triage(fusions=[{"five_prime": "BCR", "three_prime": "ABLL1", "in_frame": True}]))
    assert "did you mean ABL1" in (alt["BCR::ABLL1"].symbol_note or "")


# --- protein reference data ------------------------------------------------------------------------


def test_protein_file_cites_its_sources_and_abl1_is_isoform_1a() -> None:
    data = load_proteins()
    abl1 = data.proteins["ABL1"]
    assert abl1.uniprot == "P00519" and abl1.length == 1130 and abl1.sequence is not None
    assert [abl1.residue(p) for p in (253, 255, 299, 315, 317, 351, 359)] == list("YEVTFMF")
    kras = data.proteins["KRAS"]
    assert (kras.uniprot, kras.length, kras.residue(12), kras.residue(61)) == ("P01116", 189, "G", "Q")
    assert kras.residue(100) is None  # not sourced: not checked
    assert {"maftools_prot_len", "cancerhotspots_v2", "uniprot_p00519"} <= set(data.sources)


@pytest.mark.parametrize(
    ("gene", "change", "error"),
    [
        ("KRAS", "p.G12D", None),
        ("KRAS", "p.Q61H", None),
        ("KRAS", "p.A12D", "A12 is written, but residue 12 of KRAS is G (UniProt P01116)"),
        ("KRAS", "p.G200D", "position 200 is beyond the protein (KRAS has 189 residues, UniProt P01116)"),
        ("KRAS", "p.*190Qext*?", None),
        ("ABL1", "p.T315I", None),
        ("ABL1", "p.T334I", "T334 is written, but residue 334 of ABL1 is E (UniProt P00519)"),  # 1b numbering
        ("FLT3", "p.Y591_E598dup", None),
        ("TP53", "p.R248Q", None),  # no reference data: not checked
    ],
)
def test_annotation_error(gene: str, change: str, error: str | None) -> None:
    found = annotation_error(gene, parse_protein_change(change))
    assert found == (None if error is None else f"probable annotation error: {error}")


def test_a_hotspot_with_the_wrong_reference_residue_is_review_never_met() -> None:
    result = _triage(variants=[{"gene": "KRAS", "hgvs_p": "p.A12D"}])
    alt = _by_name(result)["KRAS p.A12D"]
    assert alt.tier == "possible"
    assert "probable annotation error" in (alt.annotation_error or "")
    assert all(s.tier == "possible" for s in alt.supports)
    assert "review the annotation" in alt.supports[0].rule


# --- published resistance beyond the protocol's exclusions ------------------------------------------


def test_resistance_entries_cite_sources_and_say_their_evidence() -> None:
    data = load_board_flags()
    drugs = {(e.gene, e.drug, e.subprotocol): e for e in data.resistance}
    assert {("ABL1", "dasatinib", "B"), ("JAK2", "ruxolitinib", "C"), ("MAP2K1", "trametinib", "D")} <= set(
        drugs
    )
    assert all(e.sources and all(s in data.sources for s in e.sources) for e in data.resistance)
    assert {e.evidence for e in data.resistance} == {"clinical", "in_vitro"}


@pytest.mark.parametrize(
    ("gene", "change", "drug", "subprotocol", "evidence"),
    [
        ("ABL1", "p.T315I", "dasatinib", "B", "clinical evidence"),
        ("ABL1", "p.F317L", "dasatinib", "B", "clinical evidence"),
        ("JAK2", "p.G993A", "ruxolitinib", "C", "in-vitro evidence only"),
        ("JAK2", "p.G935R", "ruxolitinib", "C", "in-vitro evidence only"),
        ("MAP2K1", "p.F129L", "trametinib", "D", "in-vitro evidence only"),
    ],
)
def test_published_resistance_is_in_the_resistance_column(
    gene: str, change: str, drug: str, subprotocol: str, evidence: str
) -> None:
    result = _triage(variants=[{"gene": gene, "hgvs_p": change}])
    (alt,) = [a for a in result.alterations if a.gene == gene]
    assert alt.resistance, alt
    assert alt.resistance[0].startswith(f"published resistance to {drug}: against {subprotocol} ({evidence}")


# --- the eligibility rule (dossier reading) --------------------------------------------------------


def _d_alteration(variants: list[dict[str, Any]]) -> Any:
    from helpers import base_data, patch, screen_data

    data = patch(base_data(), {"profiling.variants": variants})
    d = next(s for s in screen_data(data).subprotocols if s.id == "D")
    return next(c for c in d.criteria if c.key == "alteration")


def test_dossier_with_a_misspelled_rule_gene_is_review_with_did_you_mean() -> None:
    criterion = _d_alteration([{"gene": "KRASS", "hgvs_p": "p.Gly12Asp"}])
    assert criterion.status.value == "REVIEW"
    assert "did you mean KRAS?" in criterion.summary and "KRAS is a gene of this rule" in criterion.summary


def test_dossier_with_a_wrong_reference_residue_is_review_not_met() -> None:
    criterion = _d_alteration([{"gene": "KRAS", "hgvs_p": "p.Ala12Asp"}])
    assert criterion.status.value == "REVIEW"
    assert "residue 12 of KRAS is G" in criterion.summary


def test_dossier_with_the_right_residue_is_met() -> None:
    assert _d_alteration([{"gene": "KRAS", "hgvs_p": "p.Gly12Asp"}]).status.value == "MET"


# --- the reference files refuse inconsistent data ----------------------------------------------------


def _proteins() -> dict[str, Any]:
    from importlib import resources

    import yaml

    text = (resources.files("ismart") / "reference" / "proteins.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["proteins"]["ABL1"].update(length=1149), "sequence has 1130 residues"),
        (lambda d: d["proteins"]["ABL1"].update(residues={315: "I"}), "residue 315 is I"),
        (lambda d: d["proteins"]["KRAS"].update(length_source="nowhere"), "unknown source"),
        (lambda d: d["proteins"]["KRAS"]["residues"].update({500: "G"}), "not a residue of the protein"),
        (lambda d: d["proteins"]["KRAS"].update(residue_source=None), "without a residue_source"),
    ],
)
def test_inconsistent_protein_data_is_refused(change: Any, message: str) -> None:
    from pydantic import ValidationError

    from ismart.molecular.reference import ProteinFile

    data = _proteins()
    change(data)
    with pytest.raises(ValidationError, match=message):
        ProteinFile.model_validate(data)


def test_a_ragged_hgnc_line_is_a_protocol_data_error_naming_it() -> None:
    from ismart.errors import ProtocolDataError
    from ismart.molecular.reference import _hgnc_rows

    text = "# header\nhgnc_id\tsymbol\tlocus_type\tprevious\taliases\n6407\tKRAS\tprotein-coding\tKRAS2\n"
    with pytest.raises(ProtocolDataError, match=r"hgnc_symbols\.tsv\.gz: line 3 has 4 fields, expected 5"):
        _hgnc_rows(text)
    with pytest.raises(ProtocolDataError, match="column header"):
        _hgnc_rows("6407\tKRAS\tprotein-coding\t\t\n")


@pytest.mark.parametrize("name", ["AC090627.1", "LOC100128288", "RP11-34P13.7", "ENSG00000235300"])
def test_clone_and_placeholder_names_are_unknown_and_said_to_be_placeholders(name: str) -> None:
    assert unknown_symbol_note(name) == (
        f"gene symbol {name!r} is not an HGNC approved, previous or alias symbol: "
        "a clone-based or placeholder name (Ensembl/NCBI) with no HGNC gene"
    )
