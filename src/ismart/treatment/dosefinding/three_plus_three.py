"""The classic 3+3 design (Storer BE, Biometrics 1989;45:925-37), for protocols other than HEM-iSMART.

Cohorts of three: 0/3 DLTs escalates; 1/3 expands the level to six; 1/6 escalates; more than 1/3 or
2/6 or more means the level exceeds the MTD and is never offered again. The MTD is the highest level
with at most 1/6, which must therefore have six evaluable patients: a level reached on the way down
(or the highest level) is expanded to six before it is declared. Patients not evaluable for DLT are
replaced and do not count. The elimination, de-escalation and MTD bookkeeping is shared with rolling
six (``rolling6.resolve``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ismart.treatment.dosefinding.model import Decision, Design, LevelCounts, TableRow
from ismart.treatment.dosefinding.rolling6 import (
    DEESCALATE,
    ENROL,
    ESCALATE,
    FULL,
    WAIT,
    make_decision,
    resolve,
)

COHORT = 3


def three_plus_three_action(on: int, ev: int, d: int) -> int:
    """The 3+3 answer for the current level, next level assumed open."""
    if d >= 2:
        return DEESCALATE
    if on < COHORT:
        return ENROL
    if on == COHORT:
        if ev < COHORT:
            return WAIT
        return ESCALATE if d == 0 else ENROL
    if on < FULL:
        return ENROL
    return ESCALATE if ev >= FULL else WAIT


def _rule_text(on: int, ev: int, d: int) -> str:
    if d >= 2:
        return f"{d} DLTs in {ev} evaluable: more than 1/3 or at least 2/6, the level exceeds the MTD"
    if on < COHORT:
        return f"{on} of a cohort of {COHORT} enrolled"
    if ev < on:
        return f"{ev} of {on} evaluable: the cohort's outcomes are pending"
    if on == COHORT:
        return f"{d}/{COHORT} DLT" + ("" if d == 0 else ": expand the level to six")
    if on < FULL:
        return f"{on} enrolled with {d} DLT: expanding the level to six"
    return f"{d}/{ev} DLT"


def three_plus_three_decision(design: Design, counts: Sequence[LevelCounts], current: int) -> Decision:
    """The 3+3 decision for the next patient."""
    cur = design.index(current)
    on = [c.on_level for c in counts]
    ev = [c.evaluable for c in counts]
    d = [c.dlts for c in counts]
    res = resolve(three_plus_three_action, False, on, ev, d, cur)
    c = counts[cur]
    return make_decision(design, counts, current, res, _rule_text(c.on_level, c.evaluable, c.dlts), "3+3")


TOO_TOXIC = "level exceeds the MTD; de-escalate (six at the lower level confirm the MTD)"
THREE_PLUS_THREE_RULES: tuple[tuple[str, str, str, str], ...] = (
    ("3", "0", "escalate", "escalate to the next level (at the highest level: expand to six)"),
    ("3", "1", "enrol", "expand the level to six"),
    ("3", ">=2", "de-escalate", TOO_TOXIC),
    ("6", "<=1", "escalate", "escalate (at the highest level, or below an eliminated level: MTD)"),
    ("6", ">=2", "de-escalate", TOO_TOXIC),
)


def three_plus_three_table() -> list[TableRow]:
    """The 3+3 rules as clinicians read them (evaluable patients and DLTs on the current level)."""
    return [
        {"evaluable": ev, "dlts": d, "decision": kind, "next_patient": text}
        for ev, d, kind, text in THREE_PLUS_THREE_RULES
    ]
