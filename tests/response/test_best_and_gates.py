"""Best overall response, the responder rule of the primary endpoint, ORR, and the cycle gates."""

from __future__ import annotations

import pytest

from ismart.response import (
    Assessed,
    Category,
    Disease,
    Gate,
    MrdStatus,
    ResponseResult,
    best_overall,
    is_responder,
    may_start_cycle,
    orr,
)


def _at(cycle: int, category: Category, mrd: MrdStatus = MrdStatus.not_done) -> Assessed:
    return Assessed(cycle, ResponseResult(category, ("r",), mrd=mrd))


def test_best_is_the_best_category_and_names_its_cycle() -> None:
    best = best_overall([_at(1, Category.PR), _at(2, Category.CR), _at(2, Category.UNKNOWN)])
    assert (best.category, best.cycle, best.reason) == (Category.CR, 2, "CR after cycle 2")


def test_best_after_one_cycle_ignores_later_cycles() -> None:
    best = best_overall([_at(1, Category.CRi), _at(2, Category.CR)], up_to_cycle=1)
    assert (best.category, best.cycle) == (Category.CRi, 1)


def test_unknown_never_wins_and_none_recorded_is_unknown() -> None:
    assert best_overall([_at(1, Category.UNKNOWN), _at(1, Category.PD)]).category is Category.PD
    assert best_overall([]).reason == "no assessment recorded"
    assert best_overall([_at(1, Category.UNKNOWN)]).category is Category.UNKNOWN


@pytest.mark.parametrize(
    ("category", "mrd", "disease", "entered_in_cr", "expected"),
    [
        (Category.CR, MrdStatus.positive, Disease.leukaemia, False, True),
        (Category.CRp, MrdStatus.not_done, Disease.leukaemia, False, True),
        (Category.CRi, MrdStatus.not_done, Disease.leukaemia, False, True),
        (Category.PR, MrdStatus.positive, Disease.leukaemia, False, False),
        (Category.NR, MrdStatus.negative, Disease.leukaemia, False, True),
        (Category.CR, MrdStatus.positive, Disease.leukaemia, True, False),  # MRD-only entry
        (Category.CR, MrdStatus.negative, Disease.leukaemia, True, True),
        (Category.UNKNOWN, MrdStatus.unknown, Disease.leukaemia, False, None),
        (Category.MR, MrdStatus.not_done, Disease.lymphoma, False, True),
        (Category.NR, MrdStatus.not_done, Disease.lymphoma, False, False),
        (Category.UNKNOWN, MrdStatus.not_done, Disease.lymphoma, False, None),
    ],
)
def test_responder_rule(
    category: Category, mrd: MrdStatus, disease: Disease, entered_in_cr: bool, expected: bool | None
) -> None:
    best = best_overall([_at(1, category, mrd)])
    assert is_responder(best, disease=disease, entered_in_morphological_cr=entered_in_cr) is expected


def test_orr_counts_unknown_apart() -> None:
    result = orr([True, False, None, True])
    assert (result.responders, result.evaluable, result.unknown, result.rate) == (2, 3, 1, 2 / 3)
    assert orr([]).rate is None


@pytest.mark.parametrize(
    ("cycle", "previous", "approved", "gate", "reason"),
    [
        (1, None, None, Gate.allowed, "cycle 1 needs no response"),
        (2, Category.PR, None, Gate.allowed, "PR at the end of cycle 1: at least a partial response"),
        (2, Category.CRi, None, Gate.allowed, "at least a partial response"),
        (2, Category.NR, None, Gate.not_allowed, "cycle 2 requires at least a partial response"),
        (2, Category.MR, None, Gate.not_allowed, "cycle 2 requires at least a partial response"),
        (2, Category.UNKNOWN, None, Gate.unknown, "response at the end of cycle 1 not known"),
        (3, Category.CR, True, Gate.allowed, "CR at the end of cycle 2 and the sponsor approved"),
        (3, Category.CR, False, Gate.not_allowed, "the sponsor did not approve"),
        (3, Category.CR, None, Gate.unknown, "approval is not recorded"),
        (3, Category.CRp, True, Gate.review, "is the sponsor's"),
        (3, Category.PR, True, Gate.not_allowed, "cycle 3 requires CR"),
        (4, Category.CR, True, Gate.not_allowed, "at most 3 cycles"),
    ],
)
def test_cycle_gates(
    cycle: int, previous: Category | None, approved: bool | None, gate: Gate, reason: str
) -> None:
    decision = may_start_cycle(cycle, previous=previous, last_cycle=3, sponsor_approved=approved)
    assert decision.gate is gate
    assert reason in decision.reason


def test_the_last_cycle_comes_from_the_protocol_data() -> None:
    from ismart.protocol import load_protocol

    for sp in load_protocol().subprotocols:
        if sp.treatment is not None:
            assert sp.treatment.last_cycle == sp.treatment.max_cycles + sp.treatment.cycles_with_approval
    decision = may_start_cycle(3, previous=Category.CR, last_cycle=2, sponsor_approved=True)
    assert decision.gate is Gate.not_allowed
    assert "at most 2 cycles" in decision.reason
