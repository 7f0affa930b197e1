"""Server time of the site dashboard with many subjects (a benchmark, not a timed test).

    .venv/bin/python bench/web.py [--subjects 1000] [--requests 50]

A temporary SQLite registry with N subjects at one site, each with a dossier and a stored screening
(one real screening of a shipped example, its result stored for every subject), and a site user.
The dashboard is requested in-process (Starlette's test client, no network); the first request is
reported apart (the process's first page: templates compiled, connections opened). Each subject's
latest screening is read as its verdict columns and stored summary, never its full report.
Every subject is read, filtered and sorted on each request; the page shows 100 rows of them.
Goal: p95 < 100 ms for 1,000 subjects.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from ismart.api.app import create_app
from ismart.api.deps import AppState
from ismart.registry import services
from ismart.registry.access import Role
from ismart.registry.bootstrap import open_registry
from ismart.registry.models import Screening, ScreeningSummary
from ismart.registry.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 3, 9)
SITE = "DK-COP"
PASSWORD = "bench password 12"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    if not 1 <= args.subjects <= 20_000 or not 1 <= args.requests <= 1000:
        parser.error("--subjects 1..20000, --requests 1..1000")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    folder = tempfile.mkdtemp(prefix="ismart-web-bench-")
    settings = Settings(database_url=f"sqlite:///{folder}/bench.db", secret_key="bench secret key 0123456789")
    state = AppState(settings=settings, sessions=open_registry(settings), today=lambda: TODAY)
    data = json.loads(
        json.dumps(yaml.safe_load((ROOT / "examples/d-kras-g12d-eligible.yaml").read_text()), default=str)
    )
    data["patient"].pop("id", None)  # filed under each subject's own code (a foreign id is refused)

    def fill(db: Session) -> None:
        services.create_user(
            db,
            actor=services.SYSTEM,
            username="nurse",
            role=Role.site_staff,
            site_code=SITE,
            password=PASSWORD,
        )
        first: Screening | None = None
        for i in range(args.subjects):
            subject = services.create_subject(db, actor=services.SYSTEM, site_code=SITE)
            version = services.add_dossier(
                db, actor=services.SYSTEM, code=subject.code, data=data, reason=None, as_of=TODAY
            )
            if first is None:
                first = services.screen_subject(db, actor=services.SYSTEM, code=subject.code, as_of=TODAY)
                continue
            copy = Screening(
                subject_code=subject.code,
                dossier_id=version.id,
                result=first.result,
                verdicts=first.verdicts,
                screened_on=first.screened_on,
                protocol_version=first.protocol_version,
                engine_version=first.engine_version,
                created_at=first.created_at,
            )
            db.add(copy)
            db.flush()
            summary = db.get(ScreeningSummary, first.id)
            assert summary is not None
            db.add(
                ScreeningSummary(
                    screening_id=copy.id,
                    screened_on=summary.screened_on,
                    verdicts=summary.verdicts,
                    missing=summary.missing,
                    candidates=summary.candidates,
                    review_calls=summary.review_calls,
                )
            )
            if i % 2:
                subject.state = "screened"

    started = time.perf_counter()
    state.write(fill)
    print(f"set-up: {args.subjects} subjects in {time.perf_counter() - started:.1f} s")
    client = TestClient(create_app(state=state))
    page = client.get("/")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    signed = client.post(
        "/", data={"csrf": token.group(1), "username": "nurse", "password": PASSWORD}, follow_redirects=False
    )
    assert signed.status_code == 303, signed.text
    times, cpu = [], []
    for _ in range(args.requests + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get("/web/home")
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200 and f"{args.subjects} match" in response.text
    cold, warm, warm_cpu = times[0], sorted(times[1:]), sorted(cpu[1:])

    def p95(values: list[float]) -> float:
        return values[max(0, round(0.95 * len(values)) - 1)]

    print(
        f"dashboard, {args.subjects} subjects: first {cold:.0f} ms; "
        f"then p50 {statistics.median(warm):.0f} ms, "
        f"p95 {p95(warm):.0f} ms, max {warm[-1]:.0f} ms over {len(warm)} requests (goal p95 < 100 ms); "
        f"CPU p50 {statistics.median(warm_cpu):.0f} ms, p95 {p95(warm_cpu):.0f} ms "
        "(the process's CPU time, less sensitive to other work on a shared machine)"
    )


if __name__ == "__main__":
    main()
