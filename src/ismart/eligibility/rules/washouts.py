"""Washout and waiting periods before C1D1: each finds the first date it allows."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta

from ismart import calculators
from ismart.dossier import PriorTherapy
from ismart.eligibility.context import Context
from ismart.eligibility.rules.history import therapy_agents
from ismart.eligibility.status import Outcome, Status, all_of
from ismart.eligibility.windows import (
    DAY_CONVENTION,
    HOUR_CONVENTION_DATE,
    add_months,
    as_date,
    clear_date_after_hours,
    possibly_over_from,
    waiting,
)
from ismart.protocol.model import (
    ChemotherapyWashoutRule,
    ClassWashoutRule,
    HsctWashoutRule,
    RadiotherapyWashoutRule,
    SurgeryWashoutRule,
)


def _unknown(summary: str, missing: str) -> Outcome:
    return Outcome(Status.UNKNOWN, summary, {}, (missing,), waits=True)


def _combine(parts: list[Outcome], none_summary: str) -> Outcome:
    if not parts:
        return Outcome(Status.MET, none_summary, {}, waits=True)
    result = all_of(parts)
    if any(p.waits and p.earliest is None and p.status is not Status.MET for p in parts):
        result = Outcome(result.status, result.summary, result.evidence, result.missing, None, True)
    return result


def _days(moment: date | datetime, days: int) -> date:
    return as_date(moment) + timedelta(days=days)


_ORAL = re.compile(
    r"^(?:oral(?:ly|t|e)?|p\.?\s*o\.?|per\s*os|per\s*oral|peroral(?:t|ly|e)?|peroraal|by mouth|enteral"
    r"|oraal|oralement|per\s*sonde|nasogastric|ng\s*tube|feeding\s*tube)(?:\s|\(|$|,|;)"
)
_INTRATHECAL = re.compile(r"^(?:i\.?\s*t\.?|i\.?\s*th\.?|intrat(?:h)?e[ck]al|intrathécal)(?:\s|\(|$|,|;)")
_PARENTERAL = re.compile(
    r"^(?:i\.?\s*v\.?|intraven\w*|s\.?\s*c\.?|subcut\w*|i\.?\s*m\.?|intramus\w*|infus\w*|bolus"
    r"|continuous\s+infusion)(?:\s|\(|$|,|;)"
)
ROUTES = ("oral", "intrathecal", "parenteral")


def route_of(text: str | None) -> str | None:
    """'oral', 'intrathecal', 'parenteral', or the route as written when it is none of them
    ("per os", "po", "peroraal", "IT (triple)", "i.v." and "s.c." are recognised)."""
    if text is None:
        return None
    plain = " ".join(text.strip().lower().split())
    if _ORAL.match(plain):
        return "oral"
    if _INTRATHECAL.match(plain):
        return "intrathecal"
    if _PARENTERAL.match(plain):
        return "parenteral"
    return plain


def _is_short(rule: ChemotherapyWashoutRule, therapy: PriorTherapy, agents: set[str]) -> bool:
    """One of the 48-hour exceptions: a recognised agent decides by its INN, whatever class the
    site tagged it with; only an unrecognised agent falls back to the class tag (steroid)."""
    if agents:
        oral = route_of(therapy.route) == "oral"
        return agents <= set(rule.short_agents) | (set(rule.short_oral_only) if oral else set())
    return therapy.therapy_class in rule.short_classes


def washout_chemotherapy(rule: ChemotherapyWashoutRule, ctx: Context) -> Outcome:
    history = ctx.dossier.prior_therapy
    if history is None:
        return _unknown("prior therapy not given", "prior_therapy")
    parts: list[Outcome] = []
    for i, t in enumerate(history):
        if rule.intrathecal_exempt and route_of(t.route) == "intrathecal":
            continue
        agents = therapy_agents(t, ctx)[0]
        short = _is_short(rule, t, agents)
        mistagged_steroid = t.therapy_class in rule.short_classes and bool(agents)
        if not short and t.therapy_class not in ("chemotherapy", None) and not mistagged_steroid:
            continue
        if t.last_dose is None:
            parts.append(_unknown(f"{t.agent}: last dose not given", f"prior_therapy[{i}].last_dose"))
            continue
        if short:
            earliest, end = clear_date_after_hours(t.last_dose, rule.short_hours)
            convention = "exact time" if isinstance(t.last_dose, datetime) else HOUR_CONVENTION_DATE
            evidence = {
                f"{t.agent}_last_dose": str(t.last_dose),
                f"{t.agent}_window": f"{rule.short_hours} h",
                "hour_convention": convention,
            }
            window_end = end if isinstance(t.last_dose, datetime) else None
            parts.append(
                waiting(
                    ctx.c1d1,
                    earliest,
                    what=f"{t.agent} ({rule.short_hours} h)",
                    evidence=evidence,
                    window_end=window_end,
                    possibly_from=possibly_over_from(t.last_dose, rule.short_hours),
                )
            )
            continue
        earliest = _days(t.last_dose, rule.days)
        if t.therapy_class is None and (ctx.c1d1 is None or ctx.c1d1 < earliest):
            parts.append(_unknown(f"{t.agent}: therapy class not given", f"prior_therapy[{i}].class"))
            continue
        evidence = {
            f"{t.agent}_last_dose": str(t.last_dose),
            f"{t.agent}_window": f"{rule.days} d",
            "day_convention": DAY_CONVENTION,
        }
        outcome = waiting(ctx.c1d1, earliest, what=f"{t.agent} ({rule.days} d)", evidence=evidence)
        route = route_of(t.route)
        oral_matters = bool(agents & set(rule.short_oral_only))
        if outcome.status is not Status.MET and (
            (t.route is not None and route not in ROUTES) or (t.route is None and oral_matters)
        ):
            # The route decides (intrathecal is exempt; oral methotrexate has 48 h): not known here.
            told = "not given" if t.route is None else f"{t.route!r} not recognised"
            oral = f"oral: {rule.short_hours} h; " if oral_matters else ""
            outcome = Outcome(
                Status.UNKNOWN,
                f"{t.agent}: route {told}, and it decides the washout (intrathecal: none; "
                f"{oral}otherwise {rule.days} d, until {earliest})",
                evidence,
                (f"prior_therapy[{i}].route (oral, intravenous, intrathecal, ...)",),
                earliest,
                True,
            )
        parts.append(outcome)
    return _combine(parts, "no cytotoxic therapy in the history")


def washout_radiotherapy(rule: RadiotherapyWashoutRule, ctx: Context) -> Outcome:
    courses = ctx.dossier.radiotherapy
    if courses is None:
        return _unknown("radiotherapy history not given", "radiotherapy")
    parts: list[Outcome] = []
    for i, rt in enumerate(courses):
        if rt.palliative is True:
            continue
        if rt.end_date is None:
            parts.append(_unknown("radiotherapy end date not given", f"radiotherapy[{i}].end_date"))
            continue
        earliest = _days(rt.end_date, rule.days)
        if rt.palliative is None and (ctx.c1d1 is None or ctx.c1d1 < earliest):
            parts.append(
                _unknown(
                    "radiotherapy within the window: palliative or not?", f"radiotherapy[{i}].palliative"
                )
            )
            continue
        parts.append(
            waiting(
                ctx.c1d1,
                earliest,
                what=f"radiotherapy ({rule.days} d)",
                evidence={"radiotherapy_end": rt.end_date.isoformat(), "day_convention": DAY_CONVENTION},
            )
        )
    return _combine(parts, "no non-palliative radiotherapy")


def washout_hsct(rule: HsctWashoutRule, ctx: Context) -> Outcome:
    transplants = ctx.dossier.hsct
    if transplants is None:
        return _unknown("transplant history not given", "hsct")
    parts: list[Outcome] = []
    for i, h in enumerate(transplants):
        if h.type is None or h.date is None:
            parts.append(_unknown("HSCT type or date not given", f"hsct[{i}] (type and date)"))
            continue
        months = rule.allogeneic_months if h.type == "allogeneic" else rule.autologous_months
        parts.append(
            waiting(
                ctx.c1d1,
                add_months(h.date, months),
                what=f"{h.type} HSCT ({months} months)",
                evidence={f"{h.type}_hsct_date": h.date.isoformat(), "month_convention": "calendar months"},
            )
        )
    return _combine(parts, "no HSCT")


def _class_window(rule: ClassWashoutRule, t: PriorTherapy, c1d1: date | None, i: int) -> Outcome:
    assert t.last_dose is not None
    upper = _days(t.last_dose, rule.days)
    evidence: dict[str, object] = {f"{t.agent}_last_dose": str(t.last_dose), "day_convention": DAY_CONVENTION}
    if rule.half_lives is None:
        return waiting(c1d1, upper, what=f"{t.agent} ({rule.days} d)", evidence=evidence)
    if t.half_life_days is None:
        if c1d1 is not None and c1d1 >= upper:
            return waiting(c1d1, upper, what=f"{t.agent} ({rule.days} d)", evidence=evidence)
        return _unknown(
            f"{t.agent}: {rule.days} d not yet over and half-life not given",
            f"prior_therapy[{i}].half_life_days",
        )
    window = calculators.exact(rule.half_lives) * calculators.exact(t.half_life_days)
    if window >= rule.days:
        evidence[f"{t.agent}_window"] = (
            f"min({rule.days} d, {rule.half_lives:g} x {t.half_life_days:g} d) = {rule.days} d"
        )
        return waiting(c1d1, upper, what=f"{t.agent} ({rule.days} d)", evidence=evidence)
    whole = math.ceil(window)
    evidence.update(
        {
            f"{t.agent}_half_life_days": t.half_life_days,
            f"{t.agent}_window": (
                f"min({rule.days} d, {rule.half_lives:g} x {t.half_life_days:g} d) = {float(window):g} d"
                + (f", counted as {whole} calendar day(s)" if window != whole else "")
            ),
            "half_life_convention": HALF_LIFE_CONVENTION,
        }
    )
    what = f"{t.agent} ({float(window):g} d)"
    if isinstance(t.last_dose, datetime):
        end = t.last_dose + timedelta(days=float(window))
        first = end.date() if end.time() == time.min else end.date() + timedelta(days=1)
        return waiting(c1d1, first, what=what, evidence=evidence, window_end=end)
    if window < 1:
        # Under a day: a dose on X (hour unknown) is over on X itself (an early dose) or on X + 1;
        # certain from X + 2. A C1D1 on X or X + 1 depends on hours nobody gave: REVIEW.
        return waiting(
            c1d1,
            _days(t.last_dose, 2),
            what=what,
            evidence=evidence,
            possibly_from=as_date(t.last_dose),
        )
    return waiting(c1d1, _days(t.last_dose, whole), what=what, evidence=evidence)


HALF_LIFE_CONVENTION = (
    "N half-lives counted in calendar days from the last dose (fractions rounded up to the next "
    "whole day); a window under one day with no dosing time is REVIEW on the day of the dose and the "
    "day after"
)


def washout_classes(rule: ClassWashoutRule, ctx: Context) -> Outcome:
    history = ctx.dossier.prior_therapy
    if history is None:
        return _unknown("prior therapy not given", "prior_therapy")
    parts: list[Outcome] = []
    for i, t in enumerate(history):
        if t.therapy_class in rule.unlisted_classes_review and t.last_dose is not None:
            since = _days(t.last_dose, rule.days)
            if ctx.c1d1 is not None and ctx.c1d1 < since:
                parts.append(
                    Outcome(
                        Status.REVIEW,
                        f"{t.agent} ({t.therapy_class}) within {rule.days} d: "
                        "no washout is stated for approved targeted drugs",
                        {},
                        (),
                        since,
                        True,
                    )
                )
            continue
        if t.therapy_class not in rule.classes:
            continue
        if t.last_dose is None:
            parts.append(_unknown(f"{t.agent}: last dose not given", f"prior_therapy[{i}].last_dose"))
            continue
        parts.append(_class_window(rule, t, ctx.c1d1, i))
    return _combine(parts, f"no {' or '.join(c.replace('_', ' ') for c in rule.classes)} in the history")


def washout_surgery(rule: SurgeryWashoutRule, ctx: Context) -> Outcome:
    operations = ctx.dossier.surgery
    if operations is None:
        return _unknown("surgical history not given", "surgery")
    parts: list[Outcome] = []
    for i, op in enumerate(operations):
        procedure = (op.procedure or "").lower()
        # An explicit `major` always wins; the minor-procedure keywords only help when it is absent.
        if op.major is False or (op.major is None and any(minor in procedure for minor in rule.not_major)):
            continue
        if op.date is None:
            parts.append(_unknown("surgery date not given", f"surgery[{i}].date"))
            continue
        earliest = _days(op.date, rule.days)
        if op.major is None and (ctx.c1d1 is None or ctx.c1d1 < earliest):
            parts.append(_unknown(f"{op.procedure or 'surgery'}: major or not?", f"surgery[{i}].major"))
            continue
        parts.append(
            waiting(
                ctx.c1d1,
                earliest,
                what=f"major surgery ({rule.days} d)",
                evidence={
                    "surgery_date": op.date.isoformat(),
                    "procedure": op.procedure,
                    "day_convention": DAY_CONVENTION,
                },
            )
        )
    return _combine(parts, "no major surgery")
