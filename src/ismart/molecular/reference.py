"""Reference data of the molecular rules, shipped as package data in ``ismart/reference/``.

* ``genes.yaml``: HGNC symbols with previous symbols, aliases and the protocol documents' spellings;
* ``domains.yaml``: protein regions (UniProt features) the rules name, e.g. the JAK2 pseudokinase;
* ``hotspots.yaml``: sub-protocol D's hotspot codons.

Each file is validated once per process (pydantic, unknown keys rejected); a file that fails, or
whose ``schema_version`` this ismart does not know, raises :class:`ismart.errors.ProtocolDataError`
naming the file and the field.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ismart import yamlio
from ismart.errors import ProtocolDataError

__all__ = [
    "SCHEMA_VERSION",
    "Domain",
    "DomainFile",
    "Gene",
    "GeneFile",
    "HgncTable",
    "Hotspot",
    "HotspotFile",
    "Protein",
    "ProteinFile",
    "SourceRef",
    "domain",
    "gene_key",
    "is_hotspot",
    "itd_region",
    "load_board_flags",
    "load_domains",
    "load_genes",
    "load_hgnc",
    "load_hotspots",
    "load_proteins",
    "load_variant_effects",
    "mechanism",
    "protein",
]

SCHEMA_VERSION = 1
_M = TypeVar("_M", bound=BaseModel)

_GREEK = {"α": "ALPHA", "β": "BETA", "γ": "GAMMA", "δ": "DELTA"}


_IGNORED_IN_KEY = re.compile(r"[\s\-.]")


def gene_key(symbol: str) -> str:
    """The comparison key of a gene name: case, spaces, hyphens and dots ignored, α/β spelled out."""
    text = symbol.strip()
    if not text.isascii():
        for letter, name in _GREEK.items():
            text = text.replace(letter, name).replace(letter.upper(), name)
    return _IGNORED_IN_KEY.sub("", text).upper()


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceRef(_Data):
    title: str = Field(min_length=1)
    url: str = Field(min_length=1)
    accessed: str | None = None


# --- domains.yaml ------------------------------------------------------------------------------


class Domain(_Data):
    """A protein region: residues ``start``..``end`` (1-based, inclusive) of the UniProt entry."""

    gene: str = Field(min_length=1)
    name: str = Field(min_length=1)
    uniprot: str = Field(pattern=r"^[A-Z0-9]{6,10}$")
    feature: str = Field(min_length=1)
    feature_type: Literal["Domain", "Region", "Zinc finger", "Transmembrane", "Topological domain"]
    start: int = Field(ge=1)
    end: int = Field(ge=1)
    entry: str | None = None
    verified: bool
    source: str = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"{self.gene} {self.name}: end {self.end} is before start {self.start}")
        return self

    def __contains__(self, position: object) -> bool:
        return isinstance(position, int) and self.start <= position <= self.end


class DomainFile(_Data):
    schema_version: int
    name: str
    version: str
    source: SourceRef
    domains: list[Domain]

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen: set[tuple[str, str]] = set()
        for d in self.domains:
            if (d.gene, d.name) in seen:
                raise ValueError(f"domain {d.gene} {d.name!r} is listed twice")
            seen.add((d.gene, d.name))
        return self


# --- hotspots.yaml -----------------------------------------------------------------------------


class Hotspot(_Data):
    """Hotspot codons of a gene from one source (``kind: itd`` entries are located by exon only)."""

    gene: str = Field(min_length=1)
    kind: Literal["codon", "itd"] = "codon"
    residues: list[int] = []
    exons: list[int] = []
    sources: list[str] = Field(min_length=1)
    verified: bool
    evidence: str = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _located(self) -> Self:
        if self.kind == "codon" and not self.residues:
            raise ValueError(f"{self.gene}: a codon hotspot entry lists no residues")
        if self.kind == "itd" and not self.exons:
            raise ValueError(f"{self.gene}: an ITD entry names no exons")
        if any(r < 1 for r in self.residues):
            raise ValueError(f"{self.gene}: residue positions start at 1")
        return self


class HotspotFile(_Data):
    schema_version: int
    name: str
    version: str
    sources: dict[str, SourceRef]
    hotspots: list[Hotspot]

    @model_validator(mode="after")
    def _cited(self) -> Self:
        for spot in self.hotspots:
            for key in spot.sources:
                if key not in self.sources:
                    raise ValueError(f"{spot.gene} cites unknown source {key!r}")
        return self


# --- genes.yaml --------------------------------------------------------------------------------


class Gene(_Data):
    previous: list[str] = []
    aliases: list[str] = []
    protocol: list[str] = []
    verified: bool

    def names(self) -> list[str]:
        return [*self.previous, *self.aliases, *self.protocol]


class GeneFile(_Data):
    schema_version: int
    name: str
    version: str
    source: SourceRef
    genes: dict[str, Gene]
    not_mapped: dict[str, str] = {}

    @model_validator(mode="after")
    def _unambiguous(self) -> Self:
        owner: dict[str, str] = {}
        for symbol in self.genes:
            if symbol != symbol.strip().upper() or gene_key(symbol) != symbol:
                raise ValueError(f"{symbol!r} is not written as an HGNC approved symbol")
            owner[symbol] = symbol
        for symbol, gene in self.genes.items():
            for name in gene.names():
                key = gene_key(name)
                if owner.setdefault(key, symbol) != symbol:
                    raise ValueError(f"{name!r} would name both {owner[key]} and {symbol}")
        for name in self.not_mapped:
            if gene_key(name) in owner:
                raise ValueError(f"{name!r} is both mapped (to {owner[gene_key(name)]}) and not_mapped")
        return self

    def lookup(self) -> dict[str, str]:
        """Every known name's key -> approved symbol."""
        table = {symbol: symbol for symbol in self.genes}
        for symbol, gene in self.genes.items():
            table.update((gene_key(name), symbol) for name in gene.names())
        return table


