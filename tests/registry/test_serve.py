"""`ismart serve` as a user runs it: a real server process on loopback, one and two workers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ismart.registry import accounts
from ismart.registry.bootstrap import open_registry
from ismart.registry.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "server exited"
        try:
            if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("server did not start")


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_on_loopback(tmp_path: Path, workers: int) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    port = _free_port()
    env = {**os.environ, "ISMART_DATABASE_URL": url, "ISMART_SECRET_KEY": "serve-test-secret-0123456789"}
    command = [sys.executable, "-m", "ismart.cli", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, process)
        assert httpx.get(f"{base}/docs", timeout=5).status_code == 200
        refused = httpx.post(f"{base}/token", json={"username": "nobody", "password": "x"}, timeout=5)
        assert refused.status_code == 401 and refused.json() == {"detail": accounts.REFUSED}
        assert httpx.get(f"{base}/sites", timeout=5).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=30)
    open_registry(Settings(database_url=url))  # the served database is at head and seeded


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited, waiting only for its (new) parent to reap it


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_exit_when_the_parent_is_killed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    port = _free_port()
    env = {**os.environ, "ISMART_DATABASE_URL": url, "ISMART_SECRET_KEY": "serve-test-secret-0123456789"}
    command = [sys.executable, "-m", "ismart.cli", "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, cwd=tmp_path)
    try:
        _wait_up(f"http://127.0.0.1:{port}", process)
        workers = _children(process.pid)
        assert len(workers) >= 2, workers
        process.kill()  # SIGKILL: the supervisor gets no chance to stop its workers
        process.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        survivors = [w for w in workers if _alive(w)]
        for pid in survivors:  # clean up before failing
            os.kill(pid, 9)
        assert survivors == [], f"workers still running 5 s after their parent died: {survivors}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
