"""Signed audit checkpoints on a schedule (issue 11): written by the serving process into
ISMART_AUDIT_CHECKPOINT_DIR, each one holding when verified."""

from __future__ import annotations

import json
import time
from pathlib import Path

from registry_helpers import Registry, flow_to_screened

from ismart.api.checkpoints import CheckpointSchedule, start_schedule
from ismart.registry import audit


def test_checkpoints_are_written_on_a_schedule_and_hold(registry: Registry, tmp_path: Path) -> None:
    flow_to_screened(registry)
    schedule = CheckpointSchedule(registry.state.sessions, tmp_path / "checkpoints", 0.2).start()
    try:
        deadline = time.monotonic() + 10
        while len(schedule.written) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        schedule.stop()
    assert len(schedule.written) >= 2
    with registry.state.sessions() as session:
        for path in schedule.written:
            saved = json.loads(path.read_text(encoding="utf-8"))
            assert saved["rows"] > 0
            assert audit.verify_checkpoint(session, saved) is None


def test_no_folder_no_schedule(registry: Registry) -> None:
    assert start_schedule(registry.state.settings, registry.state.sessions) is None
