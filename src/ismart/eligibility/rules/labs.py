"""Laboratory and cardiac rules: renal, hepatic, pregnancy test, echo and ECG."""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from fractions import Fraction
from typing import Any

from ismart import calculators
from ismart.dossier import Lab
from ismart.eligibility.context import Context
from ismart.eligibility.rules.patient import assessment_date
from ismart.eligibility.status import Outcome, Status, all_of, decided
from ismart.eligibility.windows import as_date, lab_window
from ismart.protocol.model import (
    BilirubinRule,
    LvefRule,
    MeasuredGfrRule,
    PregnancyRule,
    QtcRule,
    RenalCreatinineRule,
    RenalSchwartzRule,
    ShorteningFractionRule,
    TransaminaseRule,
)

LAB_CONVENTION = (
    "C1D1 has no time: a sample on C1D1 counts (it must precede the first dose); one whose window "
    "would end on C1D1 itself is REVIEW"
)


def _recent(ctx: Context, test: str, hours: int) -> tuple[Lab | None, Outcome | None]:
    """The latest result of ``test`` up to C1D1, or the UNKNOWN/REVIEW outcome that stops its use."""
    if ctx.c1d1 is None:
        return None, Outcome(
            Status.UNKNOWN, f"{test}: no planned C1D1 to date the window", {}, ("planned_c1d1",)
        )
    if ctx.c1d1 < ctx.as_of:  # results "within N hours of C1D1" cannot be current for a past C1D1
        return None, Outcome(
            Status.UNKNOWN,
            f"the planned C1D1 {ctx.c1d1} is before the screening date {ctx.as_of}, so no "
            f"laboratory result can be current: give the real planned C1D1",
            {"planned_c1d1": ctx.c1d1.isoformat(), "screened_on": ctx.as_of.isoformat()},
            ("planned_c1d1",),
        )
    end = datetime.combine(ctx.c1d1 + timedelta(days=1), time.min)
    done = [
        lab
        for lab in ctx.dossier.labs or []
        if lab.test == test and lab.value is not None and lab.collected_at is not None and _moment(lab) < end
    ]
    if not done:
        return None, Outcome(
            Status.UNKNOWN, f"no {test} result", {}, (f"{test} within {hours} h before C1D1",)
        )
    lab = max(done, key=_moment)
    assert lab.collected_at is not None
    status, note = lab_window(lab.collected_at, ctx.c1d1, hours)
    if status is Status.MET:
        return lab, None
    evidence = {f"{test}_collected_at": str(lab.collected_at), "window_convention": LAB_CONVENTION}
    missing = (f"{test} within {hours} h before C1D1",) if status is Status.UNKNOWN else ()
    return lab, Outcome(status, f"{test} {note}", evidence, missing)


def _moment(lab: Lab) -> datetime:
    assert lab.collected_at is not None
    at = lab.collected_at
    return at if isinstance(at, datetime) else datetime.combine(at, time.min)


def _lab_evidence(lab: Lab, **extra: Any) -> dict[str, Any]:
    return {
        f"{lab.test}": f"{lab.value:g} {lab.unit}",
        f"{lab.test}_collected_at": str(lab.collected_at),
        **extra,
    }


