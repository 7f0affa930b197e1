"""The prohibited-medication table: drugs, their interaction classes, and name matching.

The shipped table (reference/medications.yaml) cites a public source for every class membership.
CredibleMeds' QTdrugs list is licensed content, so it is not shipped; a site holding a licence
imports its own export with :meth:`MedicationTable.with_qt_import`, which adds the QT class for
the chosen risk categories (Known Risk by default, as CredibleMeds advises for decision support).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from ismart.errors import ProfileFileError, ProtocolDataError

# Salt and form words that do not change which drug it is ("ondansetron hydrochloride").
_NOISE = frozenset(
    {
        "hydrochloride",
        "hcl",
        "sodium",
        "potassium",
        "calcium",
        "magnesium",
        "phosphate",
        "sulfate",
        "sulphate",
        "mesylate",
        "maleate",
        "tartrate",
        "citrate",
        "acetate",
        "succinate",
        "fumarate",
        "besylate",
        "hyclate",
        "lactobionate",
        "stearate",
        "ethylsuccinate",
        "dihydrate",
        "monohydrate",
        "tablet",
        "tablets",
        "tab",
        "capsule",
        "capsules",
        "cap",
        "oral",
        "solution",
        "suspension",
        "syrup",
        "iv",
        "po",
        "injection",
        "infusion",
        "mg",
        "g",
        "mcg",
        "ug",
        "ml",
        "mg/ml",
        "daily",
        "bid",
        "tid",
        "qd",
        "once",
        "twice",
        "per",
        "day",
        "extended",
        "release",
        "er",
        "xr",
        "sr",
    }
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    title: str
    url: str
    accessed: str


class DrugEntry(_Model):
    name: str
    synonyms: list[str] = []
    classes: dict[str, str]  # class -> source id


class MedicationFile(_Model):
    schema_version: int
    name: str
    version: str
    sources: dict[str, Source]
    classes: dict[str, str]
    drugs: list[DrugEntry]


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    plain = plain.replace("'", "")
    return [w for w in re.split(r"[^a-z0-9/]+", plain) if w]


def _key(text: str) -> str:
    return " ".join(w for w in _words(text) if w not in _NOISE and not re.fullmatch(r"[\d/.]+", w))


class MedicationTable:
    """Look up a medication name (INN, synonym or brand; any case; with dose or salt words)."""

    def __init__(self, data: MedicationFile) -> None:
        self.data = data
        self.version = data.version
        self._index: dict[str, DrugEntry] = {}
        for drug in data.drugs:
            for cls, source in drug.classes.items():
                if cls not in data.classes:
                    raise ProtocolDataError(f"medications: {drug.name} has unknown class {cls!r}")
                if source not in data.sources:
                    raise ProtocolDataError(f"medications: {drug.name} cites unknown source {source!r}")
            for name in (drug.name, *drug.synonyms):
                self._index[_key(name)] = drug

    @classmethod
    def from_yaml(cls, path: Path) -> MedicationTable:
        return cls(_validate(yaml.safe_load(path.read_text(encoding="utf-8")), path.name))

    @classmethod
    @cache
    def load_default(cls) -> MedicationTable:
        text = (resources.files("ismart") / "reference" / "medications.yaml").read_text(encoding="utf-8")
        return cls(_validate(yaml.safe_load(text), "medications.yaml"))

    def match(self, name: str) -> DrugEntry | None:
        """The entry for a name: the whole cleaned name, else its longest leading word run."""
        words = _key(name).split()
        for length in range(len(words), 0, -1):
            entry = self._index.get(" ".join(words[:length]))
            if entry is not None:
                return entry
        return None

    def classes_of(self, name: str) -> frozenset[str]:
        entry = self.match(name)
        return frozenset(entry.classes) if entry else frozenset()

    def with_qt_import(self, path: Path, categories: tuple[str, ...] = ("KR",)) -> MedicationTable:
        """A copy of the table with the QT class added from a site's licensed CSV export."""
        source_id = f"site_qt_import_{path.stem}"
        sources = {
            **self.data.sources,
            source_id: Source(
                title=f"site-licensed CredibleMeds import ({path.name})", url=str(path), accessed="import"
            ),
        }
        drugs = {d.name: d for d in self.data.drugs}
        for generic, brands in _read_qt_csv(path, categories):
            entry = self.match(generic)
            if entry is None:
                drugs[generic] = DrugEntry(
                    name=generic, synonyms=brands, classes={"qt_prolonging": source_id}
                )
            elif "qt_prolonging" not in entry.classes:
                drugs[entry.name] = entry.model_copy(
                    update={"classes": {**entry.classes, "qt_prolonging": source_id}}
                )
        data = self.data.model_copy(
            update={
                "sources": sources,
                "drugs": list(drugs.values()),
                "version": f"{self.version}+{path.name}",
            }
        )
        return MedicationTable(data)


def _validate(data: Any, name: str) -> MedicationFile:
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        version = data.get("schema_version") if isinstance(data, dict) else None
        raise ProtocolDataError(f"{name}: schema_version {version!r} is not supported")
    try:
        return MedicationFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ProtocolDataError(f"{name}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def _column(header: list[str], *names: str) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _read_qt_csv(path: Path, categories: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileFileError(str(path), None, f"cannot read QT list: {exc}") from None
    if not rows:
        raise ProfileFileError(str(path), 1, "empty QT list")
    generic = _column(rows[0], "generic name", "generic", "drug", "name")
    risk = _column(rows[0], "risk category", "category", "risk")
    brands = _column(rows[0], "brand names", "brand name", "brands")
    if generic is None or risk is None:
        raise ProfileFileError(str(path), 1, "header needs a generic-name and a risk-category column")
    wanted = {c.upper() for c in categories}
    found: list[tuple[str, list[str]]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(generic, risk):
            raise ProfileFileError(str(path), number, f"expected at least {max(generic, risk) + 1} columns")
        category = row[risk].strip().upper()
        if category not in {"KR", "PR", "CR", "SR"}:
            raise ProfileFileError(str(path), number, f"unknown risk category {row[risk]!r}")
        if category in wanted and row[generic].strip():
            names = (
                [b.strip() for b in re.split(r"[,;]", row[brands]) if b.strip()]
                if brands is not None and len(row) > brands
                else []
            )
            found.append((row[generic].strip().lower(), names))
    return found
