"""Signed audit checkpoints written on a schedule by the serving process (issue 11): every
ISMART_AUDIT_CHECKPOINT_MINUTES (default 60) into ISMART_AUDIT_CHECKPOINT_DIR, when that folder is
set; nothing otherwise (no setting is mandatory). `ismart audit verify --checkpoint FILE` then
detects a cut tail, an emptied table or a recomputed chain since that moment."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ismart.registry import audit
from ismart.registry.settings import Settings

__all__ = ["CheckpointSchedule", "start_schedule"]

_LOG = logging.getLogger("ismart.api")


class CheckpointSchedule:
    """A daemon thread writing one checkpoint at start and then one per interval until stopped."""

    def __init__(self, sessions: sessionmaker[Session], folder: Path, seconds: float) -> None:
        self.sessions, self.folder, self.seconds = sessions, folder, seconds
        self._stop = threading.Event()
        self.written: list[Path] = []
        self._thread = threading.Thread(target=self._run, name="ismart-checkpoints", daemon=True)

    def start(self) -> CheckpointSchedule:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def write_one(self) -> Path:
        with self.sessions() as session:
            path = audit.write_checkpoint(session, self.folder)
            session.rollback()
        self.written.append(path)
        return path

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.write_one()
            except Exception:  # a full disk must not stop the service; it is logged, and retried
                _LOG.exception("audit checkpoint not written to %s", self.folder)
            self._stop.wait(self.seconds)


def start_schedule(settings: Settings, sessions: sessionmaker[Session]) -> CheckpointSchedule | None:
    if not settings.audit_checkpoint_dir:
        return None
    folder = Path(settings.audit_checkpoint_dir)
    return CheckpointSchedule(sessions, folder, settings.audit_checkpoint_minutes * 60).start()
