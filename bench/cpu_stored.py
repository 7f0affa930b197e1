"""CPU time per request of the stored-screening mix, in one process, without HTTP sockets.

    .venv/bin/python bench/cpu_stored.py [--url postgresql+psycopg://...] [--n 60] [--profile out.txt]

The app runs in-process (httpx's ASGI transport; sync routes run inline in the loop's thread, so
a profiler sees one thread). The three requests of `load.py --mix stored` (create a subject,
upload its dossier, store a screening), a stateless `POST /screen` and a CTCAE term search (the floor
of an authenticated request: the account check and no table read) are timed with this
process's CPU clock (user + system; the in-process client's share is included, the same before
and after a change). With --profile, pyinstrument (not a dependency: install it yourself) writes
a profile of the timed requests. On a shared machine CPU time is steadier than wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import PASSWORD, SECRET, SITE, dossier, prepare_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file); emptied first")
    parser.add_argument("--n", type=int, default=60, help="stored triples to time (at most 500)")
    parser.add_argument("--profile", help="profile to write: .pstats (cProfile); .html, text (pyinstrument)")
    args = parser.parse_args()
    n = max(5, min(args.n, 500))
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'cpu.db'}"
        prepare_database(url, reset=bool(args.url))
        os.environ.update(ISMART_DATABASE_URL=url, ISMART_SECRET_KEY=SECRET)
        asyncio.run(_measure(n, args.profile, url))


def _inline_threadpool() -> None:
    """Run sync routes and dependencies in the event loop's thread (profilers see one thread)."""
    import fastapi.dependencies.utils as dep_utils
    import fastapi.routing as routing

    async def inline(func: Any, *a: Any, **kw: Any) -> Any:
        return func(*a, **kw)

    routing.run_in_threadpool = inline  # type: ignore[attr-defined]
    dep_utils.run_in_threadpool = inline  # type: ignore[attr-defined]


async def _measure(n: int, profile: str | None, url: str) -> None:
    import httpx

    from ismart.api.app import create_app

    _inline_threadpool()
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        tok = await client.post("/token", json={"username": "bench_office", "password": PASSWORD})
        client.headers["Authorization"] = f"Bearer {tok.json()['access_token']}"
        body = dossier()
        names = ("subject", "dossier", "screening", "screen", "floor")
        per: dict[str, list[float]] = {name: [] for name in names}

        async def triple() -> None:
            t0 = time.process_time()
            r = await client.post("/subjects", json={"site_code": SITE})
            assert r.status_code == 201, r.text
            code = r.json()["code"]
            t1 = time.process_time()
            data = {**body, "patient": {**body["patient"], "id": code}}
            r = await client.post(f"/subjects/{code}/dossiers", json={"data": data})
            assert r.status_code == 201, r.text
            t2 = time.process_time()
            r = await client.post(f"/subjects/{code}/screenings")
            assert r.status_code == 201, r.text
            t3 = time.process_time()
            r = await client.post("/screen", json=body)
            assert r.status_code == 200, r.text
            t4 = time.process_time()
            # the floor: an authenticated request (account check) that reads no table: a term search
            r = await client.get("/ctcae-terms", params={"q": "Anemia", "limit": 1})
            assert r.status_code == 200, r.text
            t5 = time.process_time()
            for key, value in zip(per, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
                per[key].append(value * 1000)

        for _ in range(5):  # warm up
            await triple()
        per = {k: [] for k in per}
        if profile and profile.endswith(".pstats"):  # cProfile: a pstats file
            import cProfile

            cprofile = cProfile.Profile()
            cprofile.enable()
            for _ in range(n):
                await triple()
            cprofile.disable()
            cprofile.dump_stats(profile)
        elif profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005, async_mode="disabled")
            profiler.start()
            for _ in range(n):
                await triple()
            profiler.stop()
            html = profile.endswith(".html")
            out = profiler.output_html() if html else profiler.output_text(unicode=True)
            Path(profile).write_text(out, encoding="utf-8")
        else:
            for _ in range(n):
                await triple()
    print(f"database: {url.split('@')[-1].split('/')[0]}  n={n}  CPU ms per request (mean, median)")
    for key, values in per.items():
        print(f"  {key:10s} {statistics.mean(values):6.2f}  {statistics.median(values):6.2f}")
    stored = [sum(v) for v in zip(per["subject"], per["dossier"], per["screening"], strict=True)]
    print(f"  stored triple {statistics.mean(stored):6.2f}  {statistics.median(stored):6.2f}")


if __name__ == "__main__":
    main()
