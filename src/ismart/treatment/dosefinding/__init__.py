"""Dose finding: one model of a dose-escalation trial, a registry of designs, one module per design.

    model             patients, per-level counts, Design, Decision, OperatingCharacteristics
    designs           the registry by design name: next_decision, decision_table, simulate
    rolling6          rolling six, the design of every HEM-iSMART sub-protocol
    three_plus_three  the classic 3+3
    boin              BOIN

Imports run one way (design modules -> model; designs -> design modules, lazily). Everything is
pure: records in, a Decision or OperatingCharacteristics out. Reading files and printing belong to
``ismart.cli.dosefinding``.
"""

from ismart.treatment.dosefinding.designs import (
    ENGINES,
    Engine,
    decision_table,
    engine,
    next_decision,
    simulate,
)
from ismart.treatment.dosefinding.model import (
    DESIGNS,
    DLT_WINDOW_DAYS,
    EVALUABLE,
    HEM_ISMART_LEVELS,
    HEM_ISMART_START,
    Decision,
    DecisionKind,
    Design,
    DesignName,
    Evaluable,
    LevelCounts,
    OperatingCharacteristics,
    PatientRecord,
    TableRow,
    check_true_tox,
    current_level_of,
    summarise,
    tally,
)

__all__ = [
    "DESIGNS",
    "DLT_WINDOW_DAYS",
    "ENGINES",
    "EVALUABLE",
    "HEM_ISMART_LEVELS",
    "HEM_ISMART_START",
    "Decision",
    "DecisionKind",
    "Design",
    "DesignName",
    "Engine",
    "Evaluable",
    "LevelCounts",
    "OperatingCharacteristics",
    "PatientRecord",
    "TableRow",
    "check_true_tox",
    "current_level_of",
    "decision_table",
    "engine",
    "next_decision",
    "simulate",
    "summarise",
    "tally",
]
