"""Rolling six (Skolnik JM et al., J Clin Oncol 2008;26:190-5), and the engine it shares with 3+3.

Rolling six lets up to six patients be on a level at once instead of waiting for each cohort of
three, which shortens paediatric phase I trials without treating more patients at toxic doses. The
decision for the next patient depends only on the current level's counts (patients on level,
evaluable, DLTs); ``GRID`` restates every row of the published grid (JAMA Netw Open
2020;3(5):e204787, Table 2, column "Rolling 6") and ``rolling6_action`` implements it.

Around the grid sits the HEM-iSMART MTD rule, which 3+3 shares (``resolve``): a level with >= 2 DLTs
is never offered again (nor anything above it); de-escalating onto a level that already has six
evaluable patients with <= 1 DLT declares it the MTD; de-escalating below the lowest level suspends
accrual; escalating past the highest level declares the highest level the MTD.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ismart.errors import InternalError
from ismart.treatment.dosefinding.model import (
    Decision,
    DecisionKind,
    Design,
    LevelCounts,
    OperatingCharacteristics,
    TableRow,
    summarise,
)

# Action codes: small ints keep the simulator's inner loop cheap.
ENROL, WAIT, ESCALATE, DEESCALATE, MTD, SUSPEND = range(6)
KIND: tuple[DecisionKind, ...] = ("enrol", "wait", "escalate", "de-escalate", "mtd", "suspend")
FULL = 6  # at most six patients on a level at once
GridRule = Callable[[int, int, int], int]
Resolution = tuple[int, int, str]  # (action code, level index or -1, why)


@dataclass(frozen=True)
class GridRow:
    """One row of the published grid: inclusive (low, high) ranges and the published wording."""

    on_level: tuple[int, int]
    evaluable: tuple[int, int]
    dlts: tuple[int, int]
    action: int
    text: str
    labels: tuple[str, str, str]

    def matches(self, on: int, ev: int, d: int) -> bool:
        spans = (self.on_level, self.evaluable, self.dlts)
        return all(lo <= x <= hi for x, (lo, hi) in zip((on, ev, d), spans, strict=True))

    @property
    def label(self) -> str:
        on, evaluable, dlts = self.labels
        return f"patients on the level {on}, evaluable {evaluable}, DLTs {dlts} -> {self.text}"


def _row(on: str, ev: str, d: str, action: int, text: str) -> GridRow:
    def span(label: str) -> tuple[int, int]:
        if label == "any":
            return (0, FULL)
        if label.startswith(">="):
            return (int(label[2:]), FULL)
        lo, _, hi = label.partition("-")
        return (int(lo), int(hi or lo))

    return GridRow(span(on), span(ev), span(d), action, text, (on, ev, d))


SAME, HOLD, UP, DOWN = "same dose level", "hold accrual", "escalate", "de-escalate"
UP_OR_MTD = "escalate (or MTD at the highest level)"
GRID: tuple[GridRow, ...] = (
    _row("0-5", "0", "0", ENROL, SAME),
    _row("6", "0", "0", WAIT, HOLD),
    _row("1-5", "1", "0", ENROL, SAME),
    _row("6", "1", "0", WAIT, HOLD),
    _row("2-5", "2", "0", ENROL, SAME),
    _row("6", "2", "0", WAIT, HOLD),
    _row("3", "3", "0", ESCALATE, UP),
    _row("4-5", "3", "0", ENROL, SAME),
    _row("6", "3", "0", WAIT, HOLD),
    _row("4", "4", "0", ESCALATE, UP),
    _row("5", "4", "0", ENROL, SAME),
    _row("6", "4", "0", WAIT, HOLD),
    _row("5", "5", "0", ESCALATE, UP_OR_MTD),
    _row("6", "5", "0", ESCALATE, UP_OR_MTD),
    _row("1-5", "1-5", "1", ENROL, SAME),
    _row("6", "1-3", "1", WAIT, HOLD),
    _row("6", "4", "1", WAIT, HOLD),
    _row("6", "5", "1", WAIT, HOLD),
    _row("6", "6", "1", ESCALATE, UP),
    _row("2-6", "2-6", "2", DEESCALATE, DOWN),
    _row("any", "any", ">=3", DEESCALATE, DOWN),
)


def rolling6_action(on: int, ev: int, d: int) -> int:
    """The grid's answer for the current level (next level assumed open). More than six on a level
    (not allowed by the design, but possible in data) reads as six; 6/6 without DLT escalates."""
    if d >= 2:
        return DEESCALATE
    if d == 1:
        if on >= FULL:
            return ESCALATE if ev >= FULL else WAIT
        return ENROL
    if ev >= 5 or (ev in (3, 4) and ev == on):
        return ESCALATE
    return ENROL if on < FULL else WAIT


def grid_row(on: int, ev: int, d: int) -> str:
    """The published row a state is read from, for the decision's reason."""
    for row in GRID:
        if row.matches(min(on, FULL), min(ev, FULL), d):
            return row.label
    read = KIND[rolling6_action(on, ev, d)]
    return f"patients on the level {on}, evaluable {ev}, DLTs {d} (not tabulated; read as {read})"


