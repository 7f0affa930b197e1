"""Rules about the patient: age, weight, performance, consent, swallowing, profiling."""

from __future__ import annotations

from datetime import date
from typing import Any

from ismart import calculators
from ismart.eligibility.context import Context
from ismart.eligibility.status import Outcome, Status, all_of, decided
from ismart.protocol.model import (
    AgeRule,
    ConsentRule,
    PerformanceRule,
    ProfilingRule,
    SwallowingRule,
    WeightRule,
)


def assessment_date(ctx: Context, when: date | None, what: str, field: str) -> Outcome | None:
    """Assessments without a protocol window count when done on or before C1D1 (and, if the site
    sets a maximum age, not older than that). Returns an UNKNOWN outcome when it does not count."""
    if when is None:
        return Outcome(Status.UNKNOWN, f"{what}: date not given", {}, (f"{field} (date)",))
    reference = ctx.c1d1 or ctx.as_of
    if when > reference:
        return Outcome(
            Status.UNKNOWN, f"{what} dated {when}, after C1D1 {reference}", {}, (f"{what} before C1D1",)
        )
    limit = ctx.options.assessment_max_age_days
    if limit is not None and (reference - when).days > limit:
        return Outcome(
            Status.UNKNOWN,
            f"{what} dated {when} is {(reference - when).days} d old (site maximum {limit} d)",
            {},
            (f"a {what} within {limit} days of C1D1",),
        )
    return None


def _age_at_diagnosis(rule: AgeRule, birth: date, diagnosed: date) -> Outcome:
    age = calculators.age_on(birth, diagnosed)
    low = calculators.anniversary(birth, rule.min_at_diagnosis.years, rule.min_at_diagnosis.months)
    high = calculators.anniversary(birth, rule.max_at_diagnosis_below.years)
    evidence = {"age_at_first_diagnosis": str(age), "first_diagnosis_date": diagnosed.isoformat()}
    if diagnosed < low:
        return Outcome(Status.NOT_MET, f"{age} at first diagnosis: below the minimum", evidence)
    if diagnosed < high:
        return Outcome(Status.MET, f"{age} at first diagnosis", evidence)
    if rule.review_at_diagnosis_below is not None:
        review_end = calculators.anniversary(birth, rule.review_at_diagnosis_below.years)
        if diagnosed < review_end:
            note = f"{age} at first diagnosis: on the ambiguous upper age boundary"
            return Outcome(Status.REVIEW, note, evidence)
    return Outcome(Status.NOT_MET, f"{age} at first diagnosis: above the maximum", evidence)


def age(rule: AgeRule, ctx: Context) -> Outcome:
    patient, diagnosis = ctx.dossier.patient, ctx.dossier.diagnosis
    evidence: dict[str, Any] = {"reading": rule.reading}
    if patient.birth_date is None:
        return Outcome(Status.UNKNOWN, "birth date not given", evidence, ("patient.birth_date",))
    evidence["birth_date"] = patient.birth_date.isoformat()
    parts: list[Outcome] = []
    if diagnosis.first_diagnosis_date is None:
        parts.append(
            Outcome(
                Status.UNKNOWN, "date of first diagnosis not given", {}, ("diagnosis.first_diagnosis_date",)
            )
        )
    else:
        parts.append(_age_at_diagnosis(rule, patient.birth_date, diagnosis.first_diagnosis_date))
    if ctx.inclusion is None:
        parts.append(Outcome(Status.UNKNOWN, "no inclusion date or planned C1D1", {}, ("planned_c1d1",)))
    else:
        at = calculators.age_on(patient.birth_date, ctx.inclusion)
        limit = calculators.anniversary(patient.birth_date, rule.max_at_inclusion_below.years)
        info = {
            "age_at_inclusion": str(at),
            "inclusion_date": ctx.inclusion.isoformat(),
            "inclusion_date_from": ctx.inclusion_source,
            "must_be_included_before": limit.isoformat(),
        }
        status = Status.MET if ctx.inclusion < limit else Status.NOT_MET
        summary = f"{at} at inclusion"
        if ctx.c1d1 is not None and ctx.c1d1 != ctx.inclusion and ctx.c1d1 >= patient.birth_date:
            at_c1d1 = calculators.age_on(patient.birth_date, ctx.c1d1)
            info["age_at_c1d1"] = str(at_c1d1)
            summary += f"; {at_c1d1} at C1D1"
        parts.append(Outcome(status, summary, info))
    result = all_of(parts)
    summary = "; ".join(p.summary for p in parts)
    return Outcome(result.status, summary, {**evidence, **result.evidence}, result.missing)


