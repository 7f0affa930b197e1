"""Renderings of the tumour-board triage: a rich table and JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from html import escape
from typing import Any

from rich.console import Console
from rich.table import Table

from ismart.molecular.triage import Triage, TriagedAlteration

TIER_STYLE = {
    "protocol-named": "bold green",
    "rule-matched": "green",
    "possible": "magenta",
    "unknown gene symbol": "bold yellow",
    "not actionable": "dim",
}


def _notes(a: TriagedAlteration) -> list[str]:
    """What the board must check about the alteration itself: the symbol, the annotation."""
    return [n for n in (a.symbol_note, a.annotation_error) if n]


def to_dict(result: Triage, protocol_version: str, patient_id: str | None = None) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "protocol_version": protocol_version,
        "alterations": [asdict(a) for a in result.alterations],
        "candidates": [asdict(c) for c in result.candidates],
    }


def render_json(result: Triage, protocol_version: str, patient_id: str | None = None) -> str:
    return json.dumps(to_dict(result, protocol_version, patient_id), indent=2, ensure_ascii=False)


def _support(a: TriagedAlteration) -> str:
    """The alteration's VAF, or for a fusion the reads supporting it."""
    if a.vaf is not None:
        return f"{a.vaf:.1%}"
    if a.reads is not None:
        return f"{a.reads} reads"
    return "-"


def render_html(reports: list[tuple[str | None, Triage]], protocol_version: str) -> str:
    """A self-contained page: one section per patient, alterations (raw beside normalised) and candidates."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>ismart triage</title>",
        "<style>table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px}</style></head><body>",
        f"<p>Protocol data {escape(protocol_version)}</p>",
    ]
    for patient, result in reports:
        parts.append(f"<section><h1>Patient {escape(patient or 'not given')}</h1><h2>Alterations</h2>")
        parts.append(
            "<table><tr><th>alteration</th><th>as written</th><th>VAF / reads</th><th>tier</th>"
            "<th>supports</th><th>rule</th><th>resistance</th><th>notes</th></tr>"
        )
        for a in result.alterations:
            cells = [
                a.name, a.raw or "-", _support(a), a.tier,
                "; ".join(f"{s.subprotocol} ({s.pathway})" for s in a.supports) or "-",
                "; ".join(f"{s.rule} ({s.source}, {s.criterion})" for s in a.supports) or "-",
                "; ".join(a.resistance) or "-",
                "; ".join(_notes(a)) or "-",
            ]  # fmt: skip
            parts.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
        parts.append("</table><h2>Candidate sub-protocols, best first</h2><table>")
        parts.append("<tr><th>sub-protocol</th><th>tier</th><th>alterations</th><th>reasoning</th></tr>")
        for c in result.candidates:
            cells = [c.subprotocol, c.tier, ", ".join(c.alterations), c.reason]
            parts.append("<tr>" + "".join(f"<td>{escape(x)}</td>" for x in cells) + "</tr>")
        parts.append("</table></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render(result: Triage, console: Console, patient_id: str | None = None) -> None:
    console.print(f"[bold]Patient {patient_id or 'not given'}[/]")
    table = Table(title="Alterations", title_justify="left", show_lines=True)
    for column in (
        "alteration",
        "as written",
        "VAF / reads",
        "class",
        "domain",
        "tier",
        "supports",
        "rule (source, criterion)",
        "resistance",
        "notes",
    ):
        table.add_column(column, overflow="fold")  # never cut: the raw string must stay readable
    for a in result.alterations:
        table.add_row(
            a.name,
            a.raw or "-",
            _support(a),
            a.kind
            + (f" ({', '.join(c for c in a.classes if c != 'protein_altering')})" if a.classes else ""),
            "\n".join(a.domains) or "-",
            f"[{TIER_STYLE[a.tier]}]{a.tier}[/]",
            "\n".join(f"{s.subprotocol} ({s.pathway})" for s in a.supports) or "-",
            "\n".join(f"{s.rule} ({s.source}, {s.criterion})" for s in a.supports) or "-",
            "\n".join(a.resistance) or "-",
            "\n".join(_notes(a)) or "-",
        )
    console.print(table)
    ranked = Table(title="Candidate sub-protocols, best first", title_justify="left")
    for column in ("rank", "sub-protocol", "tier", "alterations", "reasoning"):
        ranked.add_column(column, overflow="fold")
    for i, c in enumerate(result.candidates, start=1):
        ranked.add_row(str(i), c.subprotocol, c.tier, ", ".join(c.alterations), c.reason)
    console.print(ranked if result.candidates else "[yellow]No sub-protocol is supported by this profile.[/]")
