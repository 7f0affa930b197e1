"""Calendar outputs a site files or imports: CSV, iCalendar (.ics), a printable PDF and a Gantt PNG;
and the reader for a sponsor-supplied dose table."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ismart import yamlio
from ismart.errors import InputError
from ismart.protocol.model import LevelDose
from ismart.treatment.calendar import Calendar, CalendarRow, DoseTable

CSV_COLUMNS = ("cycle", "day", "date", "weekday", "drug", "route", "dose", "unit", "note")


def _dose_text(row: CalendarRow) -> str:
    return "" if row.dose is None else f"{row.dose:g}"


def to_csv(calendar: Calendar) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in calendar.rows:
        writer.writerow(
            [
                r.cycle,
                r.day,
                r.date.isoformat(),
                r.weekday,
                r.drug,
                r.route,
                _dose_text(r),
                r.unit or "",
                r.note,
            ]
        )
    return out.getvalue()


def to_ics(calendar: Calendar) -> bytes:
    """One all-day event per drug per day, with the dose (or "dose to be set") in the title."""
    from icalendar import Calendar as ICal
    from icalendar import Event

    cal = ICal()
    cal.add("prodid", "-//ismart//HEM-iSMART cycle calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{calendar.name} level {calendar.dose_level}")
    for r in calendar.rows:
        event = Event()
        dose = f"{_dose_text(r)} {r.unit}" if r.dose is not None else "dose to be set"
        event.add("summary", f"C{r.cycle}D{r.day} {r.drug} {r.route} {dose}")
        event.add("dtstart", r.date)
        event.add("dtend", r.date + timedelta(days=1))
        event.add("description", r.note)
        event.add("uid", f"{calendar.subprotocol}-{calendar.start}-c{r.cycle}d{r.day}-{r.drug}@ismart")
        event.add("dtstamp", _stamp(calendar))
        cal.add_component(event)
    return bytes(cal.to_ical())


def _stamp(calendar: Calendar) -> Any:
    from datetime import datetime, time

    return datetime.combine(calendar.start, time.min, tzinfo=UTC)


def to_pdf(calendar: Calendar, path: Path) -> None:
    """A printable A4 landscape table: one line per drug-day, notes and open questions at the end."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    title = f"{calendar.name}: cycle calendar, dose level {calendar.dose_level}"
    pdf.cell(0, 9, _latin(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    bsa = calendar.body.bsa_m2
    meta = (
        f"C1D1 {calendar.start} - {calendar.cycles} cycle(s) of {calendar.cycle_days} days - "
        f"height {calendar.body.height_cm} cm, weight {calendar.body.weight_kg} kg, "
        f"BSA {f'{bsa:.2f} m2 ({calendar.body.bsa_formula})' if bsa else 'unknown'}"
    )
    pdf.cell(0, 6, _latin(meta), new_x="LMARGIN", new_y="NEXT")
    widths = (14, 12, 24, 14, 34, 20, 20, 139)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=5) as table:
        table.row(["Cycle", "Day", "Date", "Wkday", "Drug", "Route", "Dose", "Note"])
        for r in calendar.rows:
            dose = f"{_dose_text(r)} {r.unit}" if r.dose is not None else "to be set"
            table.row(
                [
                    str(r.cycle),
                    str(r.day),
                    r.date.isoformat(),
                    r.weekday,
                    r.drug,
                    r.route,
                    dose,
                    _latin(r.note),
                ]
            )
    pdf.ln(3)
    for i, question in enumerate(calendar.questions, start=1):
        pdf.multi_cell(0, 5, _latin(f"Q{i} (for the sponsor): {question}"), new_x="LMARGIN", new_y="NEXT")
    for note in calendar.notes:
        pdf.multi_cell(0, 5, _latin(f"- {note}"), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def _latin(text: str) -> str:
    """The PDF core fonts are Latin-1: keep accents, replace what they cannot show."""
    return text.replace("\u2013", "-").replace("\u2014", "-").encode("latin-1", "replace").decode("latin-1")


def to_png(calendar: Calendar, path: Path) -> None:
    """A Gantt-style picture: one bar row per drug, days on the x axis, cycles shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drugs = list(dict.fromkeys(r.drug for r in calendar.rows))
    total = calendar.cycles * calendar.cycle_days
    fig, ax = plt.subplots(figsize=(max(8.0, total / 5), 1.0 + 0.5 * len(drugs)), dpi=110)
    for y, drug in enumerate(drugs):
        days = [(r.date - calendar.start).days for r in calendar.rows if r.drug == drug]
        todo = [(r.date - calendar.start).days for r in calendar.rows if r.drug == drug and r.dose is None]
        ax.broken_barh([(d, 0.9) for d in days], (y - 0.35, 0.7), color="#4a7fb5")
        ax.broken_barh(
            [(d, 0.9) for d in todo],
            (y - 0.35, 0.7),
            facecolor="none",
            edgecolor="#c62828",
            hatch="///",
            linewidth=0,
        )
    for cycle in range(calendar.cycles):
        ax.axvspan(
            cycle * calendar.cycle_days,
            (cycle + 1) * calendar.cycle_days,
            color="#f2f2f2" if cycle % 2 else "#ffffff",
            zorder=0,
        )
        ax.text(cycle * calendar.cycle_days + 0.5, len(drugs) - 0.4, f"cycle {cycle + 1}", fontsize=8)
    ax.set_yticks(range(len(drugs)), drugs)
    ax.set_ylim(-0.6, len(drugs) - 0.1)
    ax.set_xlim(0, total)
    ax.set_xticks(range(0, total + 1, 7), [f"d{d % calendar.cycle_days + 1}" for d in range(0, total + 1, 7)])
    ax.invert_yaxis()
    ax.set_title(
        f"{calendar.name}, dose level {calendar.dose_level}, C1D1 {calendar.start} (hatched: dose to be set)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def load_dose_table(path: Path) -> DoseTable:
    """A sponsor's dose table: {drug: {level: {basis, value, max_mg, round_to_mg}}} in YAML."""
    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read the dose table: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a dose table maps drug -> level -> dose")
    table: dict[str, dict[int, LevelDose]] = {}
    for drug, levels in data.items():
        if not isinstance(levels, dict):
            raise InputError(f"{path}: {drug}: expected level -> dose")
        table[str(drug)] = {}
        for level, dose in levels.items():
            try:
                table[str(drug)][int(level)] = LevelDose.model_validate(dose)
            except (ValueError, ValidationError) as exc:
                message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                raise InputError(f"{path}: {drug}.{level}: {message}") from None
    return table
