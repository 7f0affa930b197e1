"""Best overall response per patient and the objective response rate after one cycle."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ismart.response.classify import Category, MrdStatus, ResponseResult
from ismart.response.components import Disease
from ismart.response.definitions import Definitions, shipped

# Better first. UNKNOWN is not a response level: it never wins over a known category.
RANK = (Category.CR, Category.CRp, Category.CRi, Category.PR, Category.MR, Category.NR, Category.PD)


@dataclass(frozen=True)
class Assessed:
    """One classified assessment in a patient's course."""

    cycle: int
    result: ResponseResult


@dataclass(frozen=True)
class Best:
    category: Category
    mrd_negative: bool
    cycle: int | None
    reason: str


def best_overall(assessments: Iterable[Assessed], *, up_to_cycle: int | None = None) -> Best:
    """The best category over the assessments (of cycles up to ``up_to_cycle``), with where it was."""
    known = [a for a in assessments if up_to_cycle is None or a.cycle <= up_to_cycle]
    if not known:
        return Best(Category.UNKNOWN, False, None, "no assessment recorded")
    mrd_negative = any(a.result.mrd == MrdStatus.negative for a in known)
    ranked = [a for a in known if a.result.category in RANK]
    if not ranked:
        return Best(Category.UNKNOWN, mrd_negative, None, "no assessment with a known category")
    top = min(ranked, key=lambda a: (RANK.index(a.result.category), a.cycle))
    suffix = "; MRD negative at least once" if mrd_negative else ""
    return Best(
        top.result.category, mrd_negative, top.cycle, f"{top.result.category} after cycle {top.cycle}{suffix}"
    )


def is_responder(
    best: Best, *, disease: Disease, entered_in_morphological_cr: bool, defs: Definitions | None = None
) -> bool | None:
    """Responder by the registry text's primary endpoint; None while the best response is unknown.

    Leukaemia: CR, CRp, CRi or MRD negativity; a patient who entered in morphological CR with
    high MRD responds only by MRD negativity (the registry text's MRD-negativity rate: ismart's
    reading of it). Lymphoma: CR, PR or MR.
    """
    orr = (defs or shipped()).orr
    if disease is Disease.lymphoma:
        if best.category is Category.UNKNOWN:
            return None
        return best.category.value in orr.lymphoma_responders
    if entered_in_morphological_cr:
        return True if best.mrd_negative else (None if best.category is Category.UNKNOWN else False)
    if best.mrd_negative or best.category.value in orr.leukaemia_responders:
        return True
    return None if best.category is Category.UNKNOWN else False


@dataclass(frozen=True)
class Orr:
    responders: int
    evaluable: int
    unknown: int

    @property
    def rate(self) -> float | None:
        return self.responders / self.evaluable if self.evaluable else None


def orr(flags: Sequence[bool | None]) -> Orr:
    """ORR among evaluable patients; a patient whose response is unknown is counted apart."""
    known = [f for f in flags if f is not None]
    return Orr(responders=sum(known), evaluable=len(known), unknown=len(flags) - len(known))
