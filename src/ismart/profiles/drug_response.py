"""Ex vivo drug response (IC50) tables: one drug per row, tab- or comma-separated.

Columns (names matched without regard to case): ``drug``; the IC50 either as ``ic50_nM`` (or
``ic50_uM``/``ic50_µM``, ``ic50_pM``, ``ic50_mM``) or as ``ic50`` with a ``unit`` (or ``ic50_unit``)
column holding nM, uM/µM/μM, pM or mM; optional ``central_lab`` (yes/no, true/false, 1/0). The IC50 is
converted to nM. An empty or ``NA`` IC50 means not measured. The separator is a tab when the header line
holds one, else a comma (quoted CSV cells are read as CSV).
"""

from __future__ import annotations

import csv
from pathlib import Path

from ismart.dossier import DrugResponse
from ismart.errors import ProfileFileError
from ismart.profiles._common import Header, build, cell, number, read_lines, shown

__all__ = ["read_ic50"]

_TO_NM = {"pm": 1e-3, "nm": 1.0, "um": 1e3, "µm": 1e3, "μm": 1e3, "mm": 1e6}
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})


class _Columns:
    def __init__(self, header: Header) -> None:
        self.header = header
        self.drug = header.need("drug")
        self.fixed: tuple[int, float] | None = None
        for unit, factor in _TO_NM.items():
            index = header.find(f"ic50_{unit}")
            if index is not None:
                self.fixed = (index, factor)
                break
        self.value = header.find("ic50")
        self.unit = header.find("unit", "ic50_unit")
        self.central = header.find("central_lab")
        if self.fixed is None and (self.value is None or self.unit is None):
            raise ProfileFileError(header.path, header.line, "no ic50_nM column (or ic50 with a unit column)")


def read_ic50(path: Path | str) -> list[DrugResponse]:
    """Drug responses of an IC50 table, in file order."""
    name = str(path)
    columns: _Columns | None = None
    separator = "\t"
    found: list[DrugResponse] = []
    for line, text in read_lines(path):
        if not text.strip() or text.startswith("#"):
            continue
        if columns is None:
            separator = "\t" if "\t" in text else ","
            header = Header.parse(name, line, "\t".join(_cells(name, line, text, separator)))
            columns = _Columns(header)
            continue
        cells = columns.header.split(line, "\t".join(_cells(name, line, text, separator)))
        found.append(_response(columns, name, line, cells))
    if columns is None:
        raise ProfileFileError(name, None, "no header line (drug, ic50_nM, central_lab)")
    return found


def _cells(name: str, line: int, text: str, separator: str) -> list[str]:
    if separator == "\t":
        return text.split("\t")
    try:
        cells = next(csv.reader([text], delimiter=separator, strict=True))
    except (csv.Error, StopIteration) as exc:
        raise ProfileFileError(name, line, f"not a CSV row: {exc}") from None
    if any("\t" in c for c in cells):
        raise ProfileFileError(name, line, "a tab inside a CSV cell")
    return cells


def _response(columns: _Columns, name: str, line: int, cells: list[str]) -> DrugResponse:
    drug = cell(cells, columns.drug)
    if drug is None:
        raise ProfileFileError(name, line, "no drug name")
    ic50 = _ic50(columns, name, line, cells)
    return build(
        DrugResponse, name, line, drug=drug, ic50_nM=ic50, central_lab=_central(columns, name, line, cells)
    )


def _ic50(columns: _Columns, name: str, line: int, cells: list[str]) -> float | None:
    if columns.fixed is not None:
        index, factor = columns.fixed
        text = cell(cells, index)
    else:
        text = cell(cells, columns.value)
        unit = cell(cells, columns.unit)
        if text is None:
            return None
        if unit is None or unit.lower() not in _TO_NM:
            raise ProfileFileError(name, line, f"IC50 unit {shown(unit or '')} is not nM, uM, pM or mM")
        factor = _TO_NM[unit.lower()]
    if text is None:
        return None
    return number(name, line, "IC50", text) * factor


def _central(columns: _Columns, name: str, line: int, cells: list[str]) -> bool | None:
    text = cell(cells, columns.central)
    if text is None:
        return None
    if text.lower() in _YES:
        return True
    if text.lower() in _NO:
        return False
    raise ProfileFileError(name, line, f"central_lab {shown(text)} is not yes or no")
