"""ORM tables of the efficacy stage (issue 15): response assessments, per-subject outcomes (off
treatment, off study, follow-up, the dates of the secondary endpoints) and the declared RP2D.
Same declarative base as ``ismart.registry.models``; created by migration 0003_response."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ismart.registry.models import Base


class ResponseAssessment(Base):
    __tablename__ = "response_assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    cycle: Mapped[int]
    assessed_on: Mapped[date]
    disease: Mapped[str] = mapped_column(String(16))
    components: Mapped[str] = mapped_column(Text)  # JSON, as entered
    category: Mapped[str] = mapped_column(String(16))
    marrow_status: Mapped[str] = mapped_column(String(16))
    mrd_status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of sentences
    definitions_version: Mapped[str] = mapped_column(String(32))
    entered_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None]


class SubjectOutcome(Base):
    """One row per treated subject: C1D1, off treatment, off study, follow-up, events."""

    __tablename__ = "subject_outcomes"
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), primary_key=True)
    c1d1: Mapped[date | None]
    off_treatment_on: Mapped[date | None]
    off_treatment_reason: Mapped[str | None] = mapped_column(String(32))
    off_study_on: Mapped[date | None]
    off_study_reason: Mapped[str | None] = mapped_column(String(32))
    follow_up_status: Mapped[str | None] = mapped_column(String(32))
    last_contact_on: Mapped[date | None]
    hsct_on: Mapped[date | None]
    death_on: Mapped[date | None]
    first_event_on: Mapped[date | None]
    first_event_kind: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class Rp2dDeclaration(Base):
    """The recommended phase II dose of a sub-protocol, declared by the trial office."""

    __tablename__ = "rp2d_declarations"
    subprotocol: Mapped[str] = mapped_column(String(4), primary_key=True)
    dose_level: Mapped[int]
    declared_on: Mapped[date]
    declared_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
