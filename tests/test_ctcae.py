"""CTCAE v5.0 laboratory grading: every grade edge of every term, units, references, grade checks."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from ismart.errors import InputError, ProtocolDataError
from ismart.treatment.ctcae import (
    allowed_grades,
    canonical_term,
    check_clinician_grade,
    clinician_graded,
    ctcae_table,
    grade_lab,
    is_lab_term,
    parse_ctcae,
)

CASES = Path(__file__).parent / "data" / "ctcae_cases.tsv"
STEP = 1e-6  # "just below/above" an edge: edge -/+ STEP x edge


@dataclass(frozen=True)
class Edge:
    term: str
    unit: str
    uln: float | None
    lln: float | None
    baseline: float | None
    abnormal: bool
    edge: float
    expected: tuple[str, str, str]  # below, at, above

    def grade(self, value: float) -> int | None:
        return grade_lab(
            self.term,
            value,
            self.unit,
            uln=self.uln,
            lln=self.lln,
            baseline=self.baseline,
            baseline_abnormal=self.abnormal,
        ).grade


def _number(text: str) -> float | None:
    return float(text) if text else None


def _edges() -> list[Edge]:
    lines = [line for line in CASES.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return [
        Edge(
            term=row["term"],
            unit=row["unit"],
            uln=_number(row["uln"]),
            lln=_number(row["lln"]),
            baseline=_number(row["baseline"]),
            abnormal=row["abnormal"] == "y",
            edge=float(row["edge"]),
            expected=(row["below"], row["at"], row["above"]),
        )
        for row in csv.DictReader(lines, delimiter="\t")
    ]


EDGES = _edges()
POINTS = [
    (edge, where, expected)
    for edge in EDGES
    for where, expected in zip(("below", "at", "above"), edge.expected, strict=True)
    if expected != "."
]


def _value(edge: Edge, where: str) -> float:
    return edge.edge * {"below": 1 - STEP, "at": 1.0, "above": 1 + STEP}[where]


def _point_id(point: tuple[Edge, str, str]) -> str:
    edge, where, _ = point
    form = " abnormal-baseline" if edge.abnormal else ""
    return f"{edge.term} {where} {edge.edge:g} {edge.unit}{form}"


@pytest.mark.parametrize(("edge", "where", "expected"), POINTS, ids=[_point_id(p) for p in POINTS])
def test_grade_at_each_edge(edge: Edge, where: str, expected: str) -> None:
    want = None if expected == "c" else int(expected)
    assert edge.grade(_value(edge, where)) == want


def test_case_table_covers_every_term_and_every_laboratory_grade() -> None:
    by_term: dict[str, set[str]] = {}
    for edge in EDGES:
        by_term.setdefault(edge.term, set()).update(edge.expected)
    terms = ctcae_table().data.terms
    assert set(by_term) == {t.term for t in terms}
    for term in terms:
        lab_grades = allowed_grades(term.term) - clinician_graded(term.term) - {5}
        assert {str(g) for g in lab_grades} <= by_term[term.term], term.term


def test_reference_file_has_all_40_admiral_terms_and_its_attribution() -> None:
    data = ctcae_table().data
    assert len(data.terms) == 40
    assert data.schema_version == 1
    assert data.source.published.isoformat() == "2017-11-27"
    assert data.source.url == "https://ctep.cancer.gov/protocoldevelopment/electronic_applications/ctc.htm"
    assert data.source.encoding.project == "pharmaverse/admiral"
    assert data.source.encoding.commit == "6eb5125a296b68eccd2f0075580b696a0900b2d3"
    assert "Apache" in data.source.encoding.licence


# ---- what a grade reports


def test_decisive_clause_and_ratio_to_uln() -> None:
    result = grade_lab("Alanine aminotransferase increased", 121, "U/L", uln=40)
    assert (result.grade, result.criterion) == (2, ">3.0 - 5.0 x ULN if baseline was normal")
    assert result.ratio == pytest.approx(3.025)
    assert result.ratio_to == "ULN"


def test_abnormal_baseline_form_reports_ratio_to_baseline() -> None:
    result = grade_lab("ALT increased", 130, "U/L", uln=40, baseline=80, baseline_abnormal=True)
    assert (result.grade, result.ratio_to) == (1, "baseline")
    assert result.ratio == pytest.approx(1.625)
    assert result.criterion == "1.5 - 3.0 x baseline if baseline was abnormal"


def test_baseline_is_ignored_when_baseline_was_normal() -> None:
    assert grade_lab("Alanine aminotransferase increased", 130, "U/L", uln=40, baseline=80).grade == 2


def test_absolute_grade_reports_ratio_to_lln_when_given() -> None:
    result = grade_lab("Neutrophil count decreased", 400, "/mm3", lln=1600)
    assert (result.grade, result.ratio_to) == (4, "LLN")
    assert result.ratio == pytest.approx(0.25)
    assert grade_lab("Neutrophil count decreased", 400, "/mm3").ratio is None


def test_grade_zero_explains_itself() -> None:
    result = grade_lab("Hyperkalemia", 4.5, "mmol/L", uln=5.0)
    assert result.grade == 0
    assert "outside every CTCAE v5.0 grade range" in result.criterion


def test_symptomatic_hypokalemia_is_reported_as_a_clinical_possibility() -> None:
    result = grade_lab("Hypokalemia", 3.2, "mmol/L", lln=3.5)
    assert (result.grade, result.clinical_grades) == (1, (2,))


@pytest.mark.parametrize(
    ("term", "value", "unit", "uln", "grades"),
    [
        ("Lipase increased", 180, "U/L", 60, (2, 3)),
        ("Lipase increased", 301, "U/L", 60, (3, 4)),
        ("Serum amylase increased", 250, "U/L", 100, (2, 3)),
        ("Hyperuricemia", 7.0, "mg/dL", 6.0, (1, 3)),
    ],
)
def test_symptom_dependent_range_gives_no_laboratory_grade(
    term: str, value: float, unit: str, uln: float, grades: tuple[int, ...]
) -> None:
    result = grade_lab(term, value, unit, uln=uln)
    assert (result.grade, result.clinical_grades) == (None, grades)
    assert result.criterion.startswith(f"grade {grades[0]}: ")


def test_hyponatremia_125_to_129_needs_symptoms() -> None:
    result = grade_lab("Hyponatremia", 127, "mmol/L", lln=135)
    assert (result.grade, result.clinical_grades) == (None, (2, 3))
    assert grade_lab("Hyponatremia", 129.5, "mmol/L", lln=135).grade is None


def test_clinical_only_grade_four_is_never_a_laboratory_grade() -> None:
    assert grade_lab("Anemia", 4.0, "g/dL", lln=11).grade == 3
    assert grade_lab("Leukocytosis", 400, "10^9/L").grade == 3


def test_creatinine_without_baseline_lists_the_baseline_clauses_not_evaluated() -> None:
    result = grade_lab("Creatinine increased", 0.6, "mg/dL", uln=0.5)
    assert result.grade == 1
    assert result.not_evaluated == (">3.0 x baseline", ">1.5 - 3.0 x baseline")
    with_baseline = grade_lab("Creatinine increased", 0.7, "mg/dL", uln=0.5, baseline=0.2)
    assert (with_baseline.grade, with_baseline.ratio_to, with_baseline.not_evaluated) == (3, "baseline", ())


def test_fibrinogen_absolute_floor_applies_with_any_baseline() -> None:
    assert grade_lab("Fibrinogen decreased", 0.45, "g/L", lln=1.5).grade == 4
    assert (
        grade_lab("Fibrinogen decreased", 45, "mg/dL", lln=150, baseline=160, baseline_abnormal=True).grade
        == 4
    )


def test_acidosis_below_7_3_needs_no_lln() -> None:
    assert grade_lab("Acidosis", 7.2, "pH").grade == 3


# ---- units


@pytest.mark.parametrize(
    ("term", "value", "unit", "kwargs", "grade"),
    [
        ("Neutrophil count decreased", 800, "/µL", {"lln": 1500}, 3),
        ("Neutrophil count decreased", 0.8, "×10⁹/L", {"lln": 1.5}, 3),
        ("Neutrophil count decreased", 0.8, "x10^9/L", {"lln": 1.5}, 3),
        ("Neutrophil count decreased", 0.8, "10e9/L", {"lln": 1.5}, 3),
        ("Neutrophil count decreased", 0.8, "10^3/uL", {"lln": 1.5}, 3),
        ("Neutrophil count decreased", 800, "cells/mm³", {"lln": 1500}, 3),
        ("Anemia", 75, "g/l", {"lln": 110}, 3),
        ("Anemia", 5.5, "mmol/L", {"lln": 7.0}, 2),
        ("Hypokalemia", 2.8, "mEq/L", {"lln": 3.5}, 3),
        ("Creatinine increased", 100, "µmol/L", {"uln": 40}, 2),
        ("Creatinine increased", 100, "umol/L", {"uln": 40}, 2),
        ("Creatinine increased", 1.1, "mg/dl", {"uln": 0.4}, 2),
        ("Blood bilirubin increased", 60, "μmol/L", {"uln": 17}, 3),
        ("Hypermagnesemia", 1.3, "mmol/L", {"uln": 1.0}, 3),
        ("Hypomagnesemia", 0.35, "mmol/L", {"lln": 0.7}, 3),
        ("Lymphocyte count increased", 25, "10^9/L", {}, 3),
        ("Hypoglycemia", 2.0, "mmol/L", {"lln": 3.9}, 3),
        ("INR increased", 1.7, "", {}, 2),
        ("Alanine aminotransferase increased", 5.0, "µkat/L", {"uln": 0.8}, 3),
    ],
)
def test_unit_spellings_and_conversions(
    term: str, value: float, unit: str, kwargs: dict[str, Any], grade: int
) -> None:
    assert grade_lab(term, value, unit, **kwargs).grade == grade


def test_si_edges_are_those_ctcae_words_not_conversions() -> None:
    # 8.0 g/dL is 4.96 mmol/L, but CTCAE's mmol/L edge for grade 3 is <4.9 mmol/L.
    assert grade_lab("Anemia", 4.93, "mmol/L", lln=7.0).grade == 2
    assert grade_lab("Anemia", 4.93 * 1.6114, "g/dL", lln=11).grade == 3


def test_result_names_the_accepted_unit() -> None:
    assert grade_lab("Neutrophil count decreased", 800, "/uL", lln=1500).unit == "/mm3"


# ---- errors


def test_unknown_term_is_an_input_error_with_a_suggestion() -> None:
    with pytest.raises(InputError, match=r"'Neutrophil count decrease' is not a CTCAE v5.0 .*did you mean"):
        grade_lab("Neutrophil count decrease", 1.0, "10^9/L", lln=1.5)
    with pytest.raises(InputError, match=r"not a CTCAE v5.0 laboratory term"):
        grade_lab("Nausea", 1.0, "mg/dL")


@pytest.mark.parametrize(
    ("term", "unit"),
    [
        ("Neutrophil count decreased", "g/L"),
        ("Hypokalemia", "mg/dL"),
        ("Creatinine increased", "U/L"),
        ("Anemia", ""),
    ],
)
def test_unknown_unit_is_an_input_error_listing_the_accepted_ones(term: str, unit: str) -> None:
    with pytest.raises(InputError, match=r"^unit: .* is not accepted for .*\(accepted: "):
        grade_lab(term, 1.0, unit, uln=1, lln=1)


@pytest.mark.parametrize(
    ("term", "value", "unit", "kwargs", "missing"),
    [
        ("Alanine aminotransferase increased", 100, "U/L", {}, "uln"),
        ("Neutrophil count decreased", 1.6, "10^9/L", {}, "lln"),
        ("Acidosis", 7.32, "pH", {}, "lln"),
        ("Hemoglobin increased", 18, "g/dL", {}, "uln"),
        ("Creatinine increased", 0.6, "mg/dL", {"baseline": 0.3}, "uln"),
    ],
)
def test_missing_reference_is_named(
    term: str, value: float, unit: str, kwargs: dict[str, Any], missing: str
) -> None:
    with pytest.raises(InputError, match=rf"^{missing}: needed to grade"):
        grade_lab(term, value, unit, **kwargs)


def test_abnormal_baseline_form_needs_the_baseline() -> None:
    with pytest.raises(InputError, match=r"^baseline: "):
        grade_lab("GGT increased", 300, "U/L", uln=50, baseline_abnormal=True)


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0])
def test_value_must_be_a_finite_non_negative_number(value: float) -> None:
    with pytest.raises(InputError, match=r"^value: "):
        grade_lab("Hyperkalemia", value, "mmol/L", uln=5.0)


def test_reference_must_be_positive() -> None:
    with pytest.raises(InputError, match=r"^uln: must be greater than 0"):
        grade_lab("Hyperkalemia", 6.1, "mmol/L", uln=0)


# ---- allowed and clinician grades


@pytest.mark.parametrize(
    ("term", "allowed", "clinician"),
    [
        ("Anemia", {1, 2, 3, 4, 5}, {4, 5}),
        ("Leukocytosis", {3, 4, 5}, {4, 5}),
        ("Activated partial thromboplastin time prolonged", {1, 2, 3}, set()),
        ("Blood lactate dehydrogenase increased", {1}, set()),
        ("Haptoglobin decreased", {1}, set()),
        ("Hemoglobin increased", {1, 2, 3}, set()),
        ("INR increased", {1, 2, 3}, set()),
        ("Lymphocyte count increased", {2, 3}, set()),
        ("Lipase increased", {1, 2, 3, 4}, {3, 4}),
        ("Serum amylase increased", {1, 2, 3, 4}, {3, 4}),
        ("Acidosis", {1, 3, 4, 5}, {4, 5}),
        ("Hypermagnesemia", {1, 3, 4, 5}, {5}),
        ("Hyperuricemia", {1, 3, 4, 5}, {1, 3, 4, 5}),
        ("Hypokalemia", {1, 2, 3, 4, 5}, {2, 5}),
        ("Hyponatremia", {1, 2, 3, 4, 5}, {2, 5}),
        ("Neutrophil count decreased", {1, 2, 3, 4}, set()),
    ],
)
def test_allowed_and_clinician_graded_grades(term: str, allowed: set[int], clinician: set[int]) -> None:
    assert allowed_grades(term) == allowed
    assert clinician_graded(term) == clinician


def test_every_dash_grade_is_not_allowed() -> None:
    for term in ctcae_table().data.terms:
        dashes = {g for g, grade in term.grades.items() if grade.text == "-"}
        assert allowed_grades(term.term) == {1, 2, 3, 4, 5} - dashes


def test_check_clinician_grade_accepts_defined_grades() -> None:
    assert check_clinician_grade("Hyperuricemia", 3) == 3
    assert check_clinician_grade("hypokalaemia", 2) == 2


@pytest.mark.parametrize(
    ("term", "grade"),
    [("Leukocytosis", 1), ("Hemoglobin increased", 4), ("Hypermagnesemia", 2), ("Anemia", 0), ("Anemia", 6)],
)
def test_check_clinician_grade_rejects_undefined_grades(term: str, grade: int) -> None:
    with pytest.raises(InputError, match=r"^grade: .* has no CTCAE v5.0 grade"):
        check_clinician_grade(term, grade)


def test_check_clinician_grade_rejects_non_integers() -> None:
    with pytest.raises(InputError, match="not a whole number"):
        check_clinician_grade("Anemia", True)
    with pytest.raises(InputError, match=r"not a CTCAE v5.0 laboratory term"):
        check_clinician_grade("Febrile neutropenia", 3)


def test_aliases_and_canonical_names() -> None:
    assert is_lab_term("neutropenia") and is_lab_term("  Hypokalaemia ")
    assert not is_lab_term("Febrile neutropenia")
    assert canonical_term("thrombocytopenia") == "Platelet count decreased"
    assert canonical_term("Febrile  neutropenia") == "Febrile neutropenia"


# ---- the rule file


def _shipped() -> dict[str, object]:
    text = (resources.files("ismart") / "reference" / "ctcae_v5_labs.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("version", [2, "1", None])
def test_unknown_schema_version_is_a_protocol_data_error(version: object) -> None:
    data = _shipped() | {"schema_version": version}
    with pytest.raises(ProtocolDataError, match=r"schema_version .* is not supported"):
        parse_ctcae(yaml.safe_dump(data))


def test_unknown_field_is_a_protocol_data_error() -> None:
    data = _shipped() | {"surprise": 1}
    with pytest.raises(ProtocolDataError, match="surprise"):
        parse_ctcae(yaml.safe_dump(data))


def test_inconsistent_clinician_flag_is_a_protocol_data_error() -> None:
    data = _shipped()
    terms = data["terms"]
    assert isinstance(terms, list)
    terms[0]["grades"][4]["clinician_graded"] = False
    with pytest.raises(ProtocolDataError, match="clinician_graded"):
        parse_ctcae(yaml.safe_dump(data))


def test_malformed_files_are_protocol_data_errors() -> None:
    with pytest.raises(ProtocolDataError, match="not valid YAML"):
        parse_ctcae("terms: [unclosed")
    with pytest.raises(ProtocolDataError, match="mapping at the top level"):
        parse_ctcae("- 1")
