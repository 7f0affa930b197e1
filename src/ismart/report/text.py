"""The terminal report: what blocks which sub-protocol and why, what to collect, when C1D1 could be."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ismart.eligibility.result import MatchedAlteration, ScreeningResult, SubprotocolResult
from ismart.eligibility.status import Status, Verdict

STATUS_STYLE = {
    Status.MET: "green",
    Status.NOT_MET: "red",
    Status.UNKNOWN: "yellow",
    Status.REVIEW: "magenta",
}
VERDICT_STYLE = {
    Verdict.ELIGIBLE: "bold green",
    Verdict.NOT_ELIGIBLE: "bold red",
    Verdict.INCOMPLETE: "bold yellow",
    Verdict.NEEDS_REVIEW: "bold magenta",
}


def _match(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "undetermined"}[value]


def _alteration_name(a: MatchedAlteration) -> str:
    return a.detail if a.kind == "fusion" else f"{a.gene} {a.detail}"


def _overview(result: ScreeningResult) -> Table:
    table = Table(title="Sub-protocols", title_justify="left", expand=False)
    for column in ("", "drugs", "status", "molecular match", "verdict", "earliest C1D1"):
        table.add_column(column)
    for s in result.subprotocols:
        status = s.status.replace("_", " ")
        if s.site_status:
            status += f" (site: {s.site_status.replace('_', ' ')})"
        table.add_row(
            s.id,
            " + ".join(s.drugs),
            status,
            _match(s.molecular_match),
            Text(s.verdict.value, VERDICT_STYLE[s.verdict]),
            str(s.earliest_c1d1 or "-"),
        )
    return table


def _detail(s: SubprotocolResult, show_all: bool) -> Panel:
    rows = Table(show_header=True, box=None, pad_edge=False, expand=True)
    rows.add_column("no.", no_wrap=True)
    rows.add_column("criterion", no_wrap=True)
    rows.add_column("status", no_wrap=True)
    rows.add_column("why")
    shown = s.criteria if show_all else s.blocking()
    for c in shown:
        rows.add_row(c.number or "-", c.key, Text(c.status.value, STATUS_STYLE[c.status]), Text(c.summary))
    parts: list[Table | Text] = []
    if s.alterations:
        alts = "; ".join(_alteration_name(a) + f" [{a.status.value}]" for a in s.alterations)
        parts.append(Text(f"Alterations: {alts}"))
    if shown:
        parts.append(rows)
    else:
        parts.append(Text("Every criterion is met.", "green"))
    if s.missing:
        parts.append(Text("To collect: " + "; ".join(s.missing), "yellow"))
    title = Text.assemble(
        f"{s.id}  {s.name}  ",
        (s.verdict.value, VERDICT_STYLE[s.verdict]),
        f"  earliest C1D1 {s.earliest_c1d1 or 'unknown'}",
    )
    return Panel(Group(*parts), title=title, title_align="left")


def render(result: ScreeningResult, console: Console, *, show_all: bool = False) -> None:
    head = (
        f"Patient {result.patient_id or '(no id)'} · {result.protocol_name} data "
        f"{result.protocol_version} · planned C1D1 {result.planned_c1d1 or 'not given'}"
        f" · screened {result.screened_on}"
    )
    console.print(Text(head, "bold"))
    console.print(_overview(result))
    for s in result.subprotocols:
        console.print(_detail(s, show_all))
    rec = result.recommendation
    label = rec.subprotocol or (
        "tumour board to choose: " + ", ".join(rec.candidates) if rec.candidates else "none"
    )
    console.print(Panel(Text(rec.reason), title=f"Recommendation: {label}", title_align="left"))
    if not show_all:
        console.print(Text("Criteria that are MET are not listed; use --all to show every criterion.", "dim"))
