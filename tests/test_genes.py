"""Gene symbol normalisation against reference/genes.yaml."""

from __future__ import annotations

import pytest

from ismart.molecular.genes import normalize_gene
from ismart.molecular.reference import gene_key, load_genes

# Every gene the HEM-iSMART rules name must be known by its approved symbol.
RULE_GENES = [
    *("ABL1", "NUP214", "PDGFRB", "AGGF1", "DOCK2", "SATB1", "ETV6", "BCR"),
    *("CRLF2", "P2RY8", "IGH", "EPOR", "JAK1", "JAK2", "JAK3", "IL7R", "SH2B3", "USP9X", "DDX3X"),
    *("STAT5B", "DNM2", "PTPN2", "KRAS", "NRAS", "HRAS", "FLT3", "PTPN11", "MAP2K1", "CBL", "NF1"),
    *("BCL2", "TP53", "IKZF1", "PAX5", "PIK3CA", "PIK3R1", "PTEN", "AKT1", "MTOR"),
]


def test_every_rule_gene_is_listed() -> None:
    assert set(RULE_GENES) <= set(load_genes().genes)


@pytest.mark.parametrize("symbol", RULE_GENES)
def test_approved_symbols_map_to_themselves(symbol: str) -> None:
    assert normalize_gene(symbol) == symbol
    assert normalize_gene(symbol.lower()) == symbol
    assert normalize_gene(f"  {symbol} ") == symbol


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        # the protocol documents' own spellings
        ("MP2K1", "MAP2K1"),
        ("cCBL", "CBL"),
        ("c-CBL", "CBL"),
        ("C-CBL", "CBL"),
        ("CRFL2", "CRLF2"),
        ("PDGFRβ", "PDGFRB"),
        ("PDGFRbeta", "PDGFRB"),
        ("PDGFR-beta", "PDGFRB"),
        ("PDGFR-β", "PDGFRB"),
        # HGNC previous symbols and aliases
        ("MEK1", "MAP2K1"),
        ("mek1", "MAP2K1"),
        ("PRKMK1", "MAP2K1"),
        ("LNK", "SH2B3"),
        ("TEL", "ETV6"),
        ("SHP2", "PTPN11"),
        ("SHP-2", "PTPN11"),
        ("ABL", "ABL1"),
        ("c-ABL", "ABL1"),
        ("KRAS2", "KRAS"),
        ("K-RAS", "KRAS"),
        ("N-ras", "NRAS"),
        ("FLK2", "FLT3"),
        ("CD135", "FLT3"),
        ("TSLPR", "CRLF2"),
        ("CD127", "IL7R"),
        ("IGH@", "IGH"),
        ("IKAROS", "IKZF1"),
        ("DDX3", "DDX3X"),
        ("FRAP1", "MTOR"),
        ("p53", "TP53"),
        ("Bcl-2", "BCL2"),
    ],
)
def test_aliases(name: str, symbol: str) -> None:
    assert normalize_gene(name) == symbol


@pytest.mark.parametrize("name", ["STAT5", "PDGFR", "PI3K", "AKT", "TEP1", "NS1", "ALL", "p85"])
def test_ambiguous_names_are_not_mapped(name: str) -> None:
    assert normalize_gene(name) == name.upper()
    assert name in load_genes().not_mapped


@pytest.mark.parametrize(
    ("name", "expected"), [("foo1", "FOO1"), ("  zzz9 ", "ZZZ9"), ("", ""), ("EBF1", "EBF1")]
)
def test_unknown_symbols_come_back_upper_cased(name: str, expected: str) -> None:
    assert normalize_gene(name) == expected


def test_no_name_points_at_two_genes() -> None:
    data = load_genes()
    owners: dict[str, set[str]] = {}
    for symbol, gene in data.genes.items():
        for name in [symbol, *gene.names()]:
            owners.setdefault(gene_key(name), set()).add(symbol)
    assert {key: genes for key, genes in owners.items() if len(genes) > 1} == {}


def test_no_alias_is_another_genes_approved_symbol() -> None:
    data = load_genes()
    for symbol, gene in data.genes.items():
        for name in gene.names():
            assert gene_key(name) not in set(data.genes) - {symbol}, (symbol, name)


def test_header_names_source_and_protocol_spellings() -> None:
    data = load_genes()
    assert data.source.url == "https://www.genenames.org"
    assert data.source.accessed == "2026-11-23"
    protocol = {name for gene in data.genes.values() for name in gene.protocol}
    assert {"MP2K1", "cCBL", "c-CBL", "CRFL2", "PDGFRβ"} <= protocol


def test_gene_key() -> None:
    assert gene_key(" c-Cbl ") == "CCBL"
    assert gene_key("PDGFRβ") == gene_key("pdgfr-beta") == "PDGFRBETA"
    assert gene_key("IL-7R-alpha") == gene_key("IL7Rα")
