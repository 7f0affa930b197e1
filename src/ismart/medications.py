"""The prohibited-medication table: drugs, their interaction classes, and name matching.

HEM-iSMART sub-protocols B and C exclude patients on CYP3A4 inhibitors, P-gp inhibitors, moderate
or strong CYP3A4 inducers or QT-prolonging drugs; D excludes QT-prolonging drugs. The protocol's
own list is not public, so ismart ships ``reference/medications.yaml``, built from public sources:
the FDA-guidance classification of CYP3A inhibitors and inducers, a public P-gp inhibitor table,
and, for QT prolongation, each drug's own US prescribing information. Every class membership
cites its source.

Licensing: the CredibleMeds QTdrugs list (AZCERT) is the usual clinical reference for QT risk,
but it is licensed content and is NOT shipped or copied here. A site that holds a licence exports
its copy as CSV (generic name, brand names, risk category KR/PR/CR/SR) and merges it at run time
with :meth:`MedicationTable.with_qt_import`; by default only Known Risk (KR) drugs are added, the
category CredibleMeds itself recommends for clinical decision support. Imported memberships cite
"site-licensed CredibleMeds import (<file name>)", so a report always shows where a flag came from.

Name matching is token based: case, accents, punctuation, hyphen/space variants, salts, doses and
dosage-form words are tolerated ("Ondansetron HCl 4 mg tablet"), but a name never matches inside a
longer, different word ("quinine" does not match "quinidine"). Names are compared after a
spelling fold that maps the regular European variants of an INN onto one key (th/t, ph/f, y/i,
k/c, qu/c, doubled letters, a final e: "itraconazol", "Claritromycine", "Ciclosporin",
"levofloxacine" and "kinin" find their INN); two table names that fold alike are refused when
the table is loaded. A name that is still not found is *not recognised*; :meth:`suggest` offers
the closest table name (rapidfuzz), and :meth:`near_forbidden` finds words of a line that are
close to a drug of a given class, so that a misspelt forbidden drug is never read as safe.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from rapidfuzz import fuzz, process

from ismart import yamlio
from ismart.errors import ProfileFileError, ProtocolDataError

SCHEMA_VERSION = 1
QT_CLASS = "qt_prolonging"
RISK_CATEGORIES = ("KR", "PR", "CR", "SR")
_CATEGORY_NAMES = {
    "KNOWN RISK": "KR",
    "KNOWN RISK OF TDP": "KR",
    "POSSIBLE RISK": "PR",
    "POSSIBLE RISK OF TDP": "PR",
    "CONDITIONAL RISK": "CR",
    "CONDITIONAL RISK OF TDP": "CR",
    "SPECIAL RISK": "SR",
}
_HEADERS = {
    "generic": ("generic name", "generic names", "generic"),
    "brands": ("brand names", "brand name", "brands", "brand"),
    "category": ("risk category", "category", "risk"),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Frozen):
    """A public document (or a site's licensed import) that a class membership cites."""

    title: str = Field(min_length=1)
    url: str = Field(min_length=1)
    accessed: date


class DrugEntry(_Frozen):
    """One drug: its lowercase INN, the other names it goes by, and its cited classes."""

    name: str = Field(min_length=1)
    synonyms: tuple[str, ...] = ()
    classes: tuple[str, ...] = Field(min_length=1)
    sources: dict[str, str]
    names_source: str | None = None  # where the brand names / national spellings were read
    # False: a cited document's text was not checked for this entry's class memberships
    verified: bool = True
    # False: the names were written from the registers named by names_source without checking each
    names_verified: bool = True

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.name != " ".join(self.name.lower().split()):
            raise ValueError(f"name {self.name!r} must be lowercase and trimmed")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"{self.name}: a class is listed twice")
        if set(self.sources) != set(self.classes):
            raise ValueError(f"{self.name}: cite exactly one source for each class")
        if self.synonyms and self.names_source is None:
            raise ValueError(
                f"{self.name}: other names are given, so cite where they come from (names_source)"
            )
        return self


class MedicationFile(_Frozen):
    """The medication YAML file, as validated."""

    schema_version: Literal[1]
    name: str
    version: str
    sources: dict[str, Source]
    classes: dict[str, str]
    drugs: tuple[DrugEntry, ...]

    @model_validator(mode="after")
    def _references(self) -> Self:
        for drug in self.drugs:
            for cls, source in drug.sources.items():
                if cls not in self.classes:
                    raise ValueError(f"{drug.name}: unknown class {cls!r}")
                if source not in self.sources:
                    raise ValueError(f"{drug.name}: cites unknown source {source!r}")
            if drug.names_source is not None and drug.names_source not in self.sources:
                raise ValueError(f"{drug.name}: names cite unknown source {drug.names_source!r}")
        return self


