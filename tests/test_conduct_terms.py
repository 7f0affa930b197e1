"""CTCAE v5.0 term list: validation of adverse-event terms and grades."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ismart.conduct.ctcae_terms import parse_terms, shipped_terms, validate_ae_term
from ismart.errors import InputError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "ncictcaev5.json"


def test_every_term_of_the_source_is_listed_with_its_soc() -> None:
    terms = shipped_terms()
    assert len(terms) == 40
    if SHARED.exists():
        for entry in json.loads(SHARED.read_text(encoding="utf-8")):
            found = terms.find(entry["TERM"])
            assert found.soc == entry["SOC"]


def test_term_and_grade_are_validated() -> None:
    valid = validate_ae_term("alanine  aminotransferase INCREASED", 3)
    assert (valid.term, valid.soc, valid.grade) == (
        "Alanine aminotransferase increased",
        "Investigations",
        3,
    )


def test_laboratory_alias_is_accepted() -> None:
    assert validate_ae_term("Anaemia", 3).term == "Anemia"


def test_grade_the_term_does_not_define_is_refused() -> None:
    with pytest.raises(InputError, match=r"'Leukocytosis' has no CTCAE v5.0 grade 1 \(defined: 3, 4, 5\)"):
        validate_ae_term("Leukocytosis", 1)


def test_unknown_term_names_the_list_and_a_close_match() -> None:
    with pytest.raises(
        InputError, match=r"term: 'Hypokalemya' is not in the CTCAE v5.0 term list.*Hypokalemia"
    ):
        validate_ae_term("Hypokalemya", 2)


def test_grade_outside_one_to_five_is_refused() -> None:
    with pytest.raises(InputError, match="grade: 6 is not a CTCAE grade"):
        validate_ae_term("Anemia", 6)


def test_a_complete_list_can_be_put_in_force() -> None:
    text = (
        "schema_version: 1\nname: full\nversion: '5.0'\ncoverage: all terms\n"
        "terms:\n  - {term: Nausea, soc: Gastrointestinal disorders, grades: [1, 2, 3]}\n"
    )
    terms = parse_terms(text, "full.yaml")
    assert validate_ae_term("nausea", 3, terms).soc == "Gastrointestinal disorders"
    with pytest.raises(InputError, match=r"no CTCAE v5\.0 grade 4"):
        validate_ae_term("Nausea", 4, terms)


def test_duplicate_term_in_a_list_is_refused() -> None:
    text = (
        "schema_version: 1\nname: x\nversion: '5.0'\ncoverage: x\nterms:\n"
        "  - {term: Nausea, soc: G, grades: [1]}\n  - {term: nausea, soc: G, grades: [1]}\n"
    )
    with pytest.raises(InputError, match="listed twice"):
        parse_terms(text, "x.yaml")
