"""The efficacy stage of a sub-protocol: its Simon design as protocol data, and the stage's state
derived from the patients' outcomes (evaluable at the RP2D, responders, the decisions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from ismart import yamlio
from ismart.errors import ProtocolDataError
from ismart.response.simon import Characteristics, SimonDesign, characteristics, designs

SCHEMA_VERSION = 1


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DesignData(_Data):
    design: Literal["simon_two_stage"]
    status: Literal["open_question", "sponsor"]
    question: str | None = None
    source: str
    p0: float | None = None
    p1: float | None = None
    alpha: float | None = None
    beta: float | None = None
    choice: Literal["optimal", "minimax"] = "optimal"
    r1: int | None = None
    n1: int | None = None
    r: int | None = None
    n: int | None = None

    @model_validator(mode="after")
    def _complete(self) -> DesignData:
        rates = (self.p0, self.p1, self.alpha, self.beta)
        bounds = (self.r1, self.n1, self.r, self.n)
        if self.status == "open_question":
            if self.question is None:
                raise ValueError("an open question needs its question")
            return self
        if any(v is None for v in rates):
            raise ValueError("a sponsor design needs p0, p1, alpha and beta")
        if any(v is not None for v in bounds) and any(v is None for v in bounds):
            raise ValueError("give all of r1, n1, r, n or none of them")
        given = self.n1 is not None and self.n is not None and self.r1 is not None and self.r is not None
        if given and not (0 <= self.r1 < self.n1 < self.n and self.r1 < self.r < self.n):  # type: ignore[operator]
            raise ValueError("need 0 <= r1 < n1 < n and r1 < r < n")
        return self


class Evaluability(_Data):
    non_responder_if_off_before_assessment: tuple[str, ...]
    source: str


class EfficacyFile(_Data):
    schema_version: int
    sources: dict[str, str]
    evaluability: Evaluability
    designs: dict[str, DesignData]

    @model_validator(mode="after")
    def _cited(self) -> EfficacyFile:
        for sp, d in self.designs.items():
            if d.source not in self.sources and d.status == "open_question":
                raise ValueError(f"designs.{sp}: cites unknown source {d.source!r}")
        return self


def parse(text: str, name: str) -> EfficacyFile:
    return yamlio.load_versioned(text, name, EfficacyFile, SCHEMA_VERSION)


def shipped() -> EfficacyFile:
    entry = resources.files("ismart") / "protocols" / "hem_ismart" / "efficacy.yaml"
    return parse(entry.read_text(encoding="utf-8"), "efficacy.yaml")


def from_file(path: Path) -> EfficacyFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolDataError(f"{path}: cannot read the efficacy designs: {exc.strerror}") from None
    return parse(text, str(path))


def resolve(data: DesignData | None) -> SimonDesign | None:
    """The design in force: the sponsor's n1/r1/n/r, or Simon's design for their rates; None if open."""
    if data is None or data.status == "open_question":
        return None
    assert data.p0 is not None and data.p1 is not None and data.alpha is not None and data.beta is not None
    if data.n is not None and data.n1 is not None and data.r1 is not None and data.r is not None:
        c = characteristics(SimonDesign(data.r1, data.n1, data.r, data.n, 0.0, 0.0), data.p0)
        return SimonDesign(data.r1, data.n1, data.r, data.n, c.en, c.pet)
    found = designs(data.p0, data.p1, data.alpha, data.beta)
    return found.optimal if data.choice == "optimal" else found.minimax


class Stage(StrEnum):
    open_question = "design is an open question"
    no_rp2d = "no recommended phase II dose declared"
    stage1 = "stage 1 enrolling"
    continue_stage2 = "continue to stage 2"
    futility = "stop for futility"
    promising = "promising: more than r responses"
    not_promising = "not promising: r or fewer responses"


@dataclass(frozen=True)
class Outcome:
    """One patient treated at the RP2D, in the order the stage counts them."""

    code: str
    responder: bool | None  # None: not yet evaluable (pending)
    evaluable: bool
    reason: str


@dataclass(frozen=True)
class EfficacyState:
    stage: Stage
    decision: str
    evaluable: int
    responders: int
    pending: int
    not_evaluable: int
    stage1_evaluable: int = 0
    stage1_responders: int = 0
    design: SimonDesign | None = None
    at_p0: Characteristics | None = None
    at_p1: Characteristics | None = None
    patients: tuple[Outcome, ...] = field(default_factory=tuple)


def _counts(outcomes: Sequence[Outcome]) -> tuple[list[Outcome], int, int]:
    evaluable = [o for o in outcomes if o.evaluable and o.responder is not None]
    pending = sum(1 for o in outcomes if o.responder is None and o.evaluable)
    not_evaluable = sum(1 for o in outcomes if not o.evaluable)
    return evaluable, pending, not_evaluable


def _stage1(d: SimonDesign, first: list[Outcome]) -> tuple[Stage, str]:
    hits, seen = sum(1 for o in first if o.responder), len(first)
    if hits > d.r1:
        return Stage.continue_stage2, f"{hits} responses among {seen} evaluable: more than r1 = {d.r1}"
    if seen >= d.n1:
        return Stage.futility, f"{hits} responses among the first {d.n1} evaluable: at most r1 = {d.r1}"
    if hits + (d.n1 - seen) <= d.r1:
        return Stage.futility, f"{hits} responses with {d.n1 - seen} to come cannot exceed r1 = {d.r1}"
    return Stage.stage1, f"{seen} of {d.n1} evaluable, {hits} responses (more than {d.r1} needed)"


def _final(d: SimonDesign, evaluable: list[Outcome]) -> tuple[Stage, str]:
    counted = evaluable[: d.n]
    hits, seen = sum(1 for o in counted if o.responder), len(counted)
    if hits > d.r:
        return Stage.promising, f"{hits} responses among {seen} evaluable: more than r = {d.r}"
    if seen >= d.n:
        return Stage.not_promising, f"{hits} responses among {d.n} evaluable: at most r = {d.r}"
    if hits + (d.n - seen) <= d.r:
        return Stage.not_promising, f"{hits} responses with {d.n - seen} to come cannot exceed r = {d.r}"
    return (
        Stage.continue_stage2,
        f"stage 2: {seen} of {d.n} evaluable, {hits} responses (more than {d.r} needed)",
    )


def state(
    design: SimonDesign | None,
    outcomes: Sequence[Outcome],
    *,
    p0: float | None = None,
    p1: float | None = None,
    rp2d_declared: bool = True,
) -> EfficacyState:
    """Where the efficacy stage stands, derived from the outcomes of the patients at the RP2D."""
    evaluable, pending, not_evaluable = _counts(outcomes)
    counts = EfficacyState(
        Stage.open_question,
        "no decision: the Simon parameters are not public",
        evaluable=len(evaluable),
        responders=sum(1 for o in evaluable if o.responder),
        pending=pending,
        not_evaluable=not_evaluable,
        patients=tuple(outcomes),
    )
    if design is None:
        return counts
    with_design = replace(
        counts,
        design=design,
        at_p0=characteristics(design, p0) if p0 is not None else None,
        at_p1=characteristics(design, p1) if p1 is not None else None,
    )
    if not rp2d_declared:
        return replace(with_design, stage=Stage.no_rp2d, decision="no decision before the RP2D is declared")
    first = evaluable[: design.n1]
    stage, why = _stage1(design, first)
    if stage is Stage.continue_stage2 and (len(evaluable) > design.n1 or counts.responders > design.r):
        stage, why = _final(design, evaluable)
    return replace(
        with_design,
        stage=stage,
        decision=why,
        stage1_evaluable=len(first),
        stage1_responders=sum(1 for o in first if o.responder),
    )


@dataclass(frozen=True)
class Rp2d:
    subprotocol: str
    dose_level: int
    declared_on: date
    declared_by: str


@dataclass(frozen=True)
class EfficacyReport:
    subprotocol: str
    rp2d: Rp2d | None
    design_data: DesignData | None
    state: EfficacyState


FLOW_STEPS = ("screened", "eligible", "referred", "registered", "treated", "evaluable", "responded")


@dataclass(frozen=True)
class Flow:
    """CONSORT-style counts for one sub-protocol (each a count of distinct subjects)."""

    subprotocol: str
    counts: dict[str, int]


@dataclass(frozen=True)
class EnrolmentRow:
    site_code: str
    month: str  # YYYY-MM of the registration
    registered: int
