"""Gene symbol normalisation: the HGNC approved symbol for a previous symbol, an alias or one of the
protocol documents' own spellings.

Two tables, the curated one first:

* ``reference/genes.yaml``: the genes the rules name, their HGNC previous symbols and aliases and the
  protocol documents' own spellings, and names deliberately not mapped (``not_mapped``: ``STAT5``,
  ``PI3K``, ...);
* ``reference/hgnc_symbols.tsv.gz``: the whole HGNC table (about 44,000 approved symbols with their
  previous and alias symbols). A previous or alias symbol that HGNC lists for exactly one gene maps to
  it; one listed for several genes is ambiguous and is not mapped.

Matching ignores case, spaces, hyphens and dots and reads Greek α/β as ALPHA/BETA, so ``c-CBL``,
``cCBL`` and ``CBL`` are one gene and ``PDGFRβ`` is PDGFRB. :func:`normalize_gene` never fails: a symbol
neither table knows comes back upper-cased. :func:`check_symbol` says how a symbol is known, and for
one that is not an HGNC symbol at all (``KRASS``) it proposes the nearest approved symbols
("did you mean KRAS?"), so a typing error is reported instead of passing as "not actionable".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ismart.molecular.reference import gene_key, load_genes, load_hgnc

__all__ = ["SymbolCheck", "check_symbol", "is_known_symbol", "normalize_gene", "unknown_symbol_note"]

# Names annotation pipelines give loci HGNC has not named: GenBank clone (AC090627.1, RP11-1A1.1),
# NCBI placeholder (LOC100128288) and Ensembl gene IDs.
_PLACEHOLDER = re.compile(
    r"[A-Z]{1,2}[0-9]{5,6}\.[0-9]+|RP[0-9]+-[0-9A-Z]+\.[0-9]+|LOC[0-9]+|ENSG[0-9]{11}(\.[0-9]+)?"
)

SymbolStatus = Literal["approved", "previous", "alias", "protocol", "ambiguous", "not_mapped", "unknown"]


@cache
def _curated() -> dict[str, str]:
    return load_genes().lookup()


@cache
def _curated_how() -> dict[str, SymbolStatus]:
    """How each curated name is known (approved, previous, alias or the protocol's own spelling)."""
    how: dict[str, SymbolStatus] = {}
    for symbol, gene in load_genes().genes.items():
        how[gene_key(symbol)] = "approved"
        for kind, names in (
            ("previous", gene.previous),
            ("alias", gene.aliases),
            ("protocol", gene.protocol),
        ):
            for name in names:
                how.setdefault(gene_key(name), kind)  # type: ignore[arg-type]
    return how


@cache
def _not_mapped() -> frozenset[str]:
    return frozenset(gene_key(name) for name in load_genes().not_mapped)


@dataclass(frozen=True)
class SymbolCheck:
    """How a gene symbol is known. ``approved`` is the symbol it maps to (None if ambiguous or unknown);
    ``candidates`` are the genes an ambiguous name may mean, or the suggestions for an unknown one."""

    symbol: str
    status: SymbolStatus
    approved: str | None
    candidates: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return self.status != "unknown"

    def note(self) -> str | None:
        """The line a user sees for an unknown symbol (None when the symbol is known)."""
        if self.known:
            return None
        text = f"gene symbol {self.symbol!r} is not an HGNC approved, previous or alias symbol"
        if _PLACEHOLDER.fullmatch(self.symbol):
            return f"{text}: a clone-based or placeholder name (Ensembl/NCBI) with no HGNC gene"
        if self.candidates:
            return f"{text}; did you mean {' or '.join(self.candidates)}?"
        return f"{text}; check the spelling"


@lru_cache(maxsize=65536)
def check_symbol(symbol: str) -> SymbolCheck:
    """How ``symbol`` is known to the curated table or to HGNC, with suggestions when it is not."""
    text = symbol.strip()
    key = gene_key(text)
    if key in _not_mapped():
        return SymbolCheck(text, "not_mapped", None)
    curated = _curated().get(key)
    if curated is not None:
        return SymbolCheck(text, _curated_how().get(key, "alias"), curated)
    found = load_hgnc().names.get(key)
    if found is not None:
        how, owners = found
        if len(owners) == 1:
            return SymbolCheck(text, how, owners[0])  # type: ignore[arg-type]
        return SymbolCheck(text, "ambiguous", None, owners)
    return SymbolCheck(text, "unknown", None, suggestions(text))


@lru_cache(maxsize=65536)
def is_known_symbol(symbol: str) -> bool:
    """Is ``symbol`` a curated name or an HGNC approved, previous or alias symbol? (cheap: no suggestions)"""
    key = gene_key(symbol)
    return key in _not_mapped() or key in _curated() or key in load_hgnc().names


def suggestions(symbol: str, limit: int = 3) -> tuple[str, ...]:
    """The approved symbols nearest to ``symbol`` (one or two edits), the genes the rules name first."""
    query = symbol.strip().upper()
    if not query:
        return ()
    cutoff = 1 if len(query) <= 4 else 2
    found = process.extract(
        query, _approved_upper(), scorer=Levenshtein.distance, score_cutoff=cutoff, limit=50
    )
    rule_genes = set(load_genes().genes)
    spelled = _spelling()
    if not found:
        return ()
    best = min(score for _, score, _ in found)  # only the nearest: KRASS -> KRAS, not HRAS and NRAS too
    ranked = sorted(
        (spelled[name] not in rule_genes, spelled[name]) for name, score, _ in found if score == best
    )
    return tuple(dict.fromkeys(name for _, name in ranked))[:limit]


@cache
def _spelling() -> dict[str, str]:
    """Upper-cased approved symbol -> the symbol as HGNC writes it (C9orf72)."""
    names = {s.upper(): s for s in load_hgnc().approved}
    names.update((s, s) for s in load_genes().genes)
    return names


@cache
def _approved_upper() -> list[str]:
    return sorted(_spelling())


def unknown_symbol_note(symbol: str) -> str | None:
    """The "not an HGNC symbol; did you mean ...?" line for ``symbol``, or None when it is known."""
    return check_symbol(symbol).note()


@lru_cache(maxsize=65536)
def normalize_gene(symbol: str) -> str:
    """The HGNC approved symbol for ``symbol``; an unknown or ambiguous symbol comes back upper-cased."""
    key = gene_key(symbol)
    curated = _curated().get(key)
    if curated is not None:
        return curated
    if key not in _not_mapped():
        found = load_hgnc().names.get(key)
        if found is not None and len(found[1]) == 1:
            return found[1][0]
    return symbol.strip().upper()
