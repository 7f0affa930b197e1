"""The response definitions as typed data: loaded once from ``definitions.yaml`` or a sponsor file."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from ismart import yamlio
from ismart.errors import ProtocolDataError

SCHEMA_VERSION = 1


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Data):
    citation: str
    url: str | None = None
    note: str | None = None


class Threshold(_Data):
    value: float
    source: str


class Marrow(_Data):
    m1_below_pct: Threshold
    m3_above_pct: Threshold


class Mrd(_Data):
    negative_at_most: Threshold
    methods_defined: tuple[str, ...]
    methods_source: str


class Recovery(_Data):
    anc_at_least_1e9_per_l: Threshold
    platelets_at_least_1e9_per_l: Threshold
    crp_split_source: str


class PartialResponse(_Data):
    marrow_at_most_pct: Threshold
    reduction_at_least_pct: Threshold


class Progression(_Data):
    increase_at_least_pct: Threshold


class Cns(_Data):
    required_for_cr: str
    source: str
    statuses_source: str


class Lymphoma(_Data):
    pr_decrease_at_least_pct: Threshold
    mr_decrease_above_pct: Threshold
    pd_increase_from_nadir_above_pct: Threshold


class Orr(_Data):
    after_cycles: Threshold
    leukaemia_responders: tuple[str, ...]
    lymphoma_responders: tuple[str, ...]
    source: str


class Definitions(_Data):
    schema_version: int
    version: str
    sources: dict[str, Source]
    marrow: Marrow
    mrd: Mrd
    recovery: Recovery
    partial_response: PartialResponse
    progression: Progression
    cns: Cns
    lymphoma: Lymphoma
    orr: Orr

    @model_validator(mode="after")
    def _cited(self) -> Definitions:
        cited = [
            self.mrd.methods_source,
            self.recovery.crp_split_source,
            self.cns.source,
            self.cns.statuses_source,
            self.orr.source,
        ]
        for section in (
            self.marrow,
            self.mrd,
            self.recovery,
            self.partial_response,
            self.progression,
            self.lymphoma,
            self.orr,
        ):
            cited += [v.source for v in section.__dict__.values() if isinstance(v, Threshold)]
        unknown = sorted({c for c in cited if c not in self.sources})
        if unknown:
            raise ValueError(f"cites unknown source {unknown[0]!r}")
        if self.marrow.m1_below_pct.value > self.marrow.m3_above_pct.value:
            raise ValueError("marrow: the M1 bound must not exceed the M3 bound")
        return self

    def cite(self, key: str) -> str:
        return self.sources[key].citation


def parse(text: str, name: str) -> Definitions:
    return yamlio.load_versioned(text, name, Definitions, SCHEMA_VERSION)


@cache
def shipped() -> Definitions:
    """The definitions shipped with ismart (published criteria; see the file header)."""
    entry = resources.files("ismart.response") / "definitions.yaml"
    return parse(entry.read_text(encoding="utf-8"), "definitions.yaml")


def from_file(path: Path) -> Definitions:
    """A sponsor's definitions file (same schema), replacing the shipped one."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolDataError(f"{path}: cannot read response definitions: {exc.strerror}") from None
    return parse(text, str(path))