def rolling6_table() -> list[TableRow]:
    """The whole published grid, one dict per row."""
    return [
        {
            "on_level": r.labels[0],
            "evaluable": r.labels[1],
            "dlts": r.labels[2],
            "decision": KIND[r.action],
            "next_patient": r.text,
        }
        for r in GRID
    ]


# --- the engine shared with 3+3 ---------------------------------------------------------------


def first_toxic(d: Sequence[int]) -> int:
    """Index of the lowest level with >= 2 DLTs (len(d) when none): it and all above are ruled out."""
    for i, dlts in enumerate(d):
        if dlts >= 2:
            return i
    return len(d)


def step_down(on: Sequence[int], ev: Sequence[int], d: Sequence[int], target: int, why: str) -> Resolution:
    """De-escalate to ``target``, which may already hold the MTD, be full, or not exist."""
    if target < 0:
        return SUSPEND, -1, "below-lowest"
    if ev[target] >= FULL and d[target] <= 1:
        return MTD, target, "lower-has-six"
    if on[target] >= FULL:
        return WAIT, target, "lower-full"
    return DEESCALATE, target, why


def blocked(on: int, ev: int, d: int, cur: int, top: bool, five_of_five: bool) -> Resolution:
    """Escalation is called for but there is no open level above: confirm ``cur`` as the MTD."""
    why = "top" if top else "next-eliminated"
    if (ev >= FULL and d <= 1) or (five_of_five and top and ev >= 5 and d == 0):
        return MTD, cur, why
    if on < FULL:
        return ENROL, cur, "fill-" + why
    return WAIT, -1, "fill-" + why


def resolve(
    rule: GridRule, five_of_five: bool, on: Sequence[int], ev: Sequence[int], d: Sequence[int], cur: int
) -> Resolution:
    """Apply a level-by-level rule plus the MTD and elimination rules to the whole trial state."""
    toxic = first_toxic(d)
    if cur > toxic:
        return step_down(on, ev, d, toxic - 1, "above-eliminated")
    action = rule(on[cur], ev[cur], d[cur])
    if action == DEESCALATE:
        return step_down(on, ev, d, cur - 1, "grid")
    if action == ESCALATE:
        if cur + 1 < toxic:
            return ESCALATE, cur + 1, "grid"
        return blocked(on[cur], ev[cur], d[cur], cur, cur == len(on) - 1, five_of_five)
    return (ENROL, cur, "grid") if action == ENROL else (WAIT, -1, "grid")


def final_mtd(ev: Sequence[int], d: Sequence[int]) -> int:
    """When a cap stops the trial: the highest level with 0/6 or 1/6 whose next level is toxic or absent."""
    for i in range(len(ev) - 1, -1, -1):
        if ev[i] >= FULL and d[i] <= 1 and (i == len(ev) - 1 or d[i + 1] >= 2):
            return i
    return -1


