"""CTCAE v5.0 term list: validation of adverse-event terms and grades."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ismart.conduct.ctcae_terms import parse_terms, shipped_terms, validate_ae_term
from ismart.errors import InputError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "ncictcaev5.json"


def test_the_shipped_list_is_nci_complete_ctcae_v5() -> None:
    terms = shipped_terms()
    assert len(terms) == 837
    source = terms.data.source or {}
    assert source["url"].startswith("https://ctep.cancer.gov/")
    assert len(source["sha256"]) == 64 and source["retrieved"]
    assert len({t.meddra_code for t in terms.data.terms}) == 837  # one MedDRA code per term
    nausea = terms.find("Nausea")
    assert (nausea.meddra_code, nausea.soc, nausea.grades) == (
        10028813,
        "Gastrointestinal disorders",
        (1, 2, 3),
    )
    assert nausea.criteria["3"].startswith("Inadequate oral caloric or fluid intake")
    anemia = terms.find("Anemia")
    assert anemia.meddra_code == 10002272 and anemia.criteria["5"] == "Death"
    socs = {t.soc for t in terms.data.terms}
    assert len(socs) == 26  # the MedDRA system organ classes CTCAE v5.0 uses


def test_every_laboratory_term_of_the_admiral_encoding_is_listed_with_its_soc() -> None:
    terms = shipped_terms()
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not on this machine")
    for entry in json.loads(SHARED.read_text(encoding="utf-8")):
        found = terms.find(entry["TERM"])  # "Hypercalcemia (Ionized)" is CTCAE's Hypercalcemia
        assert found.soc == entry["SOC"]
        defined = tuple(g for g in range(1, 6) if entry[f"GRADE_{g}"].strip() not in ("-", ""))
        assert found.grades == defined, entry["TERM"]


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


def test_clinical_terms_are_validated_too() -> None:
    assert validate_ae_term("febrile NEUTROPENIA", 3).soc == "Blood and lymphatic system disorders"
    expected = r"'Febrile neutropenia' has no CTCAE v5.0 grade 1 \(defined: 3, 4, 5\)"
    with pytest.raises(InputError, match=expected):
        validate_ae_term("Febrile neutropenia", 1)


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("Hypokalemya", "Hypokalemia"),
        ("Febrile neutropaenia", "Febrile neutropenia"),
        ("vomitting", "Vomiting"),
        ("Diarhoea", "Diarrhea"),
    ],
)
def test_unknown_term_is_one_line_with_the_closest_term(typed: str, hint: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_ae_term(typed, 2)
    message = str(caught.value)
    assert message == (
        f"term: {typed!r} is not in the CTCAE v5.0 term list in force (all 837 terms) "
        f"(did you mean {hint!r}?)"
    )


def test_nonsense_gets_no_hint() -> None:
    with pytest.raises(InputError) as caught:
        validate_ae_term("qqqzzzx", 2)
    assert "did you mean" not in str(caught.value)


def test_search_for_the_entry_page() -> None:
    terms = shipped_terms()
    assert [t.term for t in terms.search("febrile neutro")] == ["Febrile neutropenia"]
    assert terms.search("Anaemia")[0].term == "Anemia"  # the laboratory alias first
    assert "Diarrhea" in [t.term for t in terms.search("diarhea")]  # a misspelling still finds it
    assert len(terms.search("pain", limit=20)) == 20
    assert terms.search("   ") == []


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
