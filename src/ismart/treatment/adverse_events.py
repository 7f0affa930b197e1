"""Adverse events, DLT-candidate flags, and the safety table per sub-protocol.

The HEM-iSMART DLT definition is not public, and neither is whether the DLT window ends on day 28
or runs to haematological recovery (cycles may last until day 49). So the rule is data:
``DltRule`` holds the window, the minimum grades, the haematological terms, the attribution
threshold and the excluded terms, and ``PLACEHOLDER_DLT_RULE`` is **ismart's own placeholder**
(``shipped_as_placeholder=True``), not the protocol's definition. A trial office replaces it with
the protocol's rule (``DltRule.model_validate(mapping)``).

A flag is a *DLT candidate* for the safety review, never a DLT decision. Study day 1 is C1D1.
Failure to recover blood counts by day 49 is not an adverse-event record and is not flagged here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ismart.errors import InputError, InternalError
from ismart.protocol import load_protocol
from ismart.treatment.ctcae import allowed_grades, canonical_term, is_lab_term

Attribution = Literal["unrelated", "unlikely", "possible", "probable", "definite"]
Window = Literal["day28", "recovery_day49"]
ATTRIBUTIONS: tuple[Attribution, ...] = get_args(Attribution)  # weakest first
CYCLE_LAST_DAY = 28
RECOVERY_LAST_DAY = 49

# ismart's placeholder DLT rule (not HEM-iSMART's: its DLT definition is not public) is data, in
# master.yaml dose_finding.dlt_rule, citing the source ``ismart_placeholder``.
_PLACEHOLDER = load_protocol().master.dose_finding
if _PLACEHOLDER is None:
    raise InternalError("the shipped protocol data has no dose_finding section")
_RULE = _PLACEHOLDER.dlt_rule
PLACEHOLDER_HEMATOLOGIC_TERMS: tuple[str, ...] = tuple(_RULE.hematologic_terms)
PLACEHOLDER_EXCLUDED_TERMS: tuple[str, ...] = tuple(_RULE.excluded_terms)


class AdverseEvent(BaseModel):
    """One adverse event of one patient, graded by CTCAE v5.0."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    patient_id: str = Field(min_length=1)
    term: str = Field(min_length=1)
    grade: int = Field(ge=1, le=5)
    attribution: Attribution
    onset: date
    resolution: date | None = None
    cycle: int = Field(ge=1)
    serious: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.resolution is not None and self.resolution < self.onset:
            raise ValueError(f"resolution {self.resolution} is before onset {self.onset}")
        if is_lab_term(self.term) and self.grade not in allowed_grades(self.term):
            raise ValueError(f"{self.term!r} has no CTCAE v5.0 grade {self.grade}")
        return self


