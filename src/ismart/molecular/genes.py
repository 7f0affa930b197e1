"""Gene symbol normalisation: HGNC symbols from aliases and the protocol documents' spellings."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from ismart.errors import ProtocolDataError


def _key(symbol: str) -> str:
    return symbol.strip().replace("β", "beta").replace("-", "").replace(" ", "").upper()


@cache
def _aliases() -> dict[str, str]:
    data = yaml.safe_load(
        (resources.files("ismart") / "reference" / "genes.yaml").read_text(encoding="utf-8")
    )
    if data.get("schema_version") != 1:
        raise ProtocolDataError(f"genes.yaml: schema_version {data.get('schema_version')!r} is not supported")
    table: dict[str, str] = {}
    for symbol, entry in data["genes"].items():
        for name in [symbol, *entry.get("aliases", []), *entry.get("protocol", [])]:
            table[_key(name)] = symbol
    return table


@cache
def normalize_gene(symbol: str) -> str:
    """The HGNC symbol for a symbol, alias or known misspelling; unknown symbols upper-cased."""
    return _aliases().get(_key(symbol), symbol.strip().upper())
