"""Adverse events: the record, DLT-candidate flags (window, grade, attribution, exclusions), safety table."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from ismart.errors import InputError
from ismart.treatment.adverse_events import (
    PLACEHOLDER_DLT_RULE,
    AdverseEvent,
    DltRule,
    flag_dlt_candidates,
    safety_table,
    window_last_day,
)

C1D1 = date(2026, 3, 2)
DAY28 = DltRule(window="day28")
DAY49 = DltRule(window="recovery_day49")


def on_day(day: int) -> date:
    return C1D1 + timedelta(days=day - 1)


def event(**changes: Any) -> AdverseEvent:
    fields: dict[str, Any] = {
        "patient_id": "P01",
        "term": "Alanine aminotransferase increased",
        "grade": 3,
        "attribution": "possible",
        "onset": on_day(10),
        "cycle": 1,
    }
    fields.update(changes)
    return AdverseEvent(**fields)


def flag(ev: AdverseEvent, rule: DltRule = DAY28, recovery_day: int | None = None) -> tuple[bool, str]:
    (result,) = flag_dlt_candidates([ev], C1D1, rule, recovery_day)
    return result.candidate, result.reason


# ---- the record


def test_event_record_validates_dates_grade_and_attribution() -> None:
    with pytest.raises(ValidationError, match="before onset"):
        event(resolution=on_day(9))
    with pytest.raises(ValidationError, match=r"has no CTCAE v5.0 grade 2"):
        event(term="Hypermagnesemia", grade=2)
    with pytest.raises(ValidationError):
        event(attribution="likely")
    with pytest.raises(ValidationError):
        event(grade=0)
    with pytest.raises(ValidationError):
        event(unexpected=True)
    assert event(term="Febrile neutropenia", grade=3).grade == 3  # non-laboratory terms are accepted


def test_placeholder_rule_is_marked_as_such() -> None:
    assert PLACEHOLDER_DLT_RULE.shipped_as_placeholder is True
    assert PLACEHOLDER_DLT_RULE.window == "day28"
    assert (PLACEHOLDER_DLT_RULE.min_grade_nonhematologic, PLACEHOLDER_DLT_RULE.min_grade_hematologic) == (
        3,
        4,
    )
    assert PLACEHOLDER_DLT_RULE.attribution_at_least == "possible"
    site_rule = DltRule.model_validate({"window": "recovery_day49", "shipped_as_placeholder": False})
    assert site_rule.window == "recovery_day49" and not site_rule.shipped_as_placeholder
    with pytest.raises(ValidationError):
        DltRule.model_validate({"window": "day42"})


# ---- the window


@pytest.mark.parametrize(("day", "candidate"), [(0, False), (1, True), (27, True), (28, True), (29, False)])
def test_day28_window_edges(day: int, candidate: bool) -> None:
    assert flag(event(onset=on_day(day)))[0] is candidate


@pytest.mark.parametrize(("day", "candidate"), [(28, True), (29, True), (48, True), (49, True), (50, False)])
def test_recovery_window_runs_to_day_49_before_recovery(day: int, candidate: bool) -> None:
    assert flag(event(onset=on_day(day)), DAY49)[0] is candidate


@pytest.mark.parametrize(
    ("recovery_day", "day", "candidate"),
    [
        (35, 34, True),
        (35, 35, True),
        (35, 36, False),
        (20, 28, True),  # recovery before day 28: the window still covers the cycle
        (20, 29, False),
        (60, 49, True),  # no recovery by day 49: the window stops at day 49
        (60, 50, False),
    ],
)
def test_recovery_window_ends_at_recovery(recovery_day: int, day: int, candidate: bool) -> None:
    assert flag(event(onset=on_day(day)), DAY49, recovery_day)[0] is candidate


def test_window_last_day() -> None:
    assert window_last_day(DAY28, 40) == 28
    assert [window_last_day(DAY49, r) for r in (None, 10, 28, 41, 49, 70)] == [49, 28, 28, 41, 49, 49]
    with pytest.raises(InputError, match="recovery_day"):
        window_last_day(DAY49, 0)


def test_reason_names_the_window() -> None:
    assert flag(event(onset=on_day(29)))[1] == (
        "not a DLT candidate: onset day 29 is outside the DLT window (days 1-28)"
    )
    assert flag(event(onset=on_day(12)), DAY49, 33)[1] == (
        "DLT candidate: grade 3 non-haematological, attribution possible, onset day 12 within days 1-33"
    )


def test_cycle_two_event_is_not_a_candidate() -> None:
    candidate, reason = flag(event(cycle=2))
    assert not candidate and "cycle 2; the DLT window is in cycle 1" in reason


# ---- grade, attribution, exclusions


@pytest.mark.parametrize(
    ("attribution", "candidate"),
    [("unrelated", False), ("unlikely", False), ("possible", True), ("probable", True), ("definite", True)],
)
def test_attribution_threshold_possible(attribution: str, candidate: bool) -> None:
    assert flag(event(attribution=attribution))[0] is candidate


def test_attribution_threshold_is_configurable() -> None:
    strict = DltRule(attribution_at_least="probable")
    assert flag(event(attribution="possible"), strict) == (
        False,
        "not a DLT candidate: attribution possible is below probable",
    )
    assert flag(event(attribution="probable"), strict)[0]


@pytest.mark.parametrize(
    ("term", "grade", "candidate"),
    [
        ("Alanine aminotransferase increased", 2, False),
        ("Alanine aminotransferase increased", 3, True),
        ("Neutrophil count decreased", 3, False),
        ("Neutrophil count decreased", 4, True),
        ("Neutropenia", 4, True),  # alias of a haematological term
        ("Febrile neutropenia", 3, False),
        ("Febrile neutropenia", 4, True),
        ("Anemia", 5, True),
    ],
)
def test_grade_thresholds_differ_for_haematological_terms(term: str, grade: int, candidate: bool) -> None:
    assert flag(event(term=term, grade=grade))[0] is candidate


def test_grade_thresholds_are_configurable() -> None:
    rule = DltRule(min_grade_hematologic=3, min_grade_nonhematologic=4)
    assert flag(event(term="Platelet count decreased", grade=3), rule)[0]
    assert not flag(event(grade=3), rule)[0]


def test_excluded_terms() -> None:
    candidate, reason = flag(event(term="Lymphocyte count decreased", grade=4))
    assert not candidate and "'Lymphocyte count decreased' is excluded by the DLT rule" in reason
    rule = DltRule(excluded_terms=("hypokalaemia",))
    assert not flag(event(term="Hypokalemia", grade=3), rule)[0]
    assert flag(event(term="Hypokalemia", grade=3))[0]


def test_every_shortfall_is_listed() -> None:
    candidate, reason = flag(event(grade=2, attribution="unlikely", onset=on_day(40)))
    assert not candidate
    assert reason == (
        "not a DLT candidate: onset day 40 is outside the DLT window (days 1-28); "
        "grade 2 is below 3 for a non-haematological event; attribution unlikely is below possible"
    )


def test_one_patient_at_a_time() -> None:
    with pytest.raises(InputError, match="one patient at a time"):
        flag_dlt_candidates([event(), event(patient_id="P02")], C1D1, DAY28)
    assert flag_dlt_candidates([], C1D1, DAY28) == []


def test_flags_keep_the_event_order_and_study_day() -> None:
    events = [event(onset=on_day(5)), event(onset=on_day(30))]
    flags = flag_dlt_candidates(events, C1D1, DAY28)
    assert [(f.event, f.study_day, f.candidate) for f in flags] == [
        (events[0], 5, True),
        (events[1], 30, False),
    ]


# ---- the safety table


def _events() -> dict[str, list[AdverseEvent]]:
    return {
        "D": [event(patient_id="D1", grade=1)],
        "B": [
            event(patient_id="B1", grade=3, serious=True),  # candidate
            event(patient_id="B1", term="Neutrophil count decreased", grade=4),  # candidate
            event(patient_id="B2", grade=2),
            event(patient_id="B2", grade=3, onset=on_day(40)),  # candidate only with the day-49 window
            event(patient_id="B3", term="Anemia", grade=5, attribution="unrelated", serious=True),
        ],
    }


def test_safety_table_counts_per_subprotocol() -> None:
    rows = safety_table(_events())
    assert [r.subprotocol for r in rows] == ["B", "D"]
    b = rows[0]
    assert (b.patients, b.events, b.grade3_plus, b.grade3_plus_patients, b.serious) == (3, 5, 4, 3, 2)
    assert b.events_by_grade == {1: 0, 2: 1, 3: 2, 4: 1, 5: 1}
    assert (b.dlt_candidates, b.dlt_candidate_patients) == (None, None)
    assert rows[1].events_by_grade == {1: 1, 2: 0, 3: 0, 4: 0, 5: 0}


def test_safety_table_dlt_candidates_follow_the_rule() -> None:
    c1d1 = {"B1": C1D1, "B2": C1D1, "B3": C1D1, "D1": C1D1}
    by_day28 = safety_table(_events(), rule=DAY28, c1d1=c1d1)
    assert [(r.dlt_candidates, r.dlt_candidate_patients) for r in by_day28] == [(2, 1), (0, 0)]
    by_day49 = safety_table(_events(), rule=DAY49, c1d1=c1d1)
    assert (by_day49[0].dlt_candidates, by_day49[0].dlt_candidate_patients) == (3, 2)
    recovered = safety_table(_events(), rule=DAY49, c1d1=c1d1, recovery_day={"B2": 30})
    assert recovered[0].dlt_candidates == 2


def test_safety_table_needs_c1d1_for_every_patient_with_a_rule() -> None:
    with pytest.raises(InputError, match="no C1D1 date for patient 'B3'"):
        safety_table(_events(), rule=DAY28, c1d1={"B1": C1D1, "B2": C1D1, "D1": C1D1})
    assert safety_table({}) == []
