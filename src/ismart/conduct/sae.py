"""Clocks of serious adverse events (pure: the clock's "now" is an argument).

* An SAE is reported by the investigator to the sponsor within 24 hours of the site becoming
  aware of it (ICH E6 GCP; EU Clinical Trials Regulation 536/2014, art. 41).
* A SUSAR (serious, suspected related, unexpected) is expedited by the sponsor within 7 calendar
  days of first knowledge when fatal or life-threatening, within 15 calendar days otherwise
  (ICH E2A, section III.A). Day 0 is the day of first knowledge; the last day is on time.

Whether a reaction is *unexpected* is judged by the sponsor against the reference safety
information, which ismart does not hold: ``unexpected`` None means "not yet assessed" and the
event is listed for that assessment instead of being guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from ismart.errors import InputError

SAE_REPORT_HOURS = 24
SUSAR_FATAL_DAYS = 7
SUSAR_OTHER_DAYS = 15
Seriousness = Literal[
    "death", "life_threatening", "hospitalisation", "disability", "congenital_anomaly", "other"
]
SERIOUSNESS: tuple[Seriousness, ...] = (
    "death",
    "life_threatening",
    "hospitalisation",
    "disability",
    "congenital_anomaly",
    "other",
)
ClockState = Literal["open", "on_time", "overdue", "late", "not_applicable", "assessment_needed"]
RELATED = ("possible", "probable", "definite")


@dataclass(frozen=True)
class Clock:
    """One reporting obligation: when it is due, and where it stands at ``now``."""

    what: str
    due: datetime | None
    done: datetime | None
    state: ClockState
    reason: str

    @property
    def overdue(self) -> bool:
        return self.state in ("overdue", "late")


def _state(what: str, due: datetime, done: datetime | None, now: datetime) -> Clock:
    stamp = due.isoformat(sep=" ", timespec="minutes")
    if done is not None:
        if done <= due:
            return Clock(what, due, done, "on_time", f"{what} done on time (due {stamp})")
        return Clock(what, due, done, "late", f"{what} done late: due {stamp}, done {done:%Y-%m-%d %H:%M}")
    if now <= due:
        return Clock(what, due, None, "open", f"{what} due by {stamp}")
    return Clock(what, due, None, "overdue", f"{what} overdue since {stamp}")


def sae_report_clock(aware_at: datetime, reported_at: datetime | None, now: datetime) -> Clock:
    """Investigator to sponsor: due 24 hours after the site's awareness (the 24th hour is on time)."""
    if reported_at is not None and reported_at < aware_at:
        raise InputError("reported_at: the report cannot precede awareness")
    due = aware_at + timedelta(hours=SAE_REPORT_HOURS)
    return _state("SAE report to the sponsor", due, reported_at, now)


def susar_days(seriousness: tuple[Seriousness, ...]) -> int:
    """7 days for a fatal or life-threatening SUSAR, 15 otherwise (ICH E2A)."""
    unknown = [s for s in seriousness if s not in SERIOUSNESS]
    if unknown:
        raise InputError(f"seriousness: {unknown[0]!r} is not one of {', '.join(SERIOUSNESS)}")
    fatal = "death" in seriousness or "life_threatening" in seriousness
    return SUSAR_FATAL_DAYS if fatal else SUSAR_OTHER_DAYS


def susar_clock(
    *,
    seriousness: tuple[Seriousness, ...],
    related: bool,
    unexpected: bool | None,
    sponsor_aware_on: date | None,
    expedited_on: date | None,
    today: date,
) -> Clock:
    """The expedited-report clock of a serious event; not applicable unless related and unexpected."""
    what = "SUSAR expedited report"
    if not seriousness:
        return Clock(what, None, None, "not_applicable", "not serious: no expedited report")
    if not related:
        return Clock(what, None, None, "not_applicable", "not suspected related: not a SUSAR")
    if unexpected is None:
        return Clock(what, None, None, "assessment_needed", "expectedness not yet assessed by the sponsor")
    if not unexpected:
        return Clock(what, None, None, "not_applicable", "expected reaction: not a SUSAR")
    if sponsor_aware_on is None:
        return Clock(
            what, None, None, "assessment_needed", "SUSAR: the sponsor's first-knowledge date is missing"
        )
    days = susar_days(seriousness)
    # The whole last calendar day counts: due at the end of day 0 + days.
    due = datetime.combine(sponsor_aware_on + timedelta(days=days), datetime.max.time())
    done = None if expedited_on is None else datetime.combine(expedited_on, datetime.min.time())
    now = datetime.combine(today, datetime.min.time())
    clock = _state(what, due, done, now)
    return Clock(what, due, done, clock.state, f"{clock.reason}; {days}-day clock (ICH E2A)")
