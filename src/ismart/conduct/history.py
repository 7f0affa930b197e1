"""The dose-finding history derived from recorded data, and the design's answer to a registration.

``patient_records`` turns the per-patient DLT evaluations into the records the design engines read;
``registration_answer`` asks the engine (``ismart.treatment.dosefinding.next_decision``) and says
what a registration gets: ENROL at a level, or SUSPEND with why and until when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from ismart.conduct.dlt import DltEvaluation
from ismart.treatment.dosefinding import Decision, Design, LevelCounts, PatientRecord, next_decision, tally

Action = Literal["ENROL", "SUSPEND"]
PROPOSALS = ("escalate", "de-escalate", "mtd")  # decisions the safety committee takes


@dataclass(frozen=True)
class Registered:
    """One registration in dose finding, with the DLT evaluation as of the day asked about."""

    code: str
    registered_on: date
    evaluation: DltEvaluation


@dataclass(frozen=True)
class Answer:
    action: Action
    dose_level: int | None
    reason: str
    until: date | None
    decision: Decision
    counts: tuple[LevelCounts, ...] = field(default=())
    needs_committee: bool = False


def patient_records(registered: Sequence[Registered]) -> list[PatientRecord]:
    """The engine's view: level, enrolment day, evaluable yes/no/pending, DLT."""
    return [
        PatientRecord(
            patient_id=r.code,
            dose_level=r.evaluation.dose_level,
            enrolled_on=r.registered_on,
            evaluable=r.evaluation.evaluable,
            dlt=r.evaluation.dlt,
        )
        for r in registered
    ]


def _pending_text(level: int, registered: Sequence[Registered]) -> tuple[str, date | None]:
    here = [r for r in registered if r.evaluation.dose_level == level and r.evaluation.evaluable != "no"]
    pending = [r for r in here if r.evaluation.evaluable == "pending"]
    ends = sorted(r.evaluation.window_end for r in pending if r.evaluation.window_end is not None)
    head = f"{len(here)} patients at level {level}, {len(pending)} still"
    text = f"{head} in their DLT window ending {ends[-1]}" if ends else f"{head} pending"
    return text, (ends[0] if ends else None)


def registration_answer(
    design: Design,
    registered: Sequence[Registered],
    current_level: int,
    *,
    awaiting_committee: str | None = None,
) -> Answer:
    """ENROL at the engine's level, or SUSPEND with the reason; proposals go to the committee."""
    records = patient_records(registered)
    decision = next_decision(design, records, current_level)
    counts = tuple(tally(design, records))
    if awaiting_committee is not None:
        return Answer(
            "SUSPEND", None, f"awaiting the safety committee: {awaiting_committee}", None, decision, counts
        )
    if decision.decision == "enrol" and decision.dose_level is not None:
        return Answer("ENROL", decision.dose_level, decision.reason, None, decision, counts)
    if decision.decision in PROPOSALS:
        what = decision.reason
        return Answer("SUSPEND", None, f"awaiting the safety committee: {what}", None, decision, counts, True)
    if decision.decision == "wait":
        text, until = _pending_text(current_level, registered)
        return Answer("SUSPEND", None, f"{text}: {decision.reason}", until, decision, counts)
    return Answer("SUSPEND", None, decision.reason, None, decision, counts)
