"""Writing the conduct reports: the safety listing as CSV, the dose-escalation chart as PNG/PDF."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta

from ismart.conduct.reports import SAFETY_COLUMNS, EscalationPoint

DLT_COLOUR, OK_COLOUR, PENDING_COLOUR, NE_COLOUR = "#c62828", "#2e7d32", "#1565c0", "#9e9e9e"


def safety_csv(rows: Sequence[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(SAFETY_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def escalation_chart(
    points: Sequence[EscalationPoint],
    *,
    title: str,
    state: str,
    levels: Sequence[int],
    decisions: Sequence[tuple[date, str]] = (),
    fmt: str = "png",
) -> bytes:
    """Patients over time by dose level: a bar per patient from registration to the end of the DLT
    window, a red cross on the day of a DLT; committee decisions as dashed lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.dates import date2num
    from matplotlib.lines import Line2D

    def x(day: date) -> float:
        return float(date2num(day))  # type: ignore[no-untyped-call]

    fig, ax = plt.subplots(figsize=(10, 1.6 + 0.9 * len(levels)), dpi=110)
    rows = {lv: i for i, lv in enumerate(levels)}
    placed: dict[int, int] = {}
    for p in sorted(points, key=lambda q: (q.registered_on, q.subject)):
        k = placed.get(p.dose_level, 0)
        placed[p.dose_level] = k + 1
        y = rows[p.dose_level] + (k % 6 - 2.5) * 0.12
        end = p.window_end or (p.registered_on + timedelta(days=28))
        colour = {"yes": OK_COLOUR, "pending": PENDING_COLOUR, "no": NE_COLOUR}[p.evaluable]
        if p.dlt_on is not None:
            colour = DLT_COLOUR
        ax.plot([x(p.registered_on), x(end)], [y, y], color=colour, linewidth=3, solid_capstyle="butt")
        if p.dlt_on is not None:
            ax.plot([x(p.dlt_on)], [y], marker="X", color=DLT_COLOUR, markersize=9, markeredgecolor="black")
    for day, label in decisions:
        ax.axvline(x(day), color="#555555", linestyle="--", linewidth=0.8)
        ax.text(x(day), -0.55, label, rotation=90, fontsize=7, va="bottom", ha="right", color="#333333")
    ax.set_yticks(range(len(levels)), [f"level {lv}" for lv in levels])
    ax.set_ylim(-0.6, len(levels) - 0.3)
    ax.set_xlabel("date (bar: registration to end of the DLT window)")
    ax.set_title(f"{title}\n{state}", fontsize=9, loc="left")
    legend = [
        Line2D([0], [0], color=OK_COLOUR, lw=3, label="evaluable, no DLT"),
        Line2D(
            [0], [0], color=DLT_COLOUR, lw=3, marker="X", markeredgecolor="black", label="DLT (cross: onset)"
        ),
        Line2D([0], [0], color=PENDING_COLOUR, lw=3, label="in DLT window / pending"),
        Line2D([0], [0], color=NE_COLOUR, lw=3, label="not evaluable (replaced)"),
    ]
    ax.legend(handles=legend, loc="upper left", fontsize=7, framealpha=0.9)
    ax.grid(axis="x", color="#eeeeee")
    ax.xaxis_date()
    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)
    plt.close(fig)
    return buffer.getvalue()
