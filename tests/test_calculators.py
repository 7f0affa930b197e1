"""Calculators against published worked values and at every boundary."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ismart import calculators as calc


@pytest.mark.parametrize(
    ("height", "weight", "formula", "expected"),
    [
        (180, 80, "mosteller", 2.0),  # sqrt(180*80/3600) = 2.000 (Mosteller, NEJM 1987)
        (120, 22, "mosteller", 0.8563),  # sqrt(2640/3600)
        (180, 80, "dubois", 1.9964),  # 0.007184 x 180^0.725 x 80^0.425
        (180, 80, "haycock", 2.0066),
        (180, 80, "gehan_george", 2.0095),
    ],
)
def test_bsa(height: float, weight: float, formula: str, expected: float) -> None:
    assert calc.BSA_FORMULAS[formula](height, weight) == pytest.approx(expected, abs=5e-4)


def test_bedside_schwartz_worked_example() -> None:
    # 0.413 x 120 cm / 0.5 mg/dL = 99.12 mL/min/1.73 m2 (Schwartz et al., JASN 2009)
    assert calc.egfr_bedside_schwartz(120, 0.5) == pytest.approx(99.12)
    assert calc.egfr_bedside_schwartz(120, calc.creatinine_mg_dl(44.2, "umol/L")) == pytest.approx(99.12)


@pytest.mark.parametrize("unit", ["umol/L", "µmol/L", "μmol/L", "UMOL/L", " umol / L "])
def test_creatinine_micro_units(unit: str) -> None:
    assert calc.creatinine_mg_dl(88.4, unit) == pytest.approx(1.0)


def test_creatinine_mmol_and_refused_unit() -> None:
    assert calc.creatinine_mg_dl(0.0884, "mmol/L") == pytest.approx(1.0)
    with pytest.raises(calc.UnitError, match="g/L"):
        calc.creatinine_mg_dl(1.0, "g/L")
    assert calc.bilirubin_mg_dl(17.1, "umol/L") == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("qt", "hr", "rr", "expected"),
    [
        (400, 60, None, 400.0),  # RR 1 s: QTcF = QT
        (400, None, 1000, 400.0),
        (380, 92, None, 380 / (60 / 92) ** (1 / 3)),  # 438.2 ms
        (300, 120, None, 300 / 0.5 ** (1 / 3)),  # 378.0 ms: high paediatric heart rate
    ],
)
def test_qtcf(qt: float, hr: float | None, rr: float | None, expected: float) -> None:
    assert calc.qtcf(qt, heart_rate_bpm=hr, rr_ms=rr) == pytest.approx(expected)


def test_qtcf_needs_exactly_one_of_rate_and_rr() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        calc.qtcf(400)
    with pytest.raises(ValueError, match="exactly one"):
        calc.qtcf(400, heart_rate_bpm=60, rr_ms=1000)
    with pytest.raises(ValueError, match="positive"):
        calc.qtcf(-1, heart_rate_bpm=60)


@pytest.mark.parametrize(
    ("birth", "on", "expected"),
    [
        (date(2015, 2, 11), date(2021, 6, 30), (6, 4, 19)),
        (date(2015, 1, 31), date(2015, 2, 28), (0, 1, 0)),  # month-end rule of calendar arithmetic
        (date(2016, 2, 29), date(2017, 2, 28), (1, 0, 0)),  # leap-day birth: birthday on 28 Feb
        (date(2016, 2, 29), date(2020, 2, 29), (4, 0, 0)),
        (date(2010, 5, 3), date(2010, 5, 3), (0, 0, 0)),
    ],
)
def test_exact_age(birth: date, on: date, expected: tuple[int, int, int]) -> None:
    age = calc.age_on(birth, on)
    assert (age.years, age.months, age.days) == expected


def test_age_refuses_a_date_before_birth() -> None:
    with pytest.raises(ValueError, match="before birth"):
        calc.age_on(date(2020, 1, 2), date(2020, 1, 1))


@pytest.mark.parametrize(("offset", "expected"), [(-1, "lansky"), (0, "karnofsky"), (1, "karnofsky")])
def test_performance_scale_at_the_13th_birthday(offset: int, expected: str) -> None:
    birth = date(2010, 6, 15)
    on = calc.anniversary(birth, 13) + timedelta(days=offset)
    assert calc.performance_scale_for_age(calc.age_on(birth, on)) == expected


@pytest.mark.parametrize(
    ("months", "sex", "expected"),
    [
        (1, "male", None),
        (2, "male", 0.4),
        (11, "female", 0.4),
        (12, "male", 0.5),
        (35, "male", 0.5),
        (36, "female", 0.7),
        (83, "male", 0.7),
        (84, "male", 0.6),
        (108, "male", 0.7),
        (132, "female", 0.9),
        (191, "male", 0.9),
        (192, "male", 1.2),
        (192, "female", 1.0),
        (215, "female", 1.0),
        (216, "male", None),
    ],
)
def test_creatinine_uln_band_edges(months: int, sex: str, expected: float | None) -> None:
    birth = date(2000, 1, 15)
    for offset in (-1, 0) if expected is not None and months % 12 == 0 and months else (0,):
        on = calc.anniversary(birth, months=months) + timedelta(days=offset)
        found = calc.creatinine_uln_for_age(calc.age_on(birth, on), sex)  # type: ignore[arg-type]
        if offset == 0:
            assert (found.value_mg_dl if found else None) == expected
    assert found is None or "uiowa" in found.source


@given(st.floats(50, 220), st.floats(2, 150), st.floats(0.1, 20))
def test_bsa_grows_with_height_and_weight(height: float, weight: float, step: float) -> None:
    for formula in calc.BSA_FORMULAS.values():
        assert formula(height + step, weight) > formula(height, weight)
        assert formula(height, weight + step) > formula(height, weight)


@given(st.dates(date(1990, 1, 1), date(2030, 12, 31)), st.integers(0, 12000))
def test_age_round_trips(birth: date, days: int) -> None:
    on = birth + timedelta(days=days)
    age = calc.age_on(birth, on)
    assert age.years >= 0 and 0 <= age.months < 12 and age.days >= 0
    assert calc.anniversary(birth, age.years, age.months) + timedelta(days=age.days) == on
    assert not math.isnan(age.total_months)
