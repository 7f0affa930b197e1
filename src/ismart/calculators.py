"""Clinical calculators used by HEM-iSMART screening.

Exact calendar age, body surface area, creatinine and bilirubin unit conversion, the bedside
Schwartz eGFR, Fridericia's QTc, the performance scale that applies at an age, and a published
paediatric creatinine upper limit of normal (ULN) for when the site laboratory gives none.

Everything here is a pure function apart from reading one packaged YAML table. Every function
checks its input and raises ValueError (UnitError for units) with a message naming the bad value,
so a caller can show the message to a person unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

from dateutil.relativedelta import relativedelta

from ismart import yamlio
from ismart.errors import UnitError

# ---------------------------------------------------------------------------------------------
# Age
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Age:
    """Exact calendar age: completed years, then completed months, then days.

    This is what dateutil's relativedelta gives between the birth date and the day of interest,
    so ``months`` is 0-11 and ``days`` 0-30.
    """

    years: int
    months: int
    days: int

    def __post_init__(self) -> None:
        if self.years < 0 or not 0 <= self.months < 12 or not 0 <= self.days <= 30:
            raise ValueError(f"not a calendar age: {self.years} y {self.months} m {self.days} d")

    @property
    def total_months(self) -> int:
        """Completed months since birth (the days are dropped, never rounded up)."""
        return self.years * 12 + self.months

    def __str__(self) -> str:
        return f"{self.years} y {self.months} m {self.days} d"


@lru_cache(maxsize=65536)
def age_on(birth: date, on: date) -> Age:
    """Exact age on ``on`` of someone born on ``birth``; ValueError if ``on`` precedes birth."""
    if on < birth:
        raise ValueError(f"date {on.isoformat()} is before the birth date {birth.isoformat()}")
    delta = relativedelta(on, birth)
    return Age(delta.years, delta.months, delta.days)


@lru_cache(maxsize=65536)
def anniversary(birth: date, years: int = 0, months: int = 0) -> date:
    """The first day on which someone born on ``birth`` has completed ``years`` and ``months``.

    Plain calendar arithmetic (dateutil relativedelta), which clips to the end of a short month:
    a child born on 29 February completes a year on 28 February in common years, and one born
    on 31 January completes a month on the last day of February. ``age_on`` uses the same rule,
    so ``age_on(birth, anniversary(birth, y, m))`` is exactly y years, m months and 0 days.
    """
    if years < 0 or months < 0:
        raise ValueError(f"years and months must not be negative, got years={years}, months={months}")
    return birth + relativedelta(years=years, months=months)


# ---------------------------------------------------------------------------------------------
# Body surface area (m2) from height (cm) and weight (kg)
# ---------------------------------------------------------------------------------------------


def _require_positive(**values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a finite number above 0, got {value!r}")


def bsa_mosteller(height_cm: float, weight_kg: float) -> float:
    """Mosteller RD. Simplified calculation of body-surface area. N Engl J Med 1987;317:1098.
    BSA = sqrt(height x weight / 3600)."""
    _require_positive(height_cm=height_cm, weight_kg=weight_kg)
    return math.sqrt(height_cm * weight_kg / 3600.0)


def bsa_dubois(height_cm: float, weight_kg: float) -> float:
    """Du Bois D, Du Bois EF. Arch Intern Med 1916;17:863-71.
    BSA = 0.007184 x height^0.725 x weight^0.425."""
    _require_positive(height_cm=height_cm, weight_kg=weight_kg)
    return float(0.007184 * height_cm**0.725 * weight_kg**0.425)


def bsa_haycock(height_cm: float, weight_kg: float) -> float:
    """Haycock GB, Schwartz GJ, Wisotsky DH. J Pediatr 1978;93:62-6 (derived in children).
    BSA = 0.024265 x height^0.3964 x weight^0.5378."""
    _require_positive(height_cm=height_cm, weight_kg=weight_kg)
    return float(0.024265 * height_cm**0.3964 * weight_kg**0.5378)


def bsa_gehan_george(height_cm: float, weight_kg: float) -> float:
    """Gehan EA, George SL. Cancer Chemother Rep 1970;54:225-35.
    BSA = 0.0235 x height^0.42246 x weight^0.51456."""
    _require_positive(height_cm=height_cm, weight_kg=weight_kg)
    return float(0.0235 * height_cm**0.42246 * weight_kg**0.51456)


BSA_FORMULAS: Mapping[str, Callable[[float, float], float]] = {
    "mosteller": bsa_mosteller,
    "dubois": bsa_dubois,
    "haycock": bsa_haycock,
    "gehan_george": bsa_gehan_george,
}

# ---------------------------------------------------------------------------------------------
# Laboratory units
# ---------------------------------------------------------------------------------------------

# From the molar masses: creatinine 113.12 g/mol, so 1 mg/dL = 10 mg/L / 113.12 = 88.4 umol/L;
# bilirubin 584.66 g/mol, so 1 mg/dL = 17.1 umol/L. These are the factors laboratories print.
CREATININE_UMOL_PER_MG_DL: float = 88.4
BILIRUBIN_UMOL_PER_MG_DL: float = 17.1


def _unit_key(unit: str) -> str:
    # Reports write micro as "u", the micro sign U+00B5 or the Greek mu U+03BC; treat them alike,
    # together with letter case and stray spaces ("umol / L").
    return unit.replace(" ", "").replace("\u00b5", "u").replace("\u03bc", "u").lower()


def _to_mg_dl(value: float, unit: str, factors: Mapping[str, float], analyte: str) -> float:
    factor = factors.get(_unit_key(unit))
    if factor is None:
        accepted = ", ".join(_UNIT_NAMES[key] for key in factors)
        raise UnitError(f"{analyte} unit {unit!r} is not accepted; use one of {accepted}")
    # Zero is allowed: a conjugated bilirubin below detection is reported as 0.
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{analyte} value must be a finite number of at least 0, got {value!r}")
    return value * factor


_UNIT_NAMES = {"mg/dl": "mg/dL", "umol/l": "umol/L (or µmol/L, μmol/L)", "mmol/l": "mmol/L"}
_CREATININE_FACTORS = {
    "mg/dl": 1.0,
    "umol/l": 1.0 / CREATININE_UMOL_PER_MG_DL,
    "mmol/l": 1000.0 / CREATININE_UMOL_PER_MG_DL,
}
_BILIRUBIN_FACTORS = {"mg/dl": 1.0, "umol/l": 1.0 / BILIRUBIN_UMOL_PER_MG_DL}


def creatinine_mg_dl(value: float, unit: str) -> float:
    """Creatinine in mg/dL from mg/dL, umol/L (any micro spelling) or mmol/L."""
    return _to_mg_dl(value, unit, _CREATININE_FACTORS, "creatinine")


def bilirubin_mg_dl(value: float, unit: str) -> float:
    """Bilirubin in mg/dL from mg/dL or umol/L (any micro spelling)."""
    return _to_mg_dl(value, unit, _BILIRUBIN_FACTORS, "bilirubin")


# Exact arithmetic for thresholds: a value is taken at the precision the laboratory printed
# (its shortest decimal form), so 1.05 / 0.7 is exactly 3/2 and "at most 1.5 x ULN" holds.
_CREATININE_EXACT = {
    "mg/dl": Fraction(1),
    "umol/l": 1 / Fraction("88.4"),
    "mmol/l": 1000 / Fraction("88.4"),
}
_BILIRUBIN_EXACT = {"mg/dl": Fraction(1), "umol/l": 1 / Fraction("17.1")}

# Catalytic activity: 1 U = 1 umol/min and 1 kat = 1 mol/s, so 1 ukat/L = 60 U/L (the IFCC/SI
# definition of the enzyme unit; Swedish laboratories report ALT/AST in ukat/L).
ENZYME_U_PER_UKAT: int = 60
_ENZYME_EXACT = {"u/l": Fraction(1), "iu/l": Fraction(1), "ukat/l": Fraction(ENZYME_U_PER_UKAT)}


def exact(value: float) -> Fraction:
    """A reported number as an exact fraction of its shortest decimal form (0.7 -> 7/10)."""
    return Fraction(Decimal(repr(value)))


def _exact_factor(unit: str, factors: Mapping[str, Fraction], analyte: str) -> Fraction:
    factor = factors.get(_unit_key(unit))
    if factor is None:
        raise UnitError(f"{analyte} unit {unit!r} is not accepted")
    return factor


def creatinine_mg_dl_exact(value: float, unit: str) -> Fraction:
    """Creatinine in mg/dL as an exact fraction (for threshold comparisons)."""
    return exact(value) * _exact_factor(unit, _CREATININE_EXACT, "creatinine")


def bilirubin_mg_dl_exact(value: float, unit: str) -> Fraction:
    """Bilirubin in mg/dL as an exact fraction."""
    return exact(value) * _exact_factor(unit, _BILIRUBIN_EXACT, "bilirubin")


def enzyme_u_l_exact(value: float, unit: str) -> Fraction:
    """ALT/AST activity in U/L from U/L, IU/L or ukat/L (any micro spelling), exactly."""
    return exact(value) * _exact_factor(unit, _ENZYME_EXACT, "enzyme")


def is_enzyme_unit(unit: str) -> bool:
    return _unit_key(unit) in _ENZYME_EXACT


# ---------------------------------------------------------------------------------------------
# Kidney and heart
# ---------------------------------------------------------------------------------------------


def egfr_bedside_schwartz(height_cm: float, creatinine_mg_dl: float) -> float:
    """Bedside Schwartz eGFR in mL/min/1.73 m2 = 0.413 x height (cm) / serum creatinine (mg/dL).

    Schwartz GJ, Munoz A, Schneider MF, et al. New equations to estimate GFR in children with
    CKD. J Am Soc Nephrol 2009;20:629-37. The constant assumes an enzymatic, IDMS-traceable
    creatinine assay, which is what current laboratories run.
    """
    _require_positive(height_cm=height_cm, creatinine_mg_dl=creatinine_mg_dl)
    return 0.413 * height_cm / creatinine_mg_dl


def qtcf(qt_ms: float, *, heart_rate_bpm: float | None = None, rr_ms: float | None = None) -> float:
    """Fridericia-corrected QT in ms: QT / RR^(1/3), with RR in seconds.

    Fridericia LS. Acta Med Scand 1920;53:469-86. Give exactly one of the heart rate (RR is then
    60 / rate) or the measured RR interval in ms.
    """
    _require_positive(qt_ms=qt_ms)
    if heart_rate_bpm is not None and rr_ms is None:
        _require_positive(heart_rate_bpm=heart_rate_bpm)
        rr_s = 60.0 / heart_rate_bpm
    elif rr_ms is not None and heart_rate_bpm is None:
        _require_positive(rr_ms=rr_ms)
        rr_s = rr_ms / 1000.0
    else:
        raise ValueError("qtcf needs exactly one of heart_rate_bpm and rr_ms")
    return float(qt_ms / rr_s ** (1.0 / 3.0))


def qtcf_at_most(
    limit_ms: float, qt_ms: float, *, heart_rate_bpm: float | None = None, rr_ms: float | None = None
) -> bool:
    """Is Fridericia's QTcF at most ``limit_ms``? Decided exactly, without the cube root.

    QT / RR^(1/3) <= L  is  QT^3 <= L^3 x RR (RR > 0, in seconds), and QT, L and RR (60 / rate,
    or rr_ms / 1000) are exact fractions of the numbers as reported, so a QTcF of exactly 450 ms
    (QT 414 ms, RR 778.688 ms: 414 / 0.9200 = 450) is within 450 although the float cube root
    gives 450.00000000000006.
    """
    _require_positive(qt_ms=qt_ms, limit_ms=limit_ms)
    if heart_rate_bpm is not None and rr_ms is None:
        _require_positive(heart_rate_bpm=heart_rate_bpm)
        rr_s = 60 / exact(heart_rate_bpm)
    elif rr_ms is not None and heart_rate_bpm is None:
        _require_positive(rr_ms=rr_ms)
        rr_s = exact(rr_ms) / 1000
    else:
        raise ValueError("qtcf_at_most needs exactly one of heart_rate_bpm and rr_ms")
    return exact(qt_ms) ** 3 <= exact(limit_ms) ** 3 * rr_s


def egfr_bedside_schwartz_exact(height_cm: float, creatinine_mg_dl: Fraction) -> Fraction:
    """The bedside Schwartz eGFR as an exact fraction (0.413 x height / SCr), for thresholds."""
    _require_positive(height_cm=height_cm)
    if creatinine_mg_dl <= 0:
        raise ValueError(f"creatinine_mg_dl must be above 0, got {float(creatinine_mg_dl)!r}")
    return Fraction("0.413") * exact(height_cm) / creatinine_mg_dl


def as_number(value: Fraction, limit: float = 1e9) -> float | str:
    """A fraction for evidence and reports: a float, or text for one too large to be a float."""
    if abs(value) > limit:
        return f"more than {limit:g}"
    return float(value)


def performance_scale(age: Age, lansky_up_to_completed_years: int) -> Literal["lansky", "karnofsky"]:
    """The performance scale for a patient of ``age``: Lansky up to the given age in completed
    years (the protocol data's ``lansky_up_to_completed_years``; HEM-iSMART: 12), Karnofsky above,
    so Lansky applies until the day before the next birthday."""
    return "lansky" if age.years <= lansky_up_to_completed_years else "karnofsky"


# ---------------------------------------------------------------------------------------------
# Creatinine upper limit of normal for age
# ---------------------------------------------------------------------------------------------

_SEXES = ("any", "female", "male")


@dataclass(frozen=True)
class UlnLookup:
    """A creatinine ULN from the packaged table: the value, its age band and the citation."""

    value_mg_dl: float
    band: str
    source: str


@dataclass(frozen=True)
class _Band:
    min_months: int
    max_months: int
    sex: str
    uln_mg_dl: float
    label: str


def _parse_band(raw: Any) -> _Band:
    band = _Band(
        int(raw["min_age_months"]),
        int(raw["max_age_months"]),
        str(raw["sex"]),
        float(raw["uln_mg_dl"]),
        str(raw["label"]),
    )
    if not 0 <= band.min_months < band.max_months or band.sex not in _SEXES or not band.uln_mg_dl > 0:
        raise ValueError(f"creatinine_uln.yaml: malformed band {raw!r}")
    return band


@cache
def _uln_table() -> tuple[str, tuple[_Band, ...]]:
    path = resources.files("ismart") / "reference" / "creatinine_uln.yaml"
    data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    if data.get("schema_version") != 1 or data.get("unit") != "mg/dL":
        raise ValueError("creatinine_uln.yaml: expected schema_version 1 and unit mg/dL")
    source = data["source"]
    citation = f"{source['title']}, {source['url']} (accessed {source['accessed']})"
    return citation, tuple(_parse_band(raw) for raw in data["bands"])


def creatinine_uln_for_age(age: Age, sex: Literal["female", "male"]) -> UlnLookup | None:
    """Published paediatric serum creatinine ULN for this age and sex, or None outside the table
    (under 2 months, or from the 18th birthday), where the caller must not guess."""
    if sex not in ("female", "male"):
        raise ValueError(f"sex must be 'female' or 'male', got {sex!r}")
    citation, bands = _uln_table()
    months = age.total_months
    for band in bands:
        if band.min_months <= months < band.max_months and band.sex in ("any", sex):
            return UlnLookup(band.uln_mg_dl, band.label, citation)
    return None
