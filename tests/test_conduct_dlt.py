"""DLT evaluation per patient and the dose-finding history derived from it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ismart.conduct.dlt import (
    PLACEHOLDER_SETTINGS,
    DoseReceived,
    PatientCourse,
    evaluate,
    load_dlt_settings,
)
from ismart.conduct.history import Registered, patient_records, registration_answer
from ismart.errors import ProtocolDataError
from ismart.treatment.adverse_events import AdverseEvent
from ismart.treatment.dosefinding import Design, next_decision

C1D1 = date(2026, 3, 2)
FULL = (DoseReceived("venetoclax", 28, 28), DoseReceived("dasatinib", 14, 14))


def _ae(
    grade: int, day: int, term: str = "Alanine aminotransferase increased", cycle: int = 1
) -> AdverseEvent:
    return AdverseEvent(
        patient_id="P1",
        term=term,
        grade=grade,
        attribution="probable",
        onset=C1D1 + timedelta(days=day - 1),
        cycle=cycle,
    )


def _course(**kw: object) -> PatientCourse:
    base: dict[str, object] = {"patient_id": "P1", "dose_level": 1, "registered_on": C1D1, "c1d1": C1D1}
    base.update(kw)
    return PatientCourse(**base)  # type: ignore[arg-type]


def test_settings_are_placeholders_until_a_sponsor_file() -> None:
    assert PLACEHOLDER_SETTINGS.placeholder
    assert PLACEHOLDER_SETTINGS.evaluability.min_dose_fraction == 1.0
    sponsor = load_dlt_settings(
        "schema_version: 1\nsource: sponsor DLT charter v2\n"
        "dlt_rule: {window: recovery_day49, min_grade_hematologic: 4, shipped_as_placeholder: false}\n"
        "evaluability: {min_dose_fraction: 0.8, shipped_as_placeholder: false}\n",
        "dlt.yaml",
    )
    assert not sponsor.placeholder
    assert sponsor.dlt_rule.window == "recovery_day49"


def test_sponsor_file_with_unknown_key_is_refused() -> None:
    with pytest.raises(ProtocolDataError, match=r"dlt\.yaml: threshold: Extra inputs are not permitted"):
        load_dlt_settings("schema_version: 1\nthreshold: 0.8\n", "dlt.yaml")


@pytest.mark.parametrize(
    ("kw", "on", "evaluable", "dlt", "reason"),
    [
        ({"c1d1": None}, C1D1, "pending", None, "cycle 1 has not started"),
        ({}, date(2026, 3, 29), "pending", None, "in the DLT window until 2026-03-29"),
        (
            {},
            date(2026, 3, 30),
            "pending",
            None,
            "DLT window ended 2026-03-29; the doses given in it are not recorded",
        ),
        (
            {"doses": FULL},
            date(2026, 3, 30),
            "yes",
            False,
            "DLT window ended 2026-03-29 without DLT; received 100% of the planned doses",
        ),
        (
            {"doses": (DoseReceived("venetoclax", 28, 21),)},
            date(2026, 3, 30),
            "no",
            False,
            "received 75% of the planned doses in the DLT window, below the 100% needed "
            "(ismart placeholder): not evaluable",
        ),
        (
            {"events": (_ae(3, 10),)},
            date(2026, 3, 12),
            "pending",
            None,
            "1 DLT candidate(s) await the investigator's decision",
        ),
        (
            {"events": (_ae(3, 10),), "dlt_confirmed": True},
            date(2026, 3, 12),
            "yes",
            True,
            "DLT confirmed by the investigator",
        ),
        (
            {"events": (_ae(3, 10),), "dlt_confirmed": False, "doses": FULL},
            date(2026, 3, 30),
            "yes",
            False,
            "DLT window ended 2026-03-29 without DLT; received 100% of the planned doses",
        ),
        ({"events": (_ae(2, 10),)}, date(2026, 3, 12), "pending", None, "in the DLT window until 2026-03-29"),
        (
            {"events": (_ae(3, 29),), "doses": FULL},
            date(2026, 3, 28),
            "pending",
            None,
            "in the DLT window until 2026-03-29",
        ),
        (
            {"events": (_ae(3, 30),), "doses": FULL},
            date(2026, 4, 1),
            "yes",
            False,
            "DLT window ended 2026-03-29 without DLT; received 100% of the planned doses",
        ),
        (
            {"off_study_on": date(2026, 3, 10)},
            date(2026, 3, 12),
            "no",
            False,
            "off study on 2026-03-10, before the DLT window ended on 2026-03-29",
        ),
        (
            {"c1d1": None, "off_study_on": date(2026, 3, 1)},
            date(2026, 3, 12),
            "no",
            False,
            "off study on 2026-03-01 before cycle 1 started",
        ),
    ],
)
def test_evaluation(kw: dict[str, object], on: date, evaluable: str, dlt: bool | None, reason: str) -> None:
    result = evaluate(_course(**kw), PLACEHOLDER_SETTINGS, on)
    assert (result.evaluable, result.dlt, result.reason) == (evaluable, dlt, reason)


def test_candidates_follow_the_rule_file() -> None:
    course = _course(events=(_ae(3, 10, term="Platelet count decreased"),))
    assert (
        evaluate(course, PLACEHOLDER_SETTINGS, date(2026, 3, 12)).candidates == ()
    )  # haematological: 4 needed
    strict = load_dlt_settings("schema_version: 1\ndlt_rule: {min_grade_hematologic: 3}\n", "dlt.yaml")
    flags = evaluate(course, strict, date(2026, 3, 12)).candidates
    assert [f.reason for f in flags] == [
        "DLT candidate: grade 3 haematological, attribution probable, onset day 10 within days 1-28"
    ]


def test_recovery_window_runs_to_day_49_until_recovery() -> None:
    rule = load_dlt_settings("schema_version: 1\ndlt_rule: {window: recovery_day49}\n", "dlt.yaml")
    assert evaluate(_course(), rule, C1D1).window_end == date(2026, 4, 19)
    assert evaluate(_course(recovery_day=35), rule, C1D1).window_end == date(2026, 4, 5)


def _registered(
    code: str, level: int, evaluable: str, dlt: bool | None, end: date | None = None
) -> Registered:
    from ismart.conduct.dlt import DltEvaluation

    ev = DltEvaluation(code, level, end, evaluable == "pending", (), None, evaluable, dlt, "")  # type: ignore[arg-type]
    return Registered(code, C1D1, ev)


def test_history_answer_equals_the_engine() -> None:
    design = Design("rolling6", (-1, 1, 2), 1)
    regs = [_registered(f"P{i}", 1, "yes", False) for i in range(3)]
    answer = registration_answer(design, regs, 1)
    assert answer.decision == next_decision(design, patient_records(regs), 1)
    assert (answer.action, answer.needs_committee) == ("SUSPEND", True)
    assert answer.reason.startswith("awaiting the safety committee: ")
    assert "escalate to level 2" in answer.reason


def test_six_on_level_waits_with_why_and_until_when() -> None:
    design = Design("rolling6", (-1, 1, 2), 1)
    regs = [_registered(f"P{i}", 1, "yes", False) for i in range(4)] + [
        _registered("P4", 1, "pending", None, date(2026, 4, 2)),
        _registered("P5", 1, "pending", None, date(2026, 3, 30)),
    ]
    regs[0] = _registered("P0", 1, "yes", True)
    answer = registration_answer(design, regs, 1)
    assert answer.action == "SUSPEND"
    assert answer.reason.startswith("6 patients at level 1, 2 still in their DLT window ending 2026-04-02: ")
    assert answer.until == date(2026, 3, 30)


def test_enrol_and_committee_pending() -> None:
    design = Design("rolling6", (-1, 1, 2), 1)
    answer = registration_answer(design, [], 1)
    assert (answer.action, answer.dose_level) == ("ENROL", 1)
    held = registration_answer(design, [], 1, awaiting_committee="proposal 3: escalate to level 2")
    assert (held.action, held.reason) == (
        "SUSPEND",
        "awaiting the safety committee: proposal 3: escalate to level 2",
    )