def creatinine_uln(rule: RenalCreatinineRule, ctx: Context) -> Outcome:
    lab, stop = _recent(ctx, "creatinine", rule.window_hours)
    if stop is not None or lab is None:
        return stop or Outcome(Status.UNKNOWN, "no creatinine", {})
    assert lab.value is not None and lab.unit is not None and lab.collected_at is not None
    value = calculators.creatinine_mg_dl(lab.value, lab.unit)
    ratio: Fraction
    if lab.uln is not None:
        # Same unit as the value: the ratio is exact, with no conversion rounding at 1.5 x ULN.
        ratio = calculators.exact(lab.value) / calculators.exact(lab.uln)
        uln, uln_from = calculators.creatinine_mg_dl(lab.uln, lab.unit), "site laboratory"
    else:
        patient = ctx.dossier.patient
        if patient.birth_date is None or patient.sex is None:
            return Outcome(
                Status.UNKNOWN,
                "creatinine ULN not given and age/sex unknown",
                {},
                ("creatinine ULN from the site laboratory",),
            )
        found = calculators.creatinine_uln_for_age(
            calculators.age_on(patient.birth_date, as_date(lab.collected_at)), patient.sex
        )
        if found is None:
            return Outcome(
                Status.UNKNOWN,
                "creatinine ULN not given; no published value for this age",
                {},
                ("creatinine ULN from the site laboratory",),
            )
        uln, uln_from = found.value_mg_dl, f"{found.source} ({found.band})"
        ratio = calculators.creatinine_mg_dl_exact(lab.value, lab.unit) / calculators.exact(uln)
    evidence = _lab_evidence(
        lab,
        creatinine_mg_dl=round(value, 3),
        uln_mg_dl=round(uln, 3),
        uln_from=uln_from,
        times_uln=_number(ratio),
        limit_times_uln=rule.max_times_uln,
        comparison=EXACT_COMPARISON,
    )
    ok = ratio <= calculators.exact(rule.max_times_uln)
    return decided(
        ok,
        f"creatinine {_shown(ratio)} x ULN ({'within' if ok else 'above'} {rule.max_times_uln:g} x)",
        evidence,
    )


EXACT_COMPARISON = "exact: values at the precision reported, compared as fractions"


def _shown(ratio: Fraction) -> str:
    """Two decimals, never rounding a value above a limit down onto it (1.501 shows as 1.51)."""
    if ratio > 10**6:
        return "more than 1000000"
    return f"{math.ceil(ratio * 100) / 100:.2f}"


def _number(ratio: Fraction) -> float | str:
    """A ratio for the evidence: two decimals, or text when it is too large for a float."""
    shown = calculators.as_number(ratio, 1e6)
    return round(shown, 2) if isinstance(shown, float) else shown


def _floor_1(value: Fraction) -> str:
    """One decimal, rounded down: a value below a minimum is never shown on it (59.96 is 59.9)."""
    if value > 10**6:
        return "more than 1000000"
    return f"{math.floor(value * 10) / 10:.1f}"


def egfr_schwartz(rule: RenalSchwartzRule, ctx: Context) -> Outcome:
    lab, stop = _recent(ctx, "creatinine", rule.window_hours)
    if stop is not None or lab is None:
        return stop or Outcome(Status.UNKNOWN, "no creatinine", {})
    height = ctx.dossier.patient.height_cm
    if height is None:
        return Outcome(Status.UNKNOWN, "height not given for the Schwartz eGFR", {}, ("patient.height_cm",))
    assert lab.value is not None and lab.unit is not None
    scr = calculators.creatinine_mg_dl_exact(lab.value, lab.unit)
    if scr <= 0:
        return Outcome(
            Status.UNKNOWN, "creatinine of 0: no Schwartz eGFR", {}, ("a creatinine result above 0",)
        )
    egfr = calculators.egfr_bedside_schwartz_exact(height, scr)
    evidence = _lab_evidence(
        lab,
        height_cm=height,
        egfr_schwartz=_floor_1(egfr),
        egfr_formula="bedside Schwartz 0.413 x height / SCr",
        egfr_minimum=rule.min_ml_min_173,
        comparison=EXACT_COMPARISON,
    )
    ok = egfr >= calculators.exact(rule.min_ml_min_173)
    return decided(
        ok,
        f"Schwartz eGFR {_floor_1(egfr)} mL/min/1.73m2 "
        f"({'at least' if ok else 'below'} {rule.min_ml_min_173:g})",
        evidence,
    )


def gfr_measured(rule: MeasuredGfrRule, ctx: Context) -> Outcome:
    lab, stop = _recent(ctx, "gfr_measured", rule.window_hours)
    if stop is not None or lab is None:
        return stop or Outcome(Status.UNKNOWN, "no measured GFR", {})
    assert lab.value is not None
    ok = lab.value >= rule.min_ml_min_173
    return decided(ok, f"measured GFR {lab.value:g} mL/min/1.73m2", _lab_evidence(lab))


