"""Shared test helpers: the base dossier, path patches, and a screening shortcut."""

from __future__ import annotations

import copy
import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ismart import dossier
from ismart.eligibility.engine import screen
from ismart.eligibility.result import ScreeningResult
from ismart.protocol import load_protocol

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
TODAY = date(2026, 3, 9)
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+|\+)\]")


def base_data() -> dict[str, Any]:
    data = yaml.safe_load((DATA / "base_dossier.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def patch(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply {dotted.path[0]: value} changes; __delete__ removes a key, [+] appends to a list."""
    result = copy.deepcopy(data)
    for path, value in changes.items():
        steps: list[str | int] = [
            name if name else (item if item == "+" else int(item)) for name, item in _STEP.findall(path)
        ]
        node: Any = result
        for step in steps[:-1]:
            if isinstance(step, str) and isinstance(node, dict) and step not in node:
                node[step] = {}
            node = node[step]
        last = steps[-1]
        if last == "+":
            node.append(value)
        elif value == "__delete__":
            node.pop(last, None) if isinstance(node, dict) else node.pop(last)
        else:
            node[last] = value
    return result


def screen_data(data: dict[str, Any], *, c1d1: date | None = None, today: date = TODAY) -> ScreeningResult:
    record = dossier.from_mapping(data, as_of=today)
    return screen(record, load_protocol(), as_of=today, c1d1=c1d1)
