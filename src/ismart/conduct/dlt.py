"""DLT evaluation of one patient: window, candidates, the investigator's decision, evaluability.

The DLT rule is ``ismart.treatment.adverse_events.DltRule``; HEM-iSMART's definition is not public,
so the shipped rule is ismart's placeholder (``shipped_as_placeholder``), replaced by a sponsor file
(``load_dlt_settings``). The share of planned doses a patient must receive in the DLT window to be
evaluable without a DLT is not public either: ``PLACEHOLDER_MIN_DOSE_FRACTION`` is ismart's
conservative placeholder (every planned dose), read from the protocol data (master.yaml
``dose_finding.dlt_evaluability``) and also replaced by the sponsor file.

A patient is, on a given day:

* evaluable with a DLT once the investigator confirmed a DLT (inside the window too);
* pending while the window runs, while a DLT candidate awaits the investigator, or while the
  doses given in the window are not recorded;
* evaluable without a DLT once the window is over, with no DLT and enough of the planned doses;
* not evaluable (replaced) with too few doses, or off study before the window ended.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field

from ismart import yamlio
from ismart.errors import InternalError
from ismart.protocol import load_protocol
from ismart.treatment.adverse_events import (
    PLACEHOLDER_DLT_RULE,
    AdverseEvent,
    DltFlag,
    DltRule,
    flag_dlt_candidates,
    window_last_day,
)
from ismart.treatment.dosefinding import Evaluable

_SHIPPED = load_protocol().master.dose_finding
if _SHIPPED is None:
    raise InternalError("the shipped protocol data has no dose_finding section")
PLACEHOLDER_MIN_DOSE_FRACTION: float = _SHIPPED.dlt_evaluability.min_dose_fraction
_PLACEHOLDER_EVALUABILITY = _SHIPPED.dlt_evaluability.source == "ismart_placeholder"
SCHEMA_VERSION = 1


class Evaluability(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_dose_fraction: float = Field(default=PLACEHOLDER_MIN_DOSE_FRACTION, gt=0, le=1)
    shipped_as_placeholder: bool = _PLACEHOLDER_EVALUABILITY


class DltSettings(BaseModel):
    """The DLT rule and the evaluability threshold in force; the defaults are placeholders."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = SCHEMA_VERSION
    source: str = "ismart placeholder (HEM-iSMART's DLT definition and evaluability rule are not public)"
    dlt_rule: DltRule = PLACEHOLDER_DLT_RULE
    evaluability: Evaluability = Evaluability()

    @property
    def placeholder(self) -> bool:
        return self.dlt_rule.shipped_as_placeholder or self.evaluability.shipped_as_placeholder


PLACEHOLDER_SETTINGS = DltSettings()


def load_dlt_settings(text: str, name: str) -> DltSettings:
    """A sponsor file: ``schema_version: 1``, ``source``, ``dlt_rule: {...}``, ``evaluability:
    {min_dose_fraction}``. Omitted parts keep the placeholder and stay marked as such."""
    return yamlio.load_versioned(text, name, DltSettings, SCHEMA_VERSION)


@dataclass(frozen=True)
class DoseReceived:
    """One drug in the DLT window: planned and given amounts (mg, or number of administrations)."""

    drug: str
    planned: float
    given: float


@dataclass(frozen=True)
class PatientCourse:
    """What the registry holds about one dose-finding patient."""

    patient_id: str
    dose_level: int
    registered_on: date
    c1d1: date | None = None
    recovery_day: int | None = None
    events: tuple[AdverseEvent, ...] = ()
    doses: tuple[DoseReceived, ...] = ()
    dlt_confirmed: bool | None = None  # the investigator's decision; None = not yet decided
    off_study_on: date | None = None


@dataclass(frozen=True)
class DltEvaluation:
    patient_id: str
    dose_level: int
    window_end: date | None
    in_window: bool
    candidates: tuple[DltFlag, ...]
    dose_fraction: float | None
    evaluable: Evaluable
    dlt: bool | None
    reason: str


_Out = Callable[[Evaluable, bool | None, str], "DltEvaluation"]


def dose_fraction(doses: Sequence[DoseReceived]) -> float | None:
    """The lowest given/planned share over the drugs planned in the window; None when none recorded."""
    shares = [min(d.given / d.planned, 1.0) for d in doses if d.planned > 0]
    return min(shares) if shares else None


def evaluate(course: PatientCourse, settings: DltSettings, on: date) -> DltEvaluation:
    """The patient's DLT status on day ``on`` (``on`` is an argument: no clock is read here)."""
    rule = settings.dlt_rule
    flags: tuple[DltFlag, ...] = ()
    end: date | None = None
    if course.c1d1 is not None:
        end = course.c1d1 + timedelta(days=window_last_day(rule, course.recovery_day) - 1)
        events = [e for e in course.events if e.onset <= on]
        flags = tuple(
            f for f in flag_dlt_candidates(events, course.c1d1, rule, course.recovery_day) if f.candidate
        )
    fraction = dose_fraction(course.doses)
    in_window = end is not None and on <= end and (course.off_study_on is None or course.off_study_on > on)

    def out(evaluable: Evaluable, dlt: bool | None, reason: str) -> DltEvaluation:
        return DltEvaluation(
            course.patient_id, course.dose_level, end, in_window, flags, fraction, evaluable, dlt, reason
        )

    if course.dlt_confirmed:
        return out("yes", True, "DLT confirmed by the investigator")
    undecided = len(flags) if course.dlt_confirmed is None else 0
    if undecided:
        return out("pending", None, f"{undecided} DLT candidate(s) await the investigator's decision")
    if course.c1d1 is None or end is None:
        if course.off_study_on is not None and course.off_study_on <= on:
            return out("no", False, f"off study on {course.off_study_on} before cycle 1 started")
        return out("pending", None, "cycle 1 has not started")
    if course.off_study_on is not None and course.off_study_on <= min(on, end):
        return out("no", False, f"off study on {course.off_study_on}, before the DLT window ended on {end}")
    if in_window:
        return out("pending", None, f"in the DLT window until {end}")
    return _after_window(out, fraction, settings, end)


def _after_window(out: _Out, fraction: float | None, settings: DltSettings, end: date) -> DltEvaluation:
    threshold = settings.evaluability.min_dose_fraction
    marked = " (ismart placeholder)" if settings.evaluability.shipped_as_placeholder else " (sponsor setting)"
    if fraction is None:
        return out("pending", None, f"DLT window ended {end}; the doses given in it are not recorded")
    share = f"{fraction:.0%} of the planned doses"
    if fraction + 1e-9 >= threshold:
        return out("yes", False, f"DLT window ended {end} without DLT; received {share}")
    return out(
        "no",
        False,
        f"received {share} in the DLT window, below the {threshold:.0%} needed{marked}: not evaluable",
    )