def _times_uln(lab: Lab, label: str) -> tuple[Fraction | None, Outcome | None]:
    """value / ULN exactly; ULN in the value's unit (or, for ALT/AST, any enzyme unit)."""
    if lab.uln is None:
        return None, Outcome(
            Status.UNKNOWN,
            f"{label}: the laboratory's ULN is not given",
            {},
            (f"{lab.test} upper limit of normal",),
        )
    assert lab.value is not None
    return calculators.exact(lab.value) / calculators.exact(lab.uln), None


def bilirubin(rule: BilirubinRule, ctx: Context) -> Outcome:
    lab, stop = _recent(ctx, "bilirubin_direct", rule.window_hours)
    if stop is not None or lab is None:
        return stop or Outcome(Status.UNKNOWN, "no direct bilirubin", {})
    ratio, stop = _times_uln(lab, "direct bilirubin")
    if stop is not None or ratio is None:
        return stop or Outcome(Status.UNKNOWN, "no ULN", {})
    gilbert = ctx.dossier.conditions.gilbert_syndrome
    evidence = _lab_evidence(
        lab,
        times_uln=_number(ratio),
        limit_times_uln=rule.max_times_uln,
        gilbert_limit_times_uln=rule.gilbert_max_times_uln,
        gilbert_syndrome=gilbert,
        comparison=EXACT_COMPARISON,
    )
    summary = f"direct bilirubin {_shown(ratio)} x ULN"
    if ratio <= calculators.exact(rule.max_times_uln):
        return Outcome(Status.MET, summary, evidence)
    if ratio > calculators.exact(rule.gilbert_max_times_uln) or gilbert is False:
        return Outcome(Status.NOT_MET, f"{summary}: above the limit", evidence)
    if gilbert is None:
        return Outcome(
            Status.UNKNOWN,
            f"{summary}: allowed only with Gilbert's syndrome",
            evidence,
            ("conditions.gilbert_syndrome",),
        )
    return Outcome(Status.MET, f"{summary} (Gilbert's syndrome limit)", evidence)


def transaminases(rule: TransaminaseRule, ctx: Context) -> Outcome:
    parts: list[Outcome] = []
    high: list[str] = []
    for test in ("alt", "ast"):
        lab, stop = _recent(ctx, test, rule.window_hours)
        if stop is not None or lab is None:
            parts.append(stop or Outcome(Status.UNKNOWN, f"no {test}", {}))
            continue
        ratio, stop = _times_uln(lab, test.upper())
        if stop is not None or ratio is None:
            parts.append(stop or Outcome(Status.UNKNOWN, "no ULN", {}))
            continue
        extra: dict[str, Any] = {f"{test}_times_uln": _number(ratio), "comparison": EXACT_COMPARISON}
        if lab.unit and calculators.enzyme_u_l_exact(1.0, lab.unit) != 1:
            in_u_l = calculators.as_number(calculators.enzyme_u_l_exact(lab.value or 0.0, lab.unit))
            extra[f"{test}_u_l"] = f"{in_u_l:g} U/L" if isinstance(in_u_l, float) else f"{in_u_l} U/L"
            extra["enzyme_unit_factor"] = "1 ukat/L = 60 U/L (1 U = 1 umol/min; IFCC/SI)"
        evidence = _lab_evidence(lab, **extra)
        parts.append(Outcome(Status.MET, f"{test.upper()} {_shown(ratio)} x ULN", evidence))
        if ratio > calculators.exact(rule.max_times_uln):
            high.append(f"{test.upper()} {_shown(ratio)} x ULN")
    if high:
        disease = ctx.dossier.conditions.hepatic_dysfunction_due_to_disease
        summary = f"{', '.join(high)} above {rule.max_times_uln:g} x"
        if disease is True:
            parts.append(Outcome(Status.REVIEW, f"{summary}; due to the leukaemia: sponsor decides", {}))
        elif disease is False:
            parts.append(Outcome(Status.NOT_MET, summary, {}))
        else:
            parts.append(
                Outcome(
                    Status.UNKNOWN,
                    f"{summary}; is it due to the leukaemia?",
                    {},
                    ("conditions.hepatic_dysfunction_due_to_disease",),
                )
            )
    combined = all_of(parts)
    return Outcome(
        combined.status,
        "; ".join(dict.fromkeys(p.summary for p in parts)),
        {**combined.evidence, "limit_times_uln": rule.max_times_uln},
        combined.missing,
    )


