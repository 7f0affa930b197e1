"""Benchmark: single-dossier screening latency in-process, and dossiers per second.

Not a timed test: run it by hand on a quiet machine and compare medians and ratios.

    .venv/bin/python bench/screening.py [--rounds 7] [--batch 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from pathlib import Path

from ismart import dossier
from ismart.eligibility.engine import screen
from ismart.protocol import load_protocol
from ismart.report import json_report

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TODAY = date(2026, 11, 23)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()

    started = time.perf_counter()
    protocol = load_protocol()
    load_ms = (time.perf_counter() - started) * 1000
    paths = sorted(EXAMPLES.glob("*.yaml"))
    records = [dossier.load(p, as_of=TODAY) for p in paths]
    screen(records[0], protocol, as_of=TODAY)  # warm caches (medication table, reference data)

    singles: list[float] = []
    for _ in range(args.rounds):
        for record in records:
            t0 = time.perf_counter()
            screen(record, protocol, as_of=TODAY)
            singles.append((time.perf_counter() - t0) * 1000)

    rates: list[float] = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        for i in range(args.batch):
            json_report.to_dict(screen(records[i % len(records)], protocol, as_of=TODAY))
        rates.append(args.batch / (time.perf_counter() - t0))

    t0 = time.perf_counter()
    for p in paths:
        dossier.load(p, as_of=TODAY)
    parse_ms = (time.perf_counter() - t0) * 1000 / len(paths)

    print(f"protocol data load (first, cold): {load_ms:.1f} ms")
    print(f"dossier parse+validate (YAML):    {parse_ms:.2f} ms per dossier")
    print(
        f"screen one dossier (in-process):  median {statistics.median(singles):.2f} ms, "
        f"p95 {statistics.quantiles(singles, n=20)[18]:.2f} ms over {len(singles)} runs"
    )
    print(
        f"screen + JSON, batch of {args.batch}:     median {statistics.median(rates):.0f} dossiers/s "
        f"(min {min(rates):.0f}, max {max(rates):.0f})"
    )


if __name__ == "__main__":
    main()
