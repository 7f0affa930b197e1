"""Crash test: write load against the registry, SIGKILL the server mid-load, restart, check the data.

    .venv/bin/python bench/fault.py [--url postgresql+psycopg://...] [--clients 8] [--seconds 3]

Every acknowledged write (201) must be present after the restart, nothing half-written (each subject
has its audit row, and the audit chain verifies). Bounded in time; loopback only.
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import threading
import time
from pathlib import Path

import httpx
from load import free_port, prepare_database, start_server, token
from sqlalchemy import select

from ismart.registry import db
from ismart.registry.audit import verify_chain
from ismart.registry.models import AuditEntry, Subject

MAX_SECONDS = 20.0


def write_load(base: str, headers: dict[str, str], stop: threading.Event, acked: list[str]) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=5) as client:
        while not stop.is_set():
            try:
                response = client.post("/subjects", json={"site_code": "SE-STO"})
            except httpx.TransportError:
                return  # the server is gone: this write was never acknowledged
            if response.status_code == 201:
                acked.append(response.json()["code"])


def check(url: str, acked: list[str]) -> bool:
    engine = db.make_engine(url=url)
    with db.make_sessionmaker(engine=engine)() as session:
        stored = set(session.scalars(select(Subject.code)))
        audited = set(
            session.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "subject.create"))
        )
        chain = verify_chain(session)
    engine.dispose()
    found = [code for code in acked if code in stored]
    print(f"acknowledged: {len(acked)}  found: {len(found)}  lost: {len(acked) - len(found)}")
    print(f"stored subjects: {len(stored)} (unacknowledged but committed: {len(stored - set(acked))})")
    print(f"half-written (subject without audit row or vice versa): {len(stored ^ audited)}")
    print(f"audit chain: {'ok' if chain.ok else chain.problem} ({chain.rows} rows)")
    return len(found) == len(acked) and stored == audited and chain.ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'fault.db'}"
        prepare_database(url)
        port = free_port()
        server = start_server(url, port, 1)
        base = f"http://127.0.0.1:{port}"
        headers = token(base, "bench_office")
        acked: list[str] = []
        stop = threading.Event()
        threads = [
            threading.Thread(target=write_load, args=(base, headers, stop, acked))
            for _ in range(min(args.clients, 64))
        ]
        for t in threads:
            t.start()
        time.sleep(min(args.seconds, MAX_SECONDS))
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=10)
        print(f"killed the server (SIGKILL) after {args.seconds:.1f} s of writes")
        server = start_server(url, port, 1)  # restart: migrations and seed run again, idempotently
        try:
            ok = check(url, acked)
        finally:
            server.terminate()
            server.wait(timeout=10)
        raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
