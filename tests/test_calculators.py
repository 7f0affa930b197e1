"""ismart.calculators: worked values from the published formulas, and every boundary that a
screening decision can turn on (unit spellings, birthdays, month ends, ULN age bands)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ismart import calculators as calc
from ismart.protocol import load_protocol
from ismart.protocol.model import PerformanceRule

DAY = timedelta(days=1)
BAD_NUMBERS = [0.0, -1.0, math.nan, math.inf, -math.inf]
Sex = Literal["female", "male"]

# ---------------------------------------------------------------------------------------------
# Body surface area
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "height", "weight", "expected"),
    [
        # Mosteller, NEJM 1987;317:1098: sqrt(180 x 80 / 3600) = sqrt(4) = 2.00 m2, the usual
        # adult worked example.
        ("mosteller", 180, 80, 2.0),
        # A 4-year-old sized child: sqrt(100 x 16 / 3600) = sqrt(4/9) = 0.6667 m2.
        ("mosteller", 100, 16, 0.6667),
        # The others by hand from the published coefficients (rounded to 4 places).
        ("dubois", 180, 80, 1.9964),  # 0.007184 x 180^0.725 x 80^0.425
        ("dubois", 100, 16, 0.6578),
        ("haycock", 180, 80, 2.0066),  # 0.024265 x 180^0.3964 x 80^0.5378
        ("haycock", 100, 16, 0.6689),
        ("gehan_george", 180, 80, 2.0095),  # 0.0235 x 180^0.42246 x 80^0.51456
        ("gehan_george", 100, 16, 0.6848),
    ],
)
def test_bsa_worked_values(formula: str, height: float, weight: float, expected: float) -> None:
    assert calc.BSA_FORMULAS[formula](height, weight) == pytest.approx(expected, abs=5e-5)


def test_bsa_formula_names() -> None:
    assert set(calc.BSA_FORMULAS) == {"mosteller", "dubois", "haycock", "gehan_george"}


@pytest.mark.parametrize("formula", sorted(calc.BSA_FORMULAS))
@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_bsa_refuses_non_positive_or_non_finite(formula: str, bad: float) -> None:
    with pytest.raises(ValueError, match="height_cm"):
        calc.BSA_FORMULAS[formula](bad, 20)
    with pytest.raises(ValueError, match="weight_kg"):
        calc.BSA_FORMULAS[formula](110, bad)


@given(st.floats(40, 220), st.floats(2, 150), st.floats(0.1, 30))
def test_bsa_grows_with_height_and_with_weight(height: float, weight: float, step: float) -> None:
    for formula in calc.BSA_FORMULAS.values():
        assert formula(height + step, weight) > formula(height, weight)
        assert formula(height, weight + step) > formula(height, weight)


# ---------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.5, "mg/dL", 0.5),
        (0.5, "MG/DL", 0.5),
        (44.2, "umol/L", 0.5),  # 44.2 / 88.4
        (44.2, "µmol/L", 0.5),  # micro sign U+00B5
        (44.2, "μmol/L", 0.5),  # Greek small mu U+03BC
        (44.2, "UMOL/L", 0.5),
        (44.2, " µmol / l ", 0.5),
        (0.0442, "mmol/L", 0.5),
        (0.0, "umol/L", 0.0),
    ],
)
def test_creatinine_units(value: float, unit: str, expected: float) -> None:
    assert calc.creatinine_mg_dl(value, unit) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1.2, "mg/dL", 1.2),
        (17.1, "umol/L", 1.0),
        (34.2, "µmol/L", 2.0),
        (34.2, "μmol/l", 2.0),
        (0.0, "mg/dl", 0.0),  # a direct bilirubin below detection is reported as 0
    ],
)
def test_bilirubin_units(value: float, unit: str, expected: float) -> None:
    assert calc.bilirubin_mg_dl(value, unit) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("convert", "unit"),
    [
        (calc.creatinine_mg_dl, "g/L"),
        (calc.creatinine_mg_dl, "mg/L"),
        (calc.creatinine_mg_dl, "nmol/L"),
        (calc.creatinine_mg_dl, ""),
        (calc.bilirubin_mg_dl, "mmol/L"),  # nobody reports bilirubin in mmol/L: a typo, not a unit
        (calc.bilirubin_mg_dl, "mg/L"),
    ],
)
def test_unknown_units_are_refused_by_name(convert: Callable[[float, str], float], unit: str) -> None:
    with pytest.raises(calc.UnitError, match=r"unit '.*' is not accepted; use one of mg/dL, umol/L") as info:
        convert(1.0, unit)
    assert repr(unit) in str(info.value)
    assert isinstance(info.value, ValueError)  # callers that catch ValueError see it too


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_conversion_refuses_negative_or_non_finite_values(bad: float) -> None:
    with pytest.raises(ValueError, match="creatinine value"):
        calc.creatinine_mg_dl(bad, "mg/dL")
    with pytest.raises(ValueError, match="bilirubin value"):
        calc.bilirubin_mg_dl(bad, "umol/L")


def test_conversion_factors() -> None:
    assert calc.CREATININE_UMOL_PER_MG_DL == 88.4
    assert calc.BILIRUBIN_UMOL_PER_MG_DL == 17.1


# ---------------------------------------------------------------------------------------------
# Bedside Schwartz eGFR
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("height", "creatinine", "unit", "expected"),
    [
        # 0.413 x 120 / 0.5 = 99.12 mL/min/1.73 m2 (Schwartz et al., JASN 2009;20:629-37)
        (120, 0.5, "mg/dL", 99.12),
        (120, 44.2, "umol/L", 99.12),  # 44.2 umol/L = 0.5 mg/dL
        (150, 70.72, "µmol/L", 77.4375),  # 70.72 umol/L = 0.8 mg/dL; 0.413 x 150 / 0.8
        (80, 0.2, "mg/dL", 165.2),
    ],
)
def test_bedside_schwartz(height: float, creatinine: float, unit: str, expected: float) -> None:
    scr = calc.creatinine_mg_dl(creatinine, unit)
    assert calc.egfr_bedside_schwartz(height, scr) == pytest.approx(expected)


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_bedside_schwartz_refuses_bad_input(bad: float) -> None:
    with pytest.raises(ValueError, match="height_cm"):
        calc.egfr_bedside_schwartz(bad, 0.5)
    with pytest.raises(ValueError, match="creatinine_mg_dl"):
        calc.egfr_bedside_schwartz(120, bad)


# ---------------------------------------------------------------------------------------------
# Fridericia QTc
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qt", "hr", "rr", "expected"),
    [
        (400, 60, None, 400.0),  # RR = 1 s, so QTcF = QT
        (400, None, 1000, 400.0),
        # 150 bpm (an infant): RR = 0.4 s, 0.4^(1/3) = 0.73681, 280 / 0.73681 = 380.02 ms
        (280, 150, None, 380.02),
        (280, None, 400, 380.02),
        # 120 bpm: RR = 0.5 s, 0.5^(1/3) = 0.79370, 300 / 0.79370 = 377.98 ms
        (300, 120, None, 377.98),
        # 40 bpm: RR = 1.5 s, 1.5^(1/3) = 1.14471, 360 / 1.14471 = 314.49 ms (corrected downwards)
        (360, 40, None, 314.49),
    ],
)
def test_qtcf(qt: float, hr: float | None, rr: float | None, expected: float) -> None:
    assert calc.qtcf(qt, heart_rate_bpm=hr, rr_ms=rr) == pytest.approx(expected, abs=0.005)


def test_qtcf_needs_exactly_one_of_heart_rate_and_rr() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        calc.qtcf(400)
    with pytest.raises(ValueError, match="exactly one"):
        calc.qtcf(400, heart_rate_bpm=60, rr_ms=1000)


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_qtcf_refuses_bad_numbers(bad: float) -> None:
    with pytest.raises(ValueError, match="qt_ms"):
        calc.qtcf(bad, heart_rate_bpm=60)
    with pytest.raises(ValueError, match="heart_rate_bpm"):
        calc.qtcf(400, heart_rate_bpm=bad)
    with pytest.raises(ValueError, match="rr_ms"):
        calc.qtcf(400, rr_ms=bad)


# ---------------------------------------------------------------------------------------------
# Exact age and anniversaries
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "expected"),
    [
        (date(2015, 2, 11), date(2021, 6, 23), (6, 4, 12)),
        (date(2010, 5, 3), date(2010, 5, 3), (0, 0, 0)),
        (date(2010, 5, 3), date(2010, 6, 2), (0, 0, 30)),
        (date(2010, 5, 3), date(2010, 6, 3), (0, 1, 0)),
        # Month ends: a month after 31 January is the last day of February.
        (date(2015, 1, 31), date(2015, 2, 27), (0, 0, 27)),
        (date(2015, 1, 31), date(2015, 2, 28), (0, 1, 0)),
        (date(2016, 1, 31), date(2016, 2, 29), (0, 1, 0)),
        (date(2015, 1, 31), date(2015, 3, 30), (0, 1, 30)),
        (date(2015, 1, 31), date(2015, 3, 31), (0, 2, 0)),
        (date(2015, 3, 31), date(2015, 4, 30), (0, 1, 0)),
        (date(2014, 12, 31), date(2015, 12, 30), (0, 11, 30)),
        (date(2014, 12, 31), date(2015, 12, 31), (1, 0, 0)),
        # 29 February births: the birthday falls on 28 February in common years.
        (date(2016, 2, 29), date(2017, 2, 27), (0, 11, 29)),
        (date(2016, 2, 29), date(2017, 2, 28), (1, 0, 0)),
        (date(2016, 2, 29), date(2017, 3, 1), (1, 0, 1)),
        (date(2016, 2, 29), date(2020, 2, 28), (3, 11, 30)),
        (date(2016, 2, 29), date(2020, 2, 29), (4, 0, 0)),
    ],
)
def test_exact_age(birth: date, on: date, expected: tuple[int, int, int]) -> None:
    age = calc.age_on(birth, on)
    assert (age.years, age.months, age.days) == expected


def test_age_text_and_total_months() -> None:
    age = calc.age_on(date(2015, 2, 11), date(2021, 6, 23))
    assert str(age) == "6 y 4 m 12 d"
    assert age.total_months == 76


def test_age_refuses_a_date_before_birth() -> None:
    with pytest.raises(ValueError, match="before the birth date"):
        calc.age_on(date(2020, 1, 2), date(2020, 1, 1))


@pytest.mark.parametrize(("years", "months", "days"), [(-1, 0, 0), (1, 12, 0), (1, -1, 0), (1, 0, 31)])
def test_age_refuses_impossible_values(years: int, months: int, days: int) -> None:
    with pytest.raises(ValueError, match="not a calendar age"):
        calc.Age(years, months, days)


@pytest.mark.parametrize(
    ("birth", "years", "months", "expected"),
    [
        (date(2012, 6, 15), 13, 0, date(2025, 6, 15)),
        (date(2012, 2, 29), 13, 0, date(2025, 2, 28)),  # common year: 28 February
        (date(2012, 2, 29), 4, 0, date(2016, 2, 29)),  # leap year: the day itself
        (date(2012, 2, 29), 1, 0, date(2013, 2, 28)),
        (date(2015, 1, 31), 0, 1, date(2015, 2, 28)),
        (date(2015, 1, 31), 1, 1, date(2016, 2, 29)),
        (date(2015, 8, 31), 0, 18, date(2017, 2, 28)),
        (date(2015, 8, 31), 0, 0, date(2015, 8, 31)),
    ],
)
def test_anniversary(birth: date, years: int, months: int, expected: date) -> None:
    assert calc.anniversary(birth, years=years, months=months) == expected
    age = calc.age_on(birth, expected)
    assert (age.total_months, age.days) == (years * 12 + months, 0)


def test_anniversary_refuses_negative_ages() -> None:
    with pytest.raises(ValueError, match="negative"):
        calc.anniversary(date(2015, 1, 1), years=-1)
    with pytest.raises(ValueError, match="negative"):
        calc.anniversary(date(2015, 1, 1), months=-3)


@given(st.dates(date(1990, 1, 1), date(2035, 12, 31)), st.integers(0, 9000))
def test_age_is_never_negative_and_round_trips(birth: date, days_lived: int) -> None:
    on = birth + timedelta(days=days_lived)
    age = calc.age_on(birth, on)
    assert age.years >= 0 and 0 <= age.months < 12 and 0 <= age.days <= 30
    assert calc.anniversary(birth, years=age.years, months=age.months) + timedelta(days=age.days) == on


# ---------------------------------------------------------------------------------------------
# Performance scale
# ---------------------------------------------------------------------------------------------


HEM_ISMART_LANSKY_UP_TO = next(
    c.rule.lansky_up_to_completed_years
    for c in load_protocol().subprotocols[0].criteria
    if isinstance(c.rule, PerformanceRule)
)


def test_the_shipped_data_gives_lansky_up_to_12() -> None:
    assert HEM_ISMART_LANSKY_UP_TO == 12


@pytest.mark.parametrize("birth", [date(2010, 6, 15), date(2012, 2, 29), date(2011, 12, 31)])
@pytest.mark.parametrize(("offset", "expected"), [(-1, "lansky"), (0, "karnofsky"), (1, "karnofsky")])
def test_performance_scale_turns_on_the_13th_birthday(birth: date, offset: int, expected: str) -> None:
    # HEM-iSMART: Lansky for 12 years or under, read in completed years.
    on = calc.anniversary(birth, years=13) + offset * DAY
    assert calc.performance_scale(calc.age_on(birth, on), HEM_ISMART_LANSKY_UP_TO) == expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [(calc.Age(0, 6, 0), "lansky"), (calc.Age(12, 11, 30), "lansky"), (calc.Age(17, 0, 0), "karnofsky")],
)
def test_performance_scale_by_age(age: calc.Age, expected: str) -> None:
    assert calc.performance_scale(age, HEM_ISMART_LANSKY_UP_TO) == expected


# ---------------------------------------------------------------------------------------------
# Creatinine ULN for age (University of Iowa pathology handbook table)
# ---------------------------------------------------------------------------------------------

# Each band boundary in completed months, with the ULN (mg/dL) just below and from it on, for
# females and males: None where the table gives nothing.
ULN_BOUNDARIES = [
    # months, female below, female from, male below, male from
    (2, None, 0.4, None, 0.4),  # under 2 months: not covered
    (12, 0.4, 0.5, 0.4, 0.5),  # 2-12 months -> 1-2 y
    (36, 0.5, 0.7, 0.5, 0.7),  # -> 3-4 y
    (60, 0.7, 0.7, 0.7, 0.7),  # -> 5-6 y
    (84, 0.7, 0.6, 0.7, 0.6),  # -> 7-8 y
    (108, 0.6, 0.7, 0.6, 0.7),  # -> 9-10 y
    (132, 0.7, 0.9, 0.7, 0.9),  # -> 11-12 y
    (156, 0.9, 0.9, 0.9, 0.9),  # -> 13-15 y
    (192, 0.9, 1.0, 0.9, 1.2),  # -> 16-17 y, split by sex
    (216, 1.0, None, 1.2, None),  # 18th birthday: not covered
]
ULN_EDGE_CASES = [
    pytest.param(months, sex, offset, (below if offset < 0 else at), id=f"{months}m-{sex}-{offset:+d}d")
    for months, f_below, f_at, m_below, m_at in ULN_BOUNDARIES
    for sex, below, at in (("female", f_below, f_at), ("male", m_below, m_at))
    for offset in (-1, 0, 1)
]
# Ordinary, month-end and leap-day births, so the boundary dates fall on clipped month ends too.
ULN_BIRTHS = [date(2006, 7, 15), date(2007, 1, 31), date(2008, 2, 29)]


@pytest.mark.parametrize("birth", ULN_BIRTHS)
@pytest.mark.parametrize(("months", "sex", "offset", "expected"), ULN_EDGE_CASES)
def test_creatinine_uln_at_every_band_edge(
    birth: date, months: int, sex: Sex, offset: int, expected: float | None
) -> None:
    on = calc.anniversary(birth, months=months) + offset * DAY
    found = calc.creatinine_uln_for_age(calc.age_on(birth, on), sex)
    assert (found.value_mg_dl if found else None) == expected


@pytest.mark.parametrize(
    ("age", "sex", "band"),
    [
        (calc.Age(0, 5, 3), "male", "2–12 months"),
        (calc.Age(2, 11, 30), "female", "1–2 y"),
        (calc.Age(12, 0, 0), "female", "11–12 y"),
        (calc.Age(17, 11, 30), "male", "16–17 y, male"),
        (calc.Age(16, 0, 0), "female", "16–17 y, female"),
    ],
)
def test_creatinine_uln_names_band_and_source(age: calc.Age, sex: Sex, band: str) -> None:
    found = calc.creatinine_uln_for_age(age, sex)
    assert found is not None
    assert found.band == band
    assert "University of Iowa" in found.source
    assert "https://www.healthcare.uiowa.edu/path_handbook/handbook/test3279.html" in found.source


@pytest.mark.parametrize("sex", ["female", "male"])
def test_creatinine_uln_table_has_no_gap_from_2_months_to_18_years(sex: Sex) -> None:
    for months in range(0, 25 * 12):
        found = calc.creatinine_uln_for_age(calc.Age(months // 12, months % 12, 0), sex)
        assert (found is not None) == (2 <= months < 216), months


def test_creatinine_uln_refuses_an_unknown_sex() -> None:
    with pytest.raises(ValueError, match="sex"):
        calc.creatinine_uln_for_age(calc.Age(5, 0, 0), "unknown")  # type: ignore[arg-type]


# ---- issue 9: QTcF compared exactly


@pytest.mark.parametrize(
    ("qt", "rate", "rr", "within"),
    [
        (414.0, None, 778.688, True),  # exactly 450 (the float cube root gives 450.00000000000006)
        (414.1, None, 778.688, False),
        (360.0, 117.1875, None, True),  # RR 0.512 s, cube root 0.8: exactly 450
        (360.1, 117.1875, None, False),
        (450.0, 60.0, None, True),
        (450.0, 60.1, None, False),
    ],
)
def test_qtcf_at_most_is_exact_on_the_boundary(
    qt: float, rate: float | None, rr: float | None, within: bool
) -> None:
    from ismart.calculators import qtcf_at_most

    assert qtcf_at_most(450, qt, heart_rate_bpm=rate, rr_ms=rr) is within


def test_qtcf_at_most_needs_exactly_one_of_rate_and_rr() -> None:
    from ismart.calculators import qtcf_at_most

    with pytest.raises(ValueError, match="exactly one of heart_rate_bpm and rr_ms"):
        qtcf_at_most(450, 400, heart_rate_bpm=60, rr_ms=1000)
