"""Gene fusions from RNA-seq fusion callers: Arriba ``fusions.tsv`` and STAR-Fusion predictions.

Arriba (column meanings from the Arriba documentation, "Output files"):

* ``#gene1`` is the gene making up the 5' end of the transcript and ``gene2`` the 3' end; Arriba orders
  them from the transcribed strand (the value after the slash in ``strand1(gene/fusion)``). When that
  strand could not be predicted (``.``) the order is not known: the fusion is still kept in the file's
  order, as dropping it could hide a real rearrangement, and ``in_frame`` stays unknown.
* ``reading_frame``: ``in-frame`` -> ``in_frame`` True; ``out-of-frame`` and ``stop-codon`` (a stop
  before the junction, so the 3' gene is not translated) -> False; ``.`` (not predicted) -> None. A file
  from an Arriba version without the column gives None. A ``type`` of ``5'-5'`` or ``3'-3'`` (genes
  fused head to head or tail to tail, which Arriba notes cannot give a chimeric protein) -> False.
* A breakpoint in an intergenic region names the closest genes with their distances,
  ``GENE1(12345),GENE2(678)``: the closest gene is used (the first on a tie). A partner written ``.``
  (no gene annotated on the contig) cannot be named, and that row is skipped.
* ``supporting_reads``: ``split_reads1`` + ``split_reads2`` + ``discordant_mates``.
* ``retained_protein_domains`` (Arriba 2.x: the Pfam domains the fusion keeps, ``gene1 domains|gene2
  domains``, each with the share of the domain kept, ``Protein_kinase_domain(100%)``) gives
  ``retains_kinase_domain``: True when a kinase domain is kept whole (100 %) on either side, None when one
  is kept only in part (the board judges), False when domains are listed and none is a kinase domain;
  ``.``, an empty cell or a file without the column give None.

STAR-Fusion (``star-fusion.fusion_predictions[.abridged][.coding_effect].tsv``):

* ``#FusionName`` ``GENE1--GENE2`` names the left gene first; the left gene contributes the 5' part
  (STAR-Fusion's coding-effect step joins the left CDS up to the break to the right CDS after it).
* ``PROT_FUSION_TYPE`` (only in ``--examine_coding_effect`` output): ``INFRAME`` -> True,
  ``FRAMESHIFT`` -> False, ``.``/``NA``/empty -> None.
* ``supporting_reads``: ``JunctionReadCount`` + ``SpanningFragCount``.

Both: immunoglobulin and T-cell receptor loci are named by their locus, as the rules do (``IGH@``,
``IGH@-ext``, ``IGHJ6``, ``IGHV3-23``, ``IGHM`` -> ``IGH``; likewise IGK, IGL, TRA, TRB, TRD, TRG); other
names are kept as written (the engine maps aliases to HGNC symbols). A partner pair listed on several
rows (breakpoints, isoforms) is reported once: in frame when any row is in frame, unknown when any row
is unknown, out of frame only when every row is; its read support is that of its best-supported row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ismart.dossier import Fusion
from ismart.errors import ProfileFileError
from ismart.profiles._common import Header, build, cell, is_missing, read_lines, shown

__all__ = ["read_arriba", "read_star_fusion"]

_LOCI = "IGH|IGK|IGL|TRA|TRB|TRD|TRG"
_LOCUS_NAMES = (
    re.compile(rf"(?P<locus>{_LOCI})(?:@.*)?"),  # IGH, IGH@, IGH@-ext (CTAT genome libraries)
    re.compile(rf"(?P<locus>{_LOCI})[VDJ][0-9I(].*"),  # segments: IGHV3-23, IGHJ6, TRBD1, IGHVII-1-1
    re.compile(r"(?P<locus>IGH)(?:M|D|E|EP1|A[12]|G[1-4]|GP)"),  # IGH constant-region genes
    re.compile(r"(?P<locus>IGK)C|(?P<l2>IGL)C[0-9]|(?P<l3>TR[AD])C|(?P<l4>TR[BG])C[12]"),
)
_ARRIBA_FRAMES: dict[str, bool | None] = {
    "in-frame": True,
    "out-of-frame": False,
    "stop-codon": False,
    ".": None,
}
_STAR_FRAMES: dict[str, bool | None] = {"INFRAME": True, "FRAMESHIFT": False}
_Row = tuple[str, str, bool | None, bool | None, int | None]
_DOMAIN = re.compile(r"([^,|()]+)\((\d+(?:\.\d+)?)%\)")


def locus_name(symbol: str) -> str:
    """The locus for an immunoglobulin or T-cell receptor gene or segment, else the symbol unchanged."""
    text = symbol.strip()
    for pattern in _LOCUS_NAMES:
        match = pattern.fullmatch(text.upper())
        if match is not None:
            return next(group for group in match.groups() if group)
    return text


def read_arriba(path: Path | str) -> list[Fusion]:
    """Fusions of an Arriba ``fusions.tsv``; see the module notes."""
    return _merged(str(path), _arriba_rows(str(path)))


def read_star_fusion(path: Path | str) -> list[Fusion]:
    """Fusions of a STAR-Fusion prediction table; see the module notes."""
    return _merged(str(path), _star_rows(str(path)))


def _table(name: str, first: str, needed: tuple[str, ...]) -> Iterator[tuple[Header, int, list[str]]]:
    """Rows of a caller's table whose header line starts with ``first`` (e.g. '#gene1')."""
    header: Header | None = None
    for number, text in read_lines(name):
        if not text.strip():
            continue
        if header is None:
            if not text.lower().startswith(first.lower()):
                raise ProfileFileError(name, number, f"expected the header line starting with {first!r}")
            header = Header.parse(name, number, text, strip="#")
            for column in needed:
                header.need(column)
            continue
        yield header, number, header.split(number, text)
    if header is None:
        raise ProfileFileError(name, None, f"empty file: no header line starting with {first!r}")


