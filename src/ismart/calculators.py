"""Clinical calculators: exact age, body surface area, creatinine units, bedside Schwartz eGFR,
Fridericia QTc, the performance scale for an age, and the creatinine upper limit for age.

Pure functions; each validates its input and raises ValueError with a clear message.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from dateutil.relativedelta import relativedelta


class UnitError(ValueError):
    """A laboratory unit ismart does not know how to convert."""


@dataclass(frozen=True)
class Age:
    """Exact calendar age: whole years, then whole months, then days."""

    years: int
    months: int
    days: int

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    def __str__(self) -> str:
        return f"{self.years} y {self.months} m {self.days} d"


def age_on(birth: date, on: date) -> Age:
    if on < birth:
        raise ValueError(f"date {on} is before birth {birth}")
    delta = relativedelta(on, birth)
    return Age(delta.years, delta.months, delta.days)


def anniversary(birth: date, years: int = 0, months: int = 0) -> date:
    """The date a person born on ``birth`` reaches the given age.

    Calendar arithmetic (dateutil): someone born on 29 February reaches a whole year on
    28 February in common years, and a month after 31 January is the last day of February.
    """
    return birth + relativedelta(years=years, months=months)


def _positive(**values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")


def bsa_mosteller(height_cm: float, weight_kg: float) -> float:
    """Mosteller RD, N Engl J Med 1987;317:1098: sqrt(height cm x weight kg / 3600) m2."""
    _positive(height_cm=height_cm, weight_kg=weight_kg)
    return math.sqrt(height_cm * weight_kg / 3600.0)


def bsa_dubois(height_cm: float, weight_kg: float) -> float:
    """Du Bois D, Du Bois EF, Arch Intern Med 1916;17:863."""
    _positive(height_cm=height_cm, weight_kg=weight_kg)
    return float(0.007184 * height_cm**0.725 * weight_kg**0.425)


def bsa_haycock(height_cm: float, weight_kg: float) -> float:
    """Haycock GB et al., J Pediatr 1978;93:62."""
    _positive(height_cm=height_cm, weight_kg=weight_kg)
    return float(0.024265 * height_cm**0.3964 * weight_kg**0.5378)


def bsa_gehan_george(height_cm: float, weight_kg: float) -> float:
    """Gehan EA, George SL, Cancer Chemother Rep 1970;54:225."""
    _positive(height_cm=height_cm, weight_kg=weight_kg)
    return float(0.0235 * height_cm**0.42246 * weight_kg**0.51456)


BSA_FORMULAS: Mapping[str, Callable[[float, float], float]] = {
    "mosteller": bsa_mosteller,
    "dubois": bsa_dubois,
    "haycock": bsa_haycock,
    "gehan_george": bsa_gehan_george,
}

# Molar masses: creatinine 113.12 g/mol -> 1 mg/dL = 88.4 umol/L; bilirubin 584.66 g/mol -> 17.1.
CREATININE_UMOL_PER_MG_DL = 88.4
BILIRUBIN_UMOL_PER_MG_DL = 17.1


def _unit_key(unit: str) -> str:
    return unit.replace(" ", "").replace("µ", "u").replace("μ", "u").lower()


def _to_mg_dl(value: float, unit: str, umol_per_mg_dl: float, analyte: str) -> float:
    factors = {"mg/dl": 1.0, "umol/l": 1.0 / umol_per_mg_dl, "mmol/l": 1000.0 / umol_per_mg_dl}
    factor = factors.get(_unit_key(unit))
    if factor is None:
        raise UnitError(f"{analyte} unit {unit!r} is not one of mg/dL, umol/L, mmol/L")
    if not math.isfinite(value):
        raise ValueError(f"{analyte} value must be a finite number, got {value!r}")
    return value * factor


def creatinine_mg_dl(value: float, unit: str) -> float:
    return _to_mg_dl(value, unit, CREATININE_UMOL_PER_MG_DL, "creatinine")


def bilirubin_mg_dl(value: float, unit: str) -> float:
    return _to_mg_dl(value, unit, BILIRUBIN_UMOL_PER_MG_DL, "bilirubin")


def egfr_bedside_schwartz(height_cm: float, creatinine_mg_dl: float) -> float:
    """Bedside Schwartz (Schwartz GJ et al., JASN 2009;20:629-37; enzymatic creatinine):
    eGFR mL/min/1.73 m2 = 0.413 x height (cm) / serum creatinine (mg/dL)."""
    _positive(height_cm=height_cm, creatinine_mg_dl=creatinine_mg_dl)
    return 0.413 * height_cm / creatinine_mg_dl


def qtcf(qt_ms: float, *, heart_rate_bpm: float | None = None, rr_ms: float | None = None) -> float:
    """Fridericia: QTc = QT / RR^(1/3), RR in seconds (60 / heart rate)."""
    if (heart_rate_bpm is None) == (rr_ms is None):
        raise ValueError("give exactly one of heart_rate_bpm and rr_ms")
    _positive(qt_ms=qt_ms)
    if heart_rate_bpm is not None:
        _positive(heart_rate_bpm=heart_rate_bpm)
        rr_s = 60.0 / heart_rate_bpm
    else:
        assert rr_ms is not None
        _positive(rr_ms=rr_ms)
        rr_s = rr_ms / 1000.0
    return float(qt_ms / rr_s ** (1.0 / 3.0))


def performance_scale_for_age(age: Age) -> Literal["lansky", "karnofsky"]:
    """HEM-iSMART: Lansky for patients of 12 years or under, Karnofsky above 12, read in
    completed years (Lansky up to the day before the 13th birthday)."""
    return "lansky" if age.years <= 12 else "karnofsky"


@dataclass(frozen=True)
class UlnLookup:
    value_mg_dl: float
    band: str
    source: str


@dataclass(frozen=True)
class _Band:
    min_months: int
    max_months: int
    sex: str
    uln: float
    label: str


@cache
def _uln_table() -> tuple[str, tuple[_Band, ...]]:
    text = (resources.files("ismart") / "reference" / "creatinine_uln.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if data.get("schema_version") != 1 or data.get("unit") != "mg/dL":
        raise ValueError("creatinine_uln.yaml: unsupported schema_version or unit")
    source = f"{data['source']['title']} ({data['source']['url']})"
    bands = tuple(
        _Band(b["min_age_months"], b["max_age_months"], b["sex"], float(b["uln_mg_dl"]), b["label"])
        for b in data["bands"]
    )
    return source, bands


def creatinine_uln_for_age(age: Age, sex: Literal["female", "male"]) -> UlnLookup | None:
    """Published paediatric upper limit of normal for serum creatinine, or None outside the table."""
    source, bands = _uln_table()
    months = age.total_months
    for band in bands:
        if band.min_months <= months < band.max_months and band.sex in ("any", sex):
            return UlnLookup(band.uln, band.label, source)
    return None
