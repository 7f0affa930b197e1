"""The shared model of a dose-escalation trial: patients, per-level counts, designs, decisions.

Every design module (``rolling6``, ``three_plus_three``, ``boin``) builds on this one; this module
imports none of them (the dispatch by design name is ``designs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, get_args

from ismart.errors import InputError, InternalError
from ismart.protocol import load_protocol
from ismart.protocol.model import DoseFinding

DesignName = Literal["rolling6", "3+3", "boin"]
Evaluable = Literal["yes", "no", "pending"]
DecisionKind = Literal["enrol", "wait", "escalate", "de-escalate", "suspend", "mtd"]
TableRow = dict[str, str | int | float | None]

DESIGNS: tuple[DesignName, ...] = get_args(DesignName)
EVALUABLE: tuple[Evaluable, ...] = get_args(Evaluable)


def _shipped() -> DoseFinding:
    found = load_protocol().master.dose_finding
    if found is None:
        raise InternalError("the shipped protocol data has no dose_finding section")
    return found


# HEM-iSMART's levels, start level and DLT period are protocol data (master.yaml dose_finding,
# each with its source): B's levels -1, 1, 2 starting at 1; a 28-day DLT period (ismart's reading).
HEM_ISMART_LEVELS: tuple[int, ...] = tuple(_shipped().levels)
HEM_ISMART_START: int = _shipped().start_level
DLT_WINDOW_DAYS: int = _shipped().dlt_window_days


@dataclass(frozen=True)
class PatientRecord:
    """One patient of a dose-finding cohort, as the trial office records them.

    ``evaluable`` is 'yes' once the DLT window is complete (or a DLT occurred), 'no' when the patient
    can never be assessed for DLT (they are then replaced and do not count as "on level"), 'pending'
    while the window is running. ``dlt`` is the outcome; it may be None only while pending.
    """

    patient_id: str
    dose_level: int
    enrolled_on: date
    evaluable: Evaluable
    dlt: bool | None

    def __post_init__(self) -> None:
        if self.evaluable not in EVALUABLE:
            raise InputError(f"evaluable: {self.evaluable!r} is not one of yes, no, pending")
        if self.evaluable == "yes" and self.dlt is None:
            raise InputError("dlt: an evaluable patient needs a DLT outcome (yes or no)")
        if self.evaluable == "no" and self.dlt:
            raise InputError("dlt: a patient who had a DLT is evaluable for DLT; set evaluable to yes")

    @property
    def counts_as_evaluable(self) -> bool:
        """A DLT makes the outcome known even inside the window (grid definition of evaluable)."""
        return self.evaluable == "yes" or (self.evaluable == "pending" and self.dlt is True)


@dataclass(frozen=True)
class LevelCounts:
    """The counts the decision grids are read with, for one dose level."""

    level: int
    on_level: int  # enrolled, excluding patients not evaluable for DLT
    evaluable: int
    dlts: int
    not_evaluable: int = 0

    @property
    def pending(self) -> int:
        return self.on_level - self.evaluable

    def as_dict(self) -> dict[str, int]:
        return {
            "level": self.level,
            "on_level": self.on_level,
            "evaluable": self.evaluable,
            "dlts": self.dlts,
            "pending": self.pending,
            "not_evaluable": self.not_evaluable,
        }


@dataclass(frozen=True)
class Design:
    """A dose-finding design: which rule, which ordered dose levels, where to start.

    ``levels`` run from the lowest to the highest dose. ``target`` (the target DLT rate),
    ``n_earlystop`` and ``cutoff_eli`` only matter for BOIN and default to the BOIN package's values.
    """

    name: DesignName = "rolling6"
    levels: tuple[int, ...] = HEM_ISMART_LEVELS
    start_level: int | None = None
    target: float = 0.3
    n_earlystop: int = 100
    cutoff_eli: float = 0.95

    def __post_init__(self) -> None:
        if self.name not in DESIGNS:
            raise InputError(f"design: {self.name!r} is not one of {', '.join(DESIGNS)}")
        if not self.levels:
            raise InputError("levels: give at least one dose level")
        if any(b <= a for a, b in zip(self.levels, self.levels[1:], strict=False)):
            raise InputError(f"levels: {list(self.levels)} must be distinct and in increasing order")
        if self.start_level is not None and self.start_level not in self.levels:
            raise InputError(f"start level {self.start_level} is not one of the levels {list(self.levels)}")
        if not 0.05 <= self.target <= 0.6:
            raise InputError(f"target: {self.target} must be between 0.05 and 0.6")
        if self.n_earlystop < 1:
            raise InputError("n_earlystop: must be at least 1")

    @property
    def start(self) -> int:
        """The starting level: given, else HEM-iSMART's level 1 when present, else the lowest."""
        if self.start_level is not None:
            return self.start_level
        return HEM_ISMART_START if HEM_ISMART_START in self.levels else self.levels[0]

    def index(self, level: int, what: str = "current level") -> int:
        try:
            return self.levels.index(level)
        except ValueError:
            known = list(self.levels)
            raise InputError(f"{what} {level} is not one of the design's levels {known}") from None


