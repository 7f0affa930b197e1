"""Renderings of the tumour-board triage: a rich table and JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table

from ismart.molecular.triage import Triage

TIER_STYLE = {
    "protocol-named": "bold green",
    "rule-matched": "green",
    "possible": "magenta",
    "not actionable": "dim",
}


def to_dict(result: Triage, protocol_version: str) -> dict[str, Any]:
    return {
        "protocol_version": protocol_version,
        "alterations": [asdict(a) for a in result.alterations],
        "candidates": [asdict(c) for c in result.candidates],
    }


def render_json(result: Triage, protocol_version: str) -> str:
    return json.dumps(to_dict(result, protocol_version), indent=2, ensure_ascii=False)


def render(result: Triage, console: Console) -> None:
    table = Table(title="Alterations", title_justify="left", show_lines=True)
    for column in (
        "alteration",
        "class",
        "domain",
        "tier",
        "supports",
        "rule (source, criterion)",
        "resistance",
    ):
        table.add_column(column)
    for a in result.alterations:
        table.add_row(
            a.name,
            a.kind
            + (f" ({', '.join(c for c in a.classes if c != 'protein_altering')})" if a.classes else ""),
            "\n".join(a.domains) or "-",
            f"[{TIER_STYLE[a.tier]}]{a.tier}[/]",
            "\n".join(f"{s.subprotocol} ({s.pathway})" for s in a.supports) or "-",
            "\n".join(f"{s.rule} ({s.source}, {s.criterion})" for s in a.supports) or "-",
            "\n".join(a.resistance) or "-",
        )
    console.print(table)
    ranked = Table(title="Candidate sub-protocols, best first", title_justify="left")
    for column in ("rank", "sub-protocol", "tier", "alterations", "reasoning"):
        ranked.add_column(column)
    for i, c in enumerate(result.candidates, start=1):
        ranked.add_row(str(i), c.subprotocol, c.tier, ", ".join(c.alterations), c.reason)
    console.print(ranked if result.candidates else "[yellow]No sub-protocol is supported by this profile.[/]")
