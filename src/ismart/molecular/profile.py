"""A patient's molecular profile as normalised alterations, read from the dossier's profiling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ismart.dossier import Profiling, Variant
from ismart.errors import DossierError
from ismart.molecular import reference
from ismart.molecular.genes import is_known_symbol, normalize_gene, unknown_symbol_note
from ismart.molecular.protein import ChangeKind, HgvsError, ProteinChange, parse_protein_change
from ismart.molecular.sequences import annotation_error

AlterationKind = Literal["variant", "fusion", "copy_number", "expression", "drug_response"]
VariantClass = Literal["missense", "inframe", "truncating", "protein_altering", "itd"]

# Methods that call small variants genome- or panel-wide, so an absent mutation means "not found".
SEQUENCING_METHODS = frozenset({"wgs", "wes", "rna-seq", "rnaseq", "panel", "targeted-ngs", "ngs"})

_CLASSES_BY_KIND: dict[ChangeKind, frozenset[VariantClass]] = {
    ChangeKind.MISSENSE: frozenset({"missense", "protein_altering"}),
    ChangeKind.NONSENSE: frozenset({"truncating", "protein_altering"}),
    ChangeKind.FRAMESHIFT: frozenset({"truncating", "protein_altering"}),
    ChangeKind.INFRAME_DELETION: frozenset({"inframe", "protein_altering"}),
    ChangeKind.INFRAME_INSERTION: frozenset({"inframe", "protein_altering"}),
    ChangeKind.DUPLICATION: frozenset({"inframe", "protein_altering"}),
    ChangeKind.DELINS: frozenset({"inframe", "protein_altering"}),
    ChangeKind.EXTENSION: frozenset({"protein_altering"}),
    ChangeKind.START_LOSS: frozenset({"protein_altering"}),
    ChangeKind.SYNONYMOUS: frozenset(),
    ChangeKind.UNKNOWN: frozenset(),
}
# A site may give the consequence in words instead of (or beside) an HGVS protein change.
_CLASSES_BY_TYPE: dict[str, frozenset[VariantClass]] = {
    "itd": frozenset({"itd", "inframe", "protein_altering"}),
    "missense": frozenset({"missense", "protein_altering"}),
    "nonsense": frozenset({"truncating", "protein_altering"}),
    "stop_gained": frozenset({"truncating", "protein_altering"}),
    "frameshift": frozenset({"truncating", "protein_altering"}),
    "inframe": frozenset({"inframe", "protein_altering"}),
    "inframe_deletion": frozenset({"inframe", "protein_altering"}),
    "inframe_insertion": frozenset({"inframe", "protein_altering"}),
    "splice": frozenset({"protein_altering"}),
    "synonymous": frozenset(),
}


@dataclass(frozen=True)
class Alteration:
    """One finding of the profile. ``field`` is where it came from in the dossier."""

    kind: AlterationKind
    gene: str
    detail: str
    field: str
    change: ProteinChange | None = None
    classes: frozenset[VariantClass] | None = None  # None: consequence not reported
    exon: int | None = None
    partner: str | None = None
    side: Literal["five_prime", "three_prime"] | None = None
    in_frame: bool | None = None
    retains_kinase_domain: bool | None = None
    call: str | None = None
    ic50_nM: float | None = None
    central_lab: bool | None = None
    raw: str | None = None  # the protein change as the laboratory file wrote it
    vaf: float | None = None
    reads: int | None = None  # reads supporting a fusion, as the caller counted them
    unreadable: str | None = None  # why ``raw`` could not be read (then the board reviews it)
    unknown_symbols: tuple[str, ...] = ()  # gene symbols as written that are not HGNC symbols
    annotation_error: str | None = None  # position or reference residue contradicts the protein

    @property
    def symbol_note(self) -> str | None:
        """ "gene symbol 'KRASS' is not an HGNC ...; did you mean KRAS?" (computed when first shown)."""
        notes = [note for note in map(unknown_symbol_note, self.unknown_symbols) if note]
        return "; ".join(notes) or None

    @property
    def name(self) -> str:
        if self.kind == "fusion":
            return self.detail
        return f"{self.gene} {self.detail}"


@dataclass(frozen=True)
class Profile:
    """All alterations, and whether small variants were looked for at all."""

    present: bool
    alterations: tuple[Alteration, ...]
    variants_assessed: bool

    def of_kind(self, kind: AlterationKind) -> tuple[Alteration, ...]:
        return tuple(a for a in self.alterations if a.kind == kind)


def _variant(index: int, variant: Variant) -> Alteration:
    field = f"profiling.variants[{index}]"
    gene = normalize_gene(variant.gene)
    change: ProteinChange | None = None
    classes: frozenset[VariantClass] | None = None
    unreadable: str | None = None
    if variant.hgvs_p:
        try:
            change = parse_protein_change(variant.hgvs_p)
        except HgvsError as exc:
            raise DossierError(f"{field}.hgvs_p", str(exc)) from None
        classes = _CLASSES_BY_KIND[change.kind]
    elif variant.protein_raw:  # a laboratory file's change that its reader could not normalise
        try:
            change = parse_protein_change(variant.protein_raw)
            classes = _CLASSES_BY_KIND[change.kind]
        except HgvsError as exc:
            unreadable = str(exc)
    if variant.type:
        by_type = _CLASSES_BY_TYPE.get(variant.type.strip().lower().replace("-", "_"))
        if by_type is not None:
            classes = by_type | (classes or frozenset())
    if change is not None and is_itd(gene, change):
        classes = (classes or frozenset()) | {"itd"}
    if unreadable is not None:
        detail = f"protein change {variant.protein_raw!r} not readable"
    else:
        detail = change.normalized() if change else (variant.type or "variant, change not given")
    if variant.exon is not None and change is None:
        detail = f"{detail} (exon {variant.exon})"
    if classes is not None and "itd" in classes and "ITD" not in detail.upper():
        detail = f"ITD {detail}"
    return Alteration(
        "variant", gene, detail, field, change=change, classes=classes, exon=variant.exon,
        raw=variant.protein_raw or variant.hgvs_p, unreadable=unreadable, vaf=variant.vaf,
        unknown_symbols=_unknown(variant.gene),
        annotation_error=annotation_error(gene, change) if change is not None else None,
    )  # fmt: skip


def _unknown(*symbols: str) -> tuple[str, ...]:
    """The symbols that are not HGNC (or curated) symbols, as written."""
    return tuple(s.strip() for s in symbols if not is_known_symbol(s))


def is_itd(gene: str, change: ProteinChange) -> bool:
    """An in-frame duplication, insertion or lengthening delins inside the gene's ITD region
    (``reference/variant_effects.yaml``: FLT3's juxtamembrane domain and TKD1)."""
    region = reference.itd_region(gene)
    if region is None or change.start is None:
        return False
    end = change.end or change.start
    if end < region.start or change.start > region.end:
        return False
    if change.kind in (ChangeKind.DUPLICATION, ChangeKind.INFRAME_INSERTION):
        return True
    if change.kind is ChangeKind.DELINS:
        return len(change.alt or "") > end - change.start + 1
    return False


def build_profile(profiling: Profiling | None) -> Profile:
    """Normalise genes and protein changes; an unreadable HGVS string is a DossierError."""
    if profiling is None:
        return Profile(False, (), False)
    found: list[Alteration] = [_variant(i, v) for i, v in enumerate(profiling.variants or [])]
    for i, fusion in enumerate(profiling.fusions or []):
        five, three = normalize_gene(fusion.five_prime), normalize_gene(fusion.three_prime)
        unknown = _unknown(fusion.five_prime, fusion.three_prime)
        for gene, partner, side in ((five, three, "five_prime"), (three, five, "three_prime")):
            found.append(
                Alteration(
                    "fusion",
                    gene,
                    f"{five}::{three}",
                    f"profiling.fusions[{i}]",
                    partner=partner,
                    side=side,  # type: ignore[arg-type]
                    in_frame=fusion.in_frame,
                    retains_kinase_domain=fusion.retains_kinase_domain,
                    unknown_symbols=unknown,
                    reads=fusion.supporting_reads,
                )
            )
    for i, cn in enumerate(profiling.copy_number or []):
        gene = normalize_gene(cn.gene)
        found.append(
            Alteration(
                "copy_number", gene, cn.call, f"profiling.copy_number[{i}]", call=cn.call,
                unknown_symbols=_unknown(cn.gene),
            )
        )  # fmt: skip
    for i, ex in enumerate(profiling.expression or []):
        gene = normalize_gene(ex.gene)
        found.append(
            Alteration(
                "expression", gene, f"{ex.status} expression", f"profiling.expression[{i}]",
                unknown_symbols=_unknown(ex.gene),
            )
        )  # fmt: skip
    for i, dr in enumerate(profiling.drug_response or []):
        ic50 = "IC50 not given" if dr.ic50_nM is None else f"IC50 {dr.ic50_nM:g} nM"
        found.append(
            Alteration(
                "drug_response",
                dr.drug.strip().lower(),
                ic50,
                f"profiling.drug_response[{i}]",
                ic50_nM=dr.ic50_nM,
                central_lab=dr.central_lab,
            )
        )
    methods = {m.strip().lower() for m in profiling.methods or []}
    assessed = profiling.variants is not None and bool(methods & SEQUENCING_METHODS)
    return Profile(True, tuple(found), assessed)
