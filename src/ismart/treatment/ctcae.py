"""CTCAE v5.0 laboratory grading: the shipped rule table, ``grade_lab`` and grade checks.

The rules live in ``reference/ctcae_v5_labs.yaml``: one entry per laboratory term of NCI CTCAE
v5.0 (27 Nov 2017), derived by hand from the criterion text as the pharmaverse/admiral project
encodes it (Apache-2.0; the file header names the commit). The file's own comments explain how
the text is read; in short, ">A - B" is A < value <= B and "<A - B" is B <= value < A.

``grade_lab`` returns the grade that the laboratory value decides **on its own**:

* grades 1-4 from the value (and ULN, LLN or baseline where the criterion needs them);
* 0 when the value lies outside every grade range;
* None when the value's range decides the grade only together with clinical information
  (lipase 2-5 x ULN: grade 2 if asymptomatic, 3 with symptoms); ``clinical_grades`` lists them.

A laboratory grade never includes the purely clinical alternatives ("hospitalization indicated",
"life-threatening consequences"): a clinician may raise it, and ``check_clinician_grade`` checks
that a grade they enter exists for the term. ULN, LLN and baseline are in the unit of the value.
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ismart import yamlio
from ismart.errors import InputError

SCHEMA_VERSION = 1
RESOURCE = "ctcae_v5_labs.yaml"
ALL_GRADES = (1, 2, 3, 4, 5)
LAB_GRADES_HIGH_FIRST = (4, 3, 2, 1)

Ref = Literal["absolute", "ULN", "LLN", "baseline", "ULN+"]
RatioTo = Literal["ULN", "LLN", "baseline"]
Form = Literal["always", "baseline_normal", "baseline_abnormal"]
Direction = Literal["increased", "decreased"]
_PARAMETER: dict[RatioTo, str] = {"ULN": "uln", "LLN": "lln", "baseline": "baseline"}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- the rule file


class Bound(_Frozen):
    """One edge of a grade range: absolute values per unit, or ``x`` times (or above) a reference."""

    ref: Ref
    x: float = 0.0
    values: dict[str, float] = Field(default_factory=dict)
    incl: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        absolute = self.ref == "absolute"
        if absolute != bool(self.values) or absolute == ("x" in self.model_fields_set):
            raise ValueError("an absolute edge takes 'values' (per unit); a relative edge takes 'x'")
        return self

    @property
    def reference(self) -> RatioTo | None:
        """The caller-supplied reference this edge needs (ULN, LLN or baseline), if any."""
        return None if self.ref == "absolute" else "ULN" if self.ref == "ULN+" else self.ref


class Criterion(_Frozen):
    """One laboratory clause of a grade: a value range, in one baseline form, maybe clinically qualified."""

    says: str = Field(min_length=1)
    low: Bound | None = None
    high: Bound | None = None
    when: Form = "always"
    if_clinical: str | None = None

    @model_validator(mode="after")
    def _has_edge(self) -> Self:
        if self.low is None and self.high is None:
            raise ValueError("a laboratory criterion needs a low or a high edge")
        return self

    @property
    def bounds(self) -> tuple[Bound, ...]:
        return tuple(b for b in (self.low, self.high) if b is not None)


class Grade(_Frozen):
    """One CTCAE grade of a term: its verbatim text and the rules derived from it."""

    text: str = Field(min_length=1)
    lab: tuple[Criterion, ...] = ()
    clinical: tuple[str, ...] = ()
    clinician_graded: bool = False

    @property
    def allowed(self) -> bool:
        """CTCAE writes "-" for a grade that does not exist for the term."""
        return self.text != "-"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.allowed and (self.lab or self.clinical or self.clinician_graded):
            raise ValueError('a grade whose text is "-" takes no criteria')
        only_clinical = self.allowed and all(c.if_clinical for c in self.lab)
        if self.clinician_graded != only_clinical:
            raise ValueError("clinician_graded must be true exactly when no laboratory clause decides alone")
        return self


class UnitSpec(_Frozen):
    """An accepted unit; ``factor`` converts a value in it into the term's canonical unit."""

    unit: str = Field(min_length=1)
    factor: float = Field(gt=0)
    aliases: tuple[str, ...] = ()