# --- loading -----------------------------------------------------------------------------------


def _validate(model: type[_M], name: str) -> _M:
    path = resources.files("ismart") / "reference" / name
    return yamlio.load_versioned(path.read_text(encoding="utf-8"), name, model, SCHEMA_VERSION)


@cache
def load_domains() -> DomainFile:
    """``reference/domains.yaml``, validated (cached)."""
    return _validate(DomainFile, "domains.yaml")


@cache
def load_hotspots() -> HotspotFile:
    """``reference/hotspots.yaml``, validated (cached)."""
    return _validate(HotspotFile, "hotspots.yaml")


@cache
def load_genes() -> GeneFile:
    """``reference/genes.yaml``, validated (cached)."""
    return _validate(GeneFile, "genes.yaml")


def domain(gene: str, name: str) -> Domain:
    """The region ``name`` of ``gene`` (HGNC symbol); ProtocolDataError when domains.yaml lacks it."""
    symbol = gene.strip().upper()
    for d in load_domains().domains:
        if d.gene == symbol and d.name == name:
            return d
    raise ProtocolDataError(f"domains.yaml: no region {name!r} for {symbol}")


@cache
def _hotspot_index() -> frozenset[tuple[str, int]]:
    spots = [spot for spot in load_hotspots().hotspots if spot.kind == "codon"]
    return frozenset((spot.gene, residue) for spot in spots for residue in spot.residues)


def is_hotspot(gene: str, position: int) -> bool:
    """Is residue ``position`` of ``gene`` (HGNC symbol) a listed hotspot codon?"""
    return (gene.strip().upper(), position) in _hotspot_index()


# --- variant_effects.yaml ----------------------------------------------------------------------


class ItdRegion(_Data):
    """Residues where an in-frame duplication, insertion or delins is an internal tandem duplication."""

    gene: str = Field(min_length=1)
    start: int = Field(ge=1)
    end: int = Field(ge=1)
    sources: list[str] = Field(min_length=1)
    verified: bool
    evidence: str = Field(min_length=1)


class Mechanism(_Data):
    genes: list[str] = Field(min_length=1)
    mechanism: Literal["gain_of_function", "loss_of_function"]
    sources: list[str] = Field(min_length=1)
    verified: bool
    evidence: str = Field(min_length=1)