def make_decision(
    design: Design, counts: Sequence[LevelCounts], current: int, res: Resolution, row: str, rule_name: str
) -> Decision:
    """Wrap a resolution into a ``Decision`` with a reason a clinician can check against the grid."""
    code, idx, why = res
    levels = design.levels
    cur = design.index(current)
    toxic = first_toxic([c.dlts for c in counts])
    level = levels[idx] if idx >= 0 else None
    return Decision(
        decision=KIND[code],
        dose_level=level if code in (ENROL, ESCALATE, DEESCALATE) else None,
        reason=_reason(rule_name, row, why, code, levels, cur, idx, counts),
        mtd=level if code == MTD else None,
        counts=counts[cur].as_dict(),
        eliminated=levels[toxic:],
    )


def _reason(
    rule: str,
    row: str,
    why: str,
    code: int,
    levels: Sequence[int],
    cur: int,
    idx: int,
    counts: Sequence[LevelCounts],
) -> str:
    """One or two sentences naming the rule (and grid row) that produced the decision."""
    head, here = f"{rule} ({row})", levels[cur]
    target = levels[idx] if idx >= 0 else None
    if why == "grid":
        return {
            ENROL: f"{head}: enrol the next patient at level {here}.",
            WAIT: f"{head}: hold accrual at level {here} until a pending patient becomes evaluable.",
            ESCALATE: f"{head}: escalate to level {target}.",
            DEESCALATE: f"{head}: de-escalate to level {target}; level {here} is never offered again.",
        }[code]
    if why == "above-eliminated":
        return (
            f"Level {here} is at or above a level with >= 2 DLTs, which is never offered again: "
            f"go to level {target}."
        )
    if why == "top":
        return f"{head}, but level {here} is the highest level: it is the MTD (highest level reached)."
    if why == "next-eliminated":
        return (
            f"{head}; level {levels[cur + 1]} had >= 2 DLTs, so level {here} is the MTD "
            f"(HEM-iSMART rule: 0/6 or 1/6 with >= 2 DLTs at the next level)."
        )
    if why == "lower-has-six":
        low = counts[idx]
        return (
            f"{head}: de-escalate to level {target}, which already has {low.evaluable} evaluable "
            f"patients with {low.dlts} DLT(s), so it is declared the MTD."
        )
    if why == "lower-full":
        return (
            f"{head}: de-escalate to level {target}, but it already has six on level with "
            f"outcomes pending: hold accrual until they are evaluable."
        )
    if why == "below-lowest":
        return (
            f"{head}: there is no level below {here}; suspend accrual (no tolerated level) and refer "
            f"to the protocol team."
        )
    above = (
        f"level {here} is the highest level"
        if why == "fill-top"
        else (f"level {levels[cur + 1]} had >= 2 DLTs and is never offered again")
    )
    act = f"enrol at level {here}" if code == ENROL else f"hold accrual at level {here}"
    return f"{head}, but {above}: {act} until six evaluable patients can confirm the MTD."


def rolling6_decision(design: Design, counts: Sequence[LevelCounts], current: int) -> Decision:
    """The rolling-six decision for the next patient."""
    cur = design.index(current)
    on, ev, d = _columns(counts)
    res = resolve(rolling6_action, True, on, ev, d, cur)
    c = counts[cur]
    row = "grid row: " + grid_row(c.on_level, c.evaluable, c.dlts)
    return make_decision(design, counts, current, res, row, "Rolling six")


def _columns(counts: Sequence[LevelCounts]) -> tuple[list[int], list[int], list[int]]:
    return [c.on_level for c in counts], [c.evaluable for c in counts], [c.dlts for c in counts]


# --- simulation -------------------------------------------------------------------------------

TrialResult = tuple[int, list[int], list[int], float]  # (MTD index or -1, patients, DLTs, duration)
CHUNK = 4096


