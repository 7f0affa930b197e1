"""Field types of request models that bound what a client may send: dates in a plausible range
(a C1D1 of 9999-12-31 once made a subject unscreenable) and short texts. The JSON door
(ismart.api.limits) refuses the same date range before parsing; these hold at the model, for
every caller."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

__all__ = ["MAX_YEAR", "MIN_YEAR", "Name", "PlausibleDate", "PlausibleDateTime"]

MIN_YEAR, MAX_YEAR = 1900, 2100  # births of living patients to the end of any follow-up


def _plausible(value: date) -> date:
    # year only: aware and naive datetimes alike, never a comparison that raises
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"date {value.isoformat()[:10]} is outside {MIN_YEAR}-{MAX_YEAR}")
    return value


PlausibleDate = Annotated[date, AfterValidator(_plausible)]
PlausibleDateTime = Annotated[datetime, AfterValidator(_plausible)]
Name = Annotated[str, Field(min_length=1, max_length=200)]  # a person's or drug's name in a list or key