def _weight_too_old(
    limit: int, measured: date | None, ctx: Context, evidence: dict[str, Any]
) -> Outcome | None:
    """UNKNOWN when the weight is older than the protocol-data reading allows at enrolment."""
    reference = ctx.inclusion or ctx.c1d1
    if measured is None or reference is None:
        return None
    age_days = (reference - measured).days
    if age_days <= limit:
        return None
    return Outcome(
        Status.UNKNOWN,
        f"weight of {measured} was measured {age_days} d before inclusion on {reference} "
        f"(at most {limit} d, ismart reading of 'at the time of enrolment')",
        evidence,
        (f"a weight measured within {limit} days before inclusion",),
    )


def weight(rule: WeightRule, ctx: Context) -> Outcome:
    patient = ctx.dossier.patient
    if patient.weight_kg is None:
        return Outcome(Status.UNKNOWN, "weight not given", {}, ("patient.weight_kg",))
    stale = assessment_date(ctx, patient.measured_on, "weight", "patient.measured_on")
    if stale is not None:
        return stale
    kg = patient.weight_kg
    evidence: dict[str, Any] = {"weight_kg": kg, "measured_on": str(patient.measured_on)}
    if rule.max_age_days is not None:
        evidence["weight_age_reading"] = rule.age_reading
        old = _weight_too_old(rule.max_age_days, patient.measured_on, ctx, evidence)
        if old is not None:
            return old
    if rule.min_kg is not None:
        evidence["minimum_kg"] = rule.min_kg
        ok = kg >= rule.min_kg
        return decided(
            ok,
            f"{kg:g} kg ({'at least' if ok else 'below'} {rule.min_kg:g} kg)",
            evidence,
        )
    assert rule.split_age_years is not None and rule.below_split_min_kg is not None
    assert rule.above_split_min_kg is not None
    if patient.birth_date is None or ctx.inclusion is None:
        missing = ("patient.birth_date",) if patient.birth_date is None else ("planned_c1d1",)
        return Outcome(Status.UNKNOWN, "age at inclusion unknown", evidence, missing)
    at = calculators.age_on(patient.birth_date, ctx.inclusion)
    evidence.update(age_at_inclusion=str(at), reading=rule.reading)
    low, high = rule.below_split_min_kg, rule.above_split_min_kg
    if at.years < rule.split_age_years:
        minimum: float | None = low
    elif at.years > rule.split_age_years:
        minimum = high
    else:
        minimum = None  # between the 6th and 7th birthdays: both readings apply
    if minimum is not None:
        evidence["minimum_kg"] = minimum
        ok = kg >= minimum
        return decided(
            ok,
            f"{kg:g} kg at {at} ({'at least' if ok else 'below'} {minimum:g} kg)",
            evidence,
        )
    evidence["minimum_kg"] = f"{low:g} or {high:g} (ambiguous)"
    if kg >= high:
        return Outcome(Status.MET, f"{kg:g} kg at {at}: meets either reading", evidence)
    if kg < low:
        return Outcome(Status.NOT_MET, f"{kg:g} kg at {at}: below both readings", evidence)
    return Outcome(Status.REVIEW, f"{kg:g} kg at {at}: meets only the {low:g} kg reading", evidence)


def performance(rule: PerformanceRule, ctx: Context) -> Outcome:
    perf, birth = ctx.dossier.performance, ctx.dossier.patient.birth_date
    if perf.score is None:
        return Outcome(Status.UNKNOWN, "performance score not given", {}, ("performance.score",))
    stale = assessment_date(ctx, perf.assessed_on, "performance assessment", "performance.assessed_on")
    if stale is not None:
        return stale
    if birth is None:
        return Outcome(Status.UNKNOWN, "age unknown: scale cannot be checked", {}, ("patient.birth_date",))
    assert perf.assessed_on is not None
    at = calculators.age_on(birth, perf.assessed_on)
    expected = calculators.performance_scale(at, rule.lansky_up_to_completed_years)
    evidence = {
        "scale": perf.scale,
        "expected_scale": expected,
        "score": perf.score,
        "age_at_assessment": str(at),
        "assessed_on": perf.assessed_on.isoformat(),
        "minimum": rule.min_score,
    }
    if perf.scale is None or perf.scale != expected:
        return Outcome(
            Status.UNKNOWN,
            f"score given on {perf.scale or 'no stated'} scale; {expected.title()} applies at {at}",
            evidence,
            (f"performance score on the {expected.title()} scale",),
        )
    ok = perf.score >= rule.min_score
    return decided(
        ok,
        f"{expected.title()} {perf.score} ({'at least' if ok else 'below'} {rule.min_score})",
        evidence,
    )