# ---- name normalisation and lookup


def _tokens(text: str) -> list[str]:
    """Lowercase ASCII letter runs and digit runs; apostrophes vanish ("john's" -> "johns")."""
    plain = text.replace("'", "").replace("\u2019", "").replace("`", "")
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[a-z]+|[0-9]+", plain.lower())


_FOLDS = (
    ("ph", "f"),
    ("th", "t"),
    ("qu", "c"),
    ("ck", "c"),
    ("k", "c"),
    ("y", "i"),
    ("ae", "e"),
    ("oe", "e"),
)


def _fold(joined: str) -> str:
    """One key for the regular European spellings of a name (see the module docstring)."""
    for old, new in _FOLDS:
        joined = joined.replace(old, new)
    joined = re.sub(r"([a-z])\1+", r"\1", joined)
    return joined[:-1] if len(joined) > 4 and joined.endswith("e") else joined


def _key(text: str) -> str:
    return _fold("".join(_tokens(text)))


def _index(drugs: Iterable[DrugEntry]) -> dict[str, DrugEntry]:
    """Every name and synonym (spacing and punctuation removed) -> its entry; no name twice."""
    index: dict[str, DrugEntry] = {}
    for drug in drugs:
        for name in (drug.name, *drug.synonyms):
            key = _key(name)
            if not key:
                raise ProtocolDataError(f"medications: {drug.name}: name {name!r} has no letters")
            other = index.setdefault(key, drug)
            if other.name != drug.name:
                raise ProtocolDataError(f"medications: {name!r} names both {other.name} and {drug.name}")
    return index


def _lookup(index: Mapping[str, DrugEntry], text: str, longest: int) -> DrugEntry | None:
    """The entry whose name is the longest run of whole words in ``text`` (earliest on a tie).

    Adjacent words are joined before comparison, so "co-trimoxazole", "co trimoxazole" and
    "cotrimoxazole" are one name; a word is never cut, so no name matches inside another word.
    """
    words = _tokens(text)
    best: DrugEntry | None = None
    best_length = 0
    for start in range(len(words)):
        joined = ""
        for word in words[start:]:
            joined += word
            if len(joined) > longest + 2:
                break
            entry = index.get(_fold(joined))
            if entry is not None and len(joined) > best_length:
                best, best_length = entry, len(joined)
    return best


# Units, dosage forms, routes and frequencies as sites write them after a name ("50 mg/5 ml
# suspensie", "0.15 mg/kg iv", "400 mg/80 mg", "1 dd zo nodig"): text made of these alone names no drug.
_DOSE_TEXT = """
    mg g gram grams mcg ug microgram micrograms ng ml l dl iu ie u units unit eenheden kg m mmol meq
    tablet tablets tab tabs tablett tabletten tabl comprime comprimes capsule capsules caps cap kapsel
    kapseln suspension suspensie suspensjon solution oplossing losung loesung drank syrup siroop sirup
    drops druppels tropfen injection inj infusion infuus oral orale po iv sc im it inh bid tid qid qd od
    dd daily per day days dag daags x h hr uur hours week wk prn zn zo nodig bei bedarf sachet granules
    powder vial amp ampoule liquid ointment cream spray mouthwash
"""
_DOSE_WORDS = frozenset(_DOSE_TEXT.split())


def is_dose_text(text: str) -> bool:
    """True when ``text`` holds only numbers, units, dosage forms, routes or frequencies."""
    words = _tokens(text)
    return bool(words) and all(w.isdigit() or w in _DOSE_WORDS for w in words)


# ---- the table


