"""Response categories from the recorded components, by the definitions held as data.

Never a response on missing data: a component the category depends on that was not recorded makes
the category UNKNOWN, with the reason naming what is missing. Each result carries its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ismart.response.components import Extramedullary, LeukaemiaAssessment, LymphomaAssessment, Mrd
from ismart.response.definitions import Definitions, shipped


class Category(StrEnum):
    CR = "CR"
    CRp = "CRp"
    CRi = "CRi"
    PR = "PR"
    MR = "MR"
    NR = "no response"
    PD = "PD"
    UNKNOWN = "UNKNOWN"


class MarrowStatus(StrEnum):
    M1 = "M1"
    M2 = "M2"
    M3 = "M3"
    unknown = "unknown"


class MrdStatus(StrEnum):
    negative = "negative"
    positive = "positive"
    unknown = "unknown"
    not_done = "not done"


@dataclass(frozen=True)
class Finding:
    """One component's reading: its status and the sentence that explains it."""

    status: str
    reason: str


@dataclass(frozen=True)
class ResponseResult:
    category: Category
    reasons: tuple[str, ...]
    marrow: MarrowStatus = MarrowStatus.unknown
    mrd: MrdStatus = MrdStatus.not_done
    definitions_version: str = ""

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(value: float) -> str:
    """1e-4 as '1×10⁻⁴' (two significant digits)."""
    mantissa, exponent = f"{value:.1e}".split("e")
    head = mantissa.rstrip("0").rstrip(".")
    return f"{head}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def _pct(value: float) -> str:
    return f"{value:g} %"


def _change_pct(now: float, baseline: float) -> float:
    return round((now - baseline) / baseline * 100.0, 9)


def marrow_status(blasts_pct: float | None, defs: Definitions | None = None) -> Finding:
    d = (defs or shipped()).marrow
    low, high = d.m1_below_pct.value, d.m3_above_pct.value
    if blasts_pct is None:
        return Finding(MarrowStatus.unknown, "marrow blasts not recorded")
    if blasts_pct < low:
        return Finding(MarrowStatus.M1, f"marrow blasts {_pct(blasts_pct)}: M1 (below {low:g} %)")
    if blasts_pct <= high:
        return Finding(MarrowStatus.M2, f"marrow blasts {_pct(blasts_pct)}: M2 ({low:g} to {high:g} %)")
    return Finding(MarrowStatus.M3, f"marrow blasts {_pct(blasts_pct)}: M3 (above {high:g} %)")


def mrd_status(mrd: Mrd | None, defs: Definitions | None = None) -> Finding:
    d = (defs or shipped()).mrd
    limit = d.negative_at_most.value
    if mrd is None:
        return Finding(MrdStatus.not_done, "MRD not recorded")
    if mrd.method not in d.methods_defined:
        return Finding(
            MrdStatus.unknown,
            f"MRD by {mrd.method}: the registry text defines MRD negativity by flow cytometry only "
            "(a sponsor decision)",
        )
    if mrd.value is None:
        return Finding(MrdStatus.unknown, "MRD value not recorded")
    if mrd.value > limit:
        return Finding(
            MrdStatus.positive, f"MRD {sci(mrd.value)} by flow cytometry: positive (above {sci(limit)})"
        )
    if mrd.value == 0:
        if mrd.sensitivity is None:
            return Finding(MrdStatus.unknown, "MRD not detected, but the assay sensitivity is not recorded")
        if mrd.sensitivity > limit:
            return Finding(
                MrdStatus.unknown,
                f"MRD not detected with sensitivity {sci(mrd.sensitivity)}: cannot show at most {sci(limit)}",
            )
        return Finding(
            MrdStatus.negative,
            f"MRD not detected (sensitivity {sci(mrd.sensitivity)}): negative (at most {sci(limit)})",
        )
    return Finding(
        MrdStatus.negative, f"MRD {sci(mrd.value)} by flow cytometry: negative (at most {sci(limit)})"
    )


def _progression(a: LeukaemiaAssessment, defs: Definitions) -> str | None:
    rise = defs.progression.increase_at_least_pct.value
    if a.extramedullary in (Extramedullary.new, Extramedullary.progressive):
        return f"extramedullary disease {a.extramedullary.value}: progressive disease"
    base, now = a.baseline_marrow_blasts_pct, a.marrow_blasts_pct
    m1 = defs.marrow.m1_below_pct.value
    # ismart's reading: an M1 marrow is never progression by the marrow rule alone.
    if base and now is not None and now >= m1 and _change_pct(now, base) >= rise:
        return f"marrow blasts {_pct(now)} from {_pct(base)}: up by at least {rise:g} % (progressive disease)"
    pbase, pnow = a.baseline_peripheral_blasts, a.peripheral_blasts
    if pbase and pnow is not None and _change_pct(pnow, pbase) >= rise:
        change = f"circulating blasts {pnow:g} from {pbase:g} x10⁹/L"
        return f"{change}: up by at least {rise:g} % (progressive disease)"
    return None


