"""The design registry: each supported dose-finding design by name, with its three answers.

* ``rolling6``: rolling six (Skolnik JM et al., J Clin Oncol 2008;26:190-5), the design of every
  HEM-iSMART sub-protocol (module ``rolling6``);
* ``3+3``: the classic 3+3 (Storer BE, Biometrics 1989;45:925-37), for other protocols
  (``three_plus_three``);
* ``boin``: BOIN (Liu S & Yuan Y, J R Stat Soc C 2015;64:507-23) (``boin``).

A design module is imported when its design is first used (numpy and scipy stay out of the start of
commands that never run a design). Each module builds only on ``model``; none imports this one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ismart.errors import InputError
from ismart.treatment.dosefinding.model import (
    DLT_WINDOW_DAYS,
    Decision,
    Design,
    DesignName,
    LevelCounts,
    OperatingCharacteristics,
    PatientRecord,
    TableRow,
    check_true_tox,
    current_level_of,
    tally,
)

__all__ = ["ENGINES", "Engine", "Simulation", "decision_table", "engine", "next_decision", "simulate"]


@dataclass(frozen=True)
class Simulation:
    """How trials are simulated (see ``simulate``)."""

    n_trials: int
    seed: int
    max_patients: int | None
    cohort_size: int
    accrual_mean_days: float
    dlt_window_days: float


@dataclass(frozen=True)
class Engine:
    """One design's answers: the next decision, its decision table, its operating characteristics."""

    decide: Callable[[Design, Sequence[LevelCounts], int], Decision]
    table: Callable[[Design, int], list[TableRow]]
    simulate: Callable[[Design, tuple[float, ...], Simulation], OperatingCharacteristics]


def _rolling6() -> Engine:
    from ismart.treatment.dosefinding import rolling6 as r6

    return Engine(
        decide=r6.rolling6_decision,
        table=lambda _design, _n: r6.rolling6_table(),
        simulate=lambda design, tox, sim: r6.simulate_rule_based(
            design,
            r6.rolling6_action,
            True,
            tox,
            sim.n_trials,
            sim.seed,
            sim.max_patients,
            sim.accrual_mean_days,
            sim.dlt_window_days,
        ),
    )


def _three_plus_three() -> Engine:
    from ismart.treatment.dosefinding import rolling6 as r6
    from ismart.treatment.dosefinding import three_plus_three as tpt

    return Engine(
        decide=tpt.three_plus_three_decision,
        table=lambda _design, _n: tpt.three_plus_three_table(),
        simulate=lambda design, tox, sim: r6.simulate_rule_based(
            design,
            tpt.three_plus_three_action,
            False,
            tox,
            sim.n_trials,
            sim.seed,
            sim.max_patients,
            sim.accrual_mean_days,
            sim.dlt_window_days,
        ),
    )


def _boin() -> Engine:
    from ismart.treatment.dosefinding import boin

    return Engine(
        decide=boin.boin_decision,
        table=lambda design, n_max: boin.boin_boundaries(
            design.target, n_max, cutoff_eli=design.cutoff_eli
        ).as_rows(),
        simulate=lambda design, tox, sim: boin.simulate_boin(
            design, tox, sim.n_trials, sim.seed, sim.max_patients or 30, sim.cohort_size
        ),
    )


ENGINES: dict[DesignName, Callable[[], Engine]] = {
    "rolling6": _rolling6,
    "3+3": _three_plus_three,
    "boin": _boin,
}


def engine(name: DesignName) -> Engine:
    """The engine of design ``name`` (a Design validates its name on construction)."""
    return ENGINES[name]()


def next_decision(
    design: Design, patients: Sequence[PatientRecord], current_level: int | None = None
) -> Decision:
    """The decision for the next patient under ``design`` given every patient enrolled so far."""
    counts = tally(design, patients)
    current = current_level_of(design, patients, current_level)
    return engine(design.name).decide(design, counts, current)


def decision_table(design: Design, n_max: int = 30) -> list[TableRow]:
    """The design's decision table as clinicians read it (BOIN: the boundary table up to ``n_max``)."""
    return engine(design.name).table(design, n_max)


def simulate(
    design: Design,
    true_tox: Sequence[float],
    n_trials: int = 2000,
    seed: int = 1,
    max_patients: int | None = None,
    cohort_size: int = 3,
    accrual_mean_days: float = 7.0,
    dlt_window_days: float = DLT_WINDOW_DAYS,
) -> OperatingCharacteristics:
    """Operating characteristics of ``design`` by simulating ``n_trials`` trials (numpy Generator).

    Rolling six and 3+3 run patient by patient in continuous time: exponential inter-arrival times
    with mean ``accrual_mean_days``, a patient's outcome known ``dlt_window_days`` after enrolment,
    accrual held while the grid says so. ``max_patients`` caps them (default: no cap; both designs end
    by themselves). BOIN runs cohort by cohort as in the BOIN package (``max_patients`` default 30).
    """
    tox = check_true_tox(design, true_tox)
    if n_trials < 1:
        raise InputError("trials: must be at least 1")
    if cohort_size < 1:
        raise InputError("cohort size: must be at least 1")
    if max_patients is not None and max_patients < 1:
        raise InputError("max patients: must be at least 1")
    if accrual_mean_days <= 0 or dlt_window_days < 0:
        raise InputError("accrual mean must be positive and the DLT window not negative")
    plan = Simulation(n_trials, seed, max_patients, cohort_size, accrual_mean_days, dlt_window_days)
    return engine(design.name).simulate(design, tox, plan)
