"""Small variants from an annotated VCF (Ensembl VEP ``CSQ`` or SnpEff ``ANN``), read with vcfpy.

What is read, and what is left out on purpose:

* **Annotation is required.** A VCF holds genomic positions; the rules need genes and protein changes.
  A file whose header declares neither a VEP ``CSQ`` nor a SnpEff ``ANN`` INFO field is refused with a
  message saying how to annotate it. VEP's field order is read from the ``CSQ`` header description
  (``Format: Allele|Consequence|...``) and must include ``SYMBOL``, ``Consequence`` and ``HGVSp``; SnpEff's
  ``ANN`` order is fixed by its specification (Allele | Annotation | Annotation_Impact | Gene_Name |
  Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | ...).
* **Filtered records are skipped**: only ``FILTER`` ``PASS`` or ``.`` is read. With a sample chosen,
  an alternate allele absent from that sample's ``GT`` (``0/0``, ``./.``) is skipped too.
* **One transcript per gene.** Of a gene's annotations the one VEP flagged ``PICK=1`` is used, else the
  one flagged ``CANONICAL=YES``, else the first listed; when VEP flagged any ``PICK``, only picked
  annotations are read (``--flag_pick`` chooses one per variant). SnpEff has no such flag: the first
  annotation of each gene is used (run SnpEff with ``-canon`` to make it the canonical transcript).
* **Kept variants**: those with an HGVS protein change (synonymous ones included: the engine knows they
  alter nothing) and those whose consequence is frameshift, stop gained, splice donor/acceptor, in-frame
  insertion/deletion, missense or synonymous. Intronic, UTR, flanking, intergenic and non-coding
  transcript variants without a protein change are dropped, as no rule concerns them.
* ``hgvs_p`` is normalised to 1-letter form (``ENSP00000256078.5:p.Gly12Asp`` -> ``p.G12D``; VEP's
  ``%3D`` for ``=`` is decoded); an HGVSp that cannot be parsed is an error naming the line. ``hgvs_c``
  loses its transcript prefix. ``exon`` is VEP's ``EXON`` (``14/24`` -> 14) or SnpEff's ``Rank`` unless
  the consequence is intronic or a splice donor/acceptor (SnpEff's rank is then an intron number).
* ``type`` is the consequence in the engine's words (``missense``, ``frameshift``, ``stop_gained``,
  ``splice``, ``inframe_insertion``, ``inframe_deletion``, ``synonymous``), else the first term as
  written. **FLT3 ITD is conservative**: ``type`` becomes ``ITD`` only when the caller says so, with an
  INFO flag ``ITD`` or ``SVTYPE=ITD`` (any gene), or ``SVTYPE=DUP``/``DUP:TANDEM`` on an in-frame
  insertion in FLT3 exon 14 or 15. An unflagged in-frame insertion keeps ``inframe_insertion``: a
  duplication called by a small-variant caller is not assumed to be an ITD.
* ``vaf`` is the sample's ``AF`` for the allele, else ``AD`` alt reads / ``DP`` (/ the sum of ``AD``
  when ``DP`` is absent or below the alt reads). A VCF with several samples needs ``sample``.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vcfpy

from ismart.dossier import Variant
from ismart.errors import ProfileFileError
from ismart.profiles._common import (
    build,
    coding_change,
    exon_number,
    is_missing,
    protein_change,
    read_lines,
    shown,
)

__all__ = ["read_vcf"]

HOW_TO_ANNOTATE = (
    "annotate with Ensembl VEP (--vcf --hgvs --symbol --canonical) or SnpEff (ann) first; "
    "ismart reads the VEP CSQ or SnpEff ANN field"
)
_SNPEFF_FIELDS = (
    "Allele", "Annotation", "Annotation_Impact", "Gene_Name", "Gene_ID", "Feature_Type", "Feature_ID",
    "Transcript_BioType", "Rank", "HGVS.c", "HGVS.p",
)  # fmt: skip
_VEP_NEEDED = ("Allele", "Consequence", "SYMBOL", "HGVSp")
# Consequence terms (Sequence Ontology, as VEP and SnpEff write them) in the engine's words, by priority.
_TYPES: tuple[tuple[str, frozenset[str]], ...] = (
    ("frameshift", frozenset({"frameshift_variant"})),
    ("stop_gained", frozenset({"stop_gained"})),
    ("splice", frozenset({"splice_acceptor_variant", "splice_donor_variant"})),
    ("inframe_insertion", frozenset({"inframe_insertion", "conservative_inframe_insertion",
                                     "disruptive_inframe_insertion"})),
    ("inframe_deletion", frozenset({"inframe_deletion", "conservative_inframe_deletion",
                                    "disruptive_inframe_deletion"})),
    ("missense", frozenset({"missense_variant"})),
    ("synonymous", frozenset({"synonymous_variant"})),
)  # fmt: skip
_ITD_EXONS = frozenset({14, 15})


@dataclass(frozen=True)
class _Layout:
    """Which INFO field holds the annotation, and the names of its '|'-separated fields."""

    key: str
    fields: tuple[str, ...]
    tool: str


@dataclass(frozen=True)
class _Annotation:
    """One transcript's annotation of one allele, the same shape for VEP and SnpEff."""

    allele: str
    allele_num: str | None
    gene: str
    terms: tuple[str, ...]
    hgvs_c: str | None
    hgvs_p: str | None
    exon: str | None
    rank: int  # 2: PICK, 1: CANONICAL, 0: neither


