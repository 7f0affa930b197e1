"""Cycle calendars: B's schedule day by day, dose arithmetic, and the four output formats."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar as ICal

from ismart.errors import InputError
from ismart.protocol import load_protocol
from ismart.protocol.model import LevelDose
from ismart.treatment import calendar_io
from ismart.treatment.calendar import DOSE_TO_BE_SET, Body, build_calendar

C1D1 = date(2026, 3, 9)
BODY = Body(height_cm=138, weight_kg=31)


def _days(*ranges: tuple[int, int]) -> set[int]:
    return {d for low, high in ranges for d in range(low, high + 1)}


# Written from the registry text of sub-protocol B (arms section), independently of B.yaml.
B_CYCLE_1 = {
    "dasatinib": _days((1, 14)),  # "28 days of dasatinib (days 1-14)": days 1-14 as written
    "venetoclax": _days((1, 28)),
    "dexamethasone": _days((1, 5)),
    "cyclophosphamide": {3},
    "cytarabine": _days((5, 8), (12, 15)),
}
B_CYCLE_2 = {
    "dasatinib": _days((1, 28)),
    "venetoclax": _days((1, 28)),
    "dexamethasone": _days((1, 5)),
    "cyclophosphamide": {1},
    "cytarabine": _days((3, 6), (10, 13)),
}


def _b() -> object:
    return next(s for s in load_protocol().subprotocols if s.id == "B")


def _calendar(**kwargs: object):  # type: ignore[no-untyped-def]
    args = {"dose_level": 1, "start": C1D1, "cycles": 2, "body": BODY, **kwargs}
    return build_calendar(_b(), **args)  # type: ignore[arg-type]


def test_b_cycles_1_and_2_match_the_registry_day_by_day() -> None:
    cal = _calendar()
    for cycle, expected in ((1, B_CYCLE_1), (2, B_CYCLE_2)):
        got: dict[str, set[int]] = {}
        for row in cal.rows:
            if row.cycle == cycle:
                got.setdefault(row.drug, set()).add(row.day)
        assert got == expected
    assert all((r.date - C1D1).days == (r.cycle - 1) * 28 + r.day - 1 for r in cal.rows)
    first_c2 = min(r.date for r in cal.rows if r.cycle == 2)
    assert first_c2 == date(2026, 4, 6)  # day 29 after C1D1: 28-day cycles


def test_dates_and_weekdays() -> None:
    cal = _calendar(cycles=1)
    cyclo = next(r for r in cal.rows if r.drug == "cyclophosphamide")
    assert (cyclo.date, cyclo.weekday) == (date(2026, 3, 11), "Wed")


def test_unpublished_doses_are_never_invented_and_the_dasatinib_question_is_flagged() -> None:
    cal = _calendar()
    assert all(r.dose is None for r in cal.rows)
    assert all(DOSE_TO_BE_SET in r.note or "ramp-up" in r.note for r in cal.rows)
    dasatinib_c1 = [r for r in cal.rows if r.drug == "dasatinib" and r.cycle == 1]
    assert all("open question" in r.note for r in dasatinib_c1)
    assert any("28 days of dasatinib" in q for q in cal.questions)
    venetoclax_d1 = next(r for r in cal.rows if r.drug == "venetoclax" and r.cycle == 1 and r.day == 1)
    assert "ramp-up" in venetoclax_d1.note


def test_supplied_doses_by_bsa_weight_flat_with_cap_and_rounding() -> None:
    # Illustrative numbers for the arithmetic only; they are not HEM-iSMART doses.
    supplied = {
        "cytarabine": {1: LevelDose(basis="mg/m2", value=100)},
        "dexamethasone": {1: LevelDose(basis="mg/m2", value=10, max_mg=10, round_to_mg=0.5)},
        "cyclophosphamide": {1: LevelDose(basis="mg/kg", value=10)},
        "dasatinib": {1: LevelDose(basis="mg", value=50)},
    }
    cal = _calendar(cycles=1, supplied_doses=supplied)
    dose = {r.drug: r.dose for r in cal.rows if r.day == 5 or r.drug == "cyclophosphamide"}
    bsa = (138 * 31 / 3600) ** 0.5  # Mosteller: 1.0894 m2
    assert dose["cytarabine"] == pytest.approx(round(100 * bsa, 3))
    assert dose["dexamethasone"] == 10.0  # 10.89 mg capped at 10
    assert dose["cyclophosphamide"] == 310.0
    assert dose["dasatinib"] == 50.0
    assert dose["venetoclax"] is None


def test_bsa_dose_without_height_is_to_be_set() -> None:
    supplied = {"cytarabine": {1: LevelDose(basis="mg/m2", value=100)}}
    cal = _calendar(cycles=1, supplied_doses=supplied, body=Body(None, 31))
    row = next(r for r in cal.rows if r.drug == "cytarabine")
    assert row.dose is None and "height and weight needed" in row.note


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"dose_level": 3}, "not a level"),
        ({"cycles": 4}, "--cycles"),
        ({"cycles": 0}, "--cycles"),
    ],
)
def test_bad_requests(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(InputError, match=words):
        _calendar(**kwargs)


def test_unpublished_schedule_is_refused() -> None:
    d = next(s for s in load_protocol().subprotocols if s.id == "D")
    with pytest.raises(InputError, match="not public"):
        build_calendar(d, dose_level=None, start=C1D1, cycles=1, body=BODY)


def test_third_cycle_needs_sponsor_approval_note() -> None:
    cal = _calendar(cycles=3)
    assert {r.cycle for r in cal.rows} == {1, 2, 3}
    assert any("sponsor's approval" in n for n in cal.notes)


def test_csv_has_one_row_per_drug_per_day() -> None:
    cal = _calendar()
    lines = calendar_io.to_csv(cal).splitlines()
    assert lines[0].split(",")[:9] == [
        "cycle",
        "day",
        "date",
        "weekday",
        "drug",
        "route",
        "dose",
        "unit",
        "note",
    ]
    assert len(lines) - 1 == sum(len(v) for v in B_CYCLE_1.values()) + sum(len(v) for v in B_CYCLE_2.values())


def test_ics_round_trips() -> None:
    cal = _calendar()
    parsed = ICal.from_ical(calendar_io.to_ics(cal))
    events = parsed.walk("VEVENT")
    assert len(events) == len(cal.rows)
    first = events[0]
    assert first.decoded("dtstart") == C1D1
    assert str(first.get("summary")).startswith("C1D1 dasatinib oral")
    assert len({str(e.get("uid")) for e in events}) == len(events)


def test_pdf_renders_a_page_with_the_table(tmp_path: Path) -> None:
    out = tmp_path / "cal.pdf"
    calendar_io.to_pdf(_calendar(), out)
    assert out.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm") and shutil.which("pdftotext"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")], check=True
        )
        assert (tmp_path / "p-1.png").exists() or (tmp_path / "p-01.png").exists()
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert "cyclophosphamide" in text and "2026-03-11" in text


def test_png_gantt(tmp_path: Path) -> None:
    out = tmp_path / "cal.png"
    calendar_io.to_png(_calendar(), out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dose_table_file_errors_name_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "doses.yaml"
    path.write_text("cytarabine:\n  1: {basis: mg/m3, value: 100}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"cytarabine\.1"):
        calendar_io.load_dose_table(path)
