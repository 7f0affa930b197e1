"""Append-only audit trail: an HMAC-keyed hash chain, content hashes of the rows each entry wrote,
signed checkpoints kept outside the database, and a verifier that compares tables with the log.

Keys: entries are keyed with a secret held outside the database (`AuditKeys`): by default derived
from ISMART_SECRET_KEY, or ISMART_AUDIT_KEY if set. Each entry names the id of its key, so after a
rotation (new ISMART_AUDIT_KEY, the old one listed in ISMART_AUDIT_OLD_KEYS) `verify` checks old
entries with the old key and new ones with the new key.

Row hashes: every flush of a row of a registry table (all but the log tables) is noted by a
session hook; the next audit entry records the table, primary key and content hash of each row
written since the previous entry, and rows written without an entry get one at commit
("rows.write"). `verify_tables` recomputes each row's hash and compares it with the last one the
log recorded: a counter set back, a registration edited or a role changed in the database is named.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from ismart.registry.models import AuditEntry, Base

GENESIS = "0" * 64
# screening_summaries: a copy of each screening's stored result, written with it (models.py)
UNTRACKED = {"audit_log", "login_throttles", "access_log", "alembic_version", "screening_summaries"}
_TOUCHED = "audit_touched"
_KEYS = "audit_keys"
_HEAD = "audit_head"  # (id, hash) of the last entry this transaction appended, while it holds the lock


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"ismart audit key id" + key).hexdigest()[:12]


@dataclass(frozen=True)
class AuditKeys:
    """The key new entries are signed with, and older keys that verification still accepts."""

    current: bytes
    old: tuple[bytes, ...] = ()

    @property
    def current_id(self) -> str:
        return _key_id(self.current)

    def by_id(self) -> dict[str, bytes]:
        return {_key_id(k): k for k in (self.current, *self.old)}

    @staticmethod
    def derive(secret: str) -> bytes:
        return hmac.new(secret.encode("utf-8"), b"ismart audit chain", hashlib.sha256).digest()

    @classmethod
    def from_secrets(
        cls, *, audit_key: str | None, secret_key: str | None, old: Iterable[str] = ()
    ) -> AuditKeys:
        base = audit_key or secret_key or "ismart unkeyed audit (set ISMART_SECRET_KEY)"
        return cls(cls.derive(base), tuple(cls.derive(o) for o in old if o))


UNKEYED = AuditKeys.from_secrets(audit_key=None, secret_key=None)


def keys_of(session: Session) -> AuditKeys:
    keys = session.info.get(_KEYS)
    return keys if isinstance(keys, AuditKeys) else UNKEYED


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _table(mapper: Any) -> str:
    return str(mapper.local_table.name)


def row_hash(row: Any) -> tuple[str, str, str]:
    """(table, primary key as JSON, SHA-256 of the row's columns) of one ORM row."""
    mapper = inspect(row).mapper
    table = _table(mapper)
    content = {c.key: _plain(getattr(row, c.key)) for c in mapper.column_attrs}
    key = json.dumps([_plain(v) for v in mapper.primary_key_from_instance(row)], default=str)
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return table, key, digest


def _digest(entry: AuditEntry, key: bytes) -> str:
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
        entry.rows,
        entry.key_id,
        entry.prev_hash,
    ]
    payload = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def _legacy_digest(entry: AuditEntry) -> str:
    """The unkeyed SHA-256 of entries written before migration 0010."""
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


