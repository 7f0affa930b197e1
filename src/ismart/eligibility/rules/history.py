"""Rules about history and current state: yes/no facts, infections, prior treatment, medication,
diet, toxicity, GvHD and immunosuppression after transplant."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ismart.dossier import Covid, PriorTherapy
from ismart.eligibility.context import Context
from ismart.eligibility.status import Outcome, Status, all_of
from ismart.eligibility.windows import (
    HOUR_CONVENTION_DATE,
    add_months,
    as_date,
    clear_date_after_hours,
    possibly_over_from,
    waiting,
)
from ismart.medications import is_dose_text
from ismart.protocol.model import (
    ContraceptionRule,
    DietRule,
    FlagRule,
    GvhdRule,
    ImmunosuppressionRule,
    InfectionRule,
    PriorTreatmentRule,
    ProhibitedMedicationRule,
    ToxicityRule,
)


def _field(ctx: Context, dotted: str) -> Any:
    value: Any = ctx.dossier
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def flag(rule: FlagRule, ctx: Context) -> Outcome:
    if rule.only_sex is not None and ctx.dossier.patient.sex not in (rule.only_sex, None):
        return Outcome(Status.MET, f"not applicable ({ctx.dossier.patient.sex})", {})
    value = _field(ctx, rule.field)
    evidence = {rule.field: value}
    if value is None:
        return Outcome(Status.UNKNOWN, f"not stated: {rule.ask}", evidence, (rule.field,))
    if value == rule.excluded_when:
        return Outcome(Status.NOT_MET, f"{rule.field.split('.')[-1]} = {value}", evidence)
    return Outcome(Status.MET, f"{rule.field.split('.')[-1]} = {value}", evidence)


def contraception(rule: ContraceptionRule, ctx: Context) -> Outcome:
    repro = ctx.dossier.reproductive
    evidence = {
        "sexually_active": repro.sexually_active,
        "willing_to_use_effective_contraception": repro.willing_to_use_effective_contraception,
    }
    if repro.sexually_active is None:
        return Outcome(
            Status.UNKNOWN, "sexual activity not stated", evidence, ("reproductive.sexually_active",)
        )
    if not repro.sexually_active:
        return Outcome(Status.MET, "not sexually active", evidence)
    willing = repro.willing_to_use_effective_contraception
    if willing is None:
        return Outcome(
            Status.UNKNOWN,
            "sexually active; contraception not discussed",
            evidence,
            ("reproductive.willing_to_use_effective_contraception",),
        )
    if willing:
        return Outcome(Status.MET, "sexually active; will use highly effective contraception", evidence)
    return Outcome(Status.NOT_MET, "sexually active; not willing to use contraception", evidence)


def _covid(covid: Covid | None, wait_days: int) -> Outcome:
    if covid is None:
        return Outcome(Status.UNKNOWN, "SARS-CoV-2 history not given", {}, ("infections.covid",))
    parts: list[Outcome] = []
    if covid.recent_positive_test is None or covid.recent_contact is None or covid.symptoms is None:
        parts.append(
            Outcome(
                Status.UNKNOWN,
                "SARS-CoV-2 test/contact/symptom history incomplete",
                {},
                ("infections.covid (recent positive test, contact, symptoms)",),
            )
        )
    if covid.recent_positive_test:
        neg = covid.negative_pcr_after_positive
        if neg is None or (covid.last_positive_test is not None and neg <= covid.last_positive_test):
            parts.append(
                Outcome(Status.NOT_MET, "recent positive SARS-CoV-2 test, no negative PCR since", {})
            )
        elif covid.symptoms_resolved_on is not None and neg <= covid.symptoms_resolved_on:
            parts.append(
                Outcome(
                    Status.UNKNOWN,
                    "negative PCR not at least 24 h after symptoms resolved",
                    {},
                    ("a negative PCR at least 24 h after symptoms resolved",),
                )
            )
        else:
            parts.append(Outcome(Status.MET, f"negative PCR on {neg} after the positive test", {}))
    if covid.recent_contact:
        pcr, contact = covid.pcr_after_contact, covid.last_contact
        if pcr is None or contact is None:
            parts.append(
                Outcome(
                    Status.UNKNOWN,
                    "recent SARS-CoV-2 contact: negative PCR needed",
                    {},
                    (f"a negative PCR at least {wait_days} days after the last contact",),
                )
            )
        elif (pcr - contact).days < wait_days:
            parts.append(
                Outcome(
                    Status.UNKNOWN,
                    f"PCR {(pcr - contact).days} d after contact; {wait_days} d are needed",
                    {},
                    (f"a negative PCR at least {wait_days} days after the last contact",),
                )
            )
        else:
            parts.append(Outcome(Status.MET, f"negative PCR {(pcr - contact).days} d after contact", {}))
    if covid.symptoms and not (covid.negative_pcr_after_positive or covid.pcr_after_contact):
        parts.append(
            Outcome(
                Status.UNKNOWN,
                "symptoms of COVID-19: a negative PCR is needed",
                {},
                ("a negative SARS-CoV-2 PCR",),
            )
        )
    if not parts:
        return Outcome(Status.MET, "no recent SARS-CoV-2 positive test, contact or symptoms", {})
    return all_of(parts)


_NOT_KNOWN = {"unknown": "status unknown", "not_tested": "not tested"}


def infection(rule: InfectionRule, ctx: Context) -> Outcome:
    inf = ctx.dossier.infections
    parts: list[Outcome] = []
    for name, value in (
        ("hiv", inf.hiv),
        ("hepatitis_b_active", inf.hepatitis_b_active),
        ("hepatitis_c_active", inf.hepatitis_c_active),
    ):
        if value == "positive":
            parts.append(Outcome(Status.NOT_MET, f"{name} positive", {name: value}))
        elif value is None:
            parts.append(Outcome(Status.UNKNOWN, f"{name} not given", {name: value}, (f"infections.{name}",)))
        elif value in _NOT_KNOWN:
            # The criteria exclude a *known* infection: an untested or unknown status is not one.
            parts.append(
                Outcome(Status.MET, f"{name} {_NOT_KNOWN[value]}: not a known infection", {name: value})
            )
        else:
            parts.append(Outcome(Status.MET, f"{name} negative", {name: value}))
    if inf.uncontrolled_infection is None:
        parts.append(
            Outcome(
                Status.UNKNOWN,
                "uncontrolled infection not stated",
                {},
                ("infections.uncontrolled_infection",),
            )
        )
    elif inf.uncontrolled_infection:
        parts.append(Outcome(Status.NOT_MET, "uncontrolled infection", {}))
    parts += _other_infections(rule, ctx)
    if rule.covid:
        parts.append(_covid(inf.covid, rule.covid_contact_wait_days))
    result = all_of(parts)
    failing = [p.summary for p in parts if p.status is not Status.MET]
    noted = [p.summary for p in parts if p.status is Status.MET and "not a known infection" in p.summary]
    if failing:
        summary = "; ".join(failing)
    else:
        summary = "; ".join(["no active hepatitis, HIV or uncontrolled infection", *noted])
    evidence = {**result.evidence}
    if rule.reading:
        evidence["reading"] = rule.reading
    return Outcome(result.status, summary, evidence, result.missing)


def _other_infections(rule: InfectionRule, ctx: Context) -> list[Outcome]:
    """'Any other uncontrolled infection': every other infection field the dossier has.

    Whether an active infection is 'uncontrolled' is the investigator's reading: REVIEW.
    """
    parts: list[Outcome] = []
    keys = {c.key for c in ctx.subprotocol.criteria}
    if "tuberculosis" not in keys and ctx.dossier.conditions.active_tuberculosis:
        parts.append(
            Outcome(
                Status.REVIEW,
                "active tuberculosis: whether it is an uncontrolled infection is the investigator's call",
                {"active_tuberculosis": True},
            )
        )
    covid = ctx.dossier.infections.covid
    if not rule.covid and covid is not None and (covid.recent_positive_test or covid.symptoms):
        parts.append(
            Outcome(
                Status.REVIEW,
                "recent SARS-CoV-2 positive test or symptoms: whether it is an uncontrolled infection "
                "is the investigator's call",
                {},
            )
        )
    return parts


def unresolved_toxicity(rule: ToxicityRule, ctx: Context) -> Outcome:
    cond = ctx.dossier.conditions
    flagged, details = cond.unresolved_toxicity_grade2_plus, cond.unresolved_toxicity_details or []
    relevant = [d for d in details if d.grade >= rule.min_grade]
    evidence = {
        "unresolved_toxicity_grade2_plus": flagged,
        "details": [f"{d.term} grade {d.grade}" for d in details],
    }
    if flagged is None and not relevant:
        return Outcome(
            Status.UNKNOWN,
            "unresolved toxicity not stated",
            evidence,
            ("conditions.unresolved_toxicity_grade2_plus",),
        )
    if not flagged and not relevant:
        return Outcome(Status.MET, f"no unresolved toxicity of grade {rule.min_grade}+", evidence)
    if not relevant:
        return Outcome(
            Status.REVIEW, "grade 2+ toxicity reported without details: investigator to judge", evidence, ()
        )
    blocking = [d for d in relevant if d.investigator_judges_not_relevant is False]
    pending = [d for d in relevant if d.investigator_judges_not_relevant is None]
    if blocking:
        return Outcome(
            Status.NOT_MET, "unresolved " + ", ".join(f"{d.term} grade {d.grade}" for d in blocking), evidence
        )
    if pending:
        return Outcome(
            Status.REVIEW,
            "investigator to judge relevance of " + ", ".join(f"{d.term} grade {d.grade}" for d in pending),
            evidence,
        )
    return Outcome(Status.MET, "grade 2+ toxicity judged not relevant by the investigator", evidence)


def gvhd(rule: GvhdRule, ctx: Context) -> Outcome:
    cond = ctx.dossier.conditions
    evidence = {
        "gvhd": cond.gvhd,
        "gvhd_grade": cond.gvhd_grade,
        "gvhd_treatment_or_prophylaxis": cond.gvhd_treatment_or_prophylaxis,
    }
    if cond.gvhd_treatment_or_prophylaxis:
        return Outcome(Status.NOT_MET, "receiving GvHD treatment or prophylaxis", evidence)
    if cond.gvhd == "acute":
        return Outcome(Status.NOT_MET, "active acute GvHD", evidence)
    if cond.gvhd == "chronic":
        if cond.gvhd_grade is None:
            return Outcome(
                Status.UNKNOWN, "chronic GvHD of unstated grade", evidence, ("conditions.gvhd_grade",)
            )
        if cond.gvhd_grade > rule.chronic_max_grade:
            return Outcome(Status.NOT_MET, f"chronic GvHD grade {cond.gvhd_grade}", evidence)
    if cond.gvhd is None or cond.gvhd_treatment_or_prophylaxis is None:
        missing = tuple(
            f"conditions.{n}"
            for n, v in (
                ("gvhd", cond.gvhd),
                ("gvhd_treatment_or_prophylaxis", cond.gvhd_treatment_or_prophylaxis),
            )
            if v is None
        )
        return Outcome(Status.UNKNOWN, "GvHD status not stated", evidence, missing)
    return Outcome(
        Status.MET,
        "no active GvHD" if cond.gvhd == "none" else f"chronic GvHD grade {cond.gvhd_grade}",
        evidence,
    )


def post_hsct_immunosuppression(rule: ImmunosuppressionRule, ctx: Context) -> Outcome:
    if ctx.dossier.hsct is None:
        return Outcome(Status.UNKNOWN, "transplant history not given", {}, ("hsct",))
    parts: list[Outcome] = []
    for i, hsct in enumerate(ctx.dossier.hsct):
        if hsct.type != "allogeneic":
            continue
        if hsct.immunosuppression_until is None:
            parts.append(
                Outcome(
                    Status.UNKNOWN,
                    "end of immunosuppression after allogeneic HSCT not given",
                    {},
                    (f"hsct[{i}].immunosuppression_until",),
                    waits=True,
                )
            )
            continue
        earliest = add_months(hsct.immunosuppression_until, rule.months)
        outcome = waiting(
            ctx.inclusion,
            earliest,
            what="immunosuppression after allogeneic HSCT",
            evidence={
                "immunosuppression_until": hsct.immunosuppression_until.isoformat(),
                "reference": f"study entry = {ctx.inclusion_source}",
            },
        )
        anchored = ctx.dossier.patient.inclusion_date is not None
        if anchored and outcome.status is Status.NOT_MET:
            # Counted from the inclusion date: moving C1D1 cannot fix it, so no C1D1 date exists.
            outcome = Outcome(
                Status.NOT_MET,
                f"immunosuppression after allogeneic HSCT: not over until {earliest} "
                f"({(earliest - ctx.dossier.patient.inclusion_date).days} d after inclusion on "  # type: ignore[operator]
                f"{ctx.dossier.patient.inclusion_date}); a later C1D1 does not change it",
                {**outcome.evidence, "earliest_c1d1": "none: the window is anchored at inclusion"},
                (),
                None,
                True,
            )
        parts.append(outcome)
    if not parts:
        return Outcome(Status.MET, "no allogeneic HSCT", {})
    return all_of(parts)


def therapy_agents(therapy: PriorTherapy, ctx: Context) -> tuple[set[str], list[str]]:
    """The INNs a prior-therapy line names (brands, spellings, combinations) and the parts not recognised."""
    known: set[str] = set()
    unknown: list[str] = []
    for part in substances(therapy.agent):
        entry = ctx.options.medications.match(part)
        if entry is None:
            unknown.append(part)
        else:
            known.add(entry.name)
    return known, unknown


def _overlap(a: PriorTherapy, b: PriorTherapy) -> bool | None:
    if a is b:
        return True  # one line naming both ("dasatinib + venetoclax")
    if a.regimen and b.regimen and a.regimen.strip().lower() == b.regimen.strip().lower():
        return True
    if None in (a.first_dose, a.last_dose, b.first_dose, b.last_dose):
        return None
    assert a.first_dose and a.last_dose and b.first_dose and b.last_dose
    return a.first_dose <= as_date(b.last_dose) and b.first_dose <= as_date(a.last_dose)


def prior_treatment(rule: PriorTreatmentRule, ctx: Context) -> Outcome:
    history = ctx.dossier.prior_therapy
    if history is None:
        return Outcome(Status.UNKNOWN, "prior therapy not given", {}, ("prior_therapy",))
    wanted = [a.lower() for a in rule.agents]
    given: dict[str, list[PriorTherapy]] = {a: [] for a in wanted}
    unrecognised: list[str] = []
    for therapy in history:
        known, unknown = therapy_agents(therapy, ctx)
        unrecognised += unknown
        for agent in wanted:
            if agent in known:
                given[agent].append(therapy)
    evidence: dict[str, Any] = {
        "agents": rule.agents,
        "given": [a for a, ts in given.items() if ts],
        "read_as": {t.agent: sorted(therapy_agents(t, ctx)[0]) for t in history},
    }
    unclear = None
    if unrecognised:
        evidence["not_recognised"] = unrecognised
        unclear = Outcome(
            Status.UNKNOWN,
            "; ".join(_not_recognised(u, ctx) for u in unrecognised),
            evidence,
            tuple(f"what prior therapy {u!r} is (generic name)" for u in unrecognised),
        )
    if not rule.combination:
        used = [a for a, ts in given.items() if ts]
        if used:
            lines = ", ".join(dict.fromkeys(t.agent for a in used for t in given[a]))
            return Outcome(Status.NOT_MET, f"previously treated with {', '.join(used)} ({lines})", evidence)
        return unclear or Outcome(Status.MET, f"no previous {', '.join(rule.agents)}", evidence)
    if not all(given.values()):
        return unclear or Outcome(Status.MET, f"{' + '.join(rule.agents)} never given together", evidence)
    first, second = (given[a] for a in wanted[:2])
    verdicts = {_overlap(a, b) for a in first for b in second}
    if True in verdicts:
        return Outcome(Status.NOT_MET, f"{' + '.join(rule.agents)} given in combination", evidence)
    if None in verdicts:
        return Outcome(
            Status.UNKNOWN,
            f"both {' and '.join(rule.agents)} given; dates do not show whether together",
            evidence,
            (f"first and last dose dates of {' and '.join(rule.agents)}",),
        )
    return unclear or Outcome(Status.MET, f"{' and '.join(rule.agents)} given separately", evidence)


# One medication line may name a combination ("trimethoprim/sulfamethoxazole", "x and y").
_SEVERAL = re.compile(r"\s*(?:\+|/|,|;|&|\b(?:and|with|plus|und|en|et|och|og)\b)\s*", re.IGNORECASE)
_USE_WORDS = {"as_needed": "as needed", "procedure": "for a procedure"}


def substances(line: str) -> list[str]:
    """The substances one medication or therapy line names, split at "+", "/", "and", "und", ...

    Each part of a fixed combination ("trimethoprim/sulfamethoxazole") is in the table itself; a
    part that is only a dose, unit or form ("5 ml suspensie" of "50 mg/5 ml suspensie") is no substance.
    """
    parts = [p.strip() for p in _SEVERAL.split(line)]
    named = [p for p in parts if p and re.search(r"[A-Za-z]", p) and not is_dose_text(p)]
    # a line that names nothing but a dose ("500 mg") stays one part, to be reported not recognised
    return named or ([line.strip()] if line.strip() else [])


def _not_recognised(part: str, ctx: Context) -> str:
    guess = ctx.options.medications.suggest(part)
    return f"not recognised: {part!r}" + (f" (did you mean {guess}?)" if guess else "")


def _medication_part(
    part: str, use: str, required: bool | None, rule: ProhibitedMedicationRule, ctx: Context
) -> Outcome | None:
    """The verdict on one substance of a medication line, or None when it is allowed."""
    table = ctx.options.medications
    entry = table.match(part)
    if entry is None:
        return Outcome(Status.UNKNOWN, _not_recognised(part, ctx), {}, (f"what {part!r} is (generic name)",))
    near = table.near_forbidden(part, [*rule.classes, *rule.review_classes])
    if near:
        word, drug = near[0]
        return Outcome(
            Status.UNKNOWN,
            f"{part!r}: {word!r} is not recognised and is close to {drug} (forbidden class)",
            {},
            (f"what {word!r} in {part!r} is",),
        )
    hit = [c for c in entry.classes if c in rule.classes]
    unchecked = "" if entry.verified else " (table entry not yet checked against its source)"
    cited = ", ".join(f"{c} [{entry.sources[c]}]" for c in hit) + unchecked
    if hit:
        own = {d.lower() for d in ctx.subprotocol.drugs + ctx.subprotocol.intrathecal}
        if entry.name.lower() in own:
            return Outcome(Status.MET, f"{entry.name} (study drug)", {})
        if use != "regular":
            return Outcome(
                Status.REVIEW,
                f"{part} ({entry.name}) given only {_USE_WORDS[use]}: {cited}; "
                "investigator and sponsor to judge",
                {},
            )
        text = f"{part}: {cited}" if _key_name(part) == entry.name else f"{part} ({entry.name}): {cited}"
        if required is False:
            text += " (can be stopped: stop it before C1D1)"
        return Outcome(Status.NOT_MET, text, {})
    review = [c for c in entry.classes if c in rule.review_classes]
    if review:
        cited = ", ".join(f"{c} [{entry.sources[c]}]" for c in review) + unchecked
        return Outcome(
            Status.REVIEW,
            f"{part} ({entry.name}): {cited}; not named by the protocol: investigator and sponsor to judge",
            {"read_by": "reading"},
        )
    return None


# "as needed" written into the line itself, as sites do when the dossier has no `use` field
_AS_NEEDED = re.compile(
    r"\b(?:prn|p\.r\.n\.?|as needed|when required|if needed|zo ?nodig|z\.n\.|bei bedarf|b\.bed\."
    r"|vid behov|ved behov|etter behov|efter behov|si besoin|au besoin)(?:\W|$)",
    re.IGNORECASE,
)


def _use_in_name(name: str) -> str:
    """'as_needed' when the line says so ("ondansetron 4 mg PRN", "zo nodig"); else regular."""
    return "as_needed" if _AS_NEEDED.search(name) else "regular"


def _key_name(part: str) -> str:
    return " ".join(part.lower().split())


def prohibited_medication(rule: ProhibitedMedicationRule, ctx: Context) -> Outcome:
    meds = ctx.dossier.current_medications
    if meds is None:
        return Outcome(Status.UNKNOWN, "current medications not given", {}, ("current_medications",))
    parts: list[Outcome] = []
    for med in meds:
        for part in substances(med.name):
            verdict = _medication_part(
                part, med.use or _use_in_name(med.name), med.required_during_study, rule, ctx
            )
            if verdict is not None:
                parts.append(verdict)
    table = ctx.options.medications
    evidence: dict[str, Any] = {
        "checked": [m.name if not m.use else f"{m.name} ({m.use})" for m in meds],
        "forbidden_classes": rule.classes,
        "table": f"ismart medication table {table.version}",
        "not_recognised": [p.summary for p in parts if p.status is Status.UNKNOWN],
        "study_drugs_exempt": [p.summary for p in parts if p.status is Status.MET],
    }
    if rule.review_classes:
        evidence["review_classes"] = rule.review_classes
    unchecked_names = sorted(
        {
            f"{part} ({entry.name})"
            for m in meds
            for part in substances(m.name)
            if (entry := table.match(part)) is not None
            and not entry.names_verified
            and table.by_other_name(part)
        }
    )
    if unchecked_names:  # read through a name the table has not yet checked against a register
        evidence["names_not_yet_checked"] = unchecked_names
    unchecked_entries = sorted(
        {e.name for m in meds for part in substances(m.name) if (e := table.match(part)) and not e.verified}
    )
    if unchecked_entries:  # class memberships whose cited text was not re-read
        evidence["entries_not_yet_checked"] = unchecked_entries
    if rule.reading:
        evidence["reading"] = rule.reading
    cited = sorted({src for p in parts for src in re.findall(r"\[(\w+)\]", p.summary)})
    if cited:
        evidence["sources"] = {src: table.sources[src].title for src in cited if src in table.sources}
    blocking = [p for p in parts if p.status is not Status.MET]
    if not blocking:
        return Outcome(
            Status.MET, f"none of {len(meds)} current medication(s) is in a forbidden class", evidence
        )
    result = all_of(blocking)
    order = (Status.NOT_MET, Status.UNKNOWN, Status.REVIEW)
    summary = "; ".join(p.summary for s in order for p in blocking if p.status is s)
    if rule.reading and any(p.evidence.get("read_by") == "reading" for p in blocking):
        summary += f" ({rule.reading})"  # the reading that makes it REVIEW, shown where it is used
    missing = tuple(m for p in blocking for m in p.missing)
    return Outcome(result.status, summary, evidence, missing)


def diet(rule: DietRule, ctx: Context) -> Outcome:
    last = ctx.dossier.diet.grapefruit_or_seville_orange_or_starfruit_last
    if last == "never":
        return Outcome(Status.MET, "never eaten", {}, waits=True)
    if last is None:
        return Outcome(
            Status.UNKNOWN,
            "last grapefruit/Seville orange/starfruit not given",
            {},
            ("diet.grapefruit_or_seville_orange_or_starfruit_last",),
            waits=True,
        )
    earliest, end = clear_date_after_hours(last, rule.window_hours)
    evidence = {
        "last_eaten": str(last),
        "window_hours": rule.window_hours,
        "convention": HOUR_CONVENTION_DATE
        if isinstance(last, date) and not hasattr(last, "hour")
        else "exact time",
    }
    return waiting(
        ctx.c1d1,
        earliest,
        what=f"{rule.window_hours} h without grapefruit etc.",
        evidence=evidence,
        window_end=end if hasattr(last, "hour") else None,
        possibly_from=possibly_over_from(last, rule.window_hours),
    )
