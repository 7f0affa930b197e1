"""Classify distinct alterations once, with the same code the per-patient engine uses.

A cohort repeats the same alterations many times (KRAS p.G12D in thousands of samples), and a
sub-protocol's alteration criterion is an any-of over its entries and the patient's alterations.
So each distinct alteration is judged once against every sub-protocol, and a sample's status per
sub-protocol is the best status over its alterations: exactly the per-patient answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ismart.dossier import CopyNumber, Fusion, Profiling, Variant
from ismart.eligibility.status import Status
from ismart.errors import DossierError
from ismart.molecular import reference
from ismart.molecular.genes import normalize_gene
from ismart.molecular.matching import hits, pathway_reviews
from ismart.molecular.profile import build_profile
from ismart.profiles.maf import SPLICE
from ismart.protocol.model import AlterationRule, Protocol

# Higher is better for the patient's match: MET beats REVIEW beats UNKNOWN beats no match.
RANK = {Status.MET: 3, Status.REVIEW: 2, Status.UNKNOWN: 1}
NO_MATCH = 0

# MAF Variant_Classification -> the dossier's `type` words (same meaning in both paths).
MAF_TYPES = {
    "Missense_Mutation": "missense",
    "Nonsense_Mutation": "nonsense",
    "Frame_Shift_Del": "frameshift",
    "Frame_Shift_Ins": "frameshift",
    "In_Frame_Del": "inframe_deletion",
    "In_Frame_Ins": "inframe_insertion",
    "Silent": "synonymous",
    "Splice_Site": "splice",
}


@dataclass(frozen=True)
class Judged:
    """One distinct alteration's rank per sub-protocol and its display name."""

    ranks: dict[str, int]
    name: str
    error: str | None = None


def variant_profiling(gene: str, hgvs_p: str | None, vclass: str | None, exon: int | None) -> Profiling:
    """A one-variant profile; a protein change that cannot be read is kept raw (then REVIEW, never lost)."""
    kind = MAF_TYPES.get(vclass or "")
    if hgvs_p and SPLICE.fullmatch(hgvs_p):  # vcf2maf's p.X125_splice: a splice variant, no protein change
        hgvs_p, kind = None, "splice"
    return Profiling(variants=[Variant(gene=gene, protein_raw=hgvs_p or None, type=kind, exon=exon)])


def fusion_profiling(five: str, three: str, in_frame: bool | None) -> Profiling:
    return Profiling(fusions=[Fusion(five_prime=five, three_prime=three, in_frame=in_frame)])


def cna_profiling(gene: str, call: str) -> Profiling:
    return Profiling(copy_number=[CopyNumber.model_validate({"gene": gene, "call": call})])


class Classifier:
    """Judges distinct alterations against every sub-protocol's alteration rule (memoised)."""

    def __init__(self, protocol: Protocol) -> None:
        self.rules: dict[str, AlterationRule | None] = {}
        for sp in protocol.subprotocols:
            rule = next((c.rule for c in sp.criteria if isinstance(c.rule, AlterationRule)), None)
            self.rules[sp.id] = rule
        self._seen: dict[tuple[object, ...], Judged] = {}
        # A small variant can only match a variant entry of its gene or an open-list pathway gene
        # (``hits`` compares kind and gene first): the genes whose variants need judging at all.
        variant_genes = {
            m.gene for rule in self.rules.values() if rule for m in rule.matches if m.kind == "variant"
        }
        variant_genes |= {
            g for e in reference.load_board_flags().pathways if e.kind == "variant" for g in e.genes
        }
        self.variant_genes = frozenset(normalize_gene(g) for g in variant_genes)

    def judge(self, key: tuple[object, ...], profiling: Profiling) -> Judged:
        if key in self._seen:
            return self._seen[key]
        try:
            profile = build_profile(profiling)
        except DossierError as exc:
            judged = Judged({sp: NO_MATCH for sp in self.rules}, "", str(exc))
        else:
            ranks: dict[str, int] = {}
            for sp, rule in self.rules.items():
                found = [RANK[h.status] for h in hits(profile, rule.matches)] if rule else []
                ranks[sp] = max(found, default=NO_MATCH)
                if ranks[sp] < RANK[Status.REVIEW] and any(pathway_reviews(profile, sp)):
                    ranks[sp] = RANK[Status.REVIEW]  # an open-list pathway gene: for the board
            first = profile.alterations[0] if profile.alterations else None
            unread = next((a for a in profile.alterations if a.unreadable), None)
            error = f"{unread.gene}: {unread.unreadable}" if unread is not None else None
            judged = Judged(ranks, first.name if first else "", error)
        self._seen[key] = judged
        return judged