def simulate_rule_based(
    design: Design,
    rule: GridRule,
    five_of_five: bool,
    tox: tuple[float, ...],
    n_trials: int,
    seed: int,
    max_patients: int | None,
    accrual_mean_days: float,
    window: float,
) -> OperatingCharacteristics:
    """Simulate a grid design (rolling six, 3+3: its ``rule``) in continuous time (see
    ``designs.simulate``); ``five_of_five`` is rolling six's 5/5-evaluable escalation shortcut.

    Random numbers are drawn in blocks per trial (inter-arrival times, one uniform per patient for
    the DLT) from ``numpy.random.default_rng(seed)``, so a seed fixes every trial.
    """
    n_levels = len(tox)
    most = FULL * n_levels  # neither design ever puts more than six on a level
    cap = min(max_patients, most) if max_patients is not None else most
    rng = np.random.default_rng(seed)
    start = design.index(design.start, "start level")
    selected, patients, dlts = [0] * n_levels, [0] * n_levels, [0] * n_levels
    no_mtd, duration = 0, 0.0
    for first in range(0, n_trials, CHUNK):
        size = min(CHUNK, n_trials - first)
        gaps: list[list[float]] = rng.exponential(accrual_mean_days, (size, 2 * most + 2)).tolist()
        draws: list[list[float]] = rng.random((size, most)).tolist()
        for k in range(size):
            mtd, n, y, days = _one_trial(rule, five_of_five, tox, start, gaps[k], draws[k], window, cap)
            if mtd < 0:
                no_mtd += 1
            else:
                selected[mtd] += 1
            for i in range(n_levels):
                patients[i] += n[i]
                dlts[i] += y[i]
            duration += days
    totals = (selected, patients, dlts, no_mtd)
    return summarise(design, tox, n_trials, seed, totals, duration / n_trials)


def _one_trial(
    rule: GridRule,
    five_of_five: bool,
    tox: tuple[float, ...],
    start: int,
    gaps: list[float],
    draws: list[float],
    window: float,
    cap: int,
) -> TrialResult:
    """One trial as a sequence of events: arrivals (while accrual is open) and DLT-window ends.

    While accrual is held no one is enrolled; when a hold lifts the next patient arrives after a
    fresh exponential gap, which (the exponential having no memory) is the same as turning away the
    patients who arrived during the hold.
    """
    n_levels = len(tox)
    on, ev, d, y = [0] * n_levels, [0] * n_levels, [0] * n_levels, [0] * n_levels
    due: list[float] = []  # outcome times, in enrolment order (the window is the same for all)
    who: list[tuple[int, int]] = []  # (level index, DLT 0/1) of each patient
    cur, arrival, nxt, gap, closed, t = start, 0.0, 0, 0, False, 0.0
    inf = math.inf
    while True:
        out = due[nxt] if nxt < len(due) else inf
        if arrival <= out and arrival < inf:  # a patient arrives
            t = arrival
            code, idx, _ = resolve(rule, five_of_five, on, ev, d, cur)
            if code >= MTD:
                return (idx if code == MTD else -1), on, y, t
            arrival = inf
            if code == WAIT:
                continue
            if len(due) >= cap:
                closed = True
                continue
            cur = idx
            dlt = 1 if draws[len(due)] < tox[cur] else 0
            on[cur] += 1
            y[cur] += dlt
            due.append(t + window)
            who.append((cur, dlt))
            arrival, gap = t + gaps[gap], gap + 1
            continue
        if out == inf:  # nothing left to happen
            if closed:
                return final_mtd(ev, d), on, y, t
            raise InternalError("dose-finding simulation stalled: accrual held with nothing pending")
        t = out  # a DLT window ends
        level, dlt = who[nxt]
        nxt += 1
        ev[level] += 1
        d[level] += dlt
        code, idx, _ = resolve(rule, five_of_five, on, ev, d, cur)
        if code >= MTD:
            return (idx if code == MTD else -1), on, y, t
        if code == WAIT or closed:
            arrival = inf
        elif arrival == inf:
            arrival, gap = t + gaps[gap], gap + 1
