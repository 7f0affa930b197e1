"""Cohort summary: how many samples match each sub-protocol and pathway, and a bar chart."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ismart.protocol.model import AlterationRule, Protocol


@dataclass(frozen=True)
class SummaryRow:
    group: str  # "sub-protocol" or "pathway"
    name: str
    samples: int
    percent: float
    review: int
    review_percent: float


def summarise(result: pl.DataFrame, protocol: Protocol) -> list[SummaryRow]:
    total = result.height
    pathways: dict[str, list[str]] = {}
    for sp in protocol.subprotocols:
        rule = next((c.rule for c in sp.criteria if isinstance(c.rule, AlterationRule)), None)
        if rule is not None:
            pathways.setdefault(rule.pathway, []).append(sp.id)

    def count(column: str, ids: list[str]) -> int:
        pattern = "|".join(rf"(^|,){i}(,|$)" for i in ids)
        return int(result.select(pl.col(column).str.contains(pattern).sum()).item())

    def pct(n: int) -> float:
        return 100.0 * n / total if total else 0.0

    groups = [("sub-protocol", sp.id, [sp.id]) for sp in protocol.subprotocols]
    groups += [("pathway", name, ids) for name, ids in pathways.items()]
    rows = []
    for group, name, ids in groups:
        matched, review = count("candidates", ids), count("review", ids)
        rows.append(SummaryRow(group, name, matched, pct(matched), review, pct(review)))
    none = int(result.select((pl.col("candidates") == "").sum()).item())
    rows.append(SummaryRow("sub-protocol", "none", none, pct(none), 0, 0.0))
    return rows


def bar_chart(rows: list[SummaryRow], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    subs = [r for r in rows if r.group == "sub-protocol"]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    bars = ax.bar([r.name for r in subs], [r.percent for r in subs], color="#4a7fb5", label="match")
    ax.bar(
        [r.name for r in subs],
        [r.review_percent for r in subs],
        bottom=[r.percent for r in subs],
        color="#c9a0dc",
        label="possible (board review)",
    )
    for bar, r in zip(bars, subs, strict=True):
        ax.annotate(
            f"{r.samples:,}\n{r.percent:.1f}%",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    ax.set_ylabel("% of samples")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