@dataclass(frozen=True)
class _ArribaColumns:
    gene1: int
    gene2: int
    frame: int | None
    type: int | None
    strands: tuple[int | None, int | None]
    domains: int | None
    reads: tuple[int | None, ...]

    @classmethod
    def of(cls, header: Header) -> _ArribaColumns:
        strands = (header.find("strand1(gene/fusion)"), header.find("strand2(gene/fusion)"))
        reads = tuple(header.find(c) for c in ("split_reads1", "split_reads2", "discordant_mates"))
        return cls(header.need("gene1"), header.need("gene2"), header.find("reading_frame"),
                   header.find("type"), strands, header.find("retained_protein_domains"), reads)  # fmt: skip


def _arriba_rows(name: str) -> Iterator[tuple[int, _Row]]:
    columns: _ArribaColumns | None = None
    for header, number, cells in _table(name, "#gene1", ("gene1", "gene2")):
        columns = columns or _ArribaColumns.of(header)
        five = _arriba_gene(name, number, cells[columns.gene1])
        three = _arriba_gene(name, number, cells[columns.gene2])
        if five is not None and three is not None:
            kinase = _kinase_kept(cell(cells, columns.domains))
            reads = _reads(name, number, cells, columns.reads)
            yield number, (five, three, _arriba_frame(name, number, cells, columns), kinase, reads)


def _reads(name: str, number: int, cells: list[str], columns: tuple[int | None, ...]) -> int | None:
    """The sum of the read-count columns; None when the file has none of them."""
    found = [cell(cells, index) for index in columns if index is not None]
    if not found:
        return None
    total = 0
    for value in found:
        if value is None:
            continue
        if not value.strip().isdigit():
            raise ProfileFileError(name, number, f"read count {shown(value)} is not a whole number")
        total += int(value)
    return total


def _kinase_kept(text: str | None) -> bool | None:
    """From Arriba's retained_protein_domains: is a kinase domain kept whole (see the module notes)?"""
    if text is None or is_missing(text):
        return None
    kept = [(domain.strip().lower(), float(share)) for domain, share in _DOMAIN.findall(text)]
    if not kept:
        return None
    kinase = [share for domain, share in kept if "kinase" in domain]
    if not kinase:
        return False
    return True if max(kinase) >= 100 else None


