"""Date and time windows, all counted from the planned C1D1.

Conventions (shown in each verdict's evidence):

* day counts use calendar dates: a last dose on day X satisfies "at least N days" on X + N;
* month counts use calendar months (X + 2 months; from 31 January, 1 month is 28/29 February);
* hour counts with only a date known: the window is over for certain once it would be over even
  for an event at the very end of that day ("48 hours" after a dose on day X: from X + 3); on a
  day where it is over only if the event was early enough (X + 2), the answer depends on hours
  nobody gave and is REVIEW. With a time known they are exact, and a C1D1 on the day the hours
  run out is REVIEW (the first dose must be given after that time).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from ismart.eligibility.status import Outcome, Status

DAY_CONVENTION = "calendar days: a last dose on day X satisfies 'N days' on day X + N"
HOUR_CONVENTION_DATE = (
    "only a date known: over for certain when over even for an event at the end of that day; "
    "REVIEW on a day where it depends on the hour"
)


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


def possibly_over_from(moment: date | datetime, hours: float) -> date | None:
    """For a bare date: the first day on which an hour window may already be over (event at 00:00)."""
    if isinstance(moment, datetime):
        return None
    return (datetime.combine(moment, time.min) + timedelta(hours=hours)).date()


def waiting(
    c1d1: date | None,
    earliest: date,
    *,
    what: str,
    evidence: dict[str, Any],
    window_end: datetime | None = None,
    possibly_from: date | None = None,
) -> Outcome:
    """Judge a waiting period that ends on ``earliest`` against the planned C1D1.

    ``possibly_from`` (date-only hour windows): from that day the period may be over, depending on
    the hour of an event whose time is not known; a C1D1 from then until ``earliest`` is REVIEW.
    """
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
    if possibly_from is not None and possibly_from <= c1d1:
        note = (
            f"{what}: only a date is known, so whether it is over on C1D1 depends on the hours "
            f"(over for certain from {earliest})"
        )
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