@dataclass(frozen=True)
class Decision:
    """What to do for the next patient, and why."""

    decision: DecisionKind
    dose_level: int | None  # the level for the next patient, None when nobody is to be enrolled now
    reason: str
    mtd: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    eliminated: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "dose_level": self.dose_level,
            "mtd": self.mtd,
            "reason": self.reason,
            "counts": dict(self.counts),
            "eliminated": list(self.eliminated),
        }


@dataclass(frozen=True)
class OperatingCharacteristics:
    """Monte Carlo summary of a design under assumed true DLT probabilities."""

    design: DesignName
    levels: tuple[int, ...]
    true_tox: tuple[float, ...]
    n_trials: int
    seed: int
    selection: dict[int, float]  # probability each level is declared the MTD
    no_mtd: float  # probability the trial ends without an MTD (suspended, or no level qualified)
    mean_patients_per_level: dict[int, float]
    mean_dlts_per_level: dict[int, float]
    mean_patients: float
    dlt_rate: float  # all DLTs over all patients treated, pooled over trials
    mean_duration_days: float | None = None  # rule-based designs under the accrual model

    def as_dict(self) -> dict[str, Any]:
        return {
            "design": self.design,
            "levels": list(self.levels),
            "true_tox": list(self.true_tox),
            "n_trials": self.n_trials,
            "seed": self.seed,
            "selection": {str(k): v for k, v in self.selection.items()},
            "no_mtd": self.no_mtd,
            "mean_patients_per_level": {str(k): v for k, v in self.mean_patients_per_level.items()},
            "mean_dlts_per_level": {str(k): v for k, v in self.mean_dlts_per_level.items()},
            "mean_patients": self.mean_patients,
            "dlt_rate": self.dlt_rate,
            "mean_duration_days": self.mean_duration_days,
        }


def tally(design: Design, patients: Sequence[PatientRecord]) -> list[LevelCounts]:
    """Counts per design level (in level order); rejects duplicate ids and unknown levels."""
    seen: set[str] = set()
    raw = {level: [0, 0, 0, 0] for level in design.levels}  # on, evaluable, dlts, not evaluable
    for p in patients:
        if p.patient_id in seen:
            raise InputError(f"patient {p.patient_id!r} is listed twice")
        seen.add(p.patient_id)
        design.index(p.dose_level, what=f"patient {p.patient_id!r}: dose level")
        row = raw[p.dose_level]
        if p.evaluable == "no":
            row[3] += 1
            continue
        row[0] += 1
        if p.counts_as_evaluable:
            row[1] += 1
            row[2] += bool(p.dlt)
    return [LevelCounts(level, *row) for level, row in raw.items()]


def current_level_of(design: Design, patients: Sequence[PatientRecord], current: int | None) -> int:
    """The level the trial stands at: given, else the latest enrolment's level, else the start."""
    if current is not None:
        design.index(current)
        return current
    if not patients:
        return design.start
    latest = max(range(len(patients)), key=lambda i: (patients[i].enrolled_on, i))
    return patients[latest].dose_level


def check_true_tox(design: Design, true_tox: Sequence[float]) -> tuple[float, ...]:
    tox = tuple(float(p) for p in true_tox)
    if len(tox) != len(design.levels):
        raise InputError(f"true toxicities: {len(tox)} given for {len(design.levels)} dose levels")
    if any(not 0.0 <= p <= 1.0 for p in tox):
        raise InputError("true toxicities: every probability must be between 0 and 1")
    return tox


def summarise(
    design: Design,
    tox: tuple[float, ...],
    n_trials: int,
    seed: int,
    totals: tuple[list[int], list[int], list[int], int],
    duration_days: float | None,
) -> OperatingCharacteristics:
    """Turn per-level sums over trials (selected, patients, DLTs, trials without MTD) into rates."""
    selected, patients, dlts, no_mtd = totals
    levels = design.levels
    all_patients = sum(patients)
    return OperatingCharacteristics(
        design=design.name,
        levels=levels,
        true_tox=tox,
        n_trials=n_trials,
        seed=seed,
        selection={lv: s / n_trials for lv, s in zip(levels, selected, strict=True)},
        no_mtd=no_mtd / n_trials,
        mean_patients_per_level={lv: n / n_trials for lv, n in zip(levels, patients, strict=True)},
        mean_dlts_per_level={lv: d / n_trials for lv, d in zip(levels, dlts, strict=True)},
        mean_patients=all_patients / n_trials,
        dlt_rate=sum(dlts) / all_patients if all_patients else 0.0,
        mean_duration_days=duration_days,
    )