class LabTerm(_Frozen):
    """The grading rule of one CTCAE laboratory term."""

    term: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    soc: str
    analyte: str
    direction: Direction
    unit: str
    units: tuple[UnitSpec, ...] = Field(min_length=1)
    note: str | None = None
    grades: dict[int, Grade]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if sorted(self.grades) != list(ALL_GRADES):
            raise ValueError("grades must be exactly 1, 2, 3, 4 and 5")
        names = {u.unit: u.factor for u in self.units}
        if names.get(self.unit) != 1:
            raise ValueError(f"the canonical unit {self.unit!r} must be listed with factor 1")
        for bound in self._bounds():
            if bound.values and (self.unit not in bound.values or not set(bound.values) <= set(names)):
                raise ValueError(f"absolute edge {bound.values}: needs {self.unit!r}, only accepted units")
        return self

    def _bounds(self) -> Iterator[Bound]:
        for grade in self.grades.values():
            for crit in grade.lab:
                yield from crit.bounds

    @property
    def has_baseline_forms(self) -> bool:
        return any(c.when != "always" for g in self.grades.values() for c in g.lab)


class Encoding(_Frozen):
    project: str
    url: str
    path: str
    commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    licence: str
    used: str


class CtcaeSource(_Frozen):
    title: str
    publisher: str
    published: date
    url: str
    encoding: Encoding
    note: str | None = None


