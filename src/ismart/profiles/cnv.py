"""Copy-number calls per sample: cBioPortal discrete CNA tables and segmented (``.seg``) log2 ratios.

Discrete CNA (cBioPortal ``data_cna.txt``; also GISTIC 2.0 ``all_thresholded.by_genes.txt``): a
``Hugo_Symbol`` (or ``Gene Symbol``) column, optional ``Entrez_Gene_Id``/``Locus ID``/``Gene ID``/
``Cytoband`` columns, and one column per sample. Values as cBioPortal defines them: -2 deep loss
(``homozygous_deletion``), -1 single-copy loss (``heterozygous_deletion``), 0 diploid (no call),
1 low-level gain (``gain``), 2 high-level amplification (``amplification``). ``-1.5``, written by some
pipelines for a loss of undetermined depth, is called ``deletion``. ``NA`` or an empty cell means not
assessed (no call). Rows naming a gene only by Entrez ID are refused, as a call needs a symbol.

Segments (``ID  chrom  loc.start  loc.end  num.mark  seg.mean``, the CBS/IGV/cBioPortal format;
GDC's ``Sample  Chromosome  Start  End  Num_Probes  Segment_Mean`` is read too): ``seg.mean`` is a log2
ratio; coordinates must be **GRCh38** (a GRCh37/hg19 file gives wrong genes). A gene is called from the
segments of the sample that overlap its GRCh38 span (``reference/genes_grch38.tsv``): the lowest
overlapping mean gives ``homozygous_deletion`` at or below ``homdel_log2`` and ``deletion`` at or below
``del_log2``; the highest gives ``amplification`` at or above ``amp_log2`` and ``gain`` at or above
``gain_log2``. A gene crossing a breakpoint can have both a loss and a gain. A log2 ratio cannot tell one
lost copy from two in an impure sample, so a moderate loss is ``deletion``, not ``heterozygous_deletion``.

The thresholds are **ismart defaults, not from a published source**: del -0.4, homdel -1.3, gain 0.3,
amp 0.9 (for comparison, CNVkit's ``call`` defaults are -1.1, -0.25, 0.2, 0.7). In a pure diploid sample
one lost copy gives log2(1/2) = -1 and one extra copy log2(3/2) = 0.58; blasts diluted by normal cells
give smaller values. Set them from the laboratory's own validation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from ismart.dossier import CopyNumber, CopyNumberCall
from ismart.errors import ProfileFileError, ProtocolDataError
from ismart.profiles._common import Header, build, cell, number, read_lines, shown

__all__ = ["GeneSpan", "gene_spans", "read_cna", "read_seg"]

_CNA_CALLS: dict[float, CopyNumberCall | None] = {
    -2.0: "homozygous_deletion",
    -1.5: "deletion",
    -1.0: "heterozygous_deletion",
    0.0: None,
    1.0: "gain",
    2.0: "amplification",
}
_NOT_SAMPLES = frozenset({"hugo_symbol", "gene symbol", "entrez_gene_id", "locus id", "gene id", "cytoband"})
_SEG_COLUMNS = {
    "sample": ("ID", "Sample", "sample_id", "sampleID"),
    "chrom": ("chrom", "chromosome", "chr"),
    "start": ("loc.start", "Start", "loc_start", "start_pos"),
    "end": ("loc.end", "End", "loc_end", "end_pos"),
    "mean": ("seg.mean", "Segment_Mean", "seg_mean", "log2"),
}


@dataclass(frozen=True)
class GeneSpan:
    """A gene's span on GRCh38, 1-based and inclusive."""

    gene: str
    chrom: str
    start: int
    end: int


@dataclass(frozen=True)
class _Thresholds:
    deletion: float
    homozygous: float
    gain: float
    amplification: float

    def __post_init__(self) -> None:
        if not self.homozygous < self.deletion < 0 < self.gain < self.amplification:
            raise ValueError(
                "thresholds must satisfy homdel_log2 < del_log2 < 0 < gain_log2 < amp_log2 "
                f"(got {self.homozygous}, {self.deletion}, {self.gain}, {self.amplification})"
            )

    def calls(self, low: float, high: float) -> list[CopyNumberCall]:
        found: list[CopyNumberCall] = []
        if low <= self.homozygous:
            found.append("homozygous_deletion")
        elif low <= self.deletion:
            found.append("deletion")
        if high >= self.amplification:
            found.append("amplification")
        elif high >= self.gain:
            found.append("gain")
        return found


def read_cna(path: Path | str) -> dict[str, list[CopyNumber]]:
    """Calls per sample from a discrete copy-number table; every sample column is a key."""
    name = str(path)
    header: Header | None = None
    samples: list[int] = []
    found: dict[str, list[CopyNumber]] = {}
    for line, text in read_lines(path):
        if not text.strip() or text.startswith("#"):
            continue
        if header is None:
            header, samples = _cna_header(name, line, text)
            found = {header.names[i]: [] for i in samples}
            continue
        cells = header.split(line, text)
        gene = _cna_gene(name, line, cells, header)
        for index in samples:
            call = _cna_call(name, line, header.names[index], cells[index])
            if call is not None:
                found[header.names[index]].append(build(CopyNumber, name, line, gene=gene, call=call))
    if header is None:
        raise ProfileFileError(name, None, "no header line (Hugo_Symbol, then one column per sample)")
    return found


def _cna_header(name: str, line: int, text: str) -> tuple[Header, list[int]]:
    header = Header.parse(name, line, text)
    header.need("Hugo_Symbol", "Gene Symbol")
    samples = [i for i, column in enumerate(header.names) if column.lower() not in _NOT_SAMPLES]
    if not samples:
        raise ProfileFileError(name, line, "no sample columns after the gene columns")
    if any(not header.names[i] for i in samples):
        raise ProfileFileError(name, line, "a sample column has no name")
    return header, samples


