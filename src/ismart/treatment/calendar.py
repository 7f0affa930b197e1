"""Cycle calendars: every day of every cycle with drug, route and dose (pure, no I/O).

Doses come from the protocol data, or from a dose table the sponsor supplies (``DoseTable``);
a dose the data does not give is never invented: its row says "dose to be set".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from ismart import calculators
from ismart.errors import InputError
from ismart.protocol.model import CycleTemplate, LevelDose, SubProtocol, Treatment

DOSE_TO_BE_SET = "dose to be set"

DoseTable = Mapping[str, Mapping[int, LevelDose]]


@dataclass(frozen=True)
class Body:
    """What the doses are computed from."""

    height_cm: float | None
    weight_kg: float | None
    bsa_formula: str = "mosteller"

    @property
    def bsa_m2(self) -> float | None:
        if self.height_cm is None or self.weight_kg is None:
            return None
        return calculators.BSA_FORMULAS[self.bsa_formula](self.height_cm, self.weight_kg)


@dataclass(frozen=True)
class CalendarRow:
    cycle: int
    day: int
    date: date
    drug: str
    route: str
    dose: float | None
    unit: str | None
    note: str

    @property
    def weekday(self) -> str:
        return self.date.strftime("%a")


@dataclass(frozen=True)
class Calendar:
    subprotocol: str
    name: str
    dose_level: int | None
    start: date
    cycles: int
    cycle_days: int
    body: Body
    rows: tuple[CalendarRow, ...]
    notes: tuple[str, ...] = field(default=())
    questions: tuple[str, ...] = field(default=())

    def cycle_start(self, cycle: int) -> date:
        return self.start + timedelta(days=(cycle - 1) * self.cycle_days)


def _dose(level: LevelDose | None, body: Body) -> tuple[float | None, str | None, str]:
    """The dose in mg for one administration, or None with the reason."""
    if level is None or level.value is None or level.basis is None:
        return None, None, DOSE_TO_BE_SET
    if level.basis == "mg":
        amount, how = level.value, f"{level.value:g} mg flat"
    elif level.basis == "mg/kg":
        if body.weight_kg is None:
            return None, None, f"{DOSE_TO_BE_SET}: weight needed for {level.value:g} mg/kg"
        amount, how = level.value * body.weight_kg, f"{level.value:g} mg/kg x {body.weight_kg:g} kg"
    else:
        bsa = body.bsa_m2
        if bsa is None:
            return None, None, f"{DOSE_TO_BE_SET}: height and weight needed for {level.value:g} mg/m2"
        amount, how = level.value * bsa, f"{level.value:g} mg/m2 x {bsa:.2f} m2 ({body.bsa_formula})"
    if level.max_mg is not None and amount > level.max_mg:
        amount, how = level.max_mg, f"{how}, capped at {level.max_mg:g} mg"
    if level.round_to_mg:
        amount = round(amount / level.round_to_mg) * level.round_to_mg
        how += f", rounded to {level.round_to_mg:g} mg"
    return round(amount, 3), "mg", how


def _levels(treatment: Treatment, supplied: DoseTable | None) -> dict[str, Mapping[int, LevelDose]]:
    table: dict[str, Mapping[int, LevelDose]] = {d.drug: d.levels for d in treatment.doses}
    for drug, levels in (supplied or {}).items():
        table[drug] = {**table.get(drug, {}), **levels}
    return table


def _template(treatment: Treatment, cycle: int) -> CycleTemplate | None:
    return next((t for t in treatment.templates if t.applies(cycle)), None)


def _check(sp: SubProtocol, dose_level: int | None, cycles: int) -> Treatment:
    treatment = sp.treatment
    if treatment is None:
        raise InputError(f"sub-protocol {sp.id} has no treatment data")
    if not treatment.templates:
        raise InputError(f"{sp.name}'s day-by-day schedule is not public (set by the sponsor)")
    if dose_level is not None and dose_level not in treatment.dose_levels:
        raise InputError(f"--dose-level {dose_level} is not a level of {sp.name} ({treatment.dose_levels})")
    limit = treatment.last_cycle
    if not 1 <= cycles <= limit:
        raise InputError(f"--cycles must be 1 to {limit} for {sp.name}")
    return treatment


def build_calendar(
    sp: SubProtocol,
    *,
    dose_level: int | None,
    start: date,
    cycles: int,
    body: Body,
    supplied_doses: DoseTable | None = None,
) -> Calendar:
    """Every drug-day of the first ``cycles`` cycles from ``start`` (cycle 1 day 1)."""
    treatment = _check(sp, dose_level, cycles)
    level = dose_level if dose_level is not None else treatment.starting_level
    doses = _levels(treatment, supplied_doses)
    questions = list(treatment.open_questions)
    rows: list[CalendarRow] = []
    for cycle in range(1, cycles + 1):
        template = _template(treatment, cycle)
        if template is None:
            continue
        first = start + timedelta(days=(cycle - 1) * treatment.cycle_days)
        for item in template.drugs:
            if item.question and item.question not in questions:
                questions.append(item.question)
            amount, unit, how = _dose(
                doses.get(item.drug, {}).get(level) if level is not None else None, body
            )
            for low, high in item.days:
                for day in range(low, high + 1):
                    note = how
                    if day in item.ramp_up_days and cycle == 1:
                        note = "ramp-up day: ramp-up dose set by the sponsor"
                        amount_day: float | None = None
                    else:
                        amount_day = amount
                    if item.question:
                        note += f"; open question Q{questions.index(item.question) + 1}"
                    rows.append(
                        CalendarRow(
                            cycle,
                            day,
                            first + timedelta(days=day - 1),
                            item.drug,
                            item.route,
                            amount_day,
                            unit if amount_day is not None else None,
                            note,
                        )
                    )
    rows.sort(key=lambda r: (r.cycle, r.day, r.drug))
    notes = [treatment.continuation.strip(), f"Intrathecal therapy: {treatment.intrathecal.strip()}"]
    if cycles > treatment.max_cycles:
        notes.append(f"Cycle {treatment.max_cycles + 1} needs complete remission and the sponsor's approval.")
    notes += [
        f"{a.name}: " + (f"cycle {a.cycle} day {a.day}; " if a.day else "") + (a.note or "")
        for a in treatment.assessments
    ]
    return Calendar(
        sp.id,
        sp.name,
        level,
        start,
        cycles,
        treatment.cycle_days,
        body,
        tuple(rows),
        tuple(notes),
        tuple(questions),
    )
