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
from ismart.molecular import genes, matching, reference
from ismart.molecular.genes import normalize_gene
from ismart.molecular.matching import hits, pathway_reviews
from ismart.molecular.profile import Alteration, Profile, build_profile
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


# The HGNC symbol table, protein sequences and symbol reviews of the molecular package (issue 10):
# used when present, so pre-screening says what the per-patient engine says about them.
_CHECK_SYMBOL = getattr(genes, "check_symbol", None)
_PROTEIN = getattr(reference, "protein", None)
_SYMBOL_REVIEWS = getattr(matching, "symbol_reviews", None)


def _symbol_review(profile: Profile, rule: AlterationRule) -> bool:
    """A symbol HGNC does not know, one edit or two from a gene of the rule: for the board."""
    reviews = _SYMBOL_REVIEWS
    return reviews is not None and any(reviews(profile, rule.matches))


def _notes(alt: Alteration) -> list[str]:
    """What a user must be told about an alteration: unreadable change, unknown symbol, annotation."""
    found = (alt.unreadable, getattr(alt, "symbol_note", None), getattr(alt, "annotation_error", None))
    return [f"{alt.gene}: {n}" for n in found if n]


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

    def judges_variants_of(self, gene: str) -> bool:
        """Whether a small variant of ``gene`` (as the file writes it) needs the full judgement: a gene
        a variant rule or board flag names, a symbol HGNC does not know (it may be a misspelt rule
        gene), or a gene with protein reference data (its changes may be annotation errors). Any
        other gene's variant matches nothing; only its protein change is read (``study``)."""
        if not gene.strip() or normalize_gene(gene) in self.variant_genes:
            return True
        if _CHECK_SYMBOL is not None and not _CHECK_SYMBOL(gene).known:
            return True
        return _PROTEIN is not None and _PROTEIN(normalize_gene(gene)) is not None

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
                if rule is not None and ranks[sp] < RANK[Status.REVIEW] and _symbol_review(profile, rule):
                    ranks[sp] = RANK[Status.REVIEW]  # KRASS beside a KRAS rule
            first = profile.alterations[0] if profile.alterations else None
            notes = list(dict.fromkeys(n for a in profile.alterations for n in _notes(a)))
            judged = Judged(ranks, first.name if first else "", "; ".join(notes) or None)
        self._seen[key] = judged
        return judged
