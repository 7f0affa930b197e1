"""Gene symbol normalisation: the HGNC approved symbol for a previous symbol, an alias or one of the
protocol documents' own spellings (``reference/genes.yaml``).

Matching ignores case, spaces, hyphens and dots and reads Greek α/β as ALPHA/BETA, so ``c-CBL``,
``cCBL`` and ``CBL`` are one gene and ``PDGFRβ`` is PDGFRB. A symbol the file does not know is not an
error: it is returned upper-cased (and stripped), as a lab may report any gene.
"""

from __future__ import annotations

from functools import cache, lru_cache

from ismart.molecular.reference import gene_key, load_genes

__all__ = ["normalize_gene"]


@cache
def _table() -> dict[str, str]:
    return load_genes().lookup()


@lru_cache(maxsize=65536)
def normalize_gene(symbol: str) -> str:
    """The HGNC approved symbol for ``symbol``; an unknown symbol comes back upper-cased unchanged."""
    return _table().get(gene_key(symbol), symbol.strip().upper())
