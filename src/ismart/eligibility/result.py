"""Screening results: immutable domain values (the JSON contract is built from these)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ismart.eligibility.status import Status, Verdict


@dataclass(frozen=True)
class CriterionResult:
    key: str
    number: str | None
    kind: str
    label: str
    source: str
    status: Status
    summary: str
    evidence: Mapping[str, Any]
    missing: tuple[str, ...]
    earliest: date | None


@dataclass(frozen=True)
class MatchedAlteration:
    gene: str
    kind: str
    detail: str
    pathway: str
    status: Status
    rule: str


@dataclass(frozen=True)
class SubprotocolResult:
    id: str
    name: str
    drugs: tuple[str, ...]
    status: str
    site_status: str | None
    open_at_site: bool
    molecular_match: bool | None
    alterations: tuple[MatchedAlteration, ...]
    verdict: Verdict
    earliest_c1d1: date | None
    criteria: tuple[CriterionResult, ...]
    missing: tuple[str, ...]

    def blocking(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.status is not Status.MET)


@dataclass(frozen=True)
class Recommendation:
    subprotocol: str | None
    candidates: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class ScreeningResult:
    patient_id: str | None
    protocol_name: str
    protocol_version: str
    engine_version: str
    screened_on: date
    planned_c1d1: date | None
    inclusion_date: date | None
    subprotocols: tuple[SubprotocolResult, ...]
    recommendation: Recommendation
