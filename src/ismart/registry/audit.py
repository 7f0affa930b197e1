"""Append-only audit trail with a SHA-256 hash chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ismart.registry.models import AuditEntry

GENESIS = "0" * 64


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _digest(entry: AuditEntry) -> str:
    content = [
        entry.id,
        entry.at,
        entry.actor,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.before,
        entry.after,
        entry.reason,
        entry.prev_hash,
    ]
    payload = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """PostgreSQL: one appender at a time (SQLite is already serialised by BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(427001)"))


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> AuditEntry:
    """Append one audit row in the caller's transaction."""
    _lock_chain(session)
    query = select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    last = session.execute(query).first()
    entry = AuditEntry(
        id=(last[0] + 1) if last else 1,
        at=datetime.now(UTC).isoformat(),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=_dump(before),
        after=_dump(after),
        reason=reason,
        prev_hash=last[1] if last else GENESIS,
        hash="",
    )
    entry.hash = _digest(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    problem: str | None = None
    row_id: int | None = None


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain: an edited row breaks its own hash; a deleted row leaves a gap or a broken link."""
    previous, expected_id, count = GENESIS, 1, 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.id != expected_id:
            return ChainReport(False, count, f"audit row {expected_id} is missing (deleted)", expected_id)
        if entry.prev_hash != previous:
            return ChainReport(False, count, f"audit row {entry.id}: broken link to previous row", entry.id)
        if _digest(entry) != entry.hash:
            return ChainReport(False, count, f"audit row {entry.id} was edited (hash mismatch)", entry.id)
        previous, expected_id = entry.hash, expected_id + 1
    return ChainReport(True, count)
