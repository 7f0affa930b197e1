"""Sponsor files of trial conduct that the public protocol texts leave out (pure: text in, values out).

* **Dose levels** (``ISMART_DOSE_LEVELS``): for a sub-protocol whose levels are not public (C, D,
  E), the sponsor's design, levels and start level. A sub-protocol with public levels (B) keeps
  them: a file that names it must give the same levels and start level, or it is refused.

  .. code-block:: yaml

     schema_version: 1
     source: "Sponsor dose-escalation plan HEM-iSMART-C v2.0, 2026-05-01"   # who says so
     subprotocols:
       C: {design: rolling6, levels: [-1, 1, 2], start_level: 1}

* **Intrathecal doses by age** (``ISMART_INTRATHECAL_TABLE``): HEM-iSMART's age-adapted
  intrathecal doses are not public. Per drug, age bands in whole years ``[from_years, to_years)``
  (``to_years`` omitted: no upper bound), contiguous from 0, each with its dose in mg. Without the
  file no intrathecal dose is ever planned: cycle records show "dose to be set by the sponsor's
  table".

  .. code-block:: yaml

     schema_version: 1
     source: "Sponsor intrathecal table, protocol appendix 3, 2026-05-01"
     drugs:
       methotrexate:
         - {from_years: 0, to_years: 1, dose_mg: 6}
         - {from_years: 1, dose_mg: 8}

(The numbers above only show the format; they are not HEM-iSMART's.)
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ismart import yamlio
from ismart.errors import InputError, ProtocolDataError

SCHEMA_VERSION = 1
DesignName = Literal["rolling6", "3+3", "boin"]


class LevelPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    design: DesignName
    levels: list[int] = Field(min_length=1, max_length=20)
    start_level: int

    @model_validator(mode="after")
    def _start_is_a_level(self) -> LevelPlan:
        if len(set(self.levels)) != len(self.levels):
            raise ValueError("a dose level is listed twice")
        if self.start_level not in self.levels:
            raise ValueError(f"start_level {self.start_level} is not one of the levels {self.levels}")
        return self


class DoseLevelFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int
    source: str = Field(min_length=3)
    subprotocols: dict[str, LevelPlan] = Field(min_length=1)


def load_dose_levels(text: str, name: str, public: dict[str, tuple[list[int], int | None]]) -> DoseLevelFile:
    """Validate a sponsor dose-level file against the protocol's sub-protocols (``public``: each
    sub-protocol's public levels and start level; empty levels = not public)."""
    data = yamlio.load_versioned(text, name, DoseLevelFile, SCHEMA_VERSION)
    for sp_id, plan in data.subprotocols.items():
        if sp_id not in public:
            raise ProtocolDataError(f"{name}: subprotocols.{sp_id}: not a sub-protocol of the protocol")
        levels, start = public[sp_id]
        if levels and (sorted(levels) != sorted(plan.levels) or start != plan.start_level):
            raise ProtocolDataError(
                f"{name}: subprotocols.{sp_id}: the protocol's public levels are {sorted(levels)} "
                f"starting at {start}; the sponsor file may not change them"
            )
    return data


class AgeBand(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    from_years: int = Field(ge=0, le=40)
    to_years: int | None = Field(default=None, ge=1, le=40)
    dose_mg: float = Field(gt=0, le=100)


class IntrathecalTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int
    source: str = Field(min_length=3)
    drugs: dict[str, list[AgeBand]] = Field(min_length=1)

    @model_validator(mode="after")
    def _bands_are_contiguous(self) -> IntrathecalTable:
        for drug, bands in self.drugs.items():
            if not bands:
                raise ValueError(f"{drug}: no age band")
            edge = 0
            for i, band in enumerate(bands):
                if band.from_years != edge:
                    raise ValueError(
                        f"{drug}: band {i + 1} starts at {band.from_years} years, expected {edge} "
                        "(bands are contiguous from 0, in order)"
                    )
                last = i == len(bands) - 1
                if band.to_years is None and not last:
                    raise ValueError(f"{drug}: only the last band may omit to_years")
                if band.to_years is not None and band.to_years <= band.from_years:
                    raise ValueError(f"{drug}: band {i + 1} ends before it starts")
                edge = band.to_years if band.to_years is not None else edge
        return self


def load_intrathecal(text: str, name: str, drugs: list[str]) -> IntrathecalTable:
    """Validate a sponsor intrathecal table; every drug must be an intrathecal drug of the protocol."""
    data = yamlio.load_versioned(text, name, IntrathecalTable, SCHEMA_VERSION)
    known = {d.casefold() for d in drugs}
    for drug in data.drugs:
        if drug.casefold() not in known:
            raise ProtocolDataError(
                f"{name}: drugs.{drug}: not an intrathecal drug of the protocol ({', '.join(drugs)})"
            )
    return data


def age_years(birth: date, on: date) -> int:
    """Completed years of age on ``on``."""
    if on < birth:
        raise InputError(f"birth_date: {birth} is after {on}")
    return relativedelta(on, birth).years


def intrathecal_dose(table: IntrathecalTable, drug: str, age: int) -> tuple[float, str]:
    """The sponsor's mg for ``drug`` at completed age ``age``, with the band in words."""
    bands = next((b for d, b in table.drugs.items() if d.casefold() == drug.casefold()), None)
    if bands is None:
        raise InputError(f"intrathecal: {drug!r} is not in the sponsor's intrathecal table ({table.source})")
    for band in bands:
        if band.from_years <= age and (band.to_years is None or age < band.to_years):
            upper = "" if band.to_years is None else f" to under {band.to_years}"
            return band.dose_mg, f"age {band.from_years}{upper} years: {band.dose_mg:g} mg ({table.source})"
    raise InputError(f"intrathecal: no band of the sponsor's table covers age {age} for {drug}")