def pregnancy(rule: PregnancyRule, ctx: Context) -> Outcome:
    sex, repro = ctx.dossier.patient.sex, ctx.dossier.reproductive
    if sex is None:
        return Outcome(Status.UNKNOWN, "sex not given", {}, ("patient.sex",))
    if sex == "male":
        return Outcome(Status.MET, "not applicable (male)", {})
    if repro.childbearing_potential is False:
        return Outcome(Status.MET, "not of childbearing potential", {"childbearing_potential": False})
    if repro.childbearing_potential is None:
        return Outcome(
            Status.UNKNOWN, "childbearing potential not stated", {}, ("reproductive.childbearing_potential",)
        )
    tests = [
        lab
        for lab in ctx.dossier.labs or []
        if lab.test in ("pregnancy_serum_hcg", "pregnancy_urine_hcg")
        and lab.result is not None
        and lab.collected_at is not None
    ]
    if not tests:
        return Outcome(
            Status.UNKNOWN,
            "no pregnancy test",
            {},
            (f"pregnancy test within {rule.test_window_days} days before C1D1",),
        )
    latest = max(tests, key=_moment)
    assert latest.collected_at is not None
    taken = as_date(latest.collected_at)
    evidence = {
        "pregnancy_test": latest.test,
        "result": latest.result,
        "taken_on": taken.isoformat(),
        "window_days": rule.test_window_days,
    }
    if latest.result == "positive":
        return Outcome(Status.NOT_MET, f"positive pregnancy test on {taken}", evidence)
    if ctx.c1d1 is None:
        return Outcome(Status.UNKNOWN, "no planned C1D1 to date the test window", evidence, ("planned_c1d1",))
    days = (ctx.c1d1 - taken).days
    if 0 <= days <= rule.test_window_days:
        return Outcome(Status.MET, f"negative test {days} d before C1D1", evidence)
    return Outcome(
        Status.UNKNOWN,
        f"negative test of {taken} is outside the {rule.test_window_days}-day window",
        evidence,
        (f"pregnancy test within {rule.test_window_days} days before C1D1",),
    )


def shortening_fraction(rule: ShorteningFractionRule, ctx: Context) -> Outcome:
    echo, birth = ctx.dossier.cardiac.echo, ctx.dossier.patient.birth_date
    if echo is None or echo.shortening_fraction_pct is None:
        return Outcome(
            Status.UNKNOWN, "no shortening fraction", {}, ("cardiac.echo.shortening_fraction_pct",)
        )
    stale = assessment_date(ctx, echo.date, "echocardiogram", "cardiac.echo.date")
    if stale is not None:
        return stale
    if birth is None:
        return Outcome(Status.UNKNOWN, "age unknown for the SF threshold", {}, ("patient.birth_date",))
    assert echo.date is not None
    at = calculators.age_on(birth, echo.date)
    threshold = rule.young_above_pct if at.years < rule.young_below_years else rule.above_pct
    sf = echo.shortening_fraction_pct
    evidence = {
        "shortening_fraction_pct": sf,
        "echo_date": echo.date.isoformat(),
        "age_at_echo": str(at),
        "sf_must_exceed_pct": threshold,
    }
    ok = sf > threshold
    return decided(
        ok,
        f"SF {sf:g}% ({'above' if ok else 'not above'} {threshold:g}%)",
        evidence,
    )


def lvef(rule: LvefRule, ctx: Context) -> Outcome:
    echo = ctx.dossier.cardiac.echo
    if echo is None or echo.lvef_pct is None:
        return Outcome(Status.UNKNOWN, "no LVEF", {}, ("cardiac.echo.lvef_pct",))
    stale = assessment_date(ctx, echo.date, "echocardiogram", "cardiac.echo.date")
    if stale is not None:
        return stale
    ok = echo.lvef_pct >= rule.min_pct
    return decided(
        ok,
        f"LVEF {echo.lvef_pct:g}% ({'at least' if ok else 'below'} {rule.min_pct:g}%)",
        {"lvef_pct": echo.lvef_pct, "lvef_minimum_pct": rule.min_pct},
    )


