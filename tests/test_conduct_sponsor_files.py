"""Sponsor files of conduct: dose levels for sub-protocols without public levels, intrathecal doses
by age. Every number here is synthetic (HEM-iSMART's are not public)."""

from __future__ import annotations

from datetime import date

import pytest

from ismart.conduct.sponsor import age_years, intrathecal_dose, load_dose_levels, load_intrathecal
from ismart.errors import InputError, ProtocolDataError

PUBLIC = {"B": ([-1, 1, 2], 1), "C": ([], None), "D": ([], None)}
IT_DRUGS = ["methotrexate", "cytarabine", "hydrocortisone"]


def _levels(body: str) -> str:
    return f"schema_version: 1\nsource: synthetic plan\nsubprotocols:\n{body}"


def test_levels_for_c_and_the_same_public_levels_for_b() -> None:
    text = _levels(
        "  C: {design: rolling6, levels: [1, 2, 3], start_level: 1}\n"
        "  B: {design: rolling6, levels: [-1, 1, 2], start_level: 1}\n"
    )
    plan = load_dose_levels(text, "levels.yaml", PUBLIC)
    assert plan.subprotocols["C"].levels == [1, 2, 3]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "  C: {design: rolling6, levels: [1, 2], start_level: 3}\n",
            "levels.yaml: subprotocols.C: Value error, start_level 3 is not one of the levels [1, 2]",
        ),
        (
            "  C: {design: rolling6, levels: [1, 1], start_level: 1}\n",
            "levels.yaml: subprotocols.C: Value error, a dose level is listed twice",
        ),
        (
            "  C: {design: crm, levels: [1], start_level: 1}\n",
            "levels.yaml: subprotocols.C.design: Input should be 'rolling6', '3+3' or 'boin'",
        ),
        (
            "  Z: {design: rolling6, levels: [1], start_level: 1}\n",
            "levels.yaml: subprotocols.Z: not a sub-protocol of the protocol",
        ),
    ],
)
def test_bad_level_files_are_one_line_naming_the_field(body: str, message: str) -> None:
    with pytest.raises(ProtocolDataError) as caught:
        load_dose_levels(_levels(body), "levels.yaml", PUBLIC)
    assert str(caught.value) == message


def _it(bands: str, drug: str = "methotrexate") -> str:
    return f"schema_version: 1\nsource: synthetic IT table\ndrugs:\n  {drug}:\n{bands}"


TABLE = _it(
    "    - {from_years: 0, to_years: 1, dose_mg: 6}\n"
    "    - {from_years: 1, to_years: 3, dose_mg: 8}\n"
    "    - {from_years: 3, dose_mg: 12}\n"
)


@pytest.mark.parametrize(("age", "mg"), [(0, 6), (1, 8), (2, 8), (3, 12), (17, 12)])
def test_the_band_of_the_age_gives_the_dose(age: int, mg: float) -> None:
    table = load_intrathecal(TABLE, "it.yaml", IT_DRUGS)
    assert intrathecal_dose(table, "Methotrexate", age)[0] == mg


def test_age_is_completed_years() -> None:
    assert age_years(date(2014, 5, 3), date(2026, 5, 2)) == 11
    assert age_years(date(2014, 5, 3), date(2026, 5, 3)) == 12
    with pytest.raises(InputError, match="birth_date: 2027-01-01 is after 2026-05-03"):
        age_years(date(2027, 1, 1), date(2026, 5, 3))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _it("    - {from_years: 1, dose_mg: 6}\n"),
            "band 1 starts at 1 years, expected 0 (bands are contiguous from 0, in order)",
        ),
        (
            _it("    - {from_years: 0, to_years: 2, dose_mg: 6}\n    - {from_years: 3, dose_mg: 8}\n"),
            "band 2 starts at 3 years, expected 2",
        ),
        (
            _it("    - {from_years: 0, dose_mg: 6}\n    - {from_years: 0, dose_mg: 8}\n"),
            "only the last band may omit to_years",
        ),
        (_it("    - {from_years: 0, dose_mg: 0}\n"), "dose_mg: Input should be greater than 0"),
        (
            _it("    - {from_years: 0, dose_mg: 6}\n", drug="aspirin"),
            "drugs.aspirin: not an intrathecal drug",
        ),
    ],
)
def test_bad_intrathecal_tables_are_refused(text: str, message: str) -> None:
    with pytest.raises(ProtocolDataError, match=r"^it\.yaml: ") as caught:
        load_intrathecal(text, "it.yaml", IT_DRUGS)
    assert message in str(caught.value)


def test_an_age_outside_the_bands_is_refused() -> None:
    table = load_intrathecal(_it("    - {from_years: 0, to_years: 18, dose_mg: 12}\n"), "it.yaml", IT_DRUGS)
    with pytest.raises(InputError, match="no band of the sponsor's table covers age 18 for methotrexate"):
        intrathecal_dose(table, "methotrexate", 18)
    with pytest.raises(InputError, match="'cytarabine' is not in the sponsor's intrathecal table"):
        intrathecal_dose(table, "cytarabine", 5)
