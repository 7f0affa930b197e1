"""Time windows counted from C1D1: hours with and without a time, calendar days and months."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ismart.eligibility.status import Status
from ismart.eligibility.windows import add_months, clear_date_after_hours, lab_window, waiting

C1D1 = date(2026, 3, 9)


@pytest.mark.parametrize(
    ("collected", "expected"),
    [
        (datetime(2026, 3, 9, 7, 0), Status.MET),  # on C1D1, before the dose
        (datetime(2026, 3, 8, 0, 0), Status.MET),  # 48 h hold whatever the dose time
        (datetime(2026, 3, 7, 23, 59), Status.REVIEW),  # holds only if dosed by 23:59 on C1D1
        (datetime(2026, 3, 7, 0, 0), Status.REVIEW),
        (datetime(2026, 3, 6, 23, 59), Status.UNKNOWN),  # stale
        (datetime(2026, 3, 10, 0, 0), Status.UNKNOWN),  # after C1D1
        (date(2026, 3, 8), Status.MET),
        (date(2026, 3, 7), Status.REVIEW),
        (date(2026, 3, 6), Status.UNKNOWN),
        (date(2026, 3, 10), Status.UNKNOWN),
    ],
)
def test_lab_window_48_hours(collected: date | datetime, expected: Status) -> None:
    assert lab_window(collected, C1D1, 48)[0] is expected


def test_hours_after_a_bare_date_count_from_the_end_of_that_day() -> None:
    assert clear_date_after_hours(date(2026, 3, 6), 48) == (date(2026, 3, 9), datetime(2026, 3, 9))


def test_hours_after_a_time_round_up_to_the_next_whole_day() -> None:
    first, end = clear_date_after_hours(datetime(2026, 3, 6, 8, 0), 72)
    assert (first, end) == (date(2026, 3, 10), datetime(2026, 3, 9, 8, 0))


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 12, 9), 3, date(2026, 3, 9)),
    ],
)
def test_calendar_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("earliest", "expected"),
    [
        (date(2026, 3, 8), Status.MET),
        (date(2026, 3, 9), Status.MET),
        (date(2026, 3, 10), Status.NOT_MET),
    ],
)
def test_waiting_day_before_of_after(earliest: date, expected: Status) -> None:
    outcome = waiting(C1D1, earliest, what="x", evidence={})
    assert outcome.status is expected
    assert outcome.earliest == earliest
    assert outcome.waits


def test_waiting_without_c1d1_is_unknown_but_dated() -> None:
    outcome = waiting(None, date(2026, 3, 12), what="x", evidence={})
    assert outcome.status is Status.UNKNOWN
    assert outcome.earliest == date(2026, 3, 12)
