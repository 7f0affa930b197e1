"""Reading a dose-finding cohort: the trial office's patients CSV into PatientRecords.

Columns (header row, any order, case-insensitive): patient_id, dose_level, enrolled_on
(YYYY-MM-DD), evaluable (yes, no or pending), dlt (yes, no, or empty while pending). Every problem
is one InputError naming the source, the line and the column.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from ismart.errors import InputError
from ismart.treatment.dosefinding.model import Evaluable, PatientRecord

__all__ = ["COLUMNS", "parse_patients"]

COLUMNS = ("patient_id", "dose_level", "enrolled_on", "evaluable", "dlt")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YES_NO: dict[str, bool | None] = {"yes": True, "no": False, "": None}
_EVALUABLE: dict[str, Evaluable] = {"yes": "yes", "no": "no", "pending": "pending"}


def parse_patients(text: str, source: str) -> list[PatientRecord]:
    """Patients from CSV text; any problem raises InputError naming ``source``, the line and column."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise InputError(f"{source}:1: the file is empty; expected the columns {', '.join(COLUMNS)}")
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise InputError(f"{source}:1: missing column(s) {', '.join(missing)}")
    where = {c: names.index(c) for c in COLUMNS}
    patients: list[PatientRecord] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            raise InputError(f"{source}:{line}: {len(row)} fields where the header has {len(names)}")
        values = {c: row[i].strip() for c, i in where.items()}
        patient = _patient(values, f"{source}:{line}")
        if patient.patient_id in seen:
            raise InputError(
                f"{source}:{line}: column 'patient_id': {patient.patient_id!r} already on line "
                f"{seen[patient.patient_id]}"
            )
        seen[patient.patient_id] = line
        patients.append(patient)
    return patients


def _patient(v: dict[str, str], at: str) -> PatientRecord:
    def bad(column: str, why: str) -> InputError:
        return InputError(f"{at}: column {column!r}: {v[column]!r} {why}")

    if not v["patient_id"]:
        raise bad("patient_id", "is empty")
    if not re.fullmatch(r"[+-]?\d+", v["dose_level"]):
        raise bad("dose_level", "is not a whole number")
    if not _DATE.fullmatch(v["enrolled_on"]):
        raise bad("enrolled_on", "is not a date (YYYY-MM-DD)")
    try:
        enrolled = date.fromisoformat(v["enrolled_on"])
    except ValueError:
        raise bad("enrolled_on", "is not a valid date") from None
    evaluable = _EVALUABLE.get(v["evaluable"].lower())
    if evaluable is None:
        raise bad("evaluable", "is not yes, no or pending")
    if v["dlt"].lower() not in _YES_NO:
        raise bad("dlt", "is not yes or no")
    dlt = _YES_NO[v["dlt"].lower()]
    try:
        return PatientRecord(v["patient_id"], int(v["dose_level"]), enrolled, evaluable, dlt)
    except InputError as exc:
        raise InputError(f"{at}: column 'dlt': {exc}") from None
