"""YAML reading with libyaml's C parser when PyYAML was built with it (same safe types, ~10x faster)."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """Like ``yaml.safe_load``: plain data only (mappings, lists, scalars, dates)."""
    return yaml.load(text, Loader=_LOADER)
