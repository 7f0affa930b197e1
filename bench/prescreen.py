"""Benchmark: pre-screen the realistic synthetic cohort (default 1,000,000 samples).

Each measurement runs in its own child process, so its peak memory (RSS, from ``os.wait4``) is its
own: the **floor** (Polars only reading the same study files: every column as text, the options the
pre-screen uses) and the **pre-screen** (``ismart.prescreen.study.prescreen``, everything included:
cell-count checks, VAF, judging, per-sample aggregation). Reported: samples/s, peak RSS, the ratio
of the pre-screen's time to the floor's, and how many distinct alterations the cohort holds.

    .venv/bin/python bench/prescreen.py [--samples 1000000] [--runs 1] [--dir /tmp/ismart-cohort-1m]

Results (2 shared cores; the load average is printed with each run, as it moves the numbers a lot),
2026-12-02, commit 1fe4aa1, 1,000,000 samples, seed 7, 15.4 M mutation rows, 12.3 M distinct
alterations: 58.9 s wall = 16,992 samples/s at load 7-10, 29.7 s of CPU, peak RSS 3,071 MB; 3.9x the
floor by wall clock (14.9 s), 6.5x by CPU time (4.6 s). bench/README.md has every run and where the
time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FLOOR = """
import json, sys, time
import polars as pl
from pathlib import Path
study = Path(sys.argv[1])
files = sorted(study.glob("data_*.txt"))
t0 = time.perf_counter()
options = {"separator": "\\t", "comment_prefix": "#", "quote_char": None, "infer_schema": False}
frames = [pl.read_csv(f, **options) for f in files]
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed}))
"""

COUNT = """
import json, sys
import polars as pl
from pathlib import Path
path = Path(sys.argv[1]) / "data_mutations.txt"
muts = pl.scan_csv(path, separator="\t", quote_char=None, infer_schema=False)
out = muts.select(
    pl.len().alias("rows"),
    pl.struct("Hugo_Symbol", "HGVSp_Short").n_unique().alias("distinct_alterations"),
    pl.col("HGVSp_Short").n_unique().alias("distinct_protein_changes"),
).collect(engine="streaming").row(0, named=True)
print(json.dumps(out))
"""

PRESCREEN = """
import json, sys, time
from pathlib import Path
from ismart.prescreen.study import prescreen
from ismart.protocol import load_protocol
if __name__ == "__main__":
    protocol = load_protocol()
    t0 = time.perf_counter()
    result = prescreen(Path(sys.argv[1]), protocol)
    elapsed = time.perf_counter() - t0
    counts = {c: int((result[c] != "").sum()) for c in ("candidates", "review", "errors")}
    print(json.dumps({"seconds": elapsed, "samples": result.height, **counts}))
"""


def _child(code: str, study: Path) -> tuple[dict[str, Any], float]:
    """Run ``code`` in a fresh interpreter; (its JSON output with its CPU seconds, its peak RSS in MB)."""
    proc = subprocess.Popen([sys.executable, "-c", code, str(study)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"child failed ({proc.returncode})")
    found: dict[str, Any] = json.loads(out)
    found["cpu"] = usage.ru_utime + usage.ru_stime  # the whole child: start-up and import included
    return found, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1, help="pre-screen runs (the median is reported)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    study = args.dir or Path(f"/tmp/ismart-cohort-{args.samples}")
    if not (study / "data_mutations.txt").exists():
        from ismart.prescreen.synthetic import generate

        t0 = time.perf_counter()
        made = generate(study, args.samples, seed=args.seed)
        cpu = time.process_time()
        print(f"generated {made} in {time.perf_counter() - t0:.1f} s wall, {cpu:.1f} s CPU")
    runs = []
    for i in range(args.runs):
        load = os.getloadavg()[0]
        floor, floor_rss = _child(FLOOR, study)
        result, rss = _child(PRESCREEN, study)
        runs.append((result["seconds"], rss, floor["seconds"], floor_rss))
        print(
            f"run {i + 1} (load average {load:.1f}): floor {floor['seconds']:.1f} s "
            f"(peak RSS {floor_rss:,.0f} MB); "
            f"pre-screen {result['samples']:,.0f} samples in {result['seconds']:.1f} s = "
            f"{result['samples'] / result['seconds']:,.0f} samples/s ({result['cpu']:.1f} s CPU for the "
            f"whole child, floor child {floor['cpu']:.1f} s), peak RSS {rss:,.0f} MB, "
            f"{result['seconds'] / floor['seconds']:.1f}x the floor; candidates {result['candidates']:,}, "
            f"review {result['review']:,}, errors {result['errors']:,}"
        )
    seconds = statistics.median(r[0] for r in runs)
    ratio = statistics.median(r[0] / r[2] for r in runs)
    print(
        f"median {seconds:.1f} s = {args.samples / seconds:,.0f} samples/s; peak RSS "
        f"{max(r[1] for r in runs):,.0f} MB; median ratio to the floor {ratio:.1f}x"
    )
    counts, _ = _child(COUNT, study)
    print(
        f"cohort: {counts['rows']:,.0f} mutation rows, {counts['distinct_alterations']:,.0f} distinct "
        f"alterations (gene + protein change), {counts['distinct_protein_changes']:,.0f} distinct "
        "protein changes"
    )


if __name__ == "__main__":
    main()
