"""The tumour board's view of a profile: every alteration classified, with the rule and source.

For each alteration: its normalised name, gene, class, the protein domain it falls in, the
pathway and sub-protocol(s) it supports, its tier (protocol-named, rule-matched, possible, or not
actionable), the rule and document behind the call, and any resistance flag. For the patient: the
sub-protocols ranked by the strength of their best supporting alteration and by recruitment.
"""

from __future__ import annotations

from dataclasses import dataclass

from ismart.logic import Status
from ismart.molecular import reference
from ismart.molecular.matching import (
    Hit,
    hits,
    pathway_reviews,
    published_resistance,
    resistance_hits,
    symbol_reviews,
)
from ismart.molecular.profile import Alteration, Profile
from ismart.protocol.model import AlterationRule, Protocol, ResistanceRule

TIER_ORDER = {
    "protocol-named": 0,
    "rule-matched": 1,
    "possible": 2,
    "unknown gene symbol": 3,  # not an HGNC symbol: never shown as "not actionable"
    "not actionable": 4,
}


@dataclass(frozen=True)
class Support:
    subprotocol: str
    pathway: str
    tier: str
    rule: str
    source: str
    criterion: str | None


@dataclass(frozen=True)
class TriagedAlteration:
    name: str
    gene: str
    kind: str
    classes: tuple[str, ...]
    domains: tuple[str, ...]
    tier: str
    supports: tuple[Support, ...]
    resistance: tuple[str, ...]
    field: str
    raw: str | None = None  # as the laboratory or the dossier wrote it, beside the normalised name
    vaf: float | None = None
    reads: int | None = None  # reads supporting a fusion
    symbol_note: str | None = None  # "gene symbol 'KRASS' is not an HGNC ...; did you mean KRAS?"
    annotation_error: str | None = None  # position or residue contradicts the protein: for REVIEW


@dataclass(frozen=True)
class Candidate:
    subprotocol: str
    status: str
    tier: str
    alterations: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Triage:
    alterations: tuple[TriagedAlteration, ...]
    candidates: tuple[Candidate, ...]


def _domains(alt: Alteration) -> tuple[str, ...]:
    change = alt.change
    if change is None or change.start is None:
        return ()
    end = change.end or change.start
    found = []
    for d in reference.load_domains().domains:
        if d.gene == alt.gene and change.start <= d.end and end >= d.start:
            found.append(f"{d.name} ({d.start}-{d.end}, {d.uniprot})")
    return tuple(found)


def _unique(profile: Profile) -> list[Alteration]:
    """One entry per finding: a fusion appears once (its 3' side carries the pair)."""
    return [a for a in profile.alterations if not (a.kind == "fusion" and a.side == "five_prime")]


def triage(profile: Profile, protocol: Protocol) -> Triage:
    supports: dict[str, list[Support]] = {}
    flags: dict[str, list[str]] = {}
    by_sub: dict[str, list[Hit]] = {}
    pathway_hits: dict[str, list[tuple[Alteration, str]]] = {}
    for alt, _sp_id, flag in published_resistance(profile):
        flags.setdefault(alt.field, []).append(flag)
    for sp in protocol.subprotocols:
        for criterion in sp.criteria:
            if isinstance(criterion.rule, AlterationRule):
                for hit in hits(profile, criterion.rule.matches):
                    if hit.status is Status.UNKNOWN:
                        continue
                    by_sub.setdefault(sp.id, []).append(hit)
                    supports.setdefault(hit.alteration.field, []).append(
                        Support(
                            sp.id,
                            criterion.rule.pathway,
                            hit.tier,
                            hit.why,
                            criterion.source,
                            criterion.number,
                        )
                    )
                if not by_sub.get(sp.id):  # nothing the rule names: open-list pathway genes, for the board
                    found_open = [
                        *((alt, why, "board_flags.yaml") for alt, why in pathway_reviews(profile, sp.id)),
                        *(
                            (alt, why, "hgnc_symbols.tsv.gz")
                            for alt, why in symbol_reviews(profile, criterion.rule.matches)
                        ),
                    ]
                    for alt, why, source in found_open:
                        pathway_hits.setdefault(sp.id, []).append((alt, why))
                        supports.setdefault(alt.field, []).append(
                            Support(sp.id, criterion.rule.pathway, "possible", why, source, criterion.number)
                        )
            elif isinstance(criterion.rule, ResistanceRule):
                for alt, mutation in resistance_hits(profile, criterion.rule.mutations):
                    flags.setdefault(alt.field, []).append(
                        f"resistance to {mutation.drug} (excludes {sp.id}, criterion {criterion.number})"
                    )
    triaged = []
    for alt in _unique(profile):
        found: list[Support] = []
        for support in sorted(supports.get(alt.field, []), key=lambda s: (TIER_ORDER[s.tier], s.subprotocol)):
            if all(f.subprotocol != support.subprotocol for f in found):
                found.append(support)  # the strongest call per sub-protocol
        tier = found[0].tier if found else "unknown gene symbol" if alt.unknown_symbols else "not actionable"
        triaged.append(
            TriagedAlteration(
                alt.name,
                alt.gene,
                alt.kind,
                tuple(sorted(alt.classes or ())),
                _domains(alt),
                tier,
                tuple(dict.fromkeys(found)),
                tuple(dict.fromkeys(flags.get(alt.field, []))),
                alt.field,
                alt.raw,
                alt.vaf,
                alt.reads,
                alt.symbol_note,
                alt.annotation_error,
            )
        )
    triaged.sort(key=lambda t: (TIER_ORDER[t.tier], t.gene, t.name))
    candidates = _candidates(protocol, by_sub, flags)
    status = {sp.id: sp.status for sp in protocol.subprotocols}
    extra = tuple(
        Candidate(
            sp_id, status[sp_id], "possible", tuple(dict.fromkeys(a.name for a, _ in found)),
            f"possible ({found[0][1]}); sub-protocol {status[sp_id].replace('_', ' ')}",
        )
        for sp_id, found in sorted(pathway_hits.items())
    )  # fmt: skip
    return Triage(tuple(triaged), candidates + extra)


def _candidates(
    protocol: Protocol, by_sub: dict[str, list[Hit]], flags: dict[str, list[str]]
) -> tuple[Candidate, ...]:
    status = {sp.id: sp.status for sp in protocol.subprotocols}
    ranked = []
    for sp_id, found in by_sub.items():
        best = min(found, key=lambda h: TIER_ORDER[h.tier])
        # every candidate alteration of the sub-protocol, strongest first
        ordered = sorted(found, key=lambda h: TIER_ORDER[h.tier])
        names = tuple(dict.fromkeys(h.alteration.name for h in ordered))
        blockers = [f for h in found for f in flags.get(h.alteration.field, []) if sp_id in f]
        resistant = [
            f for fl in flags.values() for f in fl if f"excludes {sp_id}" in f or f"against {sp_id} " in f
        ]
        reason = f"{best.tier} ({best.why}); sub-protocol {status[sp_id].replace('_', ' ')}"
        if resistant or blockers:
            reason += "; " + "; ".join(dict.fromkeys(resistant + blockers))
        ranked.append(
            (
                TIER_ORDER[best.tier],
                status[sp_id] != "recruiting",
                bool(resistant),
                sp_id,
                Candidate(sp_id, status[sp_id], best.tier, names, reason),
            )
        )
    ranked.sort(key=lambda r: (r[2], r[0], r[1], r[3]))
    return tuple(r[4] for r in ranked)
