"""A screening report as PDF (fpdf2): verdicts, blocking criteria with evidence, what to collect."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF


def _latin(text: object) -> str:
    return str(text).encode("latin-1", "replace").decode("latin-1")


def report_pdf(subject_code: str, r: dict[str, Any]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: object, size: float = 10, style: str = "", height: float = 5) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(width, height, _latin(text))

    line(f"HEM-iSMART screening report: {subject_code}", 15, "B", 8)
    line(
        f"Screened {r['screened_on']} - planned C1D1 {r.get('planned_c1d1') or 'not given'} - protocol data "
        f"{r['protocol']['name']} {r['protocol']['version']} - engine {r['engine_version']}",
        9,
    )
    rec = r["recommendation"]
    line(
        f"Recommendation: {rec.get('subprotocol') or ', '.join(rec.get('candidates', [])) or 'none'}. "
        f"{rec['reason']}",
        10,
        "B",
    )
    for sp in r["subprotocols"]:
        pdf.ln(3)
        line(
            f"{sp['id']} - {sp['name']}: {sp['verdict']} "
            f"(earliest C1D1 {sp.get('earliest_c1d1') or 'unknown'})",
            12,
            "B",
            7,
        )
        if sp.get("missing"):
            line("To collect: " + "; ".join(sp["missing"]), 9)
        for c in sp["criteria"]:
            if c["status"] == "MET":
                continue
            line(f"[{c['status']}] {c.get('number') or '-'} {c['label']}: {c['summary']}", 9, "", 4.5)
            for key, value in (c.get("evidence") or {}).items():
                line(f"    {key}: {value}", 8, "", 4)
    pdf.ln(4)
    line("A screening aid: the investigator and the sponsor decide eligibility.", 8, "I")
    return bytes(pdf.output())