def _cr_blockers(a: LeukaemiaAssessment, defs: Definitions) -> tuple[list[str], list[str]]:
    """What stands between an M1 marrow and a CR: (findings against, components not recorded)."""
    against: list[str] = []
    missing: list[str] = []
    if a.peripheral_blasts is None:
        missing.append("circulating blasts")
    elif a.peripheral_blasts > 0:
        against.append(f"circulating blasts {a.peripheral_blasts:g} x10⁹/L (CR requires none)")
    if a.extramedullary is None:
        missing.append("extramedullary disease")
    elif a.extramedullary is not Extramedullary.none:
        against.append(f"extramedullary disease {a.extramedullary.value} (CR requires none)")
    required = defs.cns.required_for_cr
    if a.cns is None:
        missing.append("CNS status")
    elif a.cns != required:
        against.append(f"{a.cns} (CR requires {required})")
    return against, missing


def _counts(a: LeukaemiaAssessment, defs: Definitions) -> tuple[Category, str]:
    r = defs.recovery
    anc_min, plt_min = r.anc_at_least_1e9_per_l.value, r.platelets_at_least_1e9_per_l.value
    assert a.anc is not None and a.platelets is not None
    anc_ok, plt_ok = a.anc >= anc_min, a.platelets >= plt_min
    text = (
        f"ANC {a.anc:g} x10⁹/L ({'at least' if anc_ok else 'below'} {anc_min:g}), "
        f"platelets {a.platelets:g} x10⁹/L ({'at least' if plt_ok else 'below'} {plt_min:g})"
    )
    if anc_ok and plt_ok:
        return Category.CR, f"no circulating blasts or extramedullary disease, CNS1, counts recovered: {text}"
    if anc_ok:
        return Category.CRp, f"M1 and CR criteria met except platelet recovery: {text}"
    return Category.CRi, f"M1 and CR criteria met except neutrophil recovery: {text}"


def _partial(a: LeukaemiaAssessment, defs: Definitions) -> tuple[bool | None, str]:
    p = defs.partial_response
    cap, cut = p.marrow_at_most_pct.value, p.reduction_at_least_pct.value
    now, base = a.marrow_blasts_pct, a.baseline_marrow_blasts_pct
    assert now is not None
    if now > cap:
        return False, f"PR requires marrow blasts at most {cap:g} %"
    if base is None:
        return None, "baseline marrow blasts not recorded: PR cannot be judged"
    if base == 0:
        return False, "no marrow blasts at baseline: PR does not apply"
    if _change_pct(now, base) > -cut:
        return False, f"marrow blasts {_pct(now)} from {_pct(base)}: not reduced by {cut:g} % (PR)"
    if a.peripheral_blasts is None or a.baseline_peripheral_blasts is None:
        return None, "circulating blasts now or at baseline not recorded: PR cannot be judged"
    pbase, pnow = a.baseline_peripheral_blasts, a.peripheral_blasts
    if (pbase == 0 and pnow > 0) or (pbase > 0 and _change_pct(pnow, pbase) > -cut):
        return False, f"circulating blasts {pnow:g} from {pbase:g} x10⁹/L: not reduced by {cut:g} % (PR)"
    if a.extramedullary is None:
        return None, "extramedullary disease not recorded: PR cannot be judged"
    if a.extramedullary not in (Extramedullary.none, Extramedullary.decreased):
        return False, f"extramedullary disease {a.extramedullary.value}: PR requires it halved"
    if a.anc is None or a.platelets is None:
        return None, "ANC or platelets not recorded: PR cannot be judged"
    r = defs.recovery
    if a.anc < r.anc_at_least_1e9_per_l.value or a.platelets < r.platelets_at_least_1e9_per_l.value:
        return False, "PR requires recovered counts"
    return (
        True,
        f"marrow blasts {_pct(now)} from {_pct(base)}: reduced by at least {cut:g} %, counts recovered",
    )


