"""The molecular reference files (genes, domains, hotspots) load, cite sources and are consistent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ismart.errors import ProtocolDataError
from ismart.molecular import reference
from ismart.molecular.reference import (
    DomainFile,
    GeneFile,
    HotspotFile,
    domain,
    is_hotspot,
    load_domains,
    load_genes,
    load_hotspots,
)

REFERENCE = Path(reference.__file__).parent.parent / "reference"


def _yaml(name: str) -> dict[str, Any]:
    data = yaml.safe_load((REFERENCE / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_files_load() -> None:
    assert load_domains().domains
    assert load_hotspots().hotspots
    assert load_genes().genes


def test_loaders_are_cached() -> None:
    assert load_domains() is load_domains()
    assert load_hotspots() is load_hotspots()
    assert load_genes() is load_genes()


def test_every_domain_has_a_source_and_an_ordered_range() -> None:
    for d in load_domains().domains:
        assert d.source.strip(), d
        assert 1 <= d.start <= d.end, d
        assert d.uniprot and d.feature, d
        if not d.verified:
            assert "best-known" in d.source or "union" in d.source or d.note, d


def test_every_hotspot_entry_cites_a_known_source() -> None:
    data = load_hotspots()
    for spot in data.hotspots:
        assert spot.sources and spot.evidence.strip(), spot
        for key in spot.sources:
            assert data.sources[key].title and data.sources[key].url
    assert all(src.title and src.url for src in data.sources.values())


def test_the_expected_domains_and_uniprot_accessions() -> None:
    expected = {
        ("JAK1", "pseudokinase"): ("P23458", "Protein kinase 1"),
        ("JAK1", "kinase"): ("P23458", "Protein kinase 2"),
        ("JAK2", "pseudokinase"): ("O60674", "Protein kinase 1"),
        ("JAK2", "kinase"): ("O60674", "Protein kinase 2"),
        ("JAK3", "pseudokinase"): ("P52333", "Protein kinase 1"),
        ("JAK3", "kinase"): ("P52333", "Protein kinase 2"),
        ("IL7R", "transmembrane"): ("P16871", "Helical"),
        ("ABL1", "kinase"): ("P00519", "Protein kinase"),
        ("CBL", "linker_ring"): ("P22681", None),
        ("PTPN11", "n_sh2"): ("Q06124", "SH2 1"),
        ("PTPN11", "ptp"): ("Q06124", "Tyrosine-protein phosphatase"),
        ("EPOR", "cytoplasmic"): ("P19235", "Cytoplasmic"),
    }
    for (gene, name), (accession, feature) in expected.items():
        d = domain(gene, name)
        assert d.uniprot == accession
        if feature is not None:
            assert d.feature == feature


def test_checked_coordinates() -> None:
    assert (domain("JAK1", "pseudokinase").start, domain("JAK1", "pseudokinase").end) == (583, 855)
    assert (domain("JAK1", "kinase").start, domain("JAK1", "kinase").end) == (875, 1153)
    assert (domain("JAK2", "pseudokinase").start, domain("JAK2", "pseudokinase").end) == (545, 809)
    assert (domain("JAK2", "kinase").start, domain("JAK2", "kinase").end) == (849, 1124)
    assert 617 in domain("JAK2", "pseudokinase")  # V617F sits in the pseudokinase (JH2) domain
    assert 0 not in domain("JAK2", "pseudokinase")


def test_jak_domains_do_not_overlap() -> None:
    for gene in ("JAK1", "JAK2", "JAK3"):
        assert domain(gene, "pseudokinase").end < domain(gene, "kinase").start


def test_domain_lookup_errors() -> None:
    with pytest.raises(ProtocolDataError, match="no region"):
        domain("JAK2", "nonsense")
    assert domain("jak2", "kinase").gene == "JAK2"


def test_every_domain_the_protocol_names_exists() -> None:
    named: set[tuple[str, str]] = set()
    for text in (Path(reference.__file__).parent.parent / "protocols" / "hem_ismart").glob("*.yaml"):
        data = yaml.safe_load(text.read_text(encoding="utf-8"))
        named |= set(_domain_refs(data))
    assert named, "the protocol files name no domains"
    for gene, name in named:
        domain(gene, name)


def _domain_refs(node: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        if isinstance(node.get("domains"), list) and isinstance(node.get("gene"), str):
            found += [(node["gene"], name) for name in node["domains"]]
        for value in node.values():
            found += _domain_refs(value)
    elif isinstance(node, list):
        for value in node:
            found += _domain_refs(value)
    return found


@pytest.mark.parametrize(
    ("gene", "position", "expected"),
    [
        ("KRAS", 12, True),
        ("KRAS", 13, True),
        ("KRAS", 61, True),
        ("KRAS", 146, True),
        ("NRAS", 12, True),
        ("HRAS", 61, True),
        ("HRAS", 146, False),
        ("FLT3", 835, True),
        ("FLT3", 836, True),
        ("PTPN11", 76, True),
        ("PTPN11", 503, True),
        ("MAP2K1", 57, True),
        ("MAP2K1", 124, True),
        ("KRAS", 19, False),
        ("TP53", 12, False),
        ("kras", 12, True),
    ],
)
def test_is_hotspot(gene: str, position: int, expected: bool) -> None:
    assert is_hotspot(gene, position) is expected


def test_itd_entries_are_not_codons() -> None:
    itd = [spot for spot in load_hotspots().hotspots if spot.kind == "itd"]
    assert itd and all(spot.exons and not spot.residues for spot in itd)


@pytest.mark.parametrize(
    ("name", "loader"),
    [("domains.yaml", load_domains), ("hotspots.yaml", load_hotspots), ("genes.yaml", load_genes)],
)
@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_unknown_schema_version_is_a_protocol_data_error(
    name: str, loader: Any, version: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _yaml(name)
    data["schema_version"] = version
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(reference.resources, "files", lambda _package: tmp_path)
    with pytest.raises(ProtocolDataError, match=rf"{name}: schema_version .* is not supported"):
        loader.__wrapped__()  # the uncached loader


def test_a_file_that_is_not_a_mapping_is_a_protocol_data_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "domains.yaml").write_text("- 1\n- 2\n", encoding="utf-8")
    monkeypatch.setattr(reference.resources, "files", lambda _package: tmp_path)
    with pytest.raises(ProtocolDataError, match="mapping"):
        load_domains.__wrapped__()


@pytest.mark.parametrize(
    ("name", "model", "change", "message"),
    [
        ("domains.yaml", DomainFile, lambda d: d["domains"][0].update(start=900, end=10), "before start"),
        ("domains.yaml", DomainFile, lambda d: d["domains"][0].update(colour="red"), "Extra inputs"),
        ("domains.yaml", DomainFile, lambda d: d["domains"].append(dict(d["domains"][0])), "twice"),
        ("hotspots.yaml", HotspotFile, lambda d: d["hotspots"][0].update(sources=["x"]), "unknown source"),
        ("hotspots.yaml", HotspotFile, lambda d: d["hotspots"][0].update(residues=[]), "no residues"),
        ("genes.yaml", GeneFile, lambda d: d["genes"]["KRAS"].update(aliases=["MEK1"]), "both"),
        ("genes.yaml", GeneFile, lambda d: d["not_mapped"].update(MEK1="x"), "not_mapped"),
    ],
)
def test_invalid_files_are_protocol_data_errors(
    name: str, model: type[Any], change: Any, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _yaml(name)
    change(data)
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(reference.resources, "files", lambda _package: tmp_path)
    with pytest.raises(ProtocolDataError, match=message) as raised:
        reference._validate(model, name)
    assert str(raised.value).startswith(f"{name}: ")
    assert "\n" not in str(raised.value)
