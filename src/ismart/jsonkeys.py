"""JSON objects with each key once: the one ``object_pairs_hook`` every JSON reader of ismart uses.

The standard library keeps the last of two equal keys without a word, so ``{"hiv": "positive",
"hiv": "negative"}`` would be read as negative. Dossier files (CLI), API bodies (POST /screen,
dossier uploads) and any other JSON input pass this hook to ``json.loads`` and are refused instead.
"""

from __future__ import annotations

from typing import Any


class DuplicateKeyError(ValueError):
    """A JSON object gives the same key twice; ``key`` names it."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"duplicate key {key!r} (each key once)")


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for ``json.loads``: the object as a dict, or DuplicateKeyError."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result
