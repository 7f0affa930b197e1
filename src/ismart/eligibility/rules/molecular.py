"""Molecular rules: the sub-protocol's target alteration and known resistance mutations."""

from __future__ import annotations

from typing import Any

from ismart.eligibility.context import Context
from ismart.eligibility.status import Outcome, Status
from ismart.molecular.matching import hits, pathway_reviews, resistance_hits, symbol_reviews
from ismart.protocol.model import AlterationRule, ResistanceRule

_RANK = {Status.MET: 0, Status.REVIEW: 1, Status.UNKNOWN: 2}


def alteration(rule: AlterationRule, ctx: Context) -> Outcome:
    profile = ctx.profile
    if not profile.present:
        return Outcome(
            Status.UNKNOWN,
            "no molecular profile in the dossier",
            {},
            ("profiling (variants, fusions, copy number, expression, drug response)",),
        )
    found = sorted(hits(profile, rule.matches), key=lambda h: _RANK[h.status])
    evidence: dict[str, Any] = {
        "pathway": rule.pathway,
        "alterations_reported": [
            a.name for a in profile.alterations if a.side != "five_prime" or a.kind != "fusion"
        ],
        "matches": [
            {
                "alteration": h.alteration.name,
                "status": h.status.value,
                "rule": h.why,
                "from": h.alteration.field,
            }
            for h in found
        ],
    }
    # Pathway genes the documents do not list ("including but not limited to"): REVIEW, not NOT_MET.
    # and symbols that are not HGNC symbols but a typing error away from a gene of the rule (KRASS).
    open_list = [*pathway_reviews(profile, ctx.subprotocol.id), *symbol_reviews(profile, rule.matches)]
    if open_list and (not found or found[0].status is Status.UNKNOWN):
        names = sorted({f"{alt.name} ({why})" for alt, why in open_list})
        return Outcome(Status.REVIEW, "possible match, board to judge: " + "; ".join(names), evidence)
    if not found:
        return Outcome(Status.NOT_MET, f"no alteration fits the {rule.pathway} rule", evidence)
    best = found[0].status
    names = sorted({f"{h.alteration.name} ({h.why})" for h in found if h.status is best})
    missing: tuple[str, ...] = ()
    if best is Status.UNKNOWN:
        missing = tuple(sorted({f"{h.alteration.name}: {h.why}" for h in found}))
    prefix = {
        Status.MET: "",
        Status.REVIEW: "possible match, board to judge: ",
        Status.UNKNOWN: "cannot tell: ",
    }[best]
    return Outcome(best, prefix + "; ".join(names), evidence, missing)


def resistance(rule: ResistanceRule, ctx: Context) -> Outcome:
    profile = ctx.profile
    found = list(resistance_hits(profile, rule.mutations))
    checked = [f"{m.gene} {', '.join([str(p) for p in m.positions] + m.changes)}" for m in rule.mutations]
    evidence: dict[str, Any] = {"resistance_mutations_checked": checked}
    if found:
        names = [f"{a.name} (resistance to {m.drug})" for a, m in found]
        return Outcome(Status.NOT_MET, "; ".join(names), {**evidence, "found": names})
    if not profile.variants_assessed:
        return Outcome(
            Status.UNKNOWN,
            "small variants not assessed by a sequencing method",
            evidence,
            ("sequencing result (variants) of the relapsed disease",),
        )
    near = _at_open_list_residues(rule, ctx)
    if near:
        readings = [m.review_reading for m in rule.mutations if m.review_reading]
        return Outcome(
            Status.REVIEW,
            "; ".join(near) + ": not a listed resistance mutation, but at the drug's binding site "
            "(the list is open): investigator and sponsor to judge",
            {**evidence, "found": near, "reading": " ".join(readings)},
        )
    return Outcome(Status.MET, "no known resistance mutation among the reported variants", evidence)


def _at_open_list_residues(rule: ResistanceRule, ctx: Context) -> list[str]:
    found: list[str] = []
    for mutation in rule.mutations:
        if not mutation.review_positions:
            continue
        for alt in ctx.profile.of_kind("variant"):
            change = alt.change
            if alt.gene != mutation.gene.upper() or change is None or change.start is None or not alt.classes:
                continue
            residues = set(range(change.start, (change.end or change.start) + 1))
            if residues & set(mutation.review_positions):
                found.append(f"{alt.name} ({mutation.drug} binding site)")
    return found
