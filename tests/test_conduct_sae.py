"""SAE and SUSAR clocks at their boundaries (tables in tests/data/)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from ismart.conduct.sae import sae_report_clock, susar_clock
from ismart.errors import InputError

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


def _dt(text: str) -> datetime | None:
    return None if text == "-" else datetime.fromisoformat(text)


@pytest.mark.parametrize("row", _rows("sae_clocks.tsv"), ids=lambda r: "|".join(r))
def test_sae_report_clock(row: list[str]) -> None:
    _, aware, reported, now, state = row
    clock = sae_report_clock(_dt(aware), _dt(reported), _dt(now))  # type: ignore[arg-type]
    assert clock.state == state
    assert (clock.due - datetime.fromisoformat(aware)).total_seconds() == 24 * 3600
    assert clock.reason.startswith("SAE report to the sponsor")


@pytest.mark.parametrize("row", _rows("susar_clocks.tsv"), ids=lambda r: "|".join(r))
def test_susar_clock(row: list[str]) -> None:
    seriousness, related, unexpected, aware, expedited, today, state, days = row
    clock = susar_clock(
        seriousness=tuple(seriousness.split(",")) if seriousness != "-" else (),  # type: ignore[arg-type]
        related=related == "yes",
        unexpected=None if unexpected == "?" else unexpected == "yes",
        sponsor_aware_on=date.fromisoformat(aware),
        expedited_on=None if expedited == "-" else date.fromisoformat(expedited),
        today=date.fromisoformat(today),
    )
    assert clock.state == state, clock.reason
    if days != "-":
        assert clock.due is not None
        assert (clock.due.date() - date.fromisoformat(aware)).days == int(days)
        assert f"{days}-day clock (ICH E2A)" in clock.reason
    else:
        assert clock.due is None


def test_overdue_reason_names_the_due_time() -> None:
    clock = sae_report_clock(datetime(2026, 3, 1, 10), None, datetime(2026, 3, 3))
    assert clock.overdue
    assert clock.reason == "SAE report to the sponsor overdue since 2026-03-02 10:00"


def test_report_before_awareness_is_refused() -> None:
    with pytest.raises(InputError, match="reported_at"):
        sae_report_clock(datetime(2026, 3, 2), datetime(2026, 3, 1), datetime(2026, 3, 3))


def test_unknown_seriousness_is_refused() -> None:
    with pytest.raises(InputError, match="seriousness: 'bad'"):
        susar_clock(
            seriousness=("bad",),  # type: ignore[arg-type]
            related=True,
            unexpected=True,
            sponsor_aware_on=date(2026, 3, 1),
            expedited_on=None,
            today=date(2026, 3, 2),
        )