class MedicationTable:
    """The validated table with name lookup. Immutable: imports return a new table."""

    def __init__(self, data: MedicationFile) -> None:
        self.data = data
        self._index = _index(data.drugs)
        self._longest = max((len(k) for k in self._index), default=0)
        self._display = {
            _key(n): drug.name if _key(n) == _key(drug.name) else f"{n} ({drug.name})"
            for drug in data.drugs
            for n in (drug.name, *drug.synonyms)
            if _key(n)
        }
        self._choices = list(self._display)
        self._seen: dict[str, DrugEntry | None] = {}  # names repeat across screenings

    @property
    def name(self) -> str:
        return self.data.name

    @property
    def version(self) -> str:
        return self.data.version

    @property
    def sources(self) -> dict[str, Source]:
        return self.data.sources

    @property
    def classes(self) -> dict[str, str]:
        return self.data.classes

    @property
    def drugs(self) -> tuple[DrugEntry, ...]:
        return self.data.drugs

    @staticmethod
    def load_default() -> MedicationTable:
        """The shipped table (``ismart/reference/medications.yaml``), validated once per process."""
        return _default_table()

    @classmethod
    def from_yaml(cls, path: str | Path) -> MedicationTable:
        """A site's own table in the same format."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ProtocolDataError(f"{path.name}: cannot read medication table: {exc}") from None
        return cls(_parse(text, path.name))

    def match(self, name: str) -> DrugEntry | None:
        """The entry a free-text medication name refers to, or None when it is not in the table."""
        if name not in self._seen:
            self._seen[name] = _lookup(self._index, name, self._longest)
        return self._seen[name]

    def by_other_name(self, name: str) -> bool:
        """Whether ``name`` is recognised through one of the entry's other names, not its INN."""
        entry = self.match(name)
        if entry is None:
            return False
        inn = _key(entry.name)
        words = _tokens(name)
        runs = {_fold("".join(words[i:j])) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
        return inn not in runs

    def suggest(self, name: str) -> str | None:
        """The table name closest to an unrecognised ``name`` ("did you mean ...?"), if any is close."""
        words = [w for w in _tokens(name) if len(w) >= 4 and not w.isdigit()]
        best: tuple[str, float] | None = None
        for query in (*words, "".join(words)):
            found = process.extractOne(_fold(query), self._choices, scorer=fuzz.ratio, score_cutoff=75)
            if found is not None and (best is None or found[1] > best[1]):
                best = (self._display[found[0]], found[1])
        return best[0] if best else None

    def near_forbidden(self, name: str, classes: Iterable[str]) -> list[tuple[str, str]]:
        """(word, drug) for words of ``name`` that are close to, but not, a drug of ``classes``."""
        wanted = set(classes)
        found: list[tuple[str, str]] = []
        for word in _tokens(name):
            if len(word) < 5 or word.isdigit() or _fold(word) in self._index:
                continue
            hit = process.extractOne(_fold(word), self._choices, scorer=fuzz.ratio, score_cutoff=80)
            if hit is not None and set(self._index[hit[0]].classes) & wanted:
                found.append((word, self._display[hit[0]]))
        return found

    def classes_of(self, name: str) -> frozenset[str]:
        """The interaction classes of a medication name; empty when it is not in the table."""
        entry = self.match(name)
        return frozenset(entry.classes) if entry is not None else frozenset()

    def with_qt_import(self, path: str | Path, categories: Iterable[str] = ("KR",)) -> MedicationTable:
        """A copy of the table with ``qt_prolonging`` added from a site's licensed CSV export.

        Only rows whose risk category is in ``categories`` (KR, PR, CR, SR) are merged; every row
        is still checked. Drugs already in the table gain the class (their other classes and
        sources stay); new drugs are added. Malformed files raise ProfileFileError(path, line).
        """
        path = Path(path)
        wanted = _wanted_categories(path, categories)
        rows = [row for row in _read_qt_csv(path) if row.category in wanted]
        source_id = "crediblemeds_import_" + "_".join(_tokens(path.name))
        source = Source(
            title=f"site-licensed CredibleMeds import ({path.name})",
            url=path.resolve().as_uri(),
            accessed=date.today(),
        )
        data = MedicationFile(
            schema_version=1,
            name=self.data.name,
            version=f"{self.data.version}+qt-import:{path.name}",
            sources={**self.data.sources, source_id: source},
            classes=self.data.classes,
            drugs=_merge_qt(self.data.drugs, rows, source_id),
        )
        return MedicationTable(data)


@cache
def _default_table() -> MedicationTable:
    entry = resources.files("ismart") / "reference" / "medications.yaml"
    return MedicationTable(_parse(entry.read_text(encoding="utf-8"), "medications.yaml"))


def _parse(text: str, name: str) -> MedicationFile:
    return yamlio.load_versioned(text, name, MedicationFile, SCHEMA_VERSION)


# ---- the site's licensed QT import


@dataclass(frozen=True)
class _QtRow:
    line: int
    generic: str
    brands: tuple[str, ...]
    category: str


def _wanted_categories(path: Path, categories: Iterable[str]) -> frozenset[str]:
    chosen = (categories,) if isinstance(categories, str) else tuple(categories)
    wanted = frozenset(_category(c) or c for c in chosen)
    unknown = sorted(wanted - set(RISK_CATEGORIES))
    if unknown or not wanted:
        raise ProfileFileError(
            str(path),
            None,
            f"risk categories to import must be among {', '.join(RISK_CATEGORIES)}; got {unknown or 'none'}",
        )
    return wanted


def _category(text: str) -> str | None:
    value = " ".join(text.upper().split())
    return value if value in RISK_CATEGORIES else _CATEGORY_NAMES.get(value)


def _read_qt_csv(path: Path) -> list[_QtRow]:
    text = _read_text(path)
    delimiter = max(",;\t", key=text.split("\n", 1)[0].count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        records = [(reader.line_num, cells) for cells in reader]
    except csv.Error as exc:
        raise ProfileFileError(str(path), reader.line_num, f"malformed CSV: {exc}") from None
    if not records:
        raise ProfileFileError(str(path), 1, "empty file: expected a header row")
    columns = _columns(path, records[0][1])
    return [
        _qt_row(path, line, cells, columns)
        for line, cells in records[1:]
        if any(cell.strip() for cell in cells)
    ]


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ProfileFileError(str(path), None, f"cannot read file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ProfileFileError(str(path), None, "not UTF-8 text") from None


def _columns(path: Path, header: list[str]) -> dict[str, int]:
    names = [" ".join(cell.strip().lower().replace("_", " ").replace("-", " ").split()) for cell in header]
    columns = {
        field: next((names.index(a) for a in aliases if a in names), -1)
        for field, aliases in _HEADERS.items()
    }
    for field in ("generic", "category"):
        if columns[field] < 0:
            wanted = " or ".join(repr(a.title()) for a in _HEADERS[field][:2])
            raise ProfileFileError(
                str(path), 1, f"header has no {wanted} column (found: {', '.join(map(repr, header))})"
            )
    return columns


def _qt_row(path: Path, line: int, cells: list[str], columns: dict[str, int]) -> _QtRow:
    needed = max(columns["generic"], columns["category"]) + 1
    if len(cells) < needed:
        raise ProfileFileError(str(path), line, f"expected at least {needed} columns, found {len(cells)}")
    generic = " ".join(cells[columns["generic"]].lower().split())
    if not _key(generic):
        raise ProfileFileError(str(path), line, "empty generic name")
    raw = cells[columns["category"]]
    category = _category(raw)
    if category is None:
        raise ProfileFileError(
            str(path), line, f"unknown risk category {raw.strip()!r} (expected {', '.join(RISK_CATEGORIES)})"
        )
    brand_cell = cells[columns["brands"]] if 0 <= columns["brands"] < len(cells) else ""
    brands = tuple(
        b for b in (" ".join(p.lower().split()) for p in re.split(r"[,;|]", brand_cell)) if _key(b)
    )
    return _QtRow(line, generic, brands, category)


def _merge_qt(drugs: tuple[DrugEntry, ...], rows: list[_QtRow], source_id: str) -> tuple[DrugEntry, ...]:
    """The drugs with ``qt_prolonging`` added for each row; new names become new entries."""
    merged = {drug.name: drug for drug in drugs}
    for row in rows:
        index = _index(merged.values())
        entry = _lookup(index, row.generic, max((len(k) for k in index), default=0))
        brands = tuple(dict.fromkeys(b for b in row.brands if _key(b) not in index))
        if entry is None:
            merged[row.generic] = DrugEntry(
                name=row.generic,
                synonyms=brands,
                classes=(QT_CLASS,),
                sources={QT_CLASS: source_id},
                names_source=source_id if brands else None,
            )
        elif QT_CLASS in entry.classes:
            if brands:
                merged[entry.name] = entry.model_copy(
                    update={
                        "synonyms": entry.synonyms + brands,
                        "names_source": entry.names_source or source_id,
                    }
                )
        else:
            merged[entry.name] = DrugEntry(
                name=entry.name,
                synonyms=entry.synonyms + brands,
                classes=(*entry.classes, QT_CLASS),
                sources={**entry.sources, QT_CLASS: source_id},
                names_source=entry.names_source or (source_id if brands else None),
                verified=entry.verified,
                names_verified=entry.names_verified,
            )
    return tuple(merged.values())
