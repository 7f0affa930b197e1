"""The engine end to end: the shipped examples, the JSON contract, and robustness."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import DATA, EXAMPLES, TODAY, base_data, patch, screen_data
from ismart import dossier
from ismart.eligibility.engine import screen
from ismart.eligibility.status import Status, Verdict
from ismart.errors import DossierError
from ismart.protocol import load_protocol
from ismart.report import json_report

SCHEMA = json.loads((DATA / "screening-output.schema.json").read_text(encoding="utf-8"))


def _example(name: str, today: date = TODAY) -> Any:
    record = dossier.load(EXAMPLES / name, as_of=today)
    return screen(record, load_protocol(), as_of=today)


def _verdicts(result: Any) -> dict[str, str]:
    return {s.id: s.verdict.value for s in result.subprotocols}


def test_contract_example_json_validates_against_the_schema() -> None:
    result = _example("dossier-example.yaml", date(2026, 11, 23))
    document = json_report.to_dict(result)
    jsonschema.validate(document, SCHEMA)
    assert [s["id"] for s in document["subprotocols"]] == ["A", "B", "C", "D", "E"]
    assert document["planned_c1d1"] == "2026-01-12"


def test_contract_example_verdicts_and_reasons() -> None:
    result = _example("dossier-example.yaml", date(2026, 11, 23))
    subs = {s.id: s for s in result.subprotocols}
    # KRAS G12D and FLT3-ITD fit D; P2RY8::CRLF2 and CRLF2 expression fit C; IC50 35 nM is no B match.
    assert subs["D"].molecular_match is True
    assert subs["C"].molecular_match is True
    assert subs["B"].molecular_match is False
    assert subs["E"].molecular_match is None
    blockers_d = {c.key: c.status for c in subs["D"].criteria if c.status is not Status.MET}
    # fluconazole and ondansetron prolong QT (D forbids QT drugs); ALT is 1.55 x ULN, fine.
    assert blockers_d["prohibited_medication"] is Status.NOT_MET
    assert subs["D"].verdict is Verdict.NOT_ELIGIBLE
    assert subs["C"].verdict is Verdict.NOT_ELIGIBLE  # not yet recruiting, and fluconazole
    # mercaptopurine on 2026-01-09 clears 48 h at the end of 2026-01-11: C1D1 2026-01-12 holds.
    washout = next(c for c in subs["D"].criteria if c.key == "washout_chemotherapy")
    assert washout.status is Status.MET
    # screened long after the planned C1D1: the earliest C1D1 is the screening day, not the past
    assert subs["D"].earliest_c1d1 == date(2026, 11, 23)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "b-nup214-abl1-eligible.yaml",
            {
                "A": "NOT_ELIGIBLE",
                "B": "ELIGIBLE",
                "C": "NOT_ELIGIBLE",
                "D": "NOT_ELIGIBLE",
                "E": "NOT_ELIGIBLE",
            },
        ),
        ("d-kras-g12d-eligible.yaml", {"B": "NOT_ELIGIBLE", "D": "ELIGIBLE"}),
        ("multi-match-b-and-d.yaml", {"B": "ELIGIBLE", "D": "ELIGIBLE"}),
        ("c-p2ry8-crlf2-not-open.yaml", {"C": "NOT_ELIGIBLE", "D": "NOT_ELIGIBLE"}),
        ("d-washout-delay.yaml", {"D": "NOT_ELIGIBLE"}),
        ("incomplete-early-referral.yaml", {"D": "INCOMPLETE"}),
        ("not-eligible-age-qtc.yaml", {"D": "NOT_ELIGIBLE"}),
    ],
)
def test_example_verdicts(name: str, expected: dict[str, str]) -> None:
    verdicts = _verdicts(_example(name))
    assert {k: verdicts[k] for k in expected} == expected


def test_eligible_example_is_recommended() -> None:
    result = _example("b-nup214-abl1-eligible.yaml")
    assert result.recommendation.subprotocol == "B"
    assert result.recommendation.candidates == ("B",)


def test_multi_match_leaves_the_choice_to_the_board() -> None:
    result = _example("multi-match-b-and-d.yaml")
    assert result.recommendation.subprotocol is None
    assert result.recommendation.candidates == ("B", "D")
    assert "tumour board" in result.recommendation.reason


def test_matching_but_closed_sub_protocol_is_not_recommended() -> None:
    result = _example("c-p2ry8-crlf2-not-open.yaml")
    assert result.recommendation.subprotocol is None
    assert "C (not yet recruiting)" in result.recommendation.reason


def test_washout_delay_gives_the_earliest_c1d1() -> None:
    result = _example("d-washout-delay.yaml")
    d = next(s for s in result.subprotocols if s.id == "D")
    assert d.earliest_c1d1 == date(2026, 3, 13)
    failing = [c.key for c in d.criteria if c.status is Status.NOT_MET]
    assert failing == ["washout_chemotherapy"]
    again = screen(
        dossier.load(EXAMPLES / "d-washout-delay.yaml", as_of=TODAY),
        load_protocol(),
        as_of=TODAY,
        c1d1=date(2026, 3, 13),
    )
    moved = next(s for s in again.subprotocols if s.id == "D")
    assert [c.key for c in moved.criteria if c.status is Status.NOT_MET] == []
    assert moved.verdict is Verdict.INCOMPLETE  # labs must be repeated within 48 h of the new date
    assert "creatinine within 48 h before C1D1" in moved.missing


def test_incomplete_example_lists_what_to_collect() -> None:
    d = next(s for s in _example("incomplete-early-referral.yaml").subprotocols if s.id == "D")
    assert "patient.weight_kg" in d.missing
    assert "consent.signed_on" in d.missing
    assert d.molecular_match is True


def test_earliest_c1d1_is_null_when_a_washout_cannot_be_dated() -> None:
    data = patch(base_data(), {"prior_therapy[+]": {"agent": "cytarabine", "class": "chemotherapy"}})
    d = next(s for s in screen_data(data).subprotocols if s.id == "D")
    assert d.earliest_c1d1 is None


def test_every_criterion_of_every_sub_protocol_is_reported() -> None:
    result = screen_data(base_data())
    protocol = load_protocol()
    for sp, sr in zip(protocol.subprotocols, result.subprotocols, strict=True):
        assert len(sr.criteria) == len(sp.criteria) + 1  # + recruitment
        assert sr.criteria[0].key == "recruitment"


def test_open_questions_are_unknown_never_met() -> None:
    result = screen_data(base_data())
    e = next(s for s in result.subprotocols if s.id == "E")
    assert {c.status for c in e.criteria[1:]} == {Status.UNKNOWN}
    assert e.molecular_match is None


def test_a_verdict_records_the_protocol_data_version() -> None:
    document = json_report.to_dict(screen_data(base_data()))
    assert document["protocol"]["version"] == load_protocol().version
    assert document["engine_version"]


_PATHS = [
    "patient",
    "diagnosis",
    "planned_c1d1",
    "consent",
    "performance",
    "profiling",
    "labs",
    "cardiac",
    "reproductive",
    "conditions",
    "infections",
    "prior_therapy",
    "radiotherapy",
    "hsct",
    "surgery",
    "current_medications",
    "diet",
    "patient.birth_date",
    "labs[0].value",
    "labs[0].uln",
    "labs[0].collected_at",
    "profiling.variants",
    "cardiac.ecg.qt_ms",
    "patient.inclusion_date",
    "diagnosis.first_diagnosis_date",
    "prior_therapy[0].last_dose",
]
_VALUES = st.one_of(
    st.just("__delete__"),
    st.none(),
    st.booleans(),
    st.integers(-5, 500),
    st.floats(min_value=-1, max_value=1e4),
    st.dates(date(1990, 1, 1), date(2026, 3, 9)).map(str),
    st.text(max_size=8),
    st.just([]),
    st.just({}),
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(_PATHS), _VALUES, max_size=5))
def test_no_dossier_however_broken_crashes_the_engine(changes: dict[str, Any]) -> None:
    try:
        data = patch(base_data(), changes)
    except (KeyError, IndexError, TypeError, AttributeError):
        return  # the patch itself did not apply (e.g. a child of a deleted section)
    try:
        result = screen_data(data)
    except DossierError as exc:
        assert "\n" not in str(exc)
        return
    jsonschema.validate(json_report.to_dict(result), SCHEMA)
    for sub in result.subprotocols:
        if sub.verdict is Verdict.ELIGIBLE:
            assert all(c.status is Status.MET for c in sub.criteria)


def test_schema_copy_matches_the_contract() -> None:
    shared = Path(__file__).parent.parent.parent / "shared" / "spec" / "screening-output.schema.json"
    if shared.exists():
        assert json.loads(shared.read_text(encoding="utf-8")) == SCHEMA


def test_site_maximum_assessment_age_tightens_undated_windows() -> None:
    from ismart.eligibility.context import Options

    record = dossier.from_mapping(base_data(), as_of=TODAY)
    loose = screen(record, load_protocol(), as_of=TODAY)
    strict = screen(record, load_protocol(), as_of=TODAY, options=Options(assessment_max_age_days=6))
    d_loose = next(s for s in loose.subprotocols if s.id == "D")
    d_strict = next(s for s in strict.subprotocols if s.id == "D")
    assert d_loose.verdict is Verdict.ELIGIBLE
    # echo, ECG, performance and weight of 2026-03-02 are 7 days old at C1D1 2026-03-09
    unknown = {c.key for c in d_strict.criteria if c.status is Status.UNKNOWN}
    assert unknown == {"weight", "performance", "cardiac_function", "qtc"}
    seven = screen(record, load_protocol(), as_of=TODAY, options=Options(assessment_max_age_days=7))
    assert next(s for s in seven.subprotocols if s.id == "D").verdict is Verdict.ELIGIBLE


def test_unpublished_rules_leave_the_earliest_c1d1_unknown() -> None:
    result = screen_data(base_data())
    assert {s.id: s.earliest_c1d1 for s in result.subprotocols if s.id in "AE"} == {"A": None, "E": None}


@pytest.mark.parametrize(
    ("c1d1", "expected"),
    [
        (date(2026, 3, 8), Verdict.INCOMPLETE),  # the day before the screening: labs cannot be current
        (date(2026, 3, 9), Verdict.ELIGIBLE),  # the screening day itself
        (date(2026, 3, 10), Verdict.ELIGIBLE),  # the day after
    ],
)
def test_a_planned_c1d1_before_the_screening_date_is_never_eligible(c1d1: date, expected: Verdict) -> None:
    record = dossier.load(EXAMPLES / "d-kras-g12d-eligible.yaml", as_of=date(2026, 3, 9))
    labs = [lab.model_copy(update={"collected_at": c1d1}) for lab in record.labs or []]
    record = record.model_copy(update={"labs": labs})
    result = screen(record, load_protocol(), as_of=date(2026, 3, 9), c1d1=c1d1)
    d = next(s for s in result.subprotocols if s.id == "D")
    blockers = [(c.key, c.status, c.summary) for c in d.criteria if c.status is not Status.MET]
    assert d.verdict is expected, blockers
    if expected is Verdict.INCOMPLETE:
        renal = next(c for c in d.criteria if c.key == "renal")
        assert renal.status is Status.UNKNOWN and "before the screening date" in renal.summary
