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
