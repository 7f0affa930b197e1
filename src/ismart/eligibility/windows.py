"""Date and time windows, all counted from the planned C1D1.

Conventions (shown in each verdict's evidence):

* day counts use calendar dates: a last dose on day X satisfies "at least N days" on X + N;
* month counts use calendar months (X + 2 months; from 31 January, 1 month is 28/29 February);
* hour counts with only a date known assume the event happened at the end of that day, so
  "48 hours" after a dose on day X ends at 00:00 on X + 3; with a time known they are exact,
  and a C1D1 on the day the hours run out is REVIEW (the first dose must be given after that time).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from ismart.eligibility.status import Outcome, Status

DAY_CONVENTION = "calendar days: a last dose on day X satisfies 'N days' on day X + N"
HOUR_CONVENTION_DATE = "only a date known: taken as the end of that day"


def as_datetime_end(moment: date | datetime) -> datetime:
    """A bare date is taken as the end of that day (the conservative reading)."""
    if isinstance(moment, datetime):
        return moment
    return datetime.combine(moment + timedelta(days=1), time.min)


def as_date(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def clear_date_after_hours(moment: date | datetime, hours: float) -> tuple[date, datetime]:
    """The first calendar date fully clear of an hour window, and the exact end of the window."""
    end = as_datetime_end(moment) + timedelta(hours=hours)
    first = end.date() if end.time() == time.min else end.date() + timedelta(days=1)
    return first, end


def waiting(
    c1d1: date | None,
    earliest: date,
    *,
    what: str,
    evidence: dict[str, Any],
    window_end: datetime | None = None,
) -> Outcome:
    """Judge a waiting period that ends on ``earliest`` against the planned C1D1."""
    evidence = {**evidence, "earliest_allowed": earliest.isoformat()}
    if c1d1 is None:
        return Outcome(
            Status.UNKNOWN,
            f"{what}: allowed from {earliest}",
            evidence,
            ("planned C1D1",),
            earliest,
            waits=True,
        )
    if c1d1 >= earliest:
        return Outcome(Status.MET, f"{what}: over by {earliest}", evidence, (), earliest, True)
    if window_end is not None and c1d1 == window_end.date():
        note = f"{what}: ends {window_end:%Y-%m-%d %H:%M}; first dose only after that time"
        return Outcome(Status.REVIEW, note, evidence, (), earliest, True)
    return Outcome(
        Status.NOT_MET,
        f"{what}: not over until {earliest} ({(earliest - c1d1).days} d after C1D1)",
        evidence,
        (),
        earliest,
        True,
    )


def add_months(day: date, months: int) -> date:
    return day + relativedelta(months=months)


def lab_window(collected: date | datetime, c1d1: date, hours: int) -> tuple[Status, str]:
    """Is a sample inside "within N hours before C1D1"?

    C1D1 is a date without a dosing time. A sample taken on C1D1 itself counts (it must precede
    the first dose). A sample whose N hours would run out on C1D1 counts only if the dose is given
    before that time: REVIEW. Samples after C1D1 or older than the window are stale (UNKNOWN).
    """
    start_of_c1d1 = datetime.combine(c1d1, time.min)
    end_of_c1d1 = start_of_c1d1 + timedelta(days=1)
    if isinstance(collected, datetime):
        if collected >= end_of_c1d1:
            return Status.UNKNOWN, f"taken {collected:%Y-%m-%d %H:%M}, after C1D1"
        if collected >= start_of_c1d1 - timedelta(hours=hours) + timedelta(days=1):
            return Status.MET, f"taken {collected:%Y-%m-%d %H:%M}, within {hours} h of C1D1"
        if collected >= start_of_c1d1 - timedelta(hours=hours):
            limit = collected + timedelta(hours=hours)
            return Status.REVIEW, (
                f"taken {collected:%Y-%m-%d %H:%M}: within {hours} h only if the first dose is "
                f"given by {limit:%Y-%m-%d %H:%M}"
            )
        return Status.UNKNOWN, f"taken {collected:%Y-%m-%d %H:%M}, more than {hours} h before C1D1"
    days_before = (c1d1 - collected).days
    if days_before < 0:
        return Status.UNKNOWN, f"taken {collected}, after C1D1"
    if days_before * 24 < hours:
        return Status.MET, f"taken {collected}, within {hours} h of C1D1"
    if days_before * 24 == hours:
        return Status.REVIEW, f"taken {collected} (no time): within {hours} h depends on the times"
    return Status.UNKNOWN, f"taken {collected}, more than {hours} h before C1D1"
