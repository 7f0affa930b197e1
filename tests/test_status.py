"""Four-valued logic: truth tables of all/any/not and the verdict rule."""

from __future__ import annotations

import itertools

import pytest

from ismart.eligibility.status import Outcome, Status, Verdict, all_of, any_of, negate, verdict_of

M, N, U, R = Status.MET, Status.NOT_MET, Status.UNKNOWN, Status.REVIEW


def _o(s: Status) -> Outcome:
    return Outcome(s, s.value)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (M, M, M),
        (M, N, N),
        (M, U, U),
        (M, R, R),
        (N, U, N),
        (N, R, N),
        (U, R, U),
        (U, U, U),
        (R, R, R),
    ],
)
def test_all_of(a: Status, b: Status, expected: Status) -> None:
    assert all_of([_o(a), _o(b)]).status is expected
    assert all_of([_o(b), _o(a)]).status is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (M, N, M),
        (M, U, M),
        (N, N, N),
        (N, U, U),
        (N, R, R),
        (U, R, R),
        (U, U, U),
        (R, M, M),
    ],
)
def test_any_of(a: Status, b: Status, expected: Status) -> None:
    assert any_of([_o(a), _o(b)]).status is expected
    assert any_of([_o(b), _o(a)]).status is expected


def test_negate_swaps_only_decided_values() -> None:
    assert [negate(_o(s)).status for s in (M, N, U, R)] == [N, M, U, R]


def test_decided_conjunction_drops_missing_items() -> None:
    failing = Outcome(N, "fails")
    unknown = Outcome(U, "unknown", missing=("x",))
    assert all_of([failing, unknown]).missing == ()
    assert all_of([Outcome(M, "ok"), unknown]).missing == ("x",)


def test_combine_refuses_empty() -> None:
    with pytest.raises(ValueError, match="empty"):
        all_of([])


@pytest.mark.parametrize("statuses", list(itertools.product([M, N, U, R], repeat=3)))
def test_verdict_is_eligible_only_when_all_met(statuses: tuple[Status, ...]) -> None:
    verdict = verdict_of(statuses)
    assert (verdict is Verdict.ELIGIBLE) == all(s is M for s in statuses)
    if N in statuses:
        assert verdict is Verdict.NOT_ELIGIBLE
    elif U in statuses:
        assert verdict is Verdict.INCOMPLETE
    elif R in statuses:
        assert verdict is Verdict.NEEDS_REVIEW
