"""Benchmark: trials simulated per second for each dose-finding design (one core).

Rolling six and 3+3 on the HEM-iSMART levels (-1, 1, 2) with exponential accrual (mean 7 days) and
a 28-day DLT window; BOIN on five levels, 10 cohorts of 3. The first, small call is a warm-up
(imports, boundary tables) and is not timed.

    .venv/bin/python bench/dosefinding.py [--trials 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
import time

from ismart.treatment.dosefinding import Design, simulate

SCENARIOS = (
    (Design("rolling6"), (0.05, 0.15, 0.30)),
    (Design("3+3"), (0.05, 0.15, 0.30)),
    (Design("boin", (1, 2, 3, 4, 5), target=0.3), (0.05, 0.15, 0.30, 0.45, 0.60)),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for design, tox in SCENARIOS:
        simulate(design, tox, 10, args.seed)
        started = time.perf_counter()
        oc = simulate(design, tox, args.trials, args.seed)
        elapsed = time.perf_counter() - started
        selected = ", ".join(f"{level}: {p:.3f}" for level, p in oc.selection.items())
        print(
            f"{design.name:>8}: {args.trials:,} trials in {elapsed:.2f} s = {args.trials / elapsed:,.0f} "
            f"trials/s  (P(MTD) {selected}; no MTD {oc.no_mtd:.3f}; mean patients {oc.mean_patients:.1f})"
        )


if __name__ == "__main__":
    main()
