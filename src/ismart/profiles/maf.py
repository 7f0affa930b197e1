"""Small variants from a Mutation Annotation Format file (GDC or cBioPortal MAF), streamed line by line.

* Lines starting with ``#`` (``#version 2.4``) are comments; the first other line is the header. It must
  name ``Hugo_Symbol`` and ``Tumor_Sample_Barcode``; ``Variant_Classification``, ``HGVSp_Short``,
  ``HGVSp``, ``HGVSc``, ``Exon_Number``, ``t_alt_count``, ``t_ref_count`` and ``t_depth`` are read when
  present. Columns are found by name, in any order.
* Every row with a protein change is kept, synonymous ones included (the engine knows they alter
  nothing). A row without one is kept when its classification is a coding one the engine understands
  (missense, nonsense, frameshift, in-frame insertion/deletion, splice site, silent). Rows classified
  intronic, UTR, flanking, intergenic or RNA are not protein changes and are dropped, whatever their
  protein column says. The ``FILTER`` column, when there is one, is not applied: a MAF is taken as the
  laboratory's list.
* The protein change is read from the first of ``HGVSp_Short``, ``HGVSp`` (GDC/TCGA, vcf2maf),
  ``Protein_Change`` (maftools, Oncotator), ``Amino_Acid_Change`` (cBioPortal, older MAFs) and ``aaChange``
  (WashU) that holds a value, normalised to 1-letter form; vcf2maf's splice notation ``p.X125_splice`` is
  not a protein change and becomes ``type: splice``. A change that cannot be read is kept raw
  (``protein_raw``) and goes to review; it is never an error of the file, and never hides the sample's
  other rows.
* A row with fewer or more tab-separated cells than the header (a ragged row, a file cut mid-line) is
  an error naming the line.
* ``vaf`` is ``t_alt_count / (t_alt_count + t_ref_count)``, else ``t_alt_count / t_depth``, else a
  frequency column: ``tumor_f``/``t_vaf`` are fractions, WashU's ``tumor_var_freq``/``i_TumorVAF_WU``
  percentages, and a value written with ``%`` is a percentage in any column.
"""

from __future__ import annotations

import re
from pathlib import Path

from ismart.dossier import Variant
from ismart.errors import ProfileFileError
from ismart.profiles._common import (
    Header,
    build,
    cell,
    coding_change,
    exon_number,
    integer,
    protein_change,
    read_lines,
)
from ismart.profiles._common import number as decimal

__all__ = ["read_maf"]

# MAF Variant_Classification values in the engine's words.
_TYPES = {
    "missense_mutation": "missense",
    "nonsense_mutation": "nonsense",
    "frame_shift_del": "frameshift",
    "frame_shift_ins": "frameshift",
    "in_frame_del": "inframe_deletion",
    "in_frame_ins": "inframe_insertion",
    "splice_site": "splice",
    "silent": "synonymous",
}
SPLICE = re.compile(r"p\.[A-Z*]?[0-9]+_splice", re.IGNORECASE)
# Classifications that are not protein changes (MAF specification, Variant_Classification).
NON_PROTEIN = frozenset(
    {"intron", "3'utr", "5'utr", "3'flank", "5'flank", "igr", "rna", "lincrna", "targeted_region"}
)
PROTEIN_COLUMNS = ("HGVSp_Short", "HGVSp", "Protein_Change", "Amino_Acid_Change", "aaChange")
# Frequency columns and their unit: fraction (0-1) or percentage (0-100).
FREQUENCY_COLUMNS = (("tumor_f", 1.0), ("t_vaf", 1.0), ("tumor_var_freq", 100.0), ("i_TumorVAF_WU", 100.0))


class _Columns:
    """Where the MAF columns this reader uses are."""

    def __init__(self, header: Header) -> None:
        self.header = header
        self.gene = header.need("Hugo_Symbol")
        self.sample = header.need("Tumor_Sample_Barcode")
        self.classification = header.find("Variant_Classification")
        self.protein = [i for i in (header.find(name) for name in PROTEIN_COLUMNS) if i is not None]
        self.frequency = [
            (i, name, unit) for name, unit in FREQUENCY_COLUMNS if (i := header.find(name)) is not None
        ]
        self.coding = header.find("HGVSc")
        self.exon = header.find("Exon_Number")
        self.alt = header.find("t_alt_count")
        self.ref = header.find("t_ref_count")
        self.depth = header.find("t_depth")


def read_maf(path: Path | str) -> dict[str, list[Variant]]:
    """Variants per ``Tumor_Sample_Barcode``, in file order; see the module notes."""
    name = str(path)
    columns: _Columns | None = None
    found: dict[str, list[Variant]] = {}
    for number, text in read_lines(path):
        if not text.strip() or text.startswith("#"):
            continue
        if columns is None:
            columns = _Columns(Header.parse(name, number, text))
            continue
        cells = columns.header.split(number, text)
        sample = cell(cells, columns.sample)
        if sample is None:
            raise ProfileFileError(name, number, "no Tumor_Sample_Barcode")
        variants = found.setdefault(sample, [])
        variant = _variant(columns, name, number, cells)
        if variant is not None:
            variants.append(variant)
    if columns is None:
        raise ProfileFileError(name, None, "no header line (Hugo_Symbol, Tumor_Sample_Barcode, ...)")
    return found


def _variant(columns: _Columns, name: str, number: int, cells: list[str]) -> Variant | None:
    gene = cell(cells, columns.gene)
    if gene is None:
        raise ProfileFileError(name, number, "no Hugo_Symbol")
    classification = cell(cells, columns.classification)
    if classification is not None and classification.lower() in NON_PROTEIN:
        return None
    kind = _TYPES.get(classification.lower()) if classification else None
    raw = next((v for v in (cell(cells, i) for i in columns.protein) if v is not None), None)
    if raw is not None and SPLICE.fullmatch(raw.strip()):
        raw, kind = None, "splice"
    hgvs_p, protein_raw = protein_change(name, number, raw)
    if protein_raw is None and kind is None:
        return None
    return build(
        Variant, name, number,
        gene=gene, hgvs_p=hgvs_p, protein_raw=protein_raw, hgvs_c=coding_change(cell(cells, columns.coding)),
        type=kind or classification, exon=exon_number(name, number, cell(cells, columns.exon)),
        vaf=_vaf(columns, name, number, cells),
    )  # fmt: skip


def _vaf(columns: _Columns, name: str, number: int, cells: list[str]) -> float | None:
    wanted = (("t_alt_count", columns.alt), ("t_ref_count", columns.ref), ("t_depth", columns.depth))
    counts = {
        what: integer(name, number, what, value)
        for what, index in wanted
        if (value := cell(cells, index)) is not None
    }
    alt = counts.get("t_alt_count")
    if alt is None:
        return _frequency(columns, name, number, cells)
    ref = counts.get("t_ref_count")
    total = alt + ref if ref is not None else counts.get("t_depth")
    if total is None or total <= 0:
        return None
    return alt / total


def _frequency(columns: _Columns, name: str, number: int, cells: list[str]) -> float | None:
    """A VAF from a frequency column, in that column's unit; a value outside it names the line."""
    for index, column, unit in columns.frequency:
        text = cell(cells, index)
        if text is None:
            continue
        scale = 100.0 if text.endswith("%") else unit
        value = decimal(name, number, column, text.removesuffix("%"))
        if not 0 <= value <= scale:
            limit = "100 %" if scale == 100.0 else "1 (a fraction)"
            raise ProfileFileError(name, number, f"{column} {value:g} is not between 0 and {limit}")
        return value / scale
    return None
