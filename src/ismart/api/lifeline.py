"""Worker processes of `ismart serve --workers N` end when their parent does.

uvicorn's supervisor starts the workers; if the supervisor is killed (SIGKILL, OOM killer, a
crashed container init), orphaned workers would go on holding the port and database connections.
Each worker therefore asks Linux to send it SIGTERM when its parent dies (prctl
PR_SET_PDEATHSIG), and, on any system, watches its parent's pid once a second and exits when it
changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import threading
import time

__all__ = ["bind_to_parent", "mark_supervisor"]

_PR_SET_PDEATHSIG = 1
POLL_SECONDS = 1.0


def _death_signal() -> None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the watcher below still ends the worker


def _watch(parent: int) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(0)  # the supervisor is gone: nothing left to hand answers back to


ENV = "ISMART_SERVE_PID"  # set by `ismart serve` before it starts workers


def mark_supervisor() -> None:
    """Call in the serving process before it starts workers: they inherit its pid."""
    os.environ[ENV] = str(os.getpid())


def bind_to_parent() -> None:
    """Call once in each worker process, before serving. The parent's pid comes from the
    environment, so that a parent killed while the worker was still starting is noticed too."""
    expected = os.environ.get(ENV, "")
    parent = int(expected) if expected.isdigit() else os.getppid()
    _death_signal()
    if os.getppid() != parent:  # the parent died before the signal was set
        os._exit(0)
    threading.Thread(target=_watch, args=(parent,), name="ismart-lifeline", daemon=True).start()
