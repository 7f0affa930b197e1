"""Cycle gates of the registry text: cycle 2 only with at least a partial response after cycle 1;
a third cycle only in CR at the end of cycle 2, with the sponsor's approval; no fourth cycle."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ismart.response.classify import Category

AT_LEAST_PR = (Category.CR, Category.CRp, Category.CRi, Category.PR)


class Gate(StrEnum):
    allowed = "allowed"
    not_allowed = "not allowed"
    unknown = "unknown"  # the response that decides is not known
    review = "review"  # the documents leave it to the sponsor


@dataclass(frozen=True)
class GateDecision:
    gate: Gate
    reason: str


def may_start_cycle(
    cycle: int, *, previous: Category | None, last_cycle: int, sponsor_approved: bool | None = None
) -> GateDecision:
    """May cycle ``cycle`` start, given the response at the end of the cycle before it?
    ``last_cycle``: the highest cycle the protocol data provides (``Treatment.last_cycle``)."""
    if cycle < 1:
        raise ValueError("cycle numbers start at 1")
    if cycle == 1:
        return GateDecision(Gate.allowed, "cycle 1 needs no response")
    if cycle > last_cycle:
        return GateDecision(Gate.not_allowed, f"the protocol provides at most {last_cycle} cycles")
    after = f"at the end of cycle {cycle - 1}"
    if previous is None or previous is Category.UNKNOWN:
        return GateDecision(Gate.unknown, f"response {after} not known")
    if cycle == 2:
        if previous in AT_LEAST_PR:
            return GateDecision(Gate.allowed, f"{previous} {after}: at least a partial response")
        return GateDecision(
            Gate.not_allowed, f"{previous} {after}: cycle 2 requires at least a partial response"
        )
    if previous is Category.CR:
        if sponsor_approved is None:
            return GateDecision(Gate.unknown, f"CR {after}: the sponsor's approval is not recorded")
        if sponsor_approved:
            return GateDecision(Gate.allowed, f"CR {after} and the sponsor approved")
        return GateDecision(Gate.not_allowed, f"CR {after}, but the sponsor did not approve")
    if previous in (Category.CRp, Category.CRi):
        return GateDecision(
            Gate.review,
            f"{previous} {after}: whether CR with incomplete recovery counts for cycle 3 is the sponsor's",
        )
    return GateDecision(Gate.not_allowed, f"{previous} {after}: cycle 3 requires CR")
