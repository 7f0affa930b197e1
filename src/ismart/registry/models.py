"""ORM tables of the registry (SQLAlchemy 2 typed declarative)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Site(Base):
    __tablename__ = "sites"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    institution: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(100))


class SiteStatus(Base):
    __tablename__ = "site_statuses"
    site_code: Mapped[str] = mapped_column(ForeignKey("sites.code"), primary_key=True)
    subprotocol: Mapped[str] = mapped_column(String(4), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    site_code: Mapped[str | None] = mapped_column(ForeignKey("sites.code"))
    active: Mapped[bool] = mapped_column(default=True)
    token_version: Mapped[int] = mapped_column(default=0)  # raised to revoke every token at once
    must_change_password: Mapped[bool] = mapped_column(default=False)


class LoginThrottle(Base):
    """Failed sign-ins counted per key ("user:NAME" or "addr:IP"), with a lockout end."""

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class SiteSequence(Base):
    __tablename__ = "site_sequences"
    site_code: Mapped[str] = mapped_column(ForeignKey("sites.code"), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Subject(Base):
    __tablename__ = "subjects"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    site_code: Mapped[str] = mapped_column(ForeignKey("sites.code"), index=True)
    state: Mapped[str] = mapped_column(String(32))
    off_study_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class DossierVersion(Base):
    __tablename__ = "dossier_versions"
    __table_args__ = (UniqueConstraint("subject_code", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    version: Mapped[int]
    data: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Screening(Base):
    __tablename__ = "screenings"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier_versions.id"))
    result: Mapped[str] = mapped_column(Text)
    verdicts: Mapped[str] = mapped_column(Text)  # {"B": "ELIGIBLE", ...}: read without the report
    screened_on: Mapped[date]
    protocol_version: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(64))
    rescreen_of: Mapped[int | None] = mapped_column(ForeignKey("screenings.id"))
    created_at: Mapped[datetime]


class ScreeningSummary(Base):
    """What lists show of one screening (date, verdicts, what to collect, candidate sub-protocols,
    molecular calls needing review), derived from its stored result when it is written, so a list
    of a thousand subjects reads no report (and, on SQLite, no screening row: their columns after
    the large result are read through its overflow pages). A copy of what the result holds: not
    audited row by row (the screening is); lists rebuild a missing one from the result."""

    __tablename__ = "screening_summaries"
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"), primary_key=True)
    screened_on: Mapped[date]
    verdicts: Mapped[str] = mapped_column(Text)  # as Screening.verdicts
    missing: Mapped[str] = mapped_column(Text)  # JSON list, in report order, without repeats
    candidates: Mapped[str] = mapped_column(Text)  # JSON list
    review_calls: Mapped[int]


class VerdictChange(Base):
    """A verdict that differs after re-screening under new protocol data: pending until reviewed."""

    __tablename__ = "verdict_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    old_screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"))
    new_screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"))
    subprotocol: Mapped[str] = mapped_column(String(4))
    old_verdict: Mapped[str | None] = mapped_column(String(32))
    new_verdict: Mapped[str | None] = mapped_column(String(32))
    old_protocol_version: Mapped[str] = mapped_column(String(64))
    new_protocol_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class BoardDecision(Base):
    __tablename__ = "board_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    subprotocol: Mapped[str | None] = mapped_column(String(4))
    priority: Mapped[int | None]
    rationale: Mapped[str] = mapped_column(Text)
    members: Mapped[str] = mapped_column(Text)
    non_referral_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Counter(Base):
    """One row per sub-protocol: the lock row and the count of places taken."""

    __tablename__ = "subprotocol_counters"
    subprotocol: Mapped[str] = mapped_column(String(4), primary_key=True)
    capacity: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)
    last_number: Mapped[int] = mapped_column(default=0)


class Registration(Base):
    __tablename__ = "registrations"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), unique=True)
    subprotocol: Mapped[str] = mapped_column(String(4))
    dose_level: Mapped[int]
    subject_number: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime]


class Withdrawal(Base):
    __tablename__ = "withdrawals"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    """Append-only: each row's hash covers its content and the previous row's hash."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    rows: Mapped[str | None] = mapped_column(Text)  # [[table, key, content hash], ...] written with it
    key_id: Mapped[str] = mapped_column(String(16), default="legacy")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