def _cna_gene(name: str, line: int, cells: list[str], header: Header) -> str:
    gene = cell(cells, header.need("Hugo_Symbol", "Gene Symbol"))
    if gene is None:
        raise ProfileFileError(name, line, "no Hugo_Symbol (rows with only an Entrez_Gene_Id are not read)")
    return gene


def _cna_call(name: str, line: int, sample: str, text: str) -> CopyNumberCall | None:
    if cell([text], 0) is None:
        return None
    value = number(name, line, f"copy-number value for {sample!r}", text)
    if value not in _CNA_CALLS:
        allowed = "-2, -1, 0, 1 or 2"
        raise ProfileFileError(name, line, f"copy-number value {shown(text)} for {sample!r} is not {allowed}")
    return _CNA_CALLS[value]


def read_seg(
    path: Path | str,
    genes: Iterable[str] | None = None,
    *,
    del_log2: float = -0.4,
    homdel_log2: float = -1.3,
    gain_log2: float = 0.3,
    amp_log2: float = 0.9,
) -> dict[str, list[CopyNumber]]:
    """Gene calls per sample from GRCh38 segments; ``genes`` defaults to every gene of the table.

    A threshold order other than homdel < del < 0 < gain < amp, or a gene without coordinates, is a
    ValueError (a caller's mistake, not the file's).
    """
    thresholds = _Thresholds(del_log2, homdel_log2, gain_log2, amp_log2)
    spans = _chosen(genes)
    by_chrom: dict[str, list[GeneSpan]] = {}
    for span in spans:
        by_chrom.setdefault(span.chrom, []).append(span)
    extremes: dict[str, dict[str, tuple[float, float]]] = {}
    for sample, chrom, start, end, mean in _segments(str(path)):
        seen = extremes.setdefault(sample, {})
        if mean is None:
            continue
        for span in by_chrom.get(chrom, []):
            if start <= span.end and end >= span.start:
                low, high = seen.get(span.gene, (mean, mean))
                seen[span.gene] = (min(low, mean), max(high, mean))
    return {sample: _seg_calls(str(path), spans, seen, thresholds) for sample, seen in extremes.items()}


def _seg_calls(
    name: str, spans: list[GeneSpan], seen: dict[str, tuple[float, float]], thresholds: _Thresholds
) -> list[CopyNumber]:
    return [
        build(CopyNumber, name, None, gene=span.gene, call=call)
        for span in spans
        if span.gene in seen
        for call in thresholds.calls(*seen[span.gene])
    ]


def _chosen(genes: Iterable[str] | None) -> list[GeneSpan]:
    table = gene_spans()
    if genes is None:
        return list(table.values())
    wanted = [gene.strip().upper() for gene in genes]
    unknown = [gene for gene in wanted if gene not in table]
    if unknown:
        raise ValueError(f"no GRCh38 coordinates in reference/genes_grch38.tsv for {', '.join(unknown)}")
    return [table[gene] for gene in dict.fromkeys(wanted)]


def _segments(name: str) -> Iterator[tuple[str, str, int, int, float | None]]:
    """(sample, chromosome, start, end, log2 mean or None) for each segment line."""
    header: Header | None = None
    index: dict[str, int] = {}
    for line, text in read_lines(name):
        if not text.strip() or text.startswith("#"):
            continue
        if header is None:
            header = Header.parse(name, line, text)
            index = {key: header.need(*names) for key, names in _SEG_COLUMNS.items()}
            continue
        cells = header.split(line, text)
        sample = cell(cells, index["sample"])
        if sample is None:
            raise ProfileFileError(name, line, "no sample ID")
        start, end = (_position(name, line, cells[index[k]]) for k in ("start", "end"))
        if end < start:
            raise ProfileFileError(name, line, f"segment end {end} is before its start {start}")
        mean = cell(cells, index["mean"])
        log2 = number(name, line, "seg.mean", mean) if mean is not None else None
        yield sample, _chromosome(cells[index["chrom"]]), start, end, log2
    if header is None:
        raise ProfileFileError(name, None, "no header line (ID, chrom, loc.start, loc.end, seg.mean)")


def _position(name: str, line: int, text: str) -> int:
    value = number(name, line, "position", text)  # R writes large positions as 1.5e+07
    if value < 0 or not value.is_integer():
        raise ProfileFileError(name, line, f"position {shown(text)} is not a genomic position")
    return int(value)


def _chromosome(text: str) -> str:
    name = re.sub(r"^chr", "", text.strip(), flags=re.IGNORECASE).upper()
    return {"23": "X", "24": "Y"}.get(name, name)


@cache
def gene_spans() -> dict[str, GeneSpan]:
    """The GRCh38 gene spans shipped in ``reference/genes_grch38.tsv``, by gene symbol."""
    source = resources.files("ismart") / "reference" / "genes_grch38.tsv"
    rows = [r for r in source.read_text(encoding="utf-8").splitlines() if r.strip() and not r.startswith("#")]
    spans: dict[str, GeneSpan] = {}
    for row in rows[1:]:
        cells = row.split("\t")
        try:
            span = GeneSpan(cells[0], cells[1], int(cells[2]), int(cells[3]))
        except (IndexError, ValueError):
            raise ProtocolDataError(f"reference/genes_grch38.tsv: malformed row {row!r}") from None
        if span.start < 1 or span.end < span.start or span.gene in spans:
            raise ProtocolDataError(f"reference/genes_grch38.tsv: bad or repeated span for {span.gene}")
        spans[span.gene] = span
    return spans
