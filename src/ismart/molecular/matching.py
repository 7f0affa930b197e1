"""Does a profile fit a sub-protocol's alteration rule? Pure functions over a Profile.

Each match entry of the protocol data is tried against each alteration of its kind and gene.
A hit is MET, or REVIEW when the entry encodes an ambiguous reading (``review: true``); an
alteration whose needed detail is not reported (no protein change, frame unknown for a rule that
needs it) gives UNKNOWN so the site knows what to add.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ismart.logic import Status
from ismart.molecular import reference
from ismart.molecular.genes import check_symbol, normalize_gene
from ismart.molecular.profile import Alteration, Profile
from ismart.molecular.protein import parse_protein_change
from ismart.protocol.model import (
    CopyNumberMatch,
    DrugResponseMatch,
    ExpressionMatch,
    FusionMatch,
    MolecularMatch,
    ResistanceMutation,
    VariantMatch,
)


@dataclass(frozen=True)
class Hit:
    """One alteration judged against one match entry."""

    status: Status
    alteration: Alteration
    entry: MolecularMatch
    why: str

    @property
    def tier(self) -> str:
        """protocol-named (the documents name it), rule-matched, or possible (board review)."""
        if self.status is not Status.MET:
            return "possible"
        named = {normalize_gene(p) for p in getattr(self.entry, "named_partners", [])}
        if self.entry.tier == "named" or self.alteration.partner in named:
            return "protocol-named"
        return "rule-matched"


def _residues(alteration: Alteration) -> range | None:
    change = alteration.change
    if change is None or change.start is None:
        return None
    return range(change.start, (change.end or change.start) + 1)


def _in_domains(gene: str, residues: range, names: list[str], flank: int) -> bool:
    for name in names:
        dom = reference.domain(gene, name)
        if residues.start <= dom.end + flank and residues.stop - 1 >= dom.start - flank:
            return True
    return False


def _variant(entry: VariantMatch, alt: Alteration) -> tuple[Status, str] | None:
    """None when the variant is outside the entry; else a status and the reason."""
    if alt.unreadable is not None:
        why = f"the protein change {alt.raw!r} could not be read; review the raw annotation"
        return Status.REVIEW, f"{entry.label}: {why}"
    if alt.classes is None:
        return Status.UNKNOWN, "consequence not reported (give hgvs_p or type)"
    if entry.classes and not set(entry.classes) & alt.classes:
        return None
    if not_activating(alt) and "truncating" not in entry.classes:
        return None  # a truncating change of a gain-of-function gene: not the activation the rule means
    if entry.changes:
        wanted = {parse_protein_change(c).normalized() for c in entry.changes}
        if alt.change is None or alt.change.normalized() not in wanted:
            return None
    residues = _residues(alt)
    positional = entry.positions or entry.hotspots or entry.domains
    if positional and residues is None:
        if "itd" in alt.classes:
            return None
        return Status.UNKNOWN, "protein position not reported"
    if residues is not None:
        if entry.positions and not set(entry.positions) & set(residues):
            return None
        if entry.hotspots and not any(reference.is_hotspot(alt.gene, r) for r in residues):
            return None
        if entry.domains and not _in_domains(alt.gene, residues, entry.domains, entry.flank):
            return None
    if entry.exons:
        if alt.exon is None:
            return None
        if alt.exon not in entry.exons:
            return None
    if alt.annotation_error is not None:  # never MET on a change that contradicts the protein
        return Status.REVIEW, f"{entry.label}: {alt.annotation_error}; review the annotation"
    return (Status.REVIEW if entry.review else Status.MET), entry.label


def not_activating(alt: Alteration) -> bool:
    """A truncating change (nonsense, frameshift) in a gene activated by gain of function."""
    return (
        alt.kind == "variant"
        and alt.classes is not None
        and "truncating" in alt.classes
        and "itd" not in alt.classes
        and reference.mechanism(alt.gene) == "gain_of_function"
    )


def _fusion(entry: FusionMatch, alt: Alteration) -> tuple[Status, str] | None:
    if entry.position != "any" and alt.side != entry.position:
        return None
    if entry.partner is not None and alt.partner != normalize_gene(entry.partner):
        return None
    if entry.needs_kinase_domain and (alt.in_frame is False or alt.retains_kinase_domain is False):
        return None
    return (Status.REVIEW if entry.review else Status.MET), entry.label


def _other(entry: MolecularMatch, alt: Alteration) -> tuple[Status, str] | None:
    if isinstance(entry, CopyNumberMatch):
        return (_hit(entry.review), entry.label) if alt.call in entry.calls else None
    if isinstance(entry, ExpressionMatch):
        return (_hit(entry.review), entry.label) if alt.detail == f"{entry.status} expression" else None
    if isinstance(entry, DrugResponseMatch):
        if alt.ic50_nM is None or alt.ic50_nM >= entry.ic50_below_nM:
            return None
        if entry.central_lab_only and alt.central_lab is None:
            return Status.UNKNOWN, "IC50 below threshold; whether the central lab measured it is not given"
        if entry.central_lab_only and not alt.central_lab:
            return None
        return _hit(entry.review), entry.label
    return None


def _hit(review: bool) -> Status:
    return Status.REVIEW if review else Status.MET


def _same_subject(entry: MolecularMatch, alt: Alteration) -> bool:
    if entry.kind != alt.kind:
        return False
    if isinstance(entry, DrugResponseMatch):
        return alt.gene == entry.drug.lower()
    return alt.gene == normalize_gene(entry.gene)


def hits(profile: Profile, entries: list[MolecularMatch]) -> Iterator[Hit]:
    """Every (alteration, entry) pair that matches, needs review, or lacks detail."""
    for entry in entries:
        for alt in profile.alterations:
            if not _same_subject(entry, alt):
                continue
            if isinstance(entry, VariantMatch):
                found = _variant(entry, alt)
            elif isinstance(entry, FusionMatch):
                found = _fusion(entry, alt)
            else:
                found = _other(entry, alt)
            if found is not None:
                yield Hit(found[0], alt, entry, found[1])


def resistance_hits(
    profile: Profile, mutations: list[ResistanceMutation]
) -> Iterator[tuple[Alteration, ResistanceMutation]]:
    """Variants that are known resistance mutations (any change at a listed residue, or a listed change)."""
    for mutation in mutations:
        gene = normalize_gene(mutation.gene)
        wanted = {parse_protein_change(c).normalized() for c in mutation.changes}
        for alt in profile.of_kind("variant"):
            if alt.gene != gene or alt.change is None:
                continue
            residues = _residues(alt)
            at_position = residues is not None and bool(set(mutation.positions) & set(residues))
            if (at_position and alt.classes) or alt.change.normalized() in wanted:
                yield alt, mutation


def pathway_reviews(profile: Profile, subprotocol: str) -> Iterator[tuple[Alteration, str]]:
    """Alterations of pathway genes the documents do not list ("including but not limited to"):
    for the board, with the pathway named (``reference/board_flags.yaml``)."""
    for entry in reference.load_board_flags().pathways:
        if entry.subprotocol != subprotocol:
            continue
        genes = {normalize_gene(g) for g in entry.genes}
        for alt in profile.of_kind(entry.kind):
            if alt.gene not in genes:
                continue
            if entry.kind == "variant":
                if alt.unreadable is None and not (alt.classes and "protein_altering" in alt.classes):
                    continue
                if not_activating(alt):
                    continue
            elif (entry.side and alt.side != entry.side) or (
                entry.kinase_retained and (alt.in_frame is False or alt.retains_kinase_domain is not True)
            ):
                continue
            where = "5′ partner" if alt.side == "five_prime" else "3′ partner" if alt.side else "gene"
            yield (
                alt,
                (
                    f"{alt.gene} ({where}) is a {entry.pathway} pathway gene the documents do not list; "
                    f"'including but not limited to': for the tumour board"
                ),
            )


def published_resistance(profile: Profile) -> Iterator[tuple[Alteration, str, str]]:
    """(alteration, sub-protocol, flag) for published resistance beyond the protocol's own exclusions."""
    data = reference.load_board_flags()
    for entry in data.resistance:
        wanted = {parse_protein_change(c).normalized() for c in entry.changes}
        for alt in profile.of_kind("variant"):
            gene = alt.gene == normalize_gene(entry.gene)
            if gene and alt.change is not None and alt.change.normalized() in wanted:
                cited = "; ".join(data.sources[s].url for s in entry.sources)
                evidence = "in-vitro evidence only" if entry.evidence == "in_vitro" else "clinical evidence"
                tested = f"; tested with {entry.tested_with}" if entry.tested_with else ""
                flag = (
                    f"published resistance to {entry.drug}: against {entry.subprotocol} "
                    f"({evidence}{tested}; not a protocol exclusion; for the board; {cited})"
                )
                yield alt, entry.subprotocol, flag