def consent(rule: ConsentRule, ctx: Context) -> Outcome:
    c, birth = ctx.dossier.consent, ctx.dossier.patient.birth_date
    evidence = {"signed_on": str(c.signed_on), "signed_by": c.signed_by, "assent": c.assent}
    if c.assent == "refused":
        return Outcome(Status.NOT_MET, "assent refused", evidence)
    missing = tuple(
        f"consent.{name}"
        for name, value in (("signed_on", c.signed_on), ("signed_by", c.signed_by), ("assent", c.assent))
        if value is None
    )
    if missing:
        return Outcome(Status.UNKNOWN, "consent record incomplete", evidence, missing)
    assert c.signed_on is not None
    if ctx.c1d1 is not None and c.signed_on > ctx.c1d1:
        return Outcome(Status.NOT_MET, f"consent signed {c.signed_on}, after C1D1", evidence)
    if c.signed_by == "patient" and birth is not None:
        at = calculators.age_on(birth, c.signed_on)
        if at.years < 18:
            return Outcome(
                Status.REVIEW,
                f"signed by the patient at {at}: check national rules on minors' consent",
                evidence,
            )
    return Outcome(Status.MET, f"signed {c.signed_on} by {c.signed_by}; assent {c.assent}", evidence)


def swallowing(rule: SwallowingRule, ctx: Context) -> Outcome:
    cond = ctx.dossier.conditions
    evidence = {
        "able_to_swallow_capsules": cond.able_to_swallow_capsules,
        "oral_alternative": cond.oral_alternative,
    }
    if cond.able_to_swallow_capsules is True:
        return Outcome(Status.MET, "swallows capsules", evidence)
    if cond.able_to_swallow_capsules is None:
        return Outcome(
            Status.UNKNOWN,
            "capsule swallowing not assessed",
            evidence,
            ("conditions.able_to_swallow_capsules",),
        )
    if cond.oral_alternative is None:
        return Outcome(Status.NOT_MET, "cannot swallow capsules and no oral alternative", evidence)
    return Outcome(
        Status.REVIEW,
        f"cannot swallow capsules; {cond.oral_alternative} allowed only "
        "where the investigator's brochure permits it for each drug",
        evidence,
    )


# Molecular methods other than sequencing that count as "molecular profiling" (not advanced).
_OTHER_MOLECULAR_METHODS = (
    "FISH",
    "karyotype",
    "PCR",
    "RT-PCR",
    "qPCR",
    "ddPCR",
    "MLPA",
    "SNP-array",
    "array-CGH",
)


def profiling(rule: ProfilingRule, ctx: Context) -> Outcome:
    prof = ctx.dossier.profiling
    if prof is None:
        return Outcome(
            Status.UNKNOWN,
            "no molecular profiling in the dossier",
            {},
            ("profiling (molecular profile of the relapsed/refractory disease)",),
        )
    methods = prof.methods or []
    evidence: dict[str, Any] = {
        "methods": methods,
        "flow_cytometry": prof.flow_cytometry,
        "timepoint": prof.timepoint,
        "sample_date": str(prof.sample_date),
        "reading": rule.reading,
    }
    parts: list[Outcome] = []
    if prof.flow_cytometry is None:
        parts.append(Outcome(Status.UNKNOWN, "flow cytometry not stated", {}, ("profiling.flow_cytometry",)))
    elif not prof.flow_cytometry:
        parts.append(Outcome(Status.NOT_MET, "no flow cytometry of the relapse", {}))
    if not methods:
        parts.append(Outcome(Status.UNKNOWN, "profiling methods not given", {}, ("profiling.methods",)))
    elif rule.advanced:
        wanted = {m.lower() for m in rule.advanced_methods}
        if not wanted & {m.strip().lower() for m in methods}:
            parts.append(Outcome(Status.REVIEW, f"{', '.join(methods)}: 'advanced' profiling not shown", {}))
    else:
        known = {m.lower() for m in (*rule.advanced_methods, *_OTHER_MOLECULAR_METHODS)}
        odd = [m for m in methods if m.strip().lower() not in known]
        if odd and not known & {m.strip().lower() for m in methods}:
            parts.append(
                Outcome(
                    Status.REVIEW, f"method not recognised: {', '.join(map(repr, odd))}: is it molecular?", {}
                )
            )
    if prof.timepoint is None:
        parts.append(Outcome(Status.UNKNOWN, "profiling time point not given", {}, ("profiling.timepoint",)))
    elif prof.timepoint == "first_diagnosis":
        parts.append(Outcome(Status.REVIEW, "profiled at first diagnosis only: sponsor discussion", {}))
    reference = ctx.inclusion
    if prof.sample_date is None:
        parts.append(Outcome(Status.UNKNOWN, "sample date not given", {}, ("profiling.sample_date",)))
    elif reference is not None and prof.sample_date > reference:
        parts.append(Outcome(Status.NOT_MET, f"sample of {prof.sample_date} is after inclusion", {}))
    if not parts:
        day = prof.sample_date
        assert day is not None
        delta = (reference - day).days if reference is not None else None
        where = f", {delta} d before inclusion" if delta is not None else ""
        return Outcome(
            Status.MET,
            f"{', '.join(methods)} + flow on the {prof.timepoint} sample of {day}{where}",
            evidence,
        )
    combined = all_of(parts)
    return Outcome(combined.status, combined.summary, evidence, combined.missing)