def _arriba_gene(name: str, number: int, text: str) -> str | None:
    """The gene of a breakpoint: the closest of Arriba's 'GENE1(123),GENE2(45)' list; None for '.'."""
    if is_missing(text):
        return None
    best: tuple[int, str] | None = None
    for item in text.split(","):
        match = re.fullmatch(r"\s*([^()\s]+)\s*(?:\(\s*([0-9]+)\s*\))?\s*", item)
        if match is None:
            raise ProfileFileError(name, number, f"gene {shown(text)} is not GENE or GENE(distance),...")
        distance = int(match[2]) if match[2] is not None else 0
        if best is None or distance < best[0]:
            best = (distance, match[1])
    return locus_name(best[1]) if best is not None else None


def _arriba_frame(name: str, number: int, cells: list[str], columns: _ArribaColumns) -> bool | None:
    kind = cell(cells, columns.type) or ""
    if "5'-5'" in kind or "3'-3'" in kind:
        return False
    for index in columns.strands:
        value = cell(cells, index)
        if value is not None and value.rsplit("/", 1)[-1] not in ("+", "-"):
            return None  # transcribed strand unknown: the order and the frame are unknown
    raw = cells[columns.frame] if columns.frame is not None else "."
    if raw.lower() not in _ARRIBA_FRAMES:
        allowed = "in-frame, out-of-frame, stop-codon or ."
        raise ProfileFileError(name, number, f"reading_frame {shown(raw)} is not {allowed}")
    return _ARRIBA_FRAMES[raw.lower()]


def _star_rows(name: str) -> Iterator[tuple[int, _Row]]:
    for header, number, cells in _table(name, "#FusionName", ("FusionName",)):
        fusion_name = cells[header.need("FusionName")]
        parts = fusion_name.split("--")
        if len(parts) != 2 or is_missing(parts[0]) or is_missing(parts[1]):
            raise ProfileFileError(name, number, f"FusionName {shown(fusion_name)} is not GENE1--GENE2")
        five, three = (locus_name(part.split(",")[0]) for part in parts)
        frame = cell(cells, header.find("PROT_FUSION_TYPE"))
        reads = _reads(
            name, number, cells, (header.find("JunctionReadCount"), header.find("SpanningFragCount"))
        )
        yield number, (five, three, _star_frame(name, number, frame), None, reads)


def _star_frame(name: str, number: int, value: str | None) -> bool | None:
    if value is None:
        return None
    if value.upper() not in _STAR_FRAMES:
        raise ProfileFileError(name, number, f"PROT_FUSION_TYPE {shown(value)} is not INFRAME or FRAMESHIFT")
    return _STAR_FRAMES[value.upper()]


def _merged(name: str, rows: Iterator[tuple[int, _Row]]) -> list[Fusion]:
    """One Fusion per (5', 3') pair, in the order first seen."""
    frames: dict[tuple[str, str], list[bool | None]] = {}
    kinases: dict[tuple[str, str], list[bool | None]] = {}
    reads: dict[tuple[str, str], list[int]] = {}
    lines: dict[tuple[str, str], int] = {}
    for number, (five, three, in_frame, kinase, count) in rows:
        frames.setdefault((five, three), []).append(in_frame)
        kinases.setdefault((five, three), []).append(kinase)
        reads.setdefault((five, three), []).extend([count] if count is not None else [])
        lines.setdefault((five, three), number)
    return [
        build(
            Fusion, name, lines[pair], five_prime=pair[0], three_prime=pair[1], in_frame=_combined(seen),
            retains_kinase_domain=_combined(kinases[pair]),
            supporting_reads=max(reads[pair], default=None),
        )
        for pair, seen in frames.items()
    ]  # fmt: skip


def _combined(frames: list[bool | None]) -> bool | None:
    if True in frames:
        return True
    if None in frames:
        return None
    return False
