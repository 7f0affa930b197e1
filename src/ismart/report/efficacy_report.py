"""Efficacy-stage reports of one sub-protocol: the stage and its decision, enrolment by site and
month, and the CONSORT-style flow, as CSV, a PNG flow diagram and a one-file PDF."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ismart.response.best import orr
from ismart.response.efficacy import FLOW_STEPS, EfficacyReport, EfficacyState, EnrolmentRow, Flow

LABELS = {
    "screened": "Screened",
    "eligible": "Eligible",
    "referred": "Referred by the board",
    "registered": "Registered",
    "treated": "Treated",
    "evaluable": "Evaluable for response",
    "responded": "Responded",
}


def _csv(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def flow_csv(flow: Flow) -> str:
    return _csv(
        [["subprotocol", "step", "subjects"], *([flow.subprotocol, s, flow.counts[s]] for s in FLOW_STEPS)]
    )


def enrolment_csv(subprotocol: str, rows: list[EnrolmentRow]) -> str:
    body: list[list[object]] = [[subprotocol, r.site_code, r.month, r.registered] for r in rows]
    total = sum(r.registered for r in rows)
    return _csv([["subprotocol", "site", "month", "registered"], *body, [subprotocol, "all", "all", total]])


def _orr_text(st: EfficacyState) -> str:
    """The registry text's primary endpoint: responders among the evaluable, pending ones apart."""
    rate = orr([o.responder for o in st.patients if o.evaluable])
    if rate.rate is None:
        return "no evaluable patient yet"
    pending = f", {rate.unknown} awaiting assessment" if rate.unknown else ""
    return f"{rate.responders} of {rate.evaluable} evaluable ({rate.rate:.0%}){pending}"


def efficacy_lines(report: EfficacyReport) -> list[tuple[str, str]]:
    """The efficacy stage as label/value pairs (the CSV and the PDF show the same)."""
    st, d, data = report.state, report.state.design, report.design_data
    lines = [
        ("sub-protocol", report.subprotocol),
        ("recommended phase II dose level", str(report.rp2d.dose_level) if report.rp2d else "not declared"),
        ("design", f"Simon two-stage ({data.status})" if data else "none in the protocol data"),
    ]
    if d is None:
        lines.append(("open question", (data.question or "") if data else "no efficacy design"))
    else:
        lines += [
            ("stage 1", f"stop with at most {d.r1} responses among the first {d.n1} evaluable"),
            ("final", f"promising with more than {d.r} responses among {d.n} evaluable"),
        ]
    lines += [
        ("stage", st.stage.value),
        ("decision", st.decision),
        (
            "evaluable / responders / pending / not evaluable",
            f"{st.evaluable} / {st.responders} / {st.pending} / {st.not_evaluable}",
        ),
        ("stage 1 evaluable / responders", f"{st.stage1_evaluable} / {st.stage1_responders}"),
        ("ORR after cycle 1 at the RP2D", _orr_text(st)),
    ]
    for name, c in (("p0", st.at_p0), ("p1", st.at_p1)):
        if c is not None:
            lines.append(
                (
                    f"operating characteristics at {name} = {c.p:g}",
                    f"P(stop after stage 1) {c.pet:.3f}, expected n {c.en:.1f}, "
                    f"P(declared promising) {c.reject_h0:.3f}",
                )
            )
    return lines


def efficacy_csv(report: EfficacyReport) -> str:
    rows: list[list[object]] = [["item", "value"]]
    rows += [[k, v] for k, v in efficacy_lines(report)]
    return _csv(rows)


def flow_png(flow: Flow, path: Path) -> None:
    """Boxes top to bottom with the count in each and the drop between consecutive steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    steps = list(FLOW_STEPS)
    fig, ax = plt.subplots(figsize=(6.4, 8.0), dpi=120)
    ax.set_xlim(0, 10)
    ax.set_ylim(0, len(steps) * 2)
    ax.axis("off")
    ax.set_title(f"Sub-protocol {flow.subprotocol}: flow of subjects", fontsize=13)
    for i, step in enumerate(steps):
        y = (len(steps) - 1 - i) * 2 + 0.4
        ax.add_patch(FancyBboxPatch((2, y), 6, 1.2, boxstyle="round,pad=0.05", fc="#e8f0fe", ec="#1a4b8c"))
        ax.text(5, y + 0.6, f"{LABELS[step]}: {flow.counts[step]}", ha="center", va="center", fontsize=11)
        if i:
            ax.annotate(
                "",
                xy=(5, y + 1.3),
                xytext=(5, y + 1.95),
                arrowprops={"arrowstyle": "->", "color": "#1a4b8c"},
            )
            lost = flow.counts[steps[i - 1]] - flow.counts[step]
            if lost > 0:
                ax.text(5.25, y + 1.62, f"- {lost}", ha="left", va="center", fontsize=9, color="#6b2c00")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _latin(text: str) -> str:
    return text.replace("\u2013", "-").replace("\u2014", "-").encode("latin-1", "replace").decode("latin-1")


def to_pdf(
    report: EfficacyReport, flow: Flow, rows: list[EnrolmentRow], path: Path, *, flow_image: Path
) -> None:
    """One PDF: the efficacy stage and its decision, the enrolment table, the flow diagram."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(
        0, 9, _latin(f"Sub-protocol {report.subprotocol}: efficacy stage"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", size=9)
    with pdf.table(col_widths=(60, 130), text_align="LEFT", line_height=5) as table:
        for key, value in efficacy_lines(report):
            table.row([_latin(key), _latin(value)])
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Enrolment by site and month", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    with pdf.table(col_widths=(60, 40, 40), text_align="LEFT", line_height=5) as table:
        table.row(["Site", "Month", "Registered"])
        for r in rows:
            table.row([r.site_code, r.month, str(r.registered)])
        table.row(["all", "all", str(sum(r.registered for r in rows))])
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Flow of subjects", new_x="LMARGIN", new_y="NEXT")
    pdf.image(str(flow_image), w=140)
    pdf.output(str(path))


def write_all(report: EfficacyReport, flow: Flow, rows: list[EnrolmentRow], folder: Path) -> list[Path]:
    """efficacy.csv, enrolment.csv, flow.csv, flow.png and report.pdf in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    sp = report.subprotocol
    written = {
        folder / f"{sp}-efficacy.csv": efficacy_csv(report),
        folder / f"{sp}-enrolment.csv": enrolment_csv(sp, rows),
        folder / f"{sp}-flow.csv": flow_csv(flow),
    }
    for file, text in written.items():
        file.write_text(text, encoding="utf-8")
    image = folder / f"{sp}-flow.png"
    flow_png(flow, image)
    pdf = folder / f"{sp}-report.pdf"
    to_pdf(report, flow, rows, pdf, flow_image=image)
    return [*written, image, pdf]