def _check_cited(known: dict[str, SourceRef], entries: list[Any]) -> None:
    """Every source an entry cites is one the file lists."""
    for entry in entries:
        unknown = [s for s in entry.sources if s not in known]
        if unknown:
            raise ValueError(f"unknown source(s) {unknown}")


class VariantEffectFile(_Data):
    schema_version: int
    name: str
    version: str
    sources: dict[str, SourceRef]
    itd_regions: list[ItdRegion]
    mechanisms: list[Mechanism]

    @model_validator(mode="after")
    def _sources_known(self) -> Self:
        _check_cited(self.sources, [*self.itd_regions, *self.mechanisms])
        return self


@cache
def load_variant_effects() -> VariantEffectFile:
    """``reference/variant_effects.yaml``, validated (cached)."""
    return _validate(VariantEffectFile, "variant_effects.yaml")


def itd_region(gene: str) -> ItdRegion | None:
    """The ITD region of ``gene`` (HGNC symbol), if the reference data has one."""
    symbol = gene.strip().upper()
    return next((r for r in load_variant_effects().itd_regions if r.gene == symbol), None)


@cache
def mechanism(gene: str) -> str | None:
    """``gain_of_function``, ``loss_of_function`` or None (not in the table)."""
    symbol = gene.strip().upper()
    for entry in load_variant_effects().mechanisms:
        if symbol in entry.genes:
            return entry.mechanism
    return None


# --- board_flags.yaml --------------------------------------------------------------------------


class PathwayGenes(_Data):
    """Genes of a sub-protocol's pathway that its documents do not list: REVIEW, pathway named."""

    subprotocol: str = Field(min_length=1)
    pathway: str = Field(min_length=1)
    kind: Literal["variant", "fusion"]
    side: Literal["five_prime", "three_prime"] | None = None
    kinase_retained: bool = False  # the fusion must be reported as keeping the kinase domain
    genes: list[str] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    verified: bool


class PublishedResistance(_Data):
    gene: str = Field(min_length=1)
    changes: list[str] = Field(min_length=1)
    drug: str = Field(min_length=1)
    subprotocol: str = Field(min_length=1)
    evidence: Literal["clinical", "in_vitro"]  # in_vitro: cell lines or mutagenesis screens only
    tested_with: str | None = None  # what the source tested, when it is not the protocol's drug
    sources: list[str] = Field(min_length=1)
    verified: bool


class BoardFlagFile(_Data):
    schema_version: int
    name: str
    version: str
    sources: dict[str, SourceRef]
    pathways: list[PathwayGenes]
    resistance: list[PublishedResistance]

    @model_validator(mode="after")
    def _sources_known(self) -> Self:
        _check_cited(self.sources, [*self.pathways, *self.resistance])
        return self


@cache
def load_board_flags() -> BoardFlagFile:
    """``reference/board_flags.yaml``, validated (cached)."""
    return _validate(BoardFlagFile, "board_flags.yaml")


# --- hgnc_symbols.tsv.gz -----------------------------------------------------------------------

HGNC_FILE = "hgnc_symbols.tsv.gz"


@dataclass(frozen=True)
class HgncTable:
    """HGNC symbols: every name's key -> (how it is known, the approved symbol(s) it names).

    ``how`` is ``approved``, ``previous`` or ``alias``. An approved symbol names only its gene; a previous
    or alias symbol that HGNC lists for more than one gene (or that is another gene's previous symbol
    while being an alias here) names all of them and is therefore ambiguous.
    """

    names: dict[str, tuple[str, tuple[str, ...]]]
    approved: dict[str, str]  # approved symbol -> locus type
    header: tuple[str, ...]  # the file's comment lines: sources, releases, licence