def classify_leukaemia(a: LeukaemiaAssessment, defs: Definitions | None = None) -> ResponseResult:
    d = defs or shipped()
    marrow = marrow_status(a.marrow_blasts_pct, d)
    mrd = mrd_status(a.mrd, d)

    def result(category: Category, *reasons: str) -> ResponseResult:
        return ResponseResult(
            category, (*reasons, mrd.reason), MarrowStatus(marrow.status), MrdStatus(mrd.status), d.version
        )

    progression = _progression(a, d)
    if progression:
        return result(Category.PD, progression)
    if marrow.status == MarrowStatus.unknown:
        return result(Category.UNKNOWN, "marrow blasts not recorded: no category")
    against, missing = _cr_blockers(a, d)
    if marrow.status == MarrowStatus.M1 and not against:
        if missing:
            return result(
                Category.UNKNOWN, marrow.reason, f"{', '.join(missing)} not recorded: CR cannot be judged"
            )
        if a.anc is None or a.platelets is None:
            return result(
                Category.UNKNOWN,
                marrow.reason,
                "ANC or platelets not recorded: CR, CRp and CRi cannot be told apart",
            )
        category, why = _counts(a, d)
        return result(category, marrow.reason, why)
    partial, why = _partial(a, d)
    if partial:
        return result(Category.PR, marrow.reason, *against, why)
    if partial is None:
        return result(Category.UNKNOWN, marrow.reason, *against, why)
    not_cr = against or [f"{marrow.status} marrow (CR requires M1)"]
    return result(Category.NR, marrow.reason, *not_cr, why)


def _lymphoma_progression(a: LymphomaAssessment, defs: Definitions) -> str | None:
    rise = defs.lymphoma.pd_increase_from_nadir_above_pct.value
    if a.new_lesions:
        return "new lesions: progressive disease"
    if a.new_marrow_or_csf_involvement:
        return "new or recurrent marrow or CSF involvement: progressive disease"
    if a.spd_change_from_nadir_pct is not None and a.spd_change_from_nadir_pct > rise:
        return (
            f"SPD up {a.spd_change_from_nadir_pct:g} % from its nadir (above {rise:g} %): progressive disease"
        )
    return None


def _lymphoma_complete(a: LymphomaAssessment) -> tuple[bool | None, str]:
    if a.residual_mass is None:
        return None, "residual mass not recorded: CR cannot be judged"
    if a.residual_mass and not a.residual_biopsy_negative:
        why = "not biopsied" if a.residual_biopsy_negative is None else "with viable tumour"
        return False, f"residual mass {why} (CR requires none, or a negative biopsy)"
    if a.marrow_involved is None or a.csf_involved is None:
        return None, "marrow or CSF involvement not recorded: CR cannot be judged"
    if a.marrow_involved or a.csf_involved:
        return False, "marrow or CSF still involved (CR requires both free)"
    how = "residual mass with a negative biopsy" if a.residual_mass else "no residual disease"
    return True, f"{how}, marrow and CSF free"


def classify_lymphoma(a: LymphomaAssessment, defs: Definitions | None = None) -> ResponseResult:
    """International paediatric NHL response criteria (Sandlund 2015), by the thresholds as data."""
    d = defs or shipped()
    mrd = mrd_status(a.mrd, d)
    lym = d.lymphoma

    def result(category: Category, *reasons: str) -> ResponseResult:
        return ResponseResult(
            category, (*reasons, mrd.reason), MarrowStatus.unknown, MrdStatus(mrd.status), d.version
        )

    progression = _lymphoma_progression(a, d)
    if progression:
        return result(Category.PD, progression)
    if a.new_lesions is None or a.spd_change_from_nadir_pct is None:
        return result(
            Category.UNKNOWN,
            "new lesions or the change from nadir not recorded: progression cannot be excluded",
        )
    if a.spd_change_pct is None:
        return result(Category.UNKNOWN, "change in SPD from baseline not recorded: no category")
    complete, why = _lymphoma_complete(a)
    if complete:
        return result(Category.CR, why)
    change = a.spd_change_pct
    pr, mr = lym.pr_decrease_at_least_pct.value, lym.mr_decrease_above_pct.value
    if complete is None and change <= -pr:
        return result(Category.UNKNOWN, f"SPD down {-change:g} %", why)
    if change <= -pr:
        return result(Category.PR, f"SPD down {-change:g} % (at least {pr:g} %)", why)
    if change < -mr:
        return result(Category.MR, f"SPD down {-change:g} % (above {mr:g} %, below {pr:g} %)")
    return result(Category.NR, f"SPD change {change:+g} % (MR requires a decrease above {mr:g} %)")
