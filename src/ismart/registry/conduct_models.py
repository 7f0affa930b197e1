"""ORM tables of trial conduct: dose assignments, cycles and doses, adverse events, DLT decisions,
safety-committee decisions and the waiting list (migration 0004_conduct)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ismart.registry.models import Base


class DoseAssignment(Base):
    """The level a registration got and why; level None = to be assigned by the safety committee."""

    __tablename__ = "dose_assignments"
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), primary_key=True)
    subprotocol: Mapped[str] = mapped_column(String(4), index=True)
    dose_level: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16))  # assigned | to_be_assigned
    assigned_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Cycle(Base):
    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("subject_code", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    number: Mapped[int]
    start_date: Mapped[date]
    planned_start: Mapped[date | None]
    dose_level: Mapped[int | None]
    height_cm: Mapped[float | None]
    weight_kg: Mapped[float | None]
    bsa_m2: Mapped[float | None]
    gate_reason: Mapped[str | None] = mapped_column(Text)
    sponsor_approval: Mapped[str | None] = mapped_column(Text)
    recovery_day: Mapped[int | None]
    deviations: Mapped[str] = mapped_column(Text)  # JSON list of sentences
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class CycleDose(Base):
    """One drug of a cycle; ``route`` intrathecal rows are planned from the sponsor's age table
    (migration 0013_conduct) and ``drug`` then reads "intrathecal <drug>"."""

    __tablename__ = "cycle_doses"
    __table_args__ = (UniqueConstraint("cycle_id", "drug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    drug: Mapped[str] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(16), default="systemic", server_default="systemic")
    plan_basis: Mapped[str | None] = mapped_column(Text)  # where planned_mg comes from, in words
    planned_mg: Mapped[float | None]  # per administration, from the dose table and BSA
    planned_administrations: Mapped[int]
    given_administrations: Mapped[int]
    given_mg: Mapped[float | None]  # per administration as given
    reduction_percent: Mapped[float | None]
    delay_days: Mapped[int] = mapped_column(default=0)
    interruption_days: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(Text)


class AdverseEventRow(Base):
    __tablename__ = "adverse_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    term: Mapped[str] = mapped_column(String(200))
    soc: Mapped[str] = mapped_column(String(200))
    grade: Mapped[int]
    grade_source: Mapped[str] = mapped_column(Text)
    onset: Mapped[date]
    resolution: Mapped[date | None]
    cycle: Mapped[int]
    attribution: Mapped[str] = mapped_column(Text)  # JSON {drug: attribution}
    attribution_confirmed_by: Mapped[str | None] = mapped_column(String(64))
    serious: Mapped[bool]
    seriousness: Mapped[str] = mapped_column(Text)  # JSON list
    aware_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]
    unexpected: Mapped[bool | None]
    sponsor_aware_on: Mapped[date | None]
    expedited_on: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class DltDecision(Base):
    """The investigator's decision whether the patient had a DLT; the latest row is in force."""

    __tablename__ = "dlt_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    dlt: Mapped[bool]
    event_ids: Mapped[str] = mapped_column(Text)  # JSON list of adverse-event ids
    note: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class CommitteeDecision(Base):
    """The safety committee's decision on the design's proposal (or a level assignment)."""

    __tablename__ = "committee_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    subprotocol: Mapped[str] = mapped_column(String(4), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # escalate | de-escalate | mtd | assign
    from_level: Mapped[int | None]
    to_level: Mapped[int | None]
    subject_code: Mapped[str | None] = mapped_column(ForeignKey("subjects.code"))
    accepted: Mapped[bool]
    note: Mapped[str] = mapped_column(Text)
    proposal: Mapped[str] = mapped_column(Text)  # the design's reason, as shown to the committee
    snapshot: Mapped[str] = mapped_column(Text)  # JSON counts the proposal was made on
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_on: Mapped[date]
    created_at: Mapped[datetime]


class WaitingEntry(Base):
    __tablename__ = "waiting_list"
    __table_args__ = (UniqueConstraint("subprotocol", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subprotocol: Mapped[str] = mapped_column(String(4), index=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    position: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # waiting | registered | removed
    reason: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
