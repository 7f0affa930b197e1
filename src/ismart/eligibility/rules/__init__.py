"""Rule evaluators, one per rule type of the protocol data, and the dispatcher over them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ismart.eligibility.context import Context
from ismart.eligibility.rules import history, labs, molecular, patient, washouts
from ismart.eligibility.status import Outcome, Status, all_of, any_of, negate
from ismart.errors import InternalError
from ismart.protocol.model import AllRule, AnyRule, NotRule, OpenQuestion, Rule

__all__ = ["READS_SUBPROTOCOL", "RULE_TYPES", "evaluate", "open_question", "rule_key"]

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
# rule types whose evaluator reads ctx.subprotocol (its criteria, drugs or id): evaluated for each
# sub-protocol; every other rule is evaluated once per screening and its outcome shared
READS_SUBPROTOCOL = frozenset({"alteration", "infection", "prohibited_medication"})

_KEYS: dict[int, tuple[Rule, str]] = {}  # id(rule) -> (the rule, its content key)
_MAX_KEYS = 50_000


def rule_key(rule: Rule) -> str:
    """The rule's content as a key: equal rules of different sub-protocols share it. Kept per rule
    object (the rule is held, so its id cannot be reused while the entry lives)."""
    known = _KEYS.get(id(rule))
    if known is not None and known[0] is rule:
        return known[1]
    if len(_KEYS) >= _MAX_KEYS:
        _KEYS.clear()
    key = rule.model_dump_json()
    _KEYS[id(rule)] = (rule, key)
    return key


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
    shared = ctx.shared
    if shared is None or rule.type in READS_SUBPROTOCOL:
        return evaluator(rule, ctx)
    key = rule_key(rule)
    outcome = shared.outcomes.get(key)
    if outcome is None:
        outcome = evaluator(rule, shared.neutral(ctx))
        shared.outcomes[key] = outcome
    return outcome
