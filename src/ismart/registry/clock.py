"""The registry's clock: naive UTC datetimes, as stored in the tables."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
