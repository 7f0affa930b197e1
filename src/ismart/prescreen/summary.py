"""Cohort summary: how many samples match each sub-protocol and pathway, and a bar chart.

A sub-protocol whose molecular rule is not public (no alteration rule in the protocol data: A,
withdrawn before recruiting, and E, whose gene list is unpublished) has no count: it is shown as
"rules not public", never as 0 % (nobody can match a rule nobody has seen).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ismart.protocol.model import AlterationRule, Protocol

NOT_PUBLIC = "rules not public"


@dataclass(frozen=True)
class SummaryRow:
    group: str  # "sub-protocol" or "pathway"
    name: str
    samples: int
    percent: float
    review: int
    review_percent: float
    note: str | None = None  # "rules not public" (then samples and review are 0 and mean nothing)

    @property
    def public(self) -> bool:
        return self.note is None


def summarise(result: pl.DataFrame, protocol: Protocol) -> list[SummaryRow]:
    total = result.height
    pathways: dict[str, list[str]] = {}
    hidden: dict[str, str] = {}
    for sp in protocol.subprotocols:
        rule = next((c.rule for c in sp.criteria if isinstance(c.rule, AlterationRule)), None)
        if rule is not None:
            pathways.setdefault(rule.pathway, []).append(sp.id)
        else:
            hidden[sp.id] = f"{sp.status.replace('_', ' ')}; {NOT_PUBLIC}"

    def count(column: str, ids: list[str]) -> int:
        pattern = "|".join(rf"(^|,){i}(,|$)" for i in ids)
        return int(result.select(pl.col(column).str.contains(pattern).sum()).item())

    def pct(n: int) -> float:
        return 100.0 * n / total if total else 0.0

    rows = []
    for sp in protocol.subprotocols:
        if sp.id in hidden:
            rows.append(SummaryRow("sub-protocol", sp.id, 0, 0.0, 0, 0.0, hidden[sp.id]))
            continue
        matched, review = count("candidates", [sp.id]), count("review", [sp.id])
        rows.append(SummaryRow("sub-protocol", sp.id, matched, pct(matched), review, pct(review)))
    for name, ids in pathways.items():
        matched, review = count("candidates", ids), count("review", ids)
        rows.append(SummaryRow("pathway", name, matched, pct(matched), review, pct(review)))
    none = int(result.select((pl.col("candidates") == "").sum()).item())
    rows.append(SummaryRow("sub-protocol", "none", none, pct(none), 0, 0.0))
    return rows


def bar_label(row: SummaryRow) -> str:
    """The text printed over a bar: exactly the numbers the bar is drawn from."""
    if not row.public:
        return row.note or NOT_PUBLIC
    text = f"{row.samples:,} ({row.percent:.1f}%)"
    if row.review:
        text += f"\n+{row.review:,} review ({row.review_percent:.1f}%)"
    return text


def bar_chart(rows: list[SummaryRow], path: Path, title: str) -> None:
    """Stacked bars per sub-protocol (rule-matched, then board review), labelled with their values;
    a sub-protocol without public rules is a hatched, labelled placeholder, not a bar of height 0."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    subs = [r for r in rows if r.group == "sub-protocol"]
    names = ["no candidate" if r.name == "none" else r.name for r in subs]
    top = max([r.percent + r.review_percent for r in subs if r.public] + [1.0])
    ceiling = top * 1.35
    fig, ax = plt.subplots(figsize=(7.5, 4.0), dpi=110)
    public = [r.public for r in subs]
    colours = ["#9aa5b1" if r.name == "none" else "#4a7fb5" for r in subs]
    ax.bar(names, [r.percent for r in subs], color=colours, label="rule matched (candidate)")
    ax.bar(
        names,
        [r.review_percent for r in subs],
        bottom=[r.percent for r in subs],
        color="#c9a0dc",
        label="board review",
    )
    for x, (r, shown) in enumerate(zip(subs, public, strict=True)):
        if shown:
            ax.annotate(
                bar_label(r),
                (x, r.percent + r.review_percent),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
            )
        else:
            ax.bar(x, ceiling, color="none", edgecolor="#999999", hatch="//", linewidth=0.8)
            ax.text(
                x, ceiling / 2, bar_label(r).replace("; ", "\n"), ha="center", va="center", fontsize=7,
                rotation=90, color="#555555", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
            )  # fmt: skip
    ax.set_ylim(0, ceiling)
    ax.set_ylabel("% of samples")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper center", ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
