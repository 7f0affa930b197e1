"""Four-valued criterion logic, implemented once (the base module below molecular and eligibility).

A criterion is MET (the patient satisfies it; for an exclusion: the exclusion does not apply),
NOT_MET, UNKNOWN (the data needed is missing or outside its window) or REVIEW (the documents ask
for a sponsor or investigator decision, or their wording is ambiguous for this case).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

__all__ = ["Outcome", "Status", "Verdict", "all_of", "any_of", "decided", "negate", "verdict_of"]


class Status(StrEnum):
    MET = "MET"
    NOT_MET = "NOT_MET"
    UNKNOWN = "UNKNOWN"
    REVIEW = "REVIEW"


class Verdict(StrEnum):
    ELIGIBLE = "ELIGIBLE"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    INCOMPLETE = "INCOMPLETE"
    NEEDS_REVIEW = "NEEDS_REVIEW"


@dataclass(frozen=True)
class Outcome:
    """What one rule found: its status, a one-line summary, the evidence and what to collect.

    ``earliest`` is set by waiting-period rules: the first date the rule allows. ``waits`` marks
    a rule as a waiting period even when it could not compute that date (``earliest`` None).
    """

    status: Status
    summary: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    earliest: date | None = None
    waits: bool = False


def decided(ok: bool, summary: str, evidence: Mapping[str, Any] | None = None) -> Outcome:
    """A threshold or yes/no check: MET when ``ok``, else NOT_MET."""
    return Outcome(Status.MET if ok else Status.NOT_MET, summary, evidence or {})


def all_of(outcomes: Iterable[Outcome], summary: str | None = None) -> Outcome:
    """Conjunction: any NOT_MET fails; otherwise missing data, then review, dominate."""
    return _combine(list(outcomes), (Status.NOT_MET, Status.UNKNOWN, Status.REVIEW), summary)


def any_of(outcomes: Iterable[Outcome], summary: str | None = None) -> Outcome:
    """Disjunction: any MET satisfies; otherwise review, then missing data, then NOT_MET."""
    return _combine(list(outcomes), (Status.MET, Status.REVIEW, Status.UNKNOWN), summary)


def negate(outcome: Outcome) -> Outcome:
    flipped = {Status.MET: Status.NOT_MET, Status.NOT_MET: Status.MET}
    return Outcome(
        flipped.get(outcome.status, outcome.status),
        f"not ({outcome.summary})",
        outcome.evidence,
        outcome.missing,
        outcome.earliest,
        outcome.waits,
    )


def _combine(items: list[Outcome], order: tuple[Status, ...], summary: str | None) -> Outcome:
    if not items:
        raise ValueError("cannot combine an empty list of outcomes")
    status = next((s for s in order if any(o.status is s for o in items)), None)
    if status is None:
        status = ({Status.MET, Status.NOT_MET, Status.UNKNOWN, Status.REVIEW} - set(order)).pop()
    # A decisive status (a failing conjunct, a satisfying disjunct) explains itself; otherwise
    # every part is shown, so a reader sees each alternative that was tried.
    deciding = [o for o in items if o.status is status] if status is order[0] else items
    missing = tuple(dict.fromkeys(m for o in items for m in o.missing))
    if status in (Status.MET, Status.NOT_MET) and order[0] is status:
        missing = ()  # decided: nothing more to collect for this rule
    evidence: dict[str, Any] = {}
    for o in items:
        evidence.update(o.evidence)
    dates = [o.earliest for o in items if o.earliest is not None]
    return Outcome(
        status,
        summary or "; ".join(dict.fromkeys(o.summary for o in deciding)),  # each reason once
        evidence,
        missing,
        max(dates) if dates else None,
        any(o.waits for o in items),
    )


def verdict_of(statuses: Iterable[Status]) -> Verdict:
    """ELIGIBLE only when every criterion is MET."""
    seen = set(statuses)
    if Status.NOT_MET in seen:
        return Verdict.NOT_ELIGIBLE
    if Status.UNKNOWN in seen:
        return Verdict.INCOMPLETE
    if Status.REVIEW in seen:
        return Verdict.NEEDS_REVIEW
    return Verdict.ELIGIBLE