@dataclass(frozen=True)
class _Context:
    path: str
    line: int
    layout: _Layout
    sample: int | None


def read_vcf(path: Path | str, sample: str | None = None) -> list[Variant]:
    """The PASS variants of an annotated VCF (plain or gzip-compressed); see the module notes."""
    name = str(path)
    lines = read_lines(path)
    header_line, reader = _header(name, lines)
    layout = _layout(name, header_line, reader.header)
    chosen = _sample_index(name, header_line, reader.header.samples.names, sample)
    found: list[Variant] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", vcfpy.exceptions.VCFPyWarning)
        for number, text in lines:
            if text.strip():
                record = _record(reader, name, number, text)
                found += _variants(record, _Context(name, number, layout, chosen))
    return found


def _header(name: str, lines: Iterator[tuple[int, str]]) -> tuple[int, vcfpy.Reader]:
    """Read the header lines and hand them to vcfpy; returns the #CHROM line number and the reader."""
    collected: list[str] = []
    for number, text in lines:
        if number == 1 and not text.startswith("##fileformat=VCF"):
            raise ProfileFileError(name, 1, "not a VCF file: the first line must be ##fileformat=VCFv4.x")
        collected.append(text)
        if text.startswith("#CHROM"):
            return number, _reader(name, number, collected)
        if not text.startswith("##"):
            raise ProfileFileError(name, number, "expected a ## header line or the #CHROM line")
    raise ProfileFileError(name, None, "not a VCF file: no #CHROM header line")