def _entry_genes(entries: list[MolecularMatch]) -> dict[str, set[str]]:
    """The genes the entries name, by alteration kind."""
    genes: dict[str, set[str]] = {}
    for entry in entries:
        if not isinstance(entry, DrugResponseMatch):
            genes.setdefault(entry.kind, set()).add(normalize_gene(entry.gene))
    return genes


def symbol_reviews(profile: Profile, entries: list[MolecularMatch]) -> Iterator[tuple[Alteration, str]]:
    """Alterations whose gene symbol is not an HGNC symbol but is one edit or two from a gene these
    entries name (``KRASS`` beside a KRAS rule): the rule cannot be judged for them, so the board reviews
    them instead of the rule reading NOT_MET."""
    genes: dict[str, set[str]] | None = None  # read only when a symbol is unknown (rare)
    for alt in profile.alterations:
        if not alt.unknown_symbols or (alt.kind == "fusion" and alt.side == "five_prime"):
            continue
        if genes is None:
            genes = _entry_genes(entries)
        near = {
            suggestion for symbol in alt.unknown_symbols for suggestion in check_symbol(symbol).candidates
        }
        hit = sorted(near & genes.get(alt.kind, set()))
        if hit:
            yield alt, f"{alt.symbol_note} ({', '.join(hit)} is a gene of this rule): board to judge"