def qtc(rule: QtcRule, ctx: Context) -> Outcome:
    cardiac = ctx.dossier.cardiac
    ecg = cardiac.ecg
    parts: list[Outcome] = []
    if cardiac.significant_arrhythmia is True:
        parts.append(Outcome(Status.NOT_MET, "clinically significant arrhythmia", {}))
    elif cardiac.significant_arrhythmia is None:
        parts.append(
            Outcome(Status.UNKNOWN, "arrhythmia not stated", {}, ("cardiac.significant_arrhythmia",))
        )
    evidence: dict[str, Any] = {"qtcf_limit_ms": rule.max_ms}
    computed: float | None = None
    computed_above = False
    if ecg is not None and ecg.qt_ms is not None and (ecg.heart_rate_bpm or ecg.rr_ms):
        rr = None if ecg.heart_rate_bpm else ecg.rr_ms
        computed = calculators.qtcf(ecg.qt_ms, heart_rate_bpm=ecg.heart_rate_bpm, rr_ms=rr)
        # the verdict is decided exactly (QT^3 against 450^3 x RR), not on the float cube root
        computed_above = not calculators.qtcf_at_most(
            rule.max_ms, ecg.qt_ms, heart_rate_bpm=ecg.heart_rate_bpm, rr_ms=rr
        )
        evidence.update(
            qt_ms=ecg.qt_ms,
            heart_rate_bpm=ecg.heart_rate_bpm,
            rr_ms=ecg.rr_ms,
            qtcf_ms=round(computed, 1),
            qtcf_formula="Fridericia QT / RR^(1/3)",
        )
    reported = ecg.qtcf_ms if ecg is not None else None
    if reported is not None:
        evidence["qtcf_reported_ms"] = reported
    if ecg is None or (computed is None and reported is None):
        parts.append(
            Outcome(
                Status.UNKNOWN,
                "no QT with heart rate/RR, nor QTcF",
                evidence,
                ("cardiac.ecg (QT and heart rate, or QTcF)",),
            )
        )
        return all_of(parts)
    stale = assessment_date(ctx, ecg.date, "ECG", "cardiac.ecg.date")
    if stale is not None:
        parts.append(stale)
        return all_of(parts)
    evidence["ecg_date"] = str(ecg.date)
    parts.append(_qtcf_verdict(rule, computed, computed_above, reported, evidence))
    return all_of(parts)


def _ms(value: float, above: bool) -> str:
    """One decimal, rounded away from the limit's other side (450.04 above 450 shows as 450.1)."""
    scaled = value * 10
    return f"{(math.ceil(scaled) if above else math.floor(scaled)) / 10:.1f}"


def _qtcf_verdict(
    rule: QtcRule,
    computed: float | None,
    computed_above: bool,
    reported: float | None,
    evidence: dict[str, Any],
) -> Outcome:
    limit = rule.max_ms
    reported_above = reported is not None and reported > limit
    if computed is None or reported is None:
        value = computed if computed is not None else reported
        assert value is not None
        above = computed_above if computed is not None else reported_above
        if computed is None:
            evidence["qtcf_formula"] = "as reported by the site"
        return decided(
            not above, f"QTcF {_ms(value, above)} ms ({'above' if above else 'within'} {limit:g})", evidence
        )
    tolerance = rule.site_tolerance_ms
    if rule.reading:
        evidence["qtcf_reading"] = rule.reading
    both = f"QTcF reported {reported:g} ms, recomputed {_ms(computed, computed_above)} ms"
    if computed_above and reported_above:
        return Outcome(Status.NOT_MET, f"{both}: both above {limit:g}", evidence)
    if computed_above != reported_above:
        return Outcome(
            Status.REVIEW, f"{both}: on either side of {limit:g}; investigator to read the ECG", evidence
        )
    if tolerance is not None and abs(computed - reported) > tolerance:
        return Outcome(
            Status.REVIEW,
            f"{both}: {abs(computed - reported):.1f} ms apart (ismart tolerance {tolerance:g} ms); "
            "investigator to read the ECG",
            evidence,
        )
    return Outcome(Status.MET, f"{both}: both within {limit:g}", evidence)
