"""What a site records at a response assessment: the components, as immutable values.

Units: blast and cell counts in 10⁹/L, marrow blasts in percent of nucleated cells, MRD as a
fraction of cells (1e-4 = 0.01 %), lymphoma lesion sizes as percent change of the sum of the
products of the perpendicular diameters (SPD; negative = smaller).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from ismart.errors import InputError

CNS_STATUSES = ("CNS1", "CNS2", "CNS2a", "CNS2b", "CNS2c", "CNS3", "CNS3a", "CNS3b", "CNS3c")
MRD_METHODS = ("flow_cytometry", "pcr", "ngs")


class Extramedullary(StrEnum):
    """Extramedullary (non-CNS) disease compared with the baseline assessment."""

    none = "none"  # no extramedullary disease
    decreased = "decreased"  # present, at least halved
    persistent = "persistent"  # present, not halved and not grown
    progressive = "progressive"  # grown
    new = "new"  # a site not involved at baseline


class Disease(StrEnum):
    leukaemia = "leukaemia"
    lymphoma = "lymphoma"


def _check(name: str, value: float | None, low: float, high: float | None = None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InputError(f"{name}: must be a number")
    if value < low or (high is not None and value > high):
        bounds = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
        raise InputError(f"{name}: {value:g} is out of range (must be {bounds})")


@dataclass(frozen=True)
class Mrd:
    method: str
    value: float | None  # fraction of cells; 0 = not detected
    sensitivity: float | None  # the assay's lowest detectable fraction

    def __post_init__(self) -> None:
        if self.method not in MRD_METHODS:
            raise InputError(f"mrd.method: {self.method!r} is not one of {', '.join(MRD_METHODS)}")
        _check("mrd.value", self.value, 0.0, 1.0)
        _check("mrd.sensitivity", self.sensitivity, 0.0, 1.0)
        if self.sensitivity == 0:
            raise InputError("mrd.sensitivity: must be above 0")


@dataclass(frozen=True)
class LeukaemiaAssessment:
    marrow_blasts_pct: float | None = None
    peripheral_blasts: float | None = None  # 10⁹/L; 0 = none seen
    anc: float | None = None  # absolute neutrophil count, 10⁹/L
    platelets: float | None = None  # 10⁹/L
    cns: str | None = None
    extramedullary: Extramedullary | None = None
    mrd: Mrd | None = None
    baseline_marrow_blasts_pct: float | None = None
    baseline_peripheral_blasts: float | None = None

    def __post_init__(self) -> None:
        _check("marrow_blasts_pct", self.marrow_blasts_pct, 0.0, 100.0)
        _check("baseline_marrow_blasts_pct", self.baseline_marrow_blasts_pct, 0.0, 100.0)
        _check("peripheral_blasts", self.peripheral_blasts, 0.0, 1000.0)
        _check("baseline_peripheral_blasts", self.baseline_peripheral_blasts, 0.0, 1000.0)
        _check("anc", self.anc, 0.0, 1000.0)
        _check("platelets", self.platelets, 0.0, 5000.0)
        if self.cns is not None and self.cns not in CNS_STATUSES:
            raise InputError(f"cns: {self.cns!r} is not one of {', '.join(CNS_STATUSES)}")


@dataclass(frozen=True)
class LymphomaAssessment:
    spd_change_pct: float | None = None  # from baseline; -100 = no measurable disease left
    spd_change_from_nadir_pct: float | None = None
    new_lesions: bool | None = None
    residual_mass: bool | None = None
    residual_biopsy_negative: bool | None = None
    marrow_involved: bool | None = None
    csf_involved: bool | None = None
    new_marrow_or_csf_involvement: bool | None = None
    mrd: Mrd | None = None

    def __post_init__(self) -> None:
        _check("spd_change_pct", self.spd_change_pct, -100.0, 10000.0)
        _check("spd_change_from_nadir_pct", self.spd_change_from_nadir_pct, 0.0, 10000.0)