def _reader(name: str, number: int, collected: list[str]) -> vcfpy.Reader:
    stream = io.TextIOWrapper(io.BytesIO("\n".join([*collected, ""]).encode()), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", vcfpy.exceptions.VCFPyWarning)
        try:
            return vcfpy.Reader(stream, path=name)
        except Exception as exc:  # vcfpy raises several exception types for a bad header
            bad = _bad_header_line(collected)
            raise ProfileFileError(name, bad or number, f"invalid VCF header: {exc}") from None


def _bad_header_line(collected: list[str]) -> int | None:
    """The first ## line vcfpy cannot parse (1-based), to name it in the error."""
    parser = vcfpy.parser.HeaderParser()  # type: ignore[no-untyped-call]
    for index, text in enumerate(collected[:-1], 1):
        try:
            parser.parse_line(text)
        except Exception:
            return index
    return None


def _layout(name: str, line: int, header: vcfpy.Header) -> _Layout:
    if header.has_header_line("INFO", "CSQ"):
        description = header.get_info_field_info("CSQ").description or ""
        match = re.search(r"Format:\s*([^\s\"]+)", description)
        if match is None:
            raise ProfileFileError(name, line, "the CSQ header has no 'Format: Allele|Consequence|...'")
        fields = tuple(match[1].split("|"))
        missing = [f for f in _VEP_NEEDED if f not in fields]
        if missing:
            raise ProfileFileError(name, line, f"VEP CSQ lacks {', '.join(missing)}: {HOW_TO_ANNOTATE}")
        return _Layout("CSQ", fields, "VEP")
    if header.has_header_line("INFO", "ANN"):
        return _Layout("ANN", _SNPEFF_FIELDS, "SnpEff")
    raise ProfileFileError(name, line, f"the VCF is not annotated (no CSQ or ANN field): {HOW_TO_ANNOTATE}")


def _sample_index(name: str, line: int, names: list[str], sample: str | None) -> int | None:
    if sample is not None:
        if sample not in names:
            listed = ", ".join(names[:5]) or "none"
            raise ProfileFileError(name, line, f"no sample {sample!r} in the VCF (samples: {listed})")
        return names.index(sample)
    if len(names) > 1:
        listed = ", ".join(names[:5])
        raise ProfileFileError(name, line, f"several samples ({listed}): choose one with sample=")
    return 0 if names else None


def _record(reader: vcfpy.Reader, name: str, number: int, text: str) -> vcfpy.Record:
    try:
        record = reader.parser.parse_line(text)
    except Exception as exc:  # vcfpy signals a malformed record with assorted exception types
        raise ProfileFileError(name, number, f"invalid VCF record: {str(exc).splitlines()[0]}") from None
    if not isinstance(record, vcfpy.Record):
        raise ProfileFileError(name, number, "invalid VCF record")
    return record


def _variants(record: vcfpy.Record, ctx: _Context) -> list[Variant]:
    if record.FILTER not in ([], ["PASS"]):
        return []
    annotations = _annotations(record, ctx)
    alts = [alt.serialize() for alt in record.ALT]
    found: list[Variant] = []
    for index in range(len(alts)):
        if not _carried(record, ctx.sample, index):
            continue
        mine = _for_allele(annotations, record.REF, alts, index)
        for annotation in _one_per_gene(mine):
            variant = _variant(record, annotation, index, ctx)
            if variant is not None:
                found.append(variant)
    return found


def _annotations(record: vcfpy.Record, ctx: _Context) -> list[_Annotation]:
    raw = record.INFO.get(ctx.layout.key)
    entries = [raw] if isinstance(raw, str) else [e for e in (raw or []) if isinstance(e, str)]
    return [_annotation(entry, ctx) for entry in entries if entry]


def _annotation(entry: str, ctx: _Context) -> _Annotation:
    values = entry.split("|")
    fields = ctx.layout.fields
    if len(values) < len(fields):
        what = f"{ctx.layout.key} entry has {len(values)} fields"
        raise ProfileFileError(ctx.path, ctx.line, f"{what}, the header names {len(fields)}")
    get = dict(zip(fields, values, strict=False)).get
    if ctx.layout.tool == "VEP":
        rank = 2 if get("PICK") == "1" else 1 if get("CANONICAL") == "YES" else 0
        return _Annotation(
            get("Allele") or "", get("ALLELE_NUM"), get("SYMBOL") or "", _terms(get("Consequence")),
            get("HGVSc"), get("HGVSp"), get("EXON"), rank,
        )  # fmt: skip
    terms = _terms(get("Annotation"))
    exonic = not any("intron" in t or t in ("splice_acceptor_variant", "splice_donor_variant") for t in terms)
    return _Annotation(
        get("Allele") or "", None, get("Gene_Name") or "", terms,
        get("HGVS.c"), get("HGVS.p"), get("Rank") if exonic else None, 0,
    )  # fmt: skip


def _terms(text: str | None) -> tuple[str, ...]:
    return tuple(t.strip().lower() for t in (text or "").split("&") if t.strip())


def _carried(record: vcfpy.Record, sample: int | None, index: int) -> bool:
    """False when the chosen sample's genotype shows it does not carry alternate allele ``index``."""
    if sample is None or not record.calls:
        return True
    call = record.calls[sample]
    if not isinstance(call, vcfpy.Call) or call.data.get("GT") is None:
        return True
    return index + 1 in (call.gt_alleles or [])


def _for_allele(annotations: list[_Annotation], ref: str, alts: list[str], index: int) -> list[_Annotation]:
    """The annotations of alternate allele ``index`` (VEP trims a shared first base, '-' when empty)."""
    if len(alts) == 1:
        return annotations
    shared = all(a[:1] == ref[:1] for a in alts)
    spellings = {alts[index], (alts[index][1:] or "-") if shared else alts[index]}
    return [a for a in annotations if _is_allele(a, index, spellings)]


def _is_allele(annotation: _Annotation, index: int, spellings: set[str]) -> bool:
    if annotation.allele_num:  # VEP --allele_number: 1 for the first ALT
        return annotation.allele_num == str(index + 1)
    return annotation.allele in spellings


def _one_per_gene(annotations: list[_Annotation]) -> list[_Annotation]:
    picked = [a for a in annotations if a.rank == 2]
    chosen: dict[str, _Annotation] = {}
    for annotation in picked or annotations:
        if not annotation.gene:
            continue
        best = chosen.get(annotation.gene)
        if best is None or annotation.rank > best.rank:
            chosen[annotation.gene] = annotation
    return list(chosen.values())


def _variant(record: vcfpy.Record, annotation: _Annotation, index: int, ctx: _Context) -> Variant | None:
    hgvs_p, raw = protein_change(ctx.path, ctx.line, annotation.hgvs_p)
    mapped = next((word for word, terms in _TYPES if terms & set(annotation.terms)), None)
    if raw is None and mapped is None:
        return None
    exon = exon_number(ctx.path, ctx.line, annotation.exon)
    kind = mapped or (annotation.terms[0] if annotation.terms else None)
    if _caller_flags_itd(record.INFO, annotation.gene, mapped, exon):
        kind = "ITD"
    return build(
        Variant, ctx.path, ctx.line,
        gene=annotation.gene, hgvs_p=hgvs_p, protein_raw=raw, hgvs_c=coding_change(annotation.hgvs_c),
        type=kind,
        exon=exon, vaf=_vaf(record, ctx, index),
    )  # fmt: skip


def _caller_flags_itd(info: dict[str, Any], gene: str, mapped: str | None, exon: int | None) -> bool:
    raw = info.get("SVTYPE")
    svtypes = {str(v).upper() for v in (raw if isinstance(raw, list) else [raw]) if v is not None}
    if info.get("ITD") is True or "ITD" in svtypes:
        return True
    tandem = bool(svtypes & {"DUP", "DUP:TANDEM"})
    return tandem and gene.upper() == "FLT3" and mapped == "inframe_insertion" and exon in _ITD_EXONS


def _vaf(record: vcfpy.Record, ctx: _Context, index: int) -> float | None:
    if ctx.sample is None or not record.calls:
        return None
    call = record.calls[ctx.sample]
    if not isinstance(call, vcfpy.Call):
        return None
    af = _nth(call.data.get("AF"), index)
    if af is not None:
        return _as_float(ctx, "FORMAT/AF", af)
    return _from_depths(ctx, call.data.get("AD"), call.data.get("DP"), index)


def _from_depths(ctx: _Context, ad: Any, dp: Any, index: int) -> float | None:
    alt = _nth(ad, index + 1)
    if alt is None:
        return None
    alt_reads = _as_float(ctx, "FORMAT/AD", alt)
    total = _as_float(ctx, "FORMAT/DP", dp) if dp is not None else None
    if total is None or total < alt_reads:
        counts = [c for c in (ad if isinstance(ad, list) else []) if c is not None]
        total = sum(_as_float(ctx, "FORMAT/AD", c) for c in counts)
    return alt_reads / total if total > 0 else None


def _nth(value: Any, index: int) -> Any:
    if isinstance(value, list):
        return value[index] if index < len(value) else None
    return value if index == 0 else None


def _as_float(ctx: _Context, what: str, value: Any) -> float:
    if isinstance(value, bool) or is_missing(str(value)):
        raise ProfileFileError(ctx.path, ctx.line, f"{what} {value!r} is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ProfileFileError(ctx.path, ctx.line, f"{what} {shown(str(value))} is not a number") from None
