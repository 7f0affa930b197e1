"""Load benchmark of the registry API: uvicorn on 127.0.0.1 in a subprocess, N concurrent httpx clients.

    .venv/bin/python bench/load.py [--url postgresql+psycopg://...] [--clients 8] [--seconds 10]

Bounded: at most 64 clients, 60 seconds and 200 000 requests; loopback only.

Mixes: screen (stateless POST /screen), stored (subject -> dossier -> stored screening), mixed.
Numbers measured 2026-12-02 on PostgreSQL and SQLite, with the machine's load: bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-0123456789abcdef"
PASSWORD = "bench password 1"
MAX_CLIENTS, MAX_SECONDS, MAX_REQUESTS = 64, 60.0, 200_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database(url: str, *, reset: bool = False) -> None:
    """Migrate (after emptying it, with reset), seed and add the bench users (trial office and a
    site investigator)."""
    from sqlalchemy import select

    from ismart.registry import db, services
    from ismart.registry.access import Role
    from ismart.registry.models import User
    from ismart.registry.settings import Settings

    engine = db.make_engine(url=url)
    if reset:
        db.downgrade(engine=engine)
    db.upgrade(engine=engine)
    keys = Settings(database_url=url, secret_key=SECRET).audit_keys()  # the server's audit keys
    with db.make_sessionmaker(engine=engine, audit_keys=keys).begin() as session:
        services.seed(session)
        for name, role, site in (
            ("bench_office", Role.trial_office, None),
            ("bench_inv", Role.site_investigator, "SE-STO"),
        ):
            if session.scalar(select(User).where(User.username == name)) is None:
                services.create_user(
                    session,
                    actor=services.SYSTEM,
                    username=name,
                    role=role,
                    site_code=site,
                    password=PASSWORD,
                )
    engine.dispose()


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """`ismart serve` as a deployment runs it (the database was prepared by prepare_database)."""
    env = {**os.environ, "ISMART_DATABASE_URL": url, "ISMART_SECRET_KEY": SECRET}
    command = [
        sys.executable,
        "-m",
        "ismart.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 90  # a shared, loaded machine starts slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live children (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def token(base: str, username: str) -> dict[str, str]:
    response = httpx.post(f"{base}/token", json={"username": username, "password": PASSWORD}, timeout=10)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def dossier() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "examples" / "b-nup214-abl1-eligible.yaml").read_text(encoding="utf-8"))
    plain = json.loads(json.dumps(data, default=str))
    assert isinstance(plain, dict)
    return plain


MIXES = {
    "mixed": [("POST", "/screen"), ("GET", "/sites"), ("POST", "/screen"), ("GET", "/subjects")],
    "screen": [("POST", "/screen")],
    # a stored screening: a new subject, its first dossier version, the screening stored beside it
    "stored": [
        ("POST", "/subjects"),
        ("POST", "/subjects/{code}/dossiers"),
        ("POST", "/subjects/{code}/screenings"),
    ],
}


SITE = "SE-STO"


def drive(
    base: str,
    headers: dict[str, str],
    seconds: float,
    results: list[tuple[str, int, float]],
    mix: str = "mixed",
) -> None:
    body = dossier()
    requests = MIXES[mix]
    stop = time.monotonic() + seconds
    code = ""
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        i = 0
        while time.monotonic() < stop and len(results) < MAX_REQUESTS:
            method, path = requests[i % len(requests)]
            i += 1
            start = time.perf_counter()
            response = client.request(method, path.format(code=code), json=_payload(path, body, code))
            results.append((path, response.status_code, time.perf_counter() - start))
            if path == "/subjects" and method == "POST" and response.status_code == 201:
                code = response.json()["code"]


def _payload(path: str, body: dict[str, Any], code: str) -> dict[str, Any] | None:
    if path == "/screen":
        return body
    if path == "/subjects":
        return {"site_code": SITE}
    if path.endswith("/dossiers"):
        return {"data": {**body, "patient": {**body["patient"], "id": code}}}
    return None


def run(
    base: str,
    headers: dict[str, str],
    seconds: float,
    results: list[tuple[str, int, float]],
    mix: str,
    clients: int,
) -> None:
    """`clients` threads driving the mix for `seconds`; their answers appended to results."""
    threads = [
        threading.Thread(target=drive, args=(base, headers, seconds, results, mix)) for _ in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def settle(pid: int, *, idle: float = 0.05, limit: float = 60.0) -> None:
    """Wait (at most `limit` s) until the server's processes use under `idle` of a core over 1 s:
    a worker still importing would otherwise be timed as slow requests."""
    deadline = time.monotonic() + limit
    before = tree_cpu(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = tree_cpu(pid)
        if now - before < idle:
            return
        before = now


def report(results: list[tuple[str, int, float]], seconds: float) -> None:
    latencies = sorted(r[2] for r in results)
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"requests: {len(results)} in {seconds:.1f} s -> {len(results) / seconds:.1f} req/s")
    print(f"latency p50 {quantiles[49] * 1000:.1f} ms, p99 {quantiles[98] * 1000:.1f} ms")
    print("status:", dict(Counter(r[1] for r in results)))
    for path in sorted({r[0] for r in results}):
        own = sorted(r[2] for r in results if r[0] == path)
        ok = sum(1 for r in results if r[0] == path and r[1] < 300)
        p99 = statistics.quantiles(own, n=100)[98] if len(own) > 1 else own[0]
        print(
            f"  {path}: n={len(own)} ok={ok} -> {ok / seconds:.1f}/s, "
            f"p50 {statistics.median(own) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--reset", action="store_true", help="empty the --url database first (a bench one!)")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds of the same mix, untimed, before the timed run"
    )
    parser.add_argument(
        "--mix", choices=sorted(MIXES), default="mixed", help="requests each client cycles through"
    )
    args = parser.parse_args()
    clients, seconds = min(args.clients, MAX_CLIENTS), min(args.seconds, MAX_SECONDS)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'load.db'}"
        prepare_database(url, reset=args.reset)
        port = free_port()
        server = start_server(url, port, max(1, min(args.workers, 8)))
        try:
            base = f"http://127.0.0.1:{port}"
            headers = token(base, "bench_office")
            settle(server.pid)  # every worker has imported and warmed up
            run(base, headers, min(max(args.warmup, 0.0), MAX_SECONDS), [], args.mix, clients)
            results: list[tuple[str, int, float]] = []
            began, server_cpu, client_cpu = time.monotonic(), tree_cpu(server.pid), own_cpu()
            run(base, headers, seconds, results, args.mix, clients)
            elapsed = time.monotonic() - began
            server_cpu, client_cpu = tree_cpu(server.pid) - server_cpu, own_cpu() - client_cpu
            print(
                f"database: {url.split('@')[-1]}; clients: {clients}; "
                f"server workers: {args.workers}; mix: {args.mix}; load average {os.getloadavg()[0]:.1f}"
            )
            report(results, elapsed)
            done = max(1, sum(1 for r in results if r[1] < 300))
            print(
                f"CPU during the run: server {server_cpu:.1f} s ({server_cpu / done * 1000:.2f} ms per "
                f"successful request), load generator {client_cpu:.1f} s "
                f"({client_cpu / done * 1000:.2f} ms per request)"
            )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
