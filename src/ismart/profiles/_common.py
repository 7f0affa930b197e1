"""What every profile reader shares: numbered lines, tab-separated tables, and errors naming the line.

Files are read as bytes and decoded line by line, so a file that is not UTF-8 text fails with the number
of the offending line, and a gzip-compressed file (``.gz``/``.bgz``) is read the same way without being
unpacked first. Nothing is loaded whole: readers stream, as MAF and segment files can be large.
"""

from __future__ import annotations

import gzip
import math
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from pydantic import BaseModel, ValidationError

from ismart.errors import ProfileFileError
from ismart.molecular.protein import HgvsError, parse_protein_change

M = TypeVar("M", bound=BaseModel)

# Values that mean "no value" in laboratory tables.
MISSING = frozenset({"", ".", "na", "n/a", "nan", "none", "null", "-"})
_SHOWN = 60  # characters of a cell quoted in a message


def shown(text: str) -> str:
    """A cell for an error message: quoted, cut when long."""
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


def is_missing(value: str | None) -> bool:
    return value is None or value.strip().lower() in MISSING


def read_lines(path: Path | str) -> Iterator[tuple[int, str]]:
    """The lines of a text file numbered from 1, without their line ends (and without a leading BOM)."""
    name = str(path)
    try:
        handle = gzip.open(path, "rb") if name.endswith((".gz", ".bgz")) else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise ProfileFileError(name, None, f"cannot open the file: {exc.strerror or exc}") from None
    number = 0
    with handle:
        try:
            for number, raw in enumerate(handle, 1):
                yield number, _decode(name, number, raw)
        except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            raise ProfileFileError(name, number + 1, f"cannot read the file: {exc}") from None


def _decode(name: str, number: int, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileFileError(name, number, "not UTF-8 text") from None
    if number == 1:
        text = text.removeprefix("\ufeff")
    return text.rstrip("\r\n")


@dataclass(frozen=True)
class Header:
    """The column names of a tab-separated table and where they are."""

    path: str
    line: int
    names: tuple[str, ...]

    @classmethod
    def parse(cls, path: str, line: int, text: str, *, strip: str = "") -> Header:
        names = tuple(name.strip() for name in text.lstrip(strip).split("\t"))
        seen: set[str] = set()
        for name in names:
            if name.lower() in seen and name:
                raise ProfileFileError(path, line, f"the column {shown(name)} appears twice in the header")
            seen.add(name.lower())
        return cls(path, line, names)

    def find(self, *candidates: str) -> int | None:
        """Index of the first column named like one of ``candidates`` (case ignored), else None."""
        lowered = [name.lower() for name in self.names]
        for candidate in candidates:
            if candidate.lower() in lowered:
                return lowered.index(candidate.lower())
        return None

    def need(self, *candidates: str) -> int:
        index = self.find(*candidates)
        if index is None:
            wanted = " or ".join(repr(c) for c in candidates)
            raise ProfileFileError(self.path, self.line, f"no {wanted} column in the header")
        return index

    def split(self, number: int, text: str) -> list[str]:
        """A row's cells; as many as the header has (trailing empty cells beyond it are dropped)."""
        cells = text.split("\t")
        while len(cells) > len(self.names) and not cells[-1].strip():
            cells.pop()
        if len(cells) != len(self.names):
            raise ProfileFileError(
                self.path, number, f"{len(cells)} tab-separated columns, the header has {len(self.names)}"
            )
        return [cell.strip() for cell in cells]


def cell(cells: list[str], index: int | None) -> str | None:
    """The cell at ``index``, None when the column is absent or the cell holds no value."""
    if index is None:
        return None
    value = cells[index]
    return None if is_missing(value) else value


def number(path: str, line: int, what: str, text: str) -> float:
    """A finite decimal number, or a ProfileFileError naming the column."""
    try:
        value = float(text)
    except ValueError:
        raise ProfileFileError(path, line, f"{what} {shown(text)} is not a number") from None
    if not math.isfinite(value):
        raise ProfileFileError(path, line, f"{what} {shown(text)} is not a finite number")
    return value


def integer(path: str, line: int, what: str, text: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]{1,12}", text.strip()):
        raise ProfileFileError(path, line, f"{what} {shown(text)} is not a whole number")
    return int(text)


def protein_change(path: str, line: int, text: str | None) -> tuple[str | None, str | None]:
    """``(normalised, raw)``: an HGVS protein change in 1-letter form (``p.G12D``) and the text as written.

    ``text`` may carry a transcript or protein prefix (``ENSP00000256078.5:p.Gly12Asp``) and URL-encoded
    characters (VEP writes ``=`` as ``%3D`` in VCF). A change that cannot be read is not an error of the
    file: it is returned as ``(None, raw)``, so the row is kept and shown raw for review, and the other
    rows of the sample are unaffected.
    """
    if text is None or is_missing(text):
        return None, None
    decoded = unquote(text.strip())
    body = decoded.rsplit(":", 1)[-1]
    try:
        return parse_protein_change(body).normalized(), decoded
    except HgvsError:
        return None, decoded


def coding_change(text: str | None) -> str | None:
    """An HGVS coding change without its transcript prefix (``ENST...:c.35G>A`` -> ``c.35G>A``)."""
    if text is None or is_missing(text):
        return None
    return unquote(text.strip()).rsplit(":", 1)[-1]


def exon_number(path: str, line: int, text: str | None) -> int | None:
    """The (first) exon of ``14/24``, ``14-15/24`` or ``14``; None when not given."""
    if text is None or is_missing(text):
        return None
    match = re.fullmatch(r"\s*([0-9]{1,6})(?:\s*-\s*[0-9]{1,6})?\s*(?:/\s*[0-9]{1,6}\s*)?", text)
    if match is None or int(match[1]) < 1:
        raise ProfileFileError(path, line, f"exon {shown(text)} is not an exon number such as 14 or 14/24")
    return int(match[1])


def build(model: type[M], path: str, line: int | None, **fields: Any) -> M:
    """A dossier model from a file row; a value the model refuses is a ProfileFileError for that line."""
    try:
        return model(**fields)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ProfileFileError(path, line, f"{where}: {first['msg']} (got {first.get('input')!r})") from None
