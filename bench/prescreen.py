"""Benchmark: pre-screen a synthetic cohort (default 1,000,000 samples, ~10 million mutation rows).

Reports samples/second and peak memory of the columnar pre-screen, and the ratio against screening
a 10,000-sample subset one dossier at a time through the per-patient engine.

    .venv/bin/python bench/prescreen.py [--samples 1000000] [--subset 10000] [--dir /tmp/ismart-cohort]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from ismart import dossier
from ismart.eligibility.engine import screen
from ismart.prescreen.study import prescreen
from ismart.prescreen.synthetic import generate
from ismart.protocol import load_protocol
from test_prescreen import _dossiers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--subset", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/ismart-cohort"))
    args = parser.parse_args()
    protocol = load_protocol()

    t0 = time.perf_counter()
    counts = generate(args.dir, args.samples, seed=7)
    print(f"generated {counts} in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    result = prescreen(args.dir, protocol)
    elapsed = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = result.height / elapsed
    print(
        f"pre-screen: {result.height:,} samples in {elapsed:.1f} s = {rate:,.0f} samples/s "
        f"({rate * 60:,.0f} per minute); peak RSS {peak_mb:,.0f} MB"
    )

    small = args.dir.parent / (args.dir.name + "-subset")
    generate(small, args.subset, seed=7)
    records = _dossiers(small)
    today = date(2026, 3, 9)
    t0 = time.perf_counter()
    for data in records.values():
        screen(dossier.from_mapping(data, as_of=today), protocol, as_of=today)
    one_by_one = len(records) / (time.perf_counter() - t0)
    print(
        f"per-patient engine: {one_by_one:,.0f} samples/s on {len(records):,}; "
        f"columnar pre-screen is {rate / one_by_one:,.0f}x faster"
    )


if __name__ == "__main__":
    main()