class CtcaeFile(_Frozen):
    """The whole rule file (``reference/ctcae_v5_labs.yaml``)."""

    schema_version: int
    name: str
    version: str
    source: CtcaeSource
    terms: tuple[LabTerm, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        seen: set[str] = set()
        for term in self.terms:
            for key in {_key(n) for n in (term.term, *term.aliases)}:
                if key in seen:
                    raise ValueError(f"term name or alias {key!r} is used twice")
                seen.add(key)
        return self


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _unit_key(text: str) -> str:
    """Unit spelling key: 'µmol/L' = 'umol/l', '×10⁹/L' = '10^9/L' = '109/l', '/mm³' = '/mm3'."""
    plain = unicodedata.normalize("NFKC", text).replace("μ", "u").replace("×", "x")
    key = "".join(plain.split()).replace("^", "").lower()
    return key[1:] if key[:2] in {"x1", "*1"} else key


class CtcaeTable:
    """The validated rule file, with lookups by term name (or alias) and unit spelling."""

    def __init__(self, data: CtcaeFile) -> None:
        self.data = data
        self._terms = {_key(n): t for t in data.terms for n in (t.term, *t.aliases)}

    def term(self, name: str) -> LabTerm:
        found = self._terms.get(_key(name))
        if found is None:
            close = difflib.get_close_matches(_key(name), self._terms, n=1)
            hint = f" (did you mean {self._terms[close[0]].term!r}?)" if close else ""
            raise InputError(f"term: {name!r} is not a CTCAE v5.0 laboratory term known to ismart{hint}")
        return found

    def knows(self, name: str) -> bool:
        return _key(name) in self._terms

    def unit(self, rule: LabTerm, unit: str) -> UnitSpec:
        for spec in rule.units:
            if _unit_key(unit) in {_unit_key(u) for u in (spec.unit, *spec.aliases)}:
                return spec
        accepted = ", ".join(u.unit for u in rule.units)
        raise InputError(f"unit: {unit!r} is not accepted for {rule.term!r} (accepted: {accepted})")


def parse_ctcae(text: str, name: str = RESOURCE) -> CtcaeTable:
    """Validate a rule file's text; any fault is a ProtocolDataError naming the file and field."""
    return CtcaeTable(yamlio.load_versioned(text, name, CtcaeFile, SCHEMA_VERSION))


@cache
def ctcae_table() -> CtcaeTable:
    """The shipped CTCAE v5.0 laboratory rules."""
    entry = resources.files("ismart") / "reference" / RESOURCE
    return parse_ctcae(entry.read_text(encoding="utf-8"))


# ---- grade checks


def is_lab_term(term: str) -> bool:
    """True when ``term`` (or an alias of it) is a laboratory term of the rule file."""
    return ctcae_table().knows(term)


def canonical_term(term: str) -> str:
    """The CTCAE spelling of a known laboratory term or alias; any other term, trimmed."""
    return ctcae_table().term(term).term if is_lab_term(term) else " ".join(term.split())


def allowed_grades(term: str) -> set[int]:
    """The grades (1-5) CTCAE defines for ``term``; a grade written "-" does not exist."""
    rule = ctcae_table().term(term)
    return {g for g, grade in rule.grades.items() if grade.allowed}


def clinician_graded(term: str) -> set[int]:
    """The grades of ``term`` that no laboratory value decides alone: a clinician assigns them."""
    rule = ctcae_table().term(term)
    return {g for g, grade in rule.grades.items() if grade.clinician_graded}


def check_clinician_grade(term: str, grade: int) -> int:
    """Return ``grade`` if CTCAE v5.0 defines it for ``term``; otherwise raise InputError."""
    if isinstance(grade, bool) or not isinstance(grade, int):
        raise InputError(f"grade: {grade!r} is not a whole number")
    allowed = allowed_grades(term)
    if grade not in allowed:
        listed = ", ".join(str(g) for g in sorted(allowed))
        raise InputError(f"grade: {term!r} has no CTCAE v5.0 grade {grade} (defined: {listed})")
    return grade


# ---- laboratory grading


@dataclass(frozen=True)
class LabGrade:
    """The grade a laboratory value decides, and why.

    ``grade`` is 0-4, or None when clinical information must decide between ``clinical_grades``.
    With a grade, ``clinical_grades`` lists higher grades the same value reaches with a clinical
    qualifier (symptomatic hypokalaemia). ``criterion`` is the CTCAE clause that decided;
    ``ratio`` is value / the reference named by ``ratio_to``. ``not_evaluated`` lists optional
    clauses skipped because their reference was not supplied (creatinine x baseline).
    """

    term: str
    grade: int | None
    criterion: str
    value: float
    unit: str
    ratio: float | None = None
    ratio_to: RatioTo | None = None
    clinical_grades: tuple[int, ...] = ()
    not_evaluated: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Reading:
    rule: LabTerm
    spec: UnitSpec
    value: float
    refs: Mapping[RatioTo, float | None]
    form: Form


def grade_lab(
    term: str,
    value: float,
    unit: str,
    *,
    uln: float | None = None,
    lln: float | None = None,
    baseline: float | None = None,
    baseline_abnormal: bool = False,
) -> LabGrade:
    """Grade one laboratory value by CTCAE v5.0; ULN, LLN and baseline are in ``unit``.

    ``baseline_abnormal`` picks the "if baseline was abnormal" form where CTCAE has one (for INR:
    "if on anticoagulation") and then needs ``baseline``. Raises InputError on an unknown term or
    unit, a non-finite or negative number, or a missing reference that the value's grade depends on.
    """
    table = ctcae_table()
    rule = table.term(term)
    refs: dict[RatioTo, float | None] = {
        "ULN": _positive("uln", uln),
        "LLN": _positive("lln", lln),
        "baseline": _positive("baseline", baseline),
    }
    reading = _Reading(
        rule, table.unit(rule, unit), _number("value", value), refs, _form(rule, baseline_abnormal, baseline)
    )
    return _decide(reading)


def _number(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InputError(f"{name}: {value!r} is not a finite number >= 0")
    return float(value)


def _positive(name: str, value: float | None) -> float | None:
    if value is not None and _number(name, value) == 0:
        raise InputError(f"{name}: must be greater than 0")
    return None if value is None else float(value)


def _form(rule: LabTerm, baseline_abnormal: bool, baseline: float | None) -> Form:
    if not rule.has_baseline_forms:
        return "always"
    if not baseline_abnormal:
        return "baseline_normal"
    if baseline is None:
        raise InputError(
            f"baseline: {rule.term!r} with an abnormal baseline is graded against the baseline value"
        )
    return "baseline_abnormal"


def _decide(r: _Reading) -> LabGrade:
    """Walk the grades from 4 down; the first clause that alone contains the value decides."""
    qualified: list[tuple[int, Criterion]] = []
    skipped: list[str] = []
    for grade in LAB_GRADES_HIGH_FIRST:
        for crit in r.rule.grades[grade].lab:
            if crit.when not in ("always", r.form) or not _contains(crit, r, skipped):
                continue
            if crit.if_clinical is None:
                return _graded(r, grade, crit, qualified, skipped)
            qualified.append((grade, crit))
    return _ungraded(r, qualified, skipped)


def _contains(crit: Criterion, r: _Reading, skipped: list[str]) -> bool:
    """Whether the value lies in the clause's range; a missing reference is skipped or an error."""
    missing: RatioTo | None = None
    for bound, side in ((crit.low, "low"), (crit.high, "high")):
        if bound is None:
            continue
        edge = _edge(bound, r)
        if edge is None:
            missing = bound.reference
        elif not _passes(*edge, side=side, incl=bound.incl):
            return False
    if missing is None:
        return True
    if missing == "baseline" and crit.when == "always":
        skipped.append(crit.says)
        return False
    raise InputError(
        f"{_PARAMETER[missing]}: needed to grade {r.value:g} {r.spec.unit} as {r.rule.term!r} ({crit.says})"
    )


def _edge(bound: Bound, r: _Reading) -> tuple[float, float] | None:
    """(value, threshold) in one unit, or None when the edge's reference was not supplied."""
    name = bound.reference
    if name is None:
        return _absolute_edge(bound, r)
    ref = r.refs[name]
    if ref is None:
        return None
    threshold = ref + bound.x / r.spec.factor if bound.ref == "ULN+" else bound.x * ref
    return r.value, threshold


def _absolute_edge(bound: Bound, r: _Reading) -> tuple[float, float]:
    """CTCAE's own number when it words the caller's unit; otherwise compare in the canonical unit."""
    if r.spec.unit in bound.values:
        return r.value, bound.values[r.spec.unit]
    return r.value * r.spec.factor, bound.values[r.rule.unit]


def _passes(value: float, threshold: float, *, side: str, incl: bool) -> bool:
    if math.isclose(value, threshold, rel_tol=1e-9, abs_tol=1e-12):
        return incl
    return value > threshold if side == "low" else value < threshold


def _graded(
    r: _Reading, grade: int, crit: Criterion, qualified: list[tuple[int, Criterion]], skipped: list[str]
) -> LabGrade:
    higher = tuple(sorted({g for g, _ in qualified if g > grade}))
    return _result(r, grade, crit.says, crit, clinical=higher, skipped=skipped)


def _ungraded(r: _Reading, qualified: list[tuple[int, Criterion]], skipped: list[str]) -> LabGrade:
    if not qualified:
        text = f"outside every CTCAE v5.0 grade range of {r.rule.term}"
        return _result(r, 0, text, None, clinical=(), skipped=skipped)
    text = " | ".join(f"grade {g}: {c.says}" for g, c in sorted(qualified, key=lambda gc: gc[0]))
    grades = tuple(sorted({g for g, _ in qualified}))
    return _result(r, None, text, qualified[0][1], clinical=grades, skipped=skipped)


def _result(
    r: _Reading,
    grade: int | None,
    text: str,
    crit: Criterion | None,
    *,
    clinical: tuple[int, ...],
    skipped: list[str],
) -> LabGrade:
    ratio, ratio_to = _ratio(r, crit)
    return LabGrade(
        term=r.rule.term,
        grade=grade,
        criterion=text,
        value=r.value,
        unit=r.spec.unit,
        ratio=ratio,
        ratio_to=ratio_to,
        clinical_grades=clinical,
        not_evaluated=tuple(skipped),
    )


def _ratio(r: _Reading, crit: Criterion | None) -> tuple[float | None, RatioTo | None]:
    """value / the reference of the deciding clause; else / ULN, LLN or baseline as the term reads."""
    names: list[RatioTo] = [b.reference for b in crit.bounds if b.reference] if crit else []
    for name in [*names, _usual_reference(r)]:
        ref = r.refs[name]
        if ref is not None:
            return r.value / ref, name
    return None, None


def _usual_reference(r: _Reading) -> RatioTo:
    if r.form == "baseline_abnormal":
        return "baseline"
    return "ULN" if r.rule.direction == "increased" else "LLN"