def _take_touched(session: Session) -> str | None:
    touched: dict[tuple[str, str], Any] = session.info.pop(_TOUCHED, {})
    if not touched:
        return None
    rows = []
    for (table, key), row in sorted(touched.items()):
        if row is None:
            rows.append([table, key, None])  # deleted
        else:
            rows.append(list(row_hash(row)))
    return json.dumps(rows, separators=(",", ":"))


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
    """Append one audit row in the caller's transaction, with the hashes of the rows written since
    the previous entry."""
    session.flush()
    head: tuple[int, str] | None = session.info.get(_HEAD)
    if head is None:  # the transaction's first entry: take the chain's lock, read its head
        _lock_chain(session)
        query = select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
        row = session.execute(query).first()
        last = (int(row[0]), str(row[1])) if row else None
    else:  # the lock is held until the transaction ends: no other appender came in between
        last = head
    keys = keys_of(session)
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
        rows=_take_touched(session),
        key_id=keys.current_id,
        prev_hash=last[1] if last else GENESIS,
        hash="",
    )
    entry.hash = _digest(entry, keys.current)
    session.add(entry)  # inserted by the next flush (at the latest the commit's)
    session.info[_HEAD] = (entry.id, entry.hash)
    return entry


def write(
    session: Session,
    row: Base,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None = None,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> AuditEntry:
    """Write one registry row (new or changed) and its audit entry in the caller's transaction.

    Every clinical write goes through here: the row is added and flushed, and the entry records
    its content hash (``rows``) beside what changed. ``entity_id`` defaults to the row's primary
    key, known once the row is flushed.
    """
    session.add(row)
    session.flush()
    if entity_id is None:
        entity_id = "/".join(str(_plain(v)) for v in inspect(row).mapper.primary_key_from_instance(row))
    return record(
        session,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        reason=reason,
    )


def content_hash(text: str) -> str:
    """SHA-256 of a stored text (a dossier version): the audit log keeps this, not the text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@event.listens_for(Session, "after_flush")
def _note_written_rows(session: Session, _context: Any) -> None:
    touched = session.info.setdefault(_TOUCHED, {})
    for row in (*session.new, *session.dirty):
        if (
            isinstance(row, Base)
            and _table(inspect(row).mapper) not in UNTRACKED
            and session.is_modified(row)
        ):
            table, key, _ = _identity(row)
            touched[(table, key)] = row
    for row in session.deleted:
        if isinstance(row, Base) and _table(inspect(row).mapper) not in UNTRACKED:
            table, key, _ = _identity(row)
            touched[(table, key)] = None


def _identity(row: Any) -> tuple[str, str, None]:
    mapper = inspect(row).mapper
    key = json.dumps([_plain(v) for v in mapper.primary_key_from_instance(row)], default=str)
    return _table(mapper), key, None


@event.listens_for(Session, "before_commit")
def _audit_leftover_rows(session: Session) -> None:
    session.flush()
    if session.info.get(_TOUCHED):
        record(session, actor="system", action="rows.write", entity="rows", entity_id="-")
    session.info.pop(_TOUCHED, None)


@event.listens_for(Session, "after_rollback")
def _forget_rows(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
    session.info.pop(_HEAD, None)


@event.listens_for(Session, "after_commit")
def _release_head(session: Session) -> None:
    session.info.pop(_HEAD, None)  # the chain's lock went with the transaction


@event.listens_for(Session, "after_soft_rollback")
def _forget_head(session: Session, _previous: Any) -> None:
    session.info.pop(_HEAD, None)


# --- verification ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    problem: str | None = None
    row_id: int | None = None
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)


def verify_chain(session: Session, keys: AuditKeys | None = None) -> ChainReport:
    """Walk the chain: an edited row breaks its own keyed hash (a recomputed chain needs the key);
    a deleted row leaves a gap or a broken link. Reads only."""
    known = (keys or keys_of(session)).by_id()
    previous, expected_id, count, keyed_seen = GENESIS, 1, 0, False
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.id != expected_id:
            return ChainReport(False, count, f"audit row {expected_id} is missing (deleted)", expected_id)
        if entry.prev_hash != previous:
            return ChainReport(False, count, f"audit row {entry.id}: broken link to previous row", entry.id)
        if entry.key_id == "legacy":  # written before keyed entries existed: only at the start
            if keyed_seen or _legacy_digest(entry) != entry.hash:
                return ChainReport(False, count, f"audit row {entry.id} was edited (hash mismatch)", entry.id)
            previous, expected_id = entry.hash, expected_id + 1
            continue
        keyed_seen = True
        key = known.get(entry.key_id)
        if key is None:
            problem = (
                f"audit row {entry.id}: signed with unknown key {entry.key_id} (see ISMART_AUDIT_OLD_KEYS)"
            )
            return ChainReport(False, count, problem, entry.id)
        if not hmac.compare_digest(_digest(entry, key), entry.hash):
            return ChainReport(False, count, f"audit row {entry.id} was edited (hash mismatch)", entry.id)
        previous, expected_id = entry.hash, expected_id + 1
    return ChainReport(True, count, head_hash=previous)


def verify_tables(session: Session) -> list[str]:
    """Compare every registry table with the last content hash the log holds for each row."""
    expected: dict[tuple[str, str], str | None] = {}
    for rows in session.scalars(
        select(AuditEntry.rows).where(AuditEntry.rows.is_not(None)).order_by(AuditEntry.id)
    ):
        for table, key, digest in json.loads(rows or "[]"):
            expected[(table, key)] = digest
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if _table(mapper) in UNTRACKED:
            continue
        for row in session.scalars(select(cls)):
            name, key, digest = row_hash(row)
            seen.add((name, key))
            if (name, key) not in expected:
                problems.append(f"{name} row {key}: not in the audit log (written outside the service)")
            elif expected[(name, key)] != digest:
                problems.append(
                    f"{name} row {key}: differs from its audited content (changed outside the service)"
                )
    for (name, key), digest in sorted(expected.items()):
        if digest is not None and (name, key) not in seen:
            problems.append(f"{name} row {key}: deleted outside the service")
    return problems


# --- checkpoints -----------------------------------------------------------------------------------


def _checkpoint_signature(body: dict[str, Any], key: bytes) -> str:
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def make_checkpoint(session: Session) -> dict[str, Any]:
    """Row count and head hash of the chain, signed with the audit key (write it outside the DB)."""
    last = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    keys = keys_of(session)
    body: dict[str, Any] = {
        "rows": last[0] if last else 0,
        "head_hash": last[1] if last else GENESIS,
        "at": datetime.now(UTC).isoformat(),
        "key_id": keys.current_id,
    }
    return {**body, "signature": _checkpoint_signature(body, keys.current)}


def write_checkpoint(session: Session, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint = make_checkpoint(session)
    stamp = checkpoint["at"].replace(":", "").replace("-", "").split(".")[0]
    path = folder / f"audit-checkpoint-{stamp}-{checkpoint['rows']}.json"
    path.write_text(json.dumps(checkpoint, indent=2) + "\n", encoding="utf-8")
    return path


def verify_checkpoint(session: Session, checkpoint: dict[str, Any]) -> str | None:
    """None if the log still holds the checkpoint's rows unchanged; else what is wrong."""
    keys = keys_of(session).by_id()
    body = {k: checkpoint.get(k) for k in ("rows", "head_hash", "at", "key_id")}
    key = keys.get(str(body["key_id"]))
    if key is None or not hmac.compare_digest(
        _checkpoint_signature(body, key), str(checkpoint.get("signature"))
    ):
        return "checkpoint: the signature does not match (forged checkpoint or unknown key)"
    rows = int(body["rows"] or 0)
    count = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0
    if rows and count == 0:
        return f"audit log is empty but the checkpoint of {body['at']} saw {rows} rows (table emptied)"
    if count < rows:
        return f"audit log ends at row {count} but the checkpoint of {body['at']} saw {rows} (tail cut)"
    if rows:
        head = session.scalar(select(AuditEntry.hash).where(AuditEntry.id == rows))
        if head != body["head_hash"]:
            return f"audit row {rows} differs from the checkpoint of {body['at']} (chain rewritten)"
    return None
