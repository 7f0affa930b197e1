"""Rule evaluators, one per rule type of the protocol data, and the dispatcher over them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ismart.eligibility.context import Context
from ismart.eligibility.rules import history, labs, molecular, patient, washouts
from ismart.eligibility.status import Outcome, Status, all_of, any_of, negate
from ismart.errors import InternalError
from ismart.protocol.model import AllRule, AnyRule, NotRule, OpenQuestion, Rule

__all__ = ["RULE_TYPES", "evaluate", "open_question"]

_EVALUATORS: dict[str, Callable[[Any, Context], Outcome]] = {
    "age": patient.age,
    "weight": patient.weight,
    "performance": patient.performance,
    "consent": patient.consent,
    "swallowing": patient.swallowing,
    "profiling": patient.profiling,
    "flag": history.flag,
    "alteration": molecular.alteration,
    "resistance": molecular.resistance,
    "creatinine_uln": labs.creatinine_uln,
    "egfr_schwartz": labs.egfr_schwartz,
    "gfr_measured": labs.gfr_measured,
    "bilirubin": labs.bilirubin,
    "transaminases": labs.transaminases,
    "shortening_fraction": labs.shortening_fraction,
    "lvef": labs.lvef,
    "qtc": labs.qtc,
    "pregnancy": labs.pregnancy,
    "contraception": history.contraception,
    "infection": history.infection,
    "prior_treatment": history.prior_treatment,
    "prohibited_medication": history.prohibited_medication,
    "diet": history.diet,
    "unresolved_toxicity": history.unresolved_toxicity,
    "gvhd": history.gvhd,
    "post_hsct_immunosuppression": history.post_hsct_immunosuppression,
    "washout_chemotherapy": washouts.washout_chemotherapy,
    "washout_radiotherapy": washouts.washout_radiotherapy,
    "washout_hsct": washouts.washout_hsct,
    "washout_classes": washouts.washout_classes,
    "washout_surgery": washouts.washout_surgery,
}

RULE_TYPES = frozenset(_EVALUATORS) | {"open_question", "all", "any", "not"}


def open_question(rule: OpenQuestion) -> Outcome:
    # waits with no date: an unpublished rule may hide a waiting period, so no earliest C1D1.
    return Outcome(
        Status.UNKNOWN,
        f"not public: {rule.question}",
        {"open_question": rule.question},
        (rule.collect or "the sponsor's rule (not in the public documents)",),
        waits=True,
    )


def evaluate(rule: Rule, ctx: Context) -> Outcome:
    """Evaluate a rule tree; every leaf type has exactly one evaluator."""
    if isinstance(rule, AllRule):
        return all_of(evaluate(r, ctx) for r in rule.rules)
    if isinstance(rule, AnyRule):
        return any_of(evaluate(r, ctx) for r in rule.rules)
    if isinstance(rule, NotRule):
        return negate(evaluate(rule.rule, ctx))
    if isinstance(rule, OpenQuestion):
        return open_question(rule)
    evaluator = _EVALUATORS.get(rule.type)
    if evaluator is None:
        raise InternalError(f"no evaluator for rule type {rule.type!r}")
    return evaluator(rule, ctx)
