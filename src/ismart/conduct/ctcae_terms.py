"""The CTCAE v5.0 term list adverse events are validated against (``reference/ctcae_v5_terms.json``).

The shipped list is NCI's complete CTCAE v5.0 (837 terms: MedDRA code, SOC, the grades each term
defines with their criteria, definition), converted from NCI's workbook by
``tools/ctcae_v5_terms.py``; the file's ``source`` names the workbook, its checksum and the day.
Laboratory values are graded by the laboratory rules of ``ismart.treatment.ctcae``; this list
answers another question: is the term a CTCAE v5.0 term, and which grades does it define? A trial
office may put another list in force (``ISMART_CTCAE_TERMS``, same fields, YAML or JSON); a term
outside the list in force is refused with the closest term as a hint, never guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz, process

from ismart import yamlio
from ismart.errors import InputError, ProtocolDataError
from ismart.treatment.ctcae import canonical_term, is_lab_term

RESOURCE = "ctcae_v5_terms.json"
SCHEMA_VERSION = 1
HINT_CUTOFF = 75  # rapidfuzz WRatio (0-100) below which no "did you mean" is offered


class TermEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    term: str = Field(min_length=1)
    soc: str = Field(min_length=1)
    grades: tuple[int, ...] = Field(min_length=1)
    meddra_code: int | None = Field(default=None, ge=10000000, le=99999999)
    criteria: dict[str, str] = Field(default_factory=dict)  # grade ("1".."5") -> CTCAE text
    definition: str = ""


class TermFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int
    name: str
    version: str
    coverage: str
    source: dict[str, Any] | None = None
    terms: tuple[TermEntry, ...] = Field(min_length=1)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class TermList:
    """The validated list with a lookup that ignores case and spacing."""

    data: TermFile
    by_key: dict[str, TermEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {_key(t.term): t for t in self.data.terms})

    def __len__(self) -> int:
        return len(self.data.terms)

    def suggest(self, term: str) -> str | None:
        """The closest term of the list (rapidfuzz), or None when nothing is close."""
        found = process.extractOne(
            _key(term), list(self.by_key), scorer=fuzz.WRatio, score_cutoff=HINT_CUTOFF
        )
        return None if found is None else self.by_key[found[0]].term

    def find(self, term: str) -> TermEntry:
        """The entry of ``term`` (or of a laboratory alias of it); InputError naming the term."""
        found = self.by_key.get(_key(term))
        if found is None and is_lab_term(term):
            # a laboratory grading rule's name; admiral's "Hypercalcemia (Ionized)" rule grades
            # the CTCAE term "Hypercalcemia", so a trailing parenthesis is dropped
            spelled = canonical_term(term)
            found = self.by_key.get(_key(spelled)) or self.by_key.get(_key(spelled.split(" (")[0]))
        if found is None:
            close = self.suggest(term)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise InputError(
                f"term: {term!r} is not in the CTCAE v5.0 term list in force ({self.data.coverage}){hint}"
            )
        return found

    def search(self, text: str, limit: int = 20) -> list[TermEntry]:
        """Terms for a search box: those containing every word of ``text`` first (alphabetical),
        then close spellings (rapidfuzz), at most ``limit``."""
        words = _key(text).split()
        if not words:
            return []
        alias = self.by_key.get(_key(canonical_term(text))) if is_lab_term(text) else None
        out = [alias] if alias else []
        out += [t for k, t in sorted(self.by_key.items()) if all(w in k for w in words) and t is not alias]
        if len(out) < limit:
            seen = {t.term for t in out}
            for key, _score, _i in process.extract(
                _key(text), list(self.by_key), scorer=fuzz.WRatio, limit=limit, score_cutoff=HINT_CUTOFF
            ):
                if self.by_key[key].term not in seen:
                    out.append(self.by_key[key])
        return out[:limit]


def _checked(data: TermFile, name: str) -> TermList:
    keys = [_key(t.term) for t in data.terms]
    if len(set(keys)) != len(keys):
        raise InputError(f"{name}: a term is listed twice")
    for entry in data.terms:
        if not set(entry.grades) <= {1, 2, 3, 4, 5}:
            raise InputError(f"{name}: {entry.term!r}: grades must be 1 to 5")
        if entry.criteria and set(entry.criteria) != {str(g) for g in entry.grades}:
            raise InputError(f"{name}: {entry.term!r}: criteria must be given for exactly its grades")
    return TermList(data)


def parse_terms(text: str, name: str = RESOURCE) -> TermList:
    """Validate a term-list file's text (YAML or JSON, the fields of the shipped file)."""
    if name.lower().endswith(".json"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProtocolDataError(f"{name}: not valid JSON: line {exc.lineno}") from None
        if not isinstance(raw, dict) or raw.get("schema_version") != SCHEMA_VERSION:
            got = raw.get("schema_version") if isinstance(raw, dict) else None
            raise ProtocolDataError(
                f"{name}: schema_version {got!r} is not supported (expected {SCHEMA_VERSION})"
            )
        data = yamlio.validate(TermFile, raw, name)
    else:
        data = yamlio.load_versioned(text, name, TermFile, SCHEMA_VERSION)
    return _checked(data, name)


@cache
def shipped_terms() -> TermList:
    entry = resources.files("ismart") / "reference" / RESOURCE
    return parse_terms(entry.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ValidTerm:
    term: str  # CTCAE spelling
    soc: str
    grade: int
    meddra_code: int | None = None


def validate_ae_term(term: str, grade: int, terms: TermList | None = None) -> ValidTerm:
    """The CTCAE spelling and SOC of ``term`` if ``grade`` is defined for it; else InputError."""
    if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 5:
        raise InputError(f"grade: {grade!r} is not a CTCAE grade (1 to 5)")
    entry = (terms or shipped_terms()).find(term)
    if grade not in entry.grades:
        listed = ", ".join(str(g) for g in entry.grades)
        raise InputError(f"grade: {entry.term!r} has no CTCAE v5.0 grade {grade} (defined: {listed})")
    return ValidTerm(entry.term, entry.soc, grade, entry.meddra_code)
