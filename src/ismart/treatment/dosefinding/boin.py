"""BOIN, the Bayesian optimal interval design (Liu S & Yuan Y, J R Stat Soc C 2015;64:507-23).

BOIN compares the observed DLT rate at the current level with two fixed boundaries, lambda_e and
lambda_d, chosen to minimise the chance of a wrong escalation or de-escalation when the truth is
p.saf = 0.6 x target (should escalate) or p.tox = 1.4 x target (should de-escalate). Their closed form
(the local design, equal prior probabilities for the three intervals) is

    lambda_e = log((1 - p.saf) / (1 - target)) / log(target (1 - p.saf) / (p.saf (1 - target)))
    lambda_d = log((1 - target) / (1 - p.tox)) / log(p.tox (1 - target) / (target (1 - p.tox)))

As a safety rule, a level (and every level above it) is eliminated once at least three patients
were treated there and P(p > target | data) > 0.95 under a Beta(1, 1) prior; the trial stops when
the lowest level is eliminated. The counts table and the end-of-trial selection (isotonic regression,
the level whose estimate is closest to the target) follow the BOIN R package (Yan F et al., J Stat
Softw 2020;94(13)), where the de-escalation boundary is capped at the elimination boundary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ismart.errors import InputError
from ismart.treatment.dosefinding.model import (
    Decision,
    DecisionKind,
    Design,
    LevelCounts,
    OperatingCharacteristics,
    TableRow,
    summarise,
)

NEVER = 10**9  # "no elimination boundary" (fewer than three patients)


@dataclass(frozen=True)
class BoinRow:
    n: int
    escalate_le: int  # escalate if DLTs <= this
    deescalate_ge: int  # de-escalate if DLTs >= this
    eliminate_ge: int | None  # eliminate the level (and above) if DLTs >= this


@dataclass(frozen=True)
class BoinTable:
    target: float
    lambda_e: float
    lambda_d: float
    cutoff_eli: float
    rows: tuple[BoinRow, ...]  # rows[i] is for n = i + 1

    def row(self, n: int) -> BoinRow:
        if n < 1:
            raise InputError("BOIN boundaries start at one patient")
        if n > len(self.rows):
            return boin_boundaries(self.target, n, cutoff_eli=self.cutoff_eli).rows[n - 1]
        return self.rows[n - 1]

    def as_rows(self) -> list[TableRow]:
        return [
            {
                "target": self.target,
                "n": r.n,
                "escalate_if_dlt_le": r.escalate_le,
                "deescalate_if_dlt_ge": r.deescalate_ge,
                "eliminate_if_dlt_ge": r.eliminate_ge,
            }
            for r in self.rows
        ]


def boin_lambdas(
    target: float, p_saf: float | None = None, p_tox: float | None = None
) -> tuple[float, float]:
    """(lambda_e, lambda_d) by the paper's closed form; defaults p.saf = 0.6 and p.tox = 1.4 x target."""
    saf = 0.6 * target if p_saf is None else p_saf
    tox = 1.4 * target if p_tox is None else p_tox
    if not 0.0 < saf < target < tox < 1.0:
        raise InputError(f"BOIN needs 0 < p.saf ({saf}) < target ({target}) < p.tox ({tox}) < 1")
    lam_e = math.log((1 - saf) / (1 - target)) / math.log(target * (1 - saf) / (saf * (1 - target)))
    lam_d = math.log((1 - target) / (1 - tox)) / math.log(tox * (1 - target) / (target * (1 - tox)))
    return lam_e, lam_d


def elimination_boundary(target: float, n: int, cutoff_eli: float = 0.95) -> int | None:
    """Fewest DLTs out of ``n`` with P(p > target) > cutoff under Beta(1, 1); None below three patients."""
    from scipy.stats import beta  # type: ignore[import-untyped]  # imported here: it costs ~0.7 s

    if n < 3:
        return None
    dlts = np.arange(1, n + 1)
    over = beta.sf(target, dlts + 1, n - dlts + 1) > cutoff_eli
    return int(dlts[over][0]) if over.any() else None


@lru_cache(maxsize=64)
def boin_boundaries(
    target: float,
    n_max: int = 30,
    p_saf: float | None = None,
    p_tox: float | None = None,
    cutoff_eli: float = 0.95,
) -> BoinTable:
    """Escalation, de-escalation and elimination boundaries for 1..n_max patients on a level."""
    if n_max < 1:
        raise InputError("n_max: must be at least 1")
    lam_e, lam_d = boin_lambdas(target, p_saf, p_tox)
    rows = []
    for n in range(1, n_max + 1):
        eliminate = elimination_boundary(target, n, cutoff_eli)
        down = math.ceil(lam_d * n)
        if eliminate is not None:
            down = min(down, eliminate)
        rows.append(BoinRow(n, math.floor(lam_e * n), down, eliminate))
    return BoinTable(target, lam_e, lam_d, cutoff_eli, tuple(rows))


# --- end-of-trial selection -------------------------------------------------------------------


