"""The dossier contract: the shipped example loads; bad input is one clear error naming the field."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import EXAMPLES, TODAY, base_data, patch
from ismart import dossier
from ismart.application import read_dossier
from ismart.errors import DossierError


def test_contract_example_loads_unchanged() -> None:
    record = dossier.load(EXAMPLES / "dossier-example.yaml", as_of=date(2026, 11, 23))
    assert record.patient.id == "NL-UTR-0007"
    assert record.labs is not None and record.labs[0].collected_at == datetime(2026, 1, 11, 8, 30)
    assert record.prior_therapy is not None and record.prior_therapy[0].therapy_class == "chemotherapy"
    assert record.diet.grapefruit_or_seville_orange_or_starfruit_last == date(2026, 1, 2)


def test_json_and_yaml_give_the_same_dossier(tmp_path: Path) -> None:
    data = base_data()
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data, default=str), encoding="utf-8")
    assert dossier.load(path, as_of=TODAY) == dossier.from_mapping(data, as_of=TODAY)


def test_empty_dossier_is_valid() -> None:
    assert dossier.from_mapping({}, as_of=TODAY).patient.id is None


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"patient.weight_kg": -3}, "patient.weight_kg", "greater than 0"),
        ({"patient.weight_kg": "heavy"}, "patient.weight_kg", "valid number"),
        ({"patient.sex": "f"}, "patient.sex", "female"),
        ({"patient.birth_dat": "2014-01-01"}, "patient.birth_dat", "Extra inputs"),
        ({"labs[0].unit": "__delete__"}, "labs[0].unit", "no unit"),
        ({"labs[0].unit": "g/L"}, "labs[0].unit", "g/L"),
        ({"labs[2].unit": "mmol/L"}, "labs[2].unit", "U/L"),
        ({"labs[0].collected_at": "yesterday"}, "labs[0].collected_at", "ISO 8601"),
        ({"prior_therapy[0].last_dose": "2026-04-01"}, "prior_therapy[0].last_dose", "future"),
        ({"prior_therapy[0].class": "magic"}, "prior_therapy[0].class", "chemotherapy"),
        ({"consent.signed_on": "2027-01-01"}, "consent.signed_on", "future"),
        ({"diagnosis.first_diagnosis_date": "2010-01-01"}, "diagnosis.first_diagnosis_date", "before birth"),
        ({"performance.score": 75}, "performance.score", "multiple of 10"),
        ({"cardiac.echo.lvef_pct": 150}, "cardiac.echo.lvef_pct", "less than 100"),
        ({"planned_c1d1": "next week"}, "planned_c1d1", "date"),
    ],
)
def test_bad_values_name_their_field(changes: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(DossierError) as caught:
        dossier.from_mapping(patch(base_data(), changes), as_of=TODAY)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_hgvs_names_its_field_when_the_dossier_comes_in() -> None:
    """The dossier model is a pure schema; the HGVS change is read where the profile is built, and
    every entry point reads dossiers through ``application.read_dossier``, which builds it."""
    bad = patch(base_data(), {"profiling.variants[0].hgvs_p": "p.Gly12Blah"})
    with pytest.raises(DossierError) as caught:
        read_dossier(bad, as_of=TODAY)
    assert caught.value.field == "profiling.variants[0].hgvs_p"
    assert "Gly12Blah" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("patient: [unclosed", "invalid YAML at line 1"),
        ("- just\n- a list\n", "mapping"),
        ("\tpatient: {}", "invalid YAML"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DossierError, match=words):
        dossier.load(path, as_of=TODAY)


def test_missing_file_is_a_dossier_error(tmp_path: Path) -> None:
    with pytest.raises(DossierError, match="cannot read"):
        dossier.load(tmp_path / "absent.yaml", as_of=TODAY)


def test_binary_file_is_a_dossier_error(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(DossierError, match="UTF-8"):
        dossier.load(path, as_of=TODAY)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.dates().map(str),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_arbitrary_data_is_a_dossier_or_a_dossier_error(data: Any) -> None:
    try:
        dossier.from_mapping(data, as_of=TODAY)
    except DossierError as exc:
        assert "\n" not in str(exc)
