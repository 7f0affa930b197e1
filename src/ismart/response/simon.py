"""Simon's two-stage designs (Simon R., Controlled Clinical Trials 1989;10:1-10) by exact binomial
enumeration.

Stage 1 treats n1 patients and stops for futility with r1 or fewer responses; otherwise n in all
are treated and the drug is rejected with r or fewer responses in total. A design is admissible
when P(reject H0 | p0) <= alpha and P(reject H0 | p1) >= 1 - beta. *Optimal* minimises the
expected sample size under p0 (EN0), *minimax* minimises n (then EN0), both for n <= nmax.

For one total n, every (n1, r1, r) is judged at once: with b(x1) the stage-1 probabilities and
S(k) = P(X2 > k) those of stage 2, P(reject) for (n1, r1, r) is the sum over x1 > r1 of
b(x1) * S(r - x1), a reverse cumulative sum over x1 of one (n1, x1, r) array per p.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray
from scipy.stats import binom  # type: ignore[import-untyped]

from ismart.errors import InputError

DEFAULT_NMAX = 100
NMAX_LIMIT = 300

Array = NDArray[np.float64]


@dataclass(frozen=True)
class SimonDesign:
    r1: int
    n1: int
    r: int
    n: int
    en0: float
    pet0: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "r1": self.r1,
            "n1": self.n1,
            "r": self.r,
            "n": self.n,
            "en0": round(self.en0, 4),
            "pet0": round(self.pet0, 4),
        }


@dataclass(frozen=True)
class SimonDesigns:
    optimal: SimonDesign
    minimax: SimonDesign

    def as_dict(self) -> dict[str, dict[str, float | int]]:
        return {"optimal": self.optimal.as_dict(), "minimax": self.minimax.as_dict()}


@dataclass(frozen=True)
class Characteristics:
    """Operating characteristics of one design at a true response rate p."""

    p: float
    pet: float  # probability of stopping after stage 1
    en: float  # expected number of patients
    reject_h0: float  # probability of declaring the drug promising


def _check(p0: float, p1: float, alpha: float, beta: float, nmax: int) -> None:
    for name, value in (("p0", p0), ("p1", p1), ("alpha", alpha), ("beta", beta)):
        if not 0 < value < 1:
            raise InputError(f"{name}: {value:g} must lie strictly between 0 and 1")
    if p1 <= p0:
        raise InputError(f"p1: {p1:g} must exceed p0 ({p0:g})")
    if not 2 <= nmax <= NMAX_LIMIT:
        raise InputError(f"nmax: {nmax} must be from 2 to {NMAX_LIMIT}")


def _sf_table(nmax: int, p: float) -> Array:
    """table[m, k + 1] = P(Bin(m, p) > k) for k = -1 .. nmax (1 for k < 0, 0 for k >= m)."""
    m = np.arange(nmax + 1)[:, None]
    k = np.arange(-1, nmax + 1)[None, :]
    return np.asarray(binom.sf(k, m, p), dtype=np.float64)


def _reject(n: int, pmf: Array, sf: Array, width: int) -> Array:
    """P(reject H0) for every n1 in 1..n-1 (axis 0), r1 and r in 0..width-1 (axes 1 and 2)."""
    n2 = n - np.arange(1, n)
    # wide[i, j] = S(j - (n - 1)) for stage 2 of size n2[i]: a Toeplitz view gives S(r - x1)
    wide = np.ones((n - 1, 2 * n - 1))
    wide[:, n - 2 :] = sf[n2, : n + 1]
    stage2 = sliding_window_view(wide, n, axis=1)[:, ::-1, :width]  # [n1, x1, r] = S(r - x1), a view
    terms = pmf[1:n, :n, None] * stage2  # b(x1) * S(r - x1)
    tail = np.cumsum(terms[:, ::-1, :], axis=1)[:, ::-1, :]  # sum over x1' >= x1
    out = np.zeros((n - 1, width, width))
    shifted = tail[:, 1 : width + 1, :]  # sum over x1' > r1
    out[:, : shifted.shape[1], :] = shifted
    return out


def _best_for_n(
    n: int, alpha: float, beta: float, tables: tuple[Array, Array, Array, Array]
) -> SimonDesign | None:
    pmf0, sf0, pmf1, sf1 = tables
    # Stopping early only lowers P(reject), so power >= 1 - beta needs P(Bin(n, p1) > r) >= 1 - beta:
    # r (and r1 < r) range over 0..width-1 only.
    width = int(np.count_nonzero(sf1[n, 1 : n + 1] >= 1 - beta))
    if width < 2:
        return None
    a = _reject(n, pmf0, sf0, width)
    power = _reject(n, pmf1, sf1, width)
    r1 = np.arange(width)[None, :, None]
    r = np.arange(width)[None, None, :]
    n1 = np.arange(1, n)[:, None, None]
    ok = (a <= alpha) & (power >= 1 - beta) & (r > r1) & (r1 < n1)
    if not ok.any():
        return None
    cdf0 = np.cumsum(pmf0[1:n, :width], axis=1)  # P(X1 <= r1 | p0) per n1
    en = n1[:, :, 0] + (1 - cdf0) * (n - n1[:, :, 0])
    feasible_pair = ok.any(axis=2)
    en_masked = np.where(feasible_pair, en, np.inf)
    i, j = np.unravel_index(int(np.argmin(en_masked)), en_masked.shape)
    r_best = int(np.argmax(ok[i, j, :]))  # the smallest admissible r for that (n1, r1)
    return SimonDesign(r1=int(j), n1=int(i) + 1, r=r_best, n=n, en0=float(en[i, j]), pet0=float(cdf0[i, j]))


def designs(p0: float, p1: float, alpha: float, beta: float, *, nmax: int = DEFAULT_NMAX) -> SimonDesigns:
    """Simon's optimal and minimax designs with n <= nmax; InputError when none exists."""
    _check(p0, p1, alpha, beta, nmax)
    m = np.arange(nmax + 1)
    x = np.arange(nmax + 1)
    pmf0 = np.asarray(binom.pmf(x[None, :], m[:, None], p0), dtype=np.float64)
    pmf1 = np.asarray(binom.pmf(x[None, :], m[:, None], p1), dtype=np.float64)
    tables = (pmf0, _sf_table(nmax, p0), pmf1, _sf_table(nmax, p1))
    best = [d for n in range(2, nmax + 1) if (d := _best_for_n(n, alpha, beta, tables)) is not None]
    if not best:
        raise InputError(f"nmax: no two-stage design with n <= {nmax} meets alpha and beta; raise --nmax")
    optimal = min(best, key=lambda d: (round(d.en0, 12), d.n))
    return SimonDesigns(optimal=optimal, minimax=best[0])


def characteristics(design: SimonDesign, p: float) -> Characteristics:
    """PET, expected sample size and P(declared promising) of ``design`` at response rate p."""
    n2 = design.n - design.n1
    pet = float(binom.cdf(design.r1, design.n1, p))
    x1 = np.arange(design.r1 + 1, design.n1 + 1)
    reject = float(np.sum(binom.pmf(x1, design.n1, p) * binom.sf(design.r - x1, n2, p)))
    return Characteristics(p=p, pet=pet, en=design.n1 + (1 - pet) * n2, reject_h0=reject)