def pava(values: Sequence[float], weights: Sequence[float]) -> list[float]:
    """Weighted isotonic (non-decreasing) regression by pooling adjacent violators."""
    blocks: list[list[float]] = []  # [mean, weight, size]
    for v, w in zip(values, weights, strict=True):
        blocks.append([v, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, s2 = blocks.pop()
            v1, w1, s1 = blocks[-1]
            blocks[-1] = [(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, s1 + s2]
    return [b[0] for b in blocks for _ in range(int(b[2]))]


def first_eliminated(table: BoinTable, n: Sequence[int], y: Sequence[int]) -> int:
    """Lowest level index meeting the elimination boundary (len(n) when none)."""
    for i, (ni, yi) in enumerate(zip(n, y, strict=True)):
        if ni >= 3:
            bound = table.row(ni).eliminate_ge
            if bound is not None and yi >= bound:
                return i
    return len(n)


def select_mtd(table: BoinTable, n: Sequence[int], y: Sequence[int]) -> int:
    """The BOIN MTD at the end of a trial: among treated, non-eliminated levels, the one whose
    isotonic DLT estimate is closest to the target (ties: higher level below the target, lower above).
    Returns -1 when there is none (lowest level eliminated or nothing treated)."""
    stop = first_eliminated(table, n, y)
    admissible = [i for i in range(stop) if n[i] > 0]
    if stop == 0 or not admissible:
        return -1
    est = [(y[i] + 0.05) / (n[i] + 0.1) for i in admissible]
    var = [(y[i] + 0.05) * (n[i] - y[i] + 0.05) / ((n[i] + 0.1) ** 2 * (n[i] + 1.1)) for i in admissible]
    iso = pava(est, [1.0 / v for v in var])
    gaps = [abs(p + (k + 1) * 1e-10 - table.target) for k, p in enumerate(iso)]
    return admissible[gaps.index(min(gaps))]


# --- next decision ----------------------------------------------------------------------------


def boin_next(
    design: Design, n: Sequence[int], y: Sequence[int], current_level: int, *, max_patients: int | None = None
) -> Decision:
    """The BOIN decision given evaluable patients ``n`` and DLTs ``y`` per design level (level order)."""
    if len(n) != len(design.levels) or len(y) != len(design.levels):
        raise InputError("BOIN: give one patient count and one DLT count per dose level")
    if any(yi < 0 or yi > ni for ni, yi in zip(n, y, strict=True)):
        raise InputError("BOIN: DLT counts must be between 0 and the number of patients")
    cur = design.index(current_level)
    table = boin_boundaries(design.target, max(30, *n), cutoff_eli=design.cutoff_eli)
    kind, idx, why = _boin_move(design, table, n, y, cur, max_patients)
    levels = design.levels
    level = levels[idx] if idx >= 0 else None
    return Decision(
        decision=kind,
        dose_level=level if kind in ("enrol", "escalate", "de-escalate") else None,
        reason=why,
        mtd=level if kind == "mtd" else None,
        counts=LevelCounts(levels[cur], n[cur], n[cur], y[cur]).as_dict(),
        eliminated=levels[first_eliminated(table, n, y) :],
    )


def _boin_move(
    design: Design, table: BoinTable, n: Sequence[int], y: Sequence[int], cur: int, cap: int | None
) -> tuple[DecisionKind, int, str]:
    lv, top = design.levels, len(n) - 1
    gone = first_eliminated(table, n, y)
    head = f"BOIN (target {design.target:g}), level {lv[cur]}: {y[cur]} DLT(s) in {n[cur]}"
    if gone == 0:
        return (
            "suspend",
            -1,
            f"BOIN: the lowest level {lv[0]} meets the elimination boundary "
            f"(P(DLT rate > {design.target:g}) > {design.cutoff_eli:g}): stop the trial, no MTD.",
        )
    if cur >= gone:
        return (
            "de-escalate",
            gone - 1,
            f"BOIN: level {lv[gone]} ({y[gone]} DLT(s) in {n[gone]}) meets the "
            f"elimination boundary: it and every level above are eliminated; go to level {lv[gone - 1]}.",
        )
    if cap is not None and sum(n) >= cap:
        return _finish(table, n, y, lv, f"the maximum sample size ({cap}) is reached")
    if n[cur] == 0:
        return "enrol", cur, f"BOIN: no evaluable patient at level {lv[cur]} yet: enrol there."
    row = table.row(n[cur])
    if y[cur] <= row.escalate_le and cur < top and cur + 1 < gone:
        return (
            "escalate",
            cur + 1,
            f"{head} <= escalation boundary {row.escalate_le} "
            f"(lambda_e {table.lambda_e:.3f}): escalate to level {lv[cur + 1]}.",
        )
    if y[cur] >= row.deescalate_ge and cur > 0:
        return (
            "de-escalate",
            cur - 1,
            f"{head} >= de-escalation boundary {row.deescalate_ge} "
            f"(lambda_d {table.lambda_d:.3f}): de-escalate to level {lv[cur - 1]}.",
        )
    if n[cur] >= design.n_earlystop:
        return _finish(table, n, y, lv, f"{n[cur]} patients at level {lv[cur]} reached n.earlystop")
    return "enrol", cur, f"{head}: {_stay_because(row, y[cur], cur, top, lv)}; stay at level {lv[cur]}."


def _stay_because(row: BoinRow, dlts: int, cur: int, top: int, lv: Sequence[int]) -> str:
    if dlts <= row.escalate_le:
        above = "it is the highest level" if cur == top else f"level {lv[cur + 1]} is eliminated"
        return f"<= escalation boundary {row.escalate_le}, but {above}"
    if dlts >= row.deescalate_ge:
        return f">= de-escalation boundary {row.deescalate_ge}, but it is the lowest level"
    return f"between the boundaries (escalate if <= {row.escalate_le}, de-escalate if >= {row.deescalate_ge})"


def _finish(
    table: BoinTable, n: Sequence[int], y: Sequence[int], lv: Sequence[int], because: str
) -> tuple[DecisionKind, int, str]:
    mtd = select_mtd(table, n, y)
    if mtd < 0:
        return "suspend", -1, f"BOIN: {because}; no level qualifies as the MTD."
    return (
        "mtd",
        mtd,
        f"BOIN: {because}; the isotonic DLT estimate closest to the target selects "
        f"level {lv[mtd]} as the MTD.",
    )


def boin_decision(design: Design, counts: Sequence[LevelCounts], current: int) -> Decision:
    """BOIN from patient records: decides on evaluable patients, waits while the level has pending ones."""
    cur = design.index(current)
    if counts[cur].pending:
        c = counts[cur]
        return Decision(
            decision="wait",
            dose_level=None,
            reason=f"BOIN decides on complete outcomes: {c.pending} patient(s) at level {c.level} are still "
            f"in the DLT window; hold accrual until they are evaluable.",
            counts=c.as_dict(),
            eliminated=boin_next(design, *_ny(counts), current).eliminated,
        )
    decision = boin_next(design, *_ny(counts), current)
    return Decision(
        decision.decision,
        decision.dose_level,
        decision.reason,
        decision.mtd,
        counts[cur].as_dict(),
        decision.eliminated,
    )


def _ny(counts: Sequence[LevelCounts]) -> tuple[list[int], list[int]]:
    return [c.evaluable for c in counts], [c.dlts for c in counts]


# --- simulation -------------------------------------------------------------------------------


def simulate_boin(
    design: Design, tox: tuple[float, ...], n_trials: int, seed: int, max_patients: int, cohort_size: int
) -> OperatingCharacteristics:
    """Cohort-by-cohort BOIN trials, stopping rules as in the BOIN package's ``get.oc``: stop when the
    lowest level is eliminated, when ``max_patients`` are treated, or when the current level holds
    ``n_earlystop`` patients and the decision is to stay; then select the MTD (``select_mtd``)."""
    table = boin_boundaries(design.target, max_patients, cutoff_eli=design.cutoff_eli)
    up = [0] + [r.escalate_le for r in table.rows]
    down = [0] + [r.deescalate_ge for r in table.rows]
    out = [NEVER] + [NEVER if r.eliminate_ge is None else r.eliminate_ge for r in table.rows]
    rng = np.random.default_rng(seed)
    levels = len(tox)
    start = design.index(design.start, "start level")
    selected, patients, dlts, no_mtd = [0] * levels, [0] * levels, [0] * levels, 0
    for first in range(0, n_trials, 4096):
        size = min(4096, n_trials - first)
        draws: list[list[float]] = rng.random((size, max_patients)).tolist()
        for row in draws:
            n, y = _boin_trial(tox, start, row, cohort_size, design.n_earlystop, (up, down, out))
            mtd = select_mtd(table, n, y)
            if mtd < 0:
                no_mtd += 1
            else:
                selected[mtd] += 1
            for i in range(levels):
                patients[i] += n[i]
                dlts[i] += y[i]
    return summarise(design, tox, n_trials, seed, (selected, patients, dlts, no_mtd), None)


def _boin_trial(
    tox: tuple[float, ...],
    d: int,
    draws: list[float],
    size: int,
    earlystop: int,
    bounds: tuple[list[int], list[int], list[int]],
) -> tuple[list[int], list[int]]:
    """One BOIN trial; returns patients and DLTs per level. Elimination is checked at the level just
    treated (it only ever changes there) and the MTD selection re-checks every level."""
    up, down, out = bounds
    top = len(tox) - 1
    n, y = [0] * len(tox), [0] * len(tox)
    gone, used, total = top + 1, 0, len(draws)
    while True:
        take = min(size, total - used)
        p = tox[d]
        y[d] += sum(1 for u in draws[used : used + take] if u < p)
        n[d] += take
        used += take
        if used >= total:
            break
        m, k = n[d], y[d]
        if k >= out[m]:
            gone = min(gone, d)
            if d == 0:
                break
        blocked = d == top or d + 1 >= gone
        stays = (up[m] < k < down[m]) or (d == 0 and k >= down[m]) or (blocked and k <= up[m])
        if m >= earlystop and stays:
            break
        if k <= up[m] and d != top:
            d = d if blocked else d + 1
        elif k >= down[m] and d != 0:
            d -= 1
    return n, y