class DltRule(BaseModel):
    """Which adverse events are DLT candidates. The defaults are ismart's placeholder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window: Window = _RULE.window
    min_grade_nonhematologic: int = Field(default=_RULE.min_grade_nonhematologic, ge=1, le=5)
    min_grade_hematologic: int = Field(default=_RULE.min_grade_hematologic, ge=1, le=5)
    hematologic_terms: tuple[str, ...] = PLACEHOLDER_HEMATOLOGIC_TERMS
    attribution_at_least: Attribution = _RULE.attribution_at_least
    excluded_terms: tuple[str, ...] = PLACEHOLDER_EXCLUDED_TERMS
    shipped_as_placeholder: bool = _RULE.source == "ismart_placeholder"

    def is_hematologic(self, term: str) -> bool:
        return _term_key(term) in {_term_key(t) for t in self.hematologic_terms}

    def is_excluded(self, term: str) -> bool:
        return _term_key(term) in {_term_key(t) for t in self.excluded_terms}


PLACEHOLDER_DLT_RULE = DltRule()


@dataclass(frozen=True)
class DltFlag:
    """The verdict on one event: whether it is a DLT candidate, and why (or why not)."""

    event: AdverseEvent
    study_day: int
    candidate: bool
    reason: str


def _term_key(term: str) -> str:
    return canonical_term(term).casefold()


def window_last_day(rule: DltRule, recovery_day: int | None = None) -> int:
    """Last study day of the DLT window.

    'day28' ends on day 28 (``recovery_day`` is ignored). 'recovery_day49' ends on the day of
    haematological recovery, but not before day 28 and not after day 49; while the patient has
    not recovered (``recovery_day`` None) it runs to day 49.
    """
    if rule.window == "day28":
        return CYCLE_LAST_DAY
    if recovery_day is None:
        return RECOVERY_LAST_DAY
    if isinstance(recovery_day, bool) or not isinstance(recovery_day, int) or recovery_day < 1:
        raise InputError(f"recovery_day: {recovery_day!r} is not a study day (1 = C1D1)")
    return min(RECOVERY_LAST_DAY, max(CYCLE_LAST_DAY, recovery_day))


def flag_dlt_candidates(
    events: Iterable[AdverseEvent], c1d1: date, rule: DltRule, recovery_day: int | None = None
) -> list[DltFlag]:
    """One DltFlag per event of one patient, in the order given."""
    chosen = list(events)
    patients = {e.patient_id for e in chosen}
    if len(patients) > 1:
        raise InputError(f"events: one patient at a time (C1D1 is per patient); got {sorted(patients)}")
    last_day = window_last_day(rule, recovery_day)
    return [_flag(event, c1d1, rule, last_day) for event in chosen]


def _flag(event: AdverseEvent, c1d1: date, rule: DltRule, last_day: int) -> DltFlag:
    day = (event.onset - c1d1).days + 1
    misses = _misses(event, day, rule, last_day)
    if misses:
        return DltFlag(event, day, False, "not a DLT candidate: " + "; ".join(misses))
    kind = "haematological" if rule.is_hematologic(event.term) else "non-haematological"
    reason = (
        f"DLT candidate: grade {event.grade} {kind}, attribution {event.attribution}, "
        f"onset day {day} within days 1-{last_day}"
    )
    return DltFlag(event, day, True, reason)


def _misses(event: AdverseEvent, day: int, rule: DltRule, last_day: int) -> list[str]:
    """Every way the event falls short of the rule; empty for a candidate."""
    misses: list[str] = []
    if rule.is_excluded(event.term):
        misses.append(f"{event.term!r} is excluded by the DLT rule")
    if event.cycle != 1:
        misses.append(f"cycle {event.cycle}; the DLT window is in cycle 1")
    if not 1 <= day <= last_day:
        misses.append(f"onset day {day} is outside the DLT window (days 1-{last_day})")
    hematologic = rule.is_hematologic(event.term)
    minimum = rule.min_grade_hematologic if hematologic else rule.min_grade_nonhematologic
    if event.grade < minimum:
        kind = "haematological" if hematologic else "non-haematological"
        misses.append(f"grade {event.grade} is below {minimum} for a {kind} event")
    if ATTRIBUTIONS.index(event.attribution) < ATTRIBUTIONS.index(rule.attribution_at_least):
        misses.append(f"attribution {event.attribution} is below {rule.attribution_at_least}")
    return misses


# ---- the safety table


@dataclass(frozen=True)
class SafetyRow:
    """One sub-protocol's safety summary; event counts unless named for patients.

    ``dlt_candidates`` and ``dlt_candidate_patients`` are None when no DLT rule was given.
    """

    subprotocol: str
    patients: int
    events: int
    events_by_grade: Mapping[int, int]
    grade3_plus: int
    grade3_plus_patients: int
    serious: int
    dlt_candidates: int | None
    dlt_candidate_patients: int | None


def safety_table(
    events_by_subprotocol: Mapping[str, Sequence[AdverseEvent]],
    *,
    rule: DltRule | None = None,
    c1d1: Mapping[str, date] | None = None,
    recovery_day: Mapping[str, int] | None = None,
) -> list[SafetyRow]:
    """One row per sub-protocol, sorted by name. ``patients`` counts patients with any event.

    With a ``rule``, DLT candidates are counted too; ``c1d1`` then gives each patient's C1D1 and
    ``recovery_day`` (optional) their day of haematological recovery.
    """
    return [
        _row(name, events_by_subprotocol[name], rule, c1d1 or {}, recovery_day or {})
        for name in sorted(events_by_subprotocol)
    ]


def _row(
    name: str,
    events: Sequence[AdverseEvent],
    rule: DltRule | None,
    c1d1: Mapping[str, date],
    recovery_day: Mapping[str, int],
) -> SafetyRow:
    severe = [e for e in events if e.grade >= 3]
    flagged = None if rule is None else _candidates(events, rule, c1d1, recovery_day)
    return SafetyRow(
        subprotocol=name,
        patients=len({e.patient_id for e in events}),
        events=len(events),
        events_by_grade={g: sum(e.grade == g for e in events) for g in range(1, 6)},
        grade3_plus=len(severe),
        grade3_plus_patients=len({e.patient_id for e in severe}),
        serious=sum(e.serious for e in events),
        dlt_candidates=None if flagged is None else len(flagged),
        dlt_candidate_patients=None if flagged is None else len({f.event.patient_id for f in flagged}),
    )


def _candidates(
    events: Sequence[AdverseEvent], rule: DltRule, c1d1: Mapping[str, date], recovery_day: Mapping[str, int]
) -> list[DltFlag]:
    flagged: list[DltFlag] = []
    for patient in sorted({e.patient_id for e in events}):
        if patient not in c1d1:
            raise InputError(f"c1d1: no C1D1 date for patient {patient!r}")
        own = [e for e in events if e.patient_id == patient]
        flags = flag_dlt_candidates(own, c1d1[patient], rule, recovery_day.get(patient))
        flagged.extend(f for f in flags if f.candidate)
    return flagged
