"""The CTCAE v5.0 term list adverse events are validated against (``reference/ctcae_v5_terms.yaml``).

Laboratory values are still graded by the laboratory rules of ``ismart.treatment.ctcae``; this list
answers a different question: is the term a CTCAE v5.0 term, and which grades does it define? A
trial office may put a complete list in force (``ISMART_CTCAE_TERMS`` names the file in the
registry); a term outside the list in force is refused with the closest match as a hint.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from ismart import yamlio
from ismart.errors import InputError
from ismart.treatment.ctcae import canonical_term, is_lab_term

RESOURCE = "ctcae_v5_terms.yaml"
SCHEMA_VERSION = 1


class TermEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    term: str = Field(min_length=1)
    soc: str = Field(min_length=1)
    grades: tuple[int, ...] = Field(min_length=1)


class TermFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int
    name: str
    version: str
    coverage: str
    terms: tuple[TermEntry, ...] = Field(min_length=1)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class TermList:
    """The validated list with a lookup that ignores case and spacing."""

    data: TermFile

    @property
    def by_key(self) -> dict[str, TermEntry]:
        return {_key(t.term): t for t in self.data.terms}

    def __len__(self) -> int:
        return len(self.data.terms)

    def find(self, term: str) -> TermEntry:
        """The entry of ``term`` (or of a laboratory alias of it); InputError naming the term."""
        table = self.by_key
        spelled = canonical_term(term) if is_lab_term(term) else term
        found = table.get(_key(spelled))
        if found is None:
            close = difflib.get_close_matches(_key(term), table, n=1)
            hint = f" (did you mean {table[close[0]].term!r}?)" if close else ""
            raise InputError(
                f"term: {term!r} is not in the CTCAE v5.0 term list in force ({self.data.coverage}){hint}"
            )
        return found


def parse_terms(text: str, name: str = RESOURCE) -> TermList:
    """Validate a term-list file's text (same format as the shipped file)."""
    data = yamlio.load_versioned(text, name, TermFile, SCHEMA_VERSION)
    keys = [_key(t.term) for t in data.terms]
    if len(set(keys)) != len(keys):
        raise InputError(f"{name}: a term is listed twice")
    for entry in data.terms:
        if not set(entry.grades) <= {1, 2, 3, 4, 5}:
            raise InputError(f"{name}: {entry.term!r}: grades must be 1 to 5")
    return TermList(data)


@cache
def shipped_terms() -> TermList:
    entry = resources.files("ismart") / "reference" / RESOURCE
    return parse_terms(entry.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ValidTerm:
    term: str  # CTCAE spelling
    soc: str
    grade: int


def validate_ae_term(term: str, grade: int, terms: TermList | None = None) -> ValidTerm:
    """The CTCAE spelling and SOC of ``term`` if ``grade`` is defined for it; else InputError."""
    if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 5:
        raise InputError(f"grade: {grade!r} is not a CTCAE grade (1 to 5)")
    entry = (terms or shipped_terms()).find(term)
    if grade not in entry.grades:
        listed = ", ".join(str(g) for g in entry.grades)
        raise InputError(f"grade: {entry.term!r} has no CTCAE v5.0 grade {grade} (defined: {listed})")
    return ValidTerm(entry.term, entry.soc, grade)