def _hgnc_rows(text: str) -> tuple[list[str], list[list[str]]]:
    header: list[str] = []
    rows: list[list[str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            header.append(line[1:].strip())
            continue
        cells = line.split("\t")
        if len(cells) != 5:
            raise ProtocolDataError(f"{HGNC_FILE}: line {number} has {len(cells)} fields, expected 5")
        rows.append(cells)
    if not rows or rows[0] != ["hgnc_id", "symbol", "locus_type", "previous", "aliases"]:
        raise ProtocolDataError(f"{HGNC_FILE}: the column header is missing or changed")
    return header, rows[1:]


@cache
def load_hgnc() -> HgncTable:
    """``reference/hgnc_symbols.tsv.gz``: the HGNC symbol table (cached; about 44,000 genes)."""
    path = resources.files("ismart") / "reference" / HGNC_FILE
    header, rows = _hgnc_rows(gzip.decompress(path.read_bytes()).decode("utf-8"))
    approved: dict[str, str] = {}
    names: dict[str, tuple[str, tuple[str, ...]]] = {}
    for _hgnc_id, symbol, locus_type, _previous, _aliases in rows:
        approved[symbol] = locus_type
        names.setdefault(gene_key(symbol), ("approved", (symbol,)))
    others: dict[str, tuple[str, set[str]]] = {}
    for _hgnc_id, symbol, _locus_type, previous, aliases in rows:
        for how, listed in (("previous", previous), ("alias", aliases)):
            for name in filter(None, listed.split("|")):
                key = gene_key(name)
                if key in names:
                    continue  # an approved symbol names its own gene only
                kind, owners = others.setdefault(key, (how, set()))
                owners.add(symbol)
                if kind != how:
                    others[key] = ("previous" if "previous" in (kind, how) else how, owners)
    for key, (how, owners) in others.items():
        names[key] = (how, tuple(sorted(owners)))
    return HgncTable(names, approved, tuple(header))


# --- proteins.yaml -----------------------------------------------------------------------------

_RESIDUES = "ACDEFGHIKLMNPQRSTVWYU"


class Protein(_Data):
    """A protein's canonical length and the reference residues we can source (or its whole sequence)."""

    uniprot: str = Field(pattern=r"^[A-Z0-9]{6,10}$")
    length: int = Field(ge=1)
    length_source: str = Field(min_length=1)
    refseq: str | None = None
    residues: dict[int, str] = {}
    residue_source: str | None = None
    sequence: str | None = None
    sequence_source: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.sequence is not None:
            if len(self.sequence) != self.length:
                raise ValueError(
                    f"{self.uniprot}: sequence has {len(self.sequence)} residues, length says {self.length}"
                )
            if set(self.sequence) - set(_RESIDUES):
                raise ValueError(f"{self.uniprot}: sequence has letters that are not amino acids")
        for position, residue in self.residues.items():
            if not 1 <= position <= self.length or len(residue) != 1 or residue not in _RESIDUES:
                raise ValueError(
                    f"{self.uniprot}: residue {residue!r} at {position} is not a residue of the protein"
                )
            if self.sequence is not None and self.sequence[position - 1] != residue:
                raise ValueError(
                    f"{self.uniprot}: residue {position} is {residue} but the sequence has another"
                )
        if self.residues and self.residue_source is None:
            raise ValueError(f"{self.uniprot}: residues without a residue_source")
        return self

    def residue(self, position: int) -> str | None:
        """The reference residue at ``position`` (1-based), or None when it is not sourced."""
        if self.sequence is not None and 1 <= position <= self.length:
            return self.sequence[position - 1]
        return self.residues.get(position)


class ProteinFile(_Data):
    schema_version: int
    name: str
    version: str
    sources: dict[str, SourceRef]
    proteins: dict[str, Protein]

    @model_validator(mode="after")
    def _sources_known(self) -> Self:
        for gene, protein in self.proteins.items():
            cited = [protein.length_source, protein.residue_source, protein.sequence_source]
            unknown = [s for s in cited if s is not None and s not in self.sources]
            if unknown:
                raise ValueError(f"{gene} cites unknown source(s) {unknown}")
        return self


@cache
def load_proteins() -> ProteinFile:
    """``reference/proteins.yaml``, validated (cached)."""
    return _validate(ProteinFile, "proteins.yaml")


def protein(gene: str) -> Protein | None:
    """The protein reference data of ``gene`` (HGNC symbol), if any."""
    return load_proteins().proteins.get(gene.strip().upper())
