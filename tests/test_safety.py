"""Screening safety (issue 9): free-text inputs never pass unrecognised, case-table completeness for
every sub-protocol, dossier hygiene, and windows anchored at inclusion."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import DATA, TODAY, base_data, patch, screen_data
from ismart import dossier
from ismart.eligibility.context import Options
from ismart.eligibility.engine import screen
from ismart.eligibility.status import Outcome, Status, all_of
from ismart.errors import DossierError
from ismart.protocol import load_protocol

CASES: list[dict[str, Any]] = yaml.safe_load((DATA / "criterion_cases.yaml").read_text(encoding="utf-8"))

# Every rule type of the protocol data, classified: the ones that read a name, a list or free text
# carry a patch with a value no table knows; the others read only numbers, dates and yes/no flags.
# A new rule type fails test_every_rule_type_is_classified until it is put in one of the two.
UNRECOGNISED: dict[str, dict[str, Any]] = {
    "prohibited_medication": {"current_medications": [{"name": "Zorbaxolan 20 mg"}]},
    "prior_treatment": {
        "prior_therapy[+]": {"agent": "Zorbaxolan", "class": "targeted", "last_dose": "2025-05-01"}
    },
    "washout_chemotherapy": {"prior_therapy[+]": {"agent": "Zorbaxolan", "last_dose": "2026-03-06"}},
    "washout_surgery": {"surgery": [{"date": "2026-03-01", "procedure": "Zorbax-plasty"}]},
    "profiling": {"profiling.methods": ["Zorbax-seq"]},
    "resistance": {"profiling.variants[+]": {"gene": "BCL2", "hgvs_p": "p.D103Y"}},
}
NO_FREE_TEXT = {
    "age", "alteration", "washout_classes",
    "any", "bilirubin", "consent", "contraception", "diet", "flag", "gvhd",
    "washout_hsct", "post_hsct_immunosuppression", "infection", "open_question", "performance",
    "pregnancy", "qtc", "washout_radiotherapy", "swallowing", "unresolved_toxicity", "transaminases",
    "weight", "creatinine_uln", "egfr_schwartz", "gfr_measured", "shortening_fraction", "lvef",
}  # fmt: skip


def _criteria_by_type() -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for sp in load_protocol().subprotocols:
        for c in sp.criteria:
            found[c.rule.type].add((sp.id, c.key))
    return found


def test_every_rule_type_is_classified() -> None:
    unclassified = set(_criteria_by_type()) - set(UNRECOGNISED) - NO_FREE_TEXT
    assert unclassified == set(), "say whether these rule types read free text"


@pytest.mark.parametrize("rule_type", sorted(UNRECOGNISED))
def test_an_unrecognised_value_is_never_met(rule_type: str) -> None:
    where = _criteria_by_type().get(rule_type, set())
    assert where, f"no criterion of type {rule_type}"
    result = screen_data(patch(base_data(), UNRECOGNISED[rule_type]))
    for sub, key in where:
        sp = next(s for s in result.subprotocols if s.id == sub)
        found = [c for c in sp.criteria if c.key == key]
        combined = all_of(Outcome(c.status, c.summary) for c in found)
        assert combined.status is not Status.MET, (sub, key, [(c.status, c.summary) for c in found])


def test_case_table_covers_every_criterion_of_every_subprotocol_with_reasons() -> None:
    """B, C and D share their templates, so a key counts when some case covers it; A and E have
    rules of their own, so each of their keys needs a case of its own. Open questions stay UNKNOWN."""
    by_sub: dict[tuple[str, str], set[str]] = defaultdict(set)
    by_key: dict[str, set[str]] = defaultdict(set)
    reasons: dict[str, int] = defaultdict(int)
    for case in CASES:
        by_sub[(case["sub"], case["key"])].add(case["expect"])
        by_key[case["key"]].add(case["expect"])
        if "reason" in case:
            reasons[case["sub"]] += 1
    protocol = load_protocol()
    missing = []
    for sp in protocol.subprotocols:
        assert reasons[sp.id] >= 3, f"{sp.id}: too few cases assert the reason"
        for key in ["recruitment", *(c.key for c in sp.criteria)]:
            covered = by_sub[(sp.id, key)] if sp.id in "AE" else by_key[key]
            if not covered:
                missing.append((sp.id, key))
        for c in sp.criteria:
            if c.rule.type == "open_question":
                assert by_sub[(sp.id, c.key)] == {"UNKNOWN"}, (sp.id, c.key)
    assert missing == []


# ---- dossier hygiene


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_duplicate_yaml_key_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.yaml", "patient:\n  sex: male\n  sex: female\n")
    with pytest.raises(DossierError, match=r"line 3: duplicate key 'sex'"):
        dossier.load(path, as_of=TODAY)


def test_duplicate_json_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.json", '{"patient": {"sex": "male"}, "patient": {"sex": "female"}}')
    with pytest.raises(DossierError, match="duplicate key 'patient'"):
        dossier.load(path, as_of=TODAY)


@pytest.mark.parametrize("text", ["patient:\n  birth_date: 2015-02-29\n", "planned_c1d1: 2026-13-01\n"])
def test_impossible_date_is_a_one_line_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(DossierError) as info:
        dossier.load(_write(tmp_path, "d.yaml", text), as_of=TODAY)
    message = str(info.value)
    assert "not a calendar date" in message and "line" in message and "\n" not in message


def test_quoted_impossible_date_names_the_field() -> None:
    with pytest.raises(DossierError, match=r"patient\.birth_date"):
        dossier.from_mapping({"patient": {"birth_date": "2015-02-29"}}, as_of=TODAY)


def test_future_as_of_is_refused() -> None:
    from typer.testing import CliRunner

    from ismart.cli.main import app

    future = (date.today() + timedelta(days=1)).isoformat()
    result = CliRunner().invoke(app, ["screen", str(DATA / "base_dossier.yaml"), "--as-of", future])
    assert result.exit_code == 2
    assert "is in the future" in result.output


# ---- windows anchored at inclusion; weight age; QT reading shown


def test_inclusion_anchored_window_has_no_earliest_c1d1() -> None:
    data = patch(
        base_data(),
        {"hsct": [{"type": "allogeneic", "date": "2025-06-01", "immunosuppression_until": "2026-02-20"}]},
    )
    d = next(s for s in screen_data(data).subprotocols if s.id == "D")
    assert d.earliest_c1d1 is None
    crit = next(c for c in d.criteria if c.key == "post_hsct_immunosuppression")
    assert "after inclusion" in crit.summary and "after C1D1" not in crit.summary
    # without an inclusion date the window is counted from C1D1, which can move: a date exists
    data = patch(data, {"patient.inclusion_date": "__delete__"})
    d = next(s for s in screen_data(data).subprotocols if s.id == "D")
    assert d.earliest_c1d1 == date(2026, 3, 20)


@pytest.mark.parametrize(
    ("site_limit", "measured", "expect"),
    [(30, "2026-02-17", Status.UNKNOWN), (5, "2026-03-02", Status.UNKNOWN), (30, "2026-02-25", Status.MET)],
)
def test_site_maximum_can_only_tighten_the_weight_reading(
    site_limit: int, measured: str, expect: Status
) -> None:
    record = dossier.from_mapping(patch(base_data(), {"patient.measured_on": measured}), as_of=TODAY)
    result = screen(record, load_protocol(), as_of=TODAY, options=Options(assessment_max_age_days=site_limit))
    d = next(s for s in result.subprotocols if s.id == "D")
    weight = next(c for c in d.criteria if c.key == "weight")
    assert weight.status is expect, weight.summary
    if expect is Status.UNKNOWN:
        assert "d" in weight.summary and (
            "ismart reading" in weight.summary or "site maximum" in weight.summary
        )


# ---- the earliest C1D1 is never before the screening date (issue 9, gap 4)


@pytest.mark.parametrize(
    ("today", "expect"),
    [
        (date(2026, 3, 8), date(2026, 3, 9)),  # screened the day before the planned C1D1
        (date(2026, 3, 9), date(2026, 3, 9)),  # on the planned C1D1
        (date(2026, 3, 10), date(2026, 3, 10)),  # the day after: not a day in the past
    ],
)
def test_earliest_c1d1_is_never_before_the_screening_date(today: date, expect: date) -> None:
    result = screen_data(base_data(), today=today)
    d = next(s for s in result.subprotocols if s.id == "D")
    assert d.earliest_c1d1 == expect
    assert d.earliest_c1d1 is not None and d.earliest_c1d1 >= today


def test_a_washout_later_than_the_screening_date_still_decides_the_earliest_c1d1() -> None:
    data = patch(
        base_data(),
        {"prior_therapy[+]": {"agent": "cytarabine", "class": "chemotherapy", "last_dose": "2026-03-05"}},
    )
    d = next(s for s in screen_data(data, today=date(2026, 3, 10)).subprotocols if s.id == "D")
    assert d.earliest_c1d1 == date(2026, 3, 12)  # 7 days after 2026-03-05, later than today


def test_the_contract_example_screened_today_has_no_earliest_c1d1_in_the_past() -> None:
    example = Path(__file__).parent.parent.parent / "shared" / "spec" / "dossier-example.yaml"
    if not example.exists():
        example = Path(__file__).parent.parent / "examples" / "dossier-example.yaml"
    today = date.today()
    record = dossier.load(example, as_of=today)
    result = screen(record, load_protocol(), as_of=today)
    for sp in result.subprotocols:
        assert sp.earliest_c1d1 is None or sp.earliest_c1d1 >= today, (sp.id, sp.earliest_c1d1)


def test_the_text_report_keeps_bracketed_sources_and_input_text() -> None:
    """A summary is plain text: "[weak_cyp3a_pmc]" or a name typed with brackets is not markup."""
    import io

    from rich.console import Console

    from ismart.report import text

    data = patch(base_data(), {"current_medications": [{"name": "sertraline [bold]50 mg"}]})
    out = io.StringIO()
    text.render(screen_data(data), Console(file=out, width=400), show_all=True)
    shown = out.getvalue()
    assert "[weak_cyp3a_pmc]" in shown and "sertraline [bold]50 mg" in shown


@pytest.mark.parametrize(
    ("name", "raw", "key"),
    [
        ("d.json", b'{"infections": {"hiv": "positive", "hiv": "negative"}}', "hiv"),
        ("d.yaml", b"infections:\n  hiv: positive\n  hiv: negative\n", "hiv"),
    ],
)
def test_a_web_upload_with_a_key_given_twice_is_refused(name: str, raw: bytes, key: str) -> None:
    """The pages read uploads with the same strict reader as the CLI (DossierError: a 422 page)."""
    from ismart.web.app import _parse_upload

    with pytest.raises(DossierError, match=f"duplicate key '{key}'"):
        _parse_upload(name, raw)


def test_the_api_and_the_files_share_one_duplicate_key_hook() -> None:
    import json

    from ismart.api import limits
    from ismart.jsonkeys import DuplicateKeyError, unique_keys

    with pytest.raises(DuplicateKeyError, match="duplicate key 'a'"):
        json.loads('{"a": 1, "b": {"a": 2}, "a": 3}', object_pairs_hook=unique_keys)
    assert json.loads('{"a": 1, "b": {"a": 2}}', object_pairs_hook=unique_keys) == {"a": 1, "b": {"a": 2}}
    with pytest.raises(limits.BadJson, match="duplicate key 'a'"):
        limits.check_json(b'{"a": 1, "a": 1}')
