"""Response classification at every category and boundary, asserting the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ismart.errors import InputError
from ismart.response import (
    Category,
    Extramedullary,
    LeukaemiaAssessment,
    LymphomaAssessment,
    Mrd,
    classify_leukaemia,
    classify_lymphoma,
    mrd_status,
)

CASES = yaml.safe_load((Path(__file__).parent.parent / "data" / "response_cases.yaml").read_text("utf-8"))


def _mrd(raw: dict[str, Any] | None) -> Mrd | None:
    return None if raw is None else Mrd(**raw)


def _leukaemia(changes: dict[str, Any]) -> LeukaemiaAssessment:
    fields = {**CASES["base"], **changes}
    fields["mrd"] = _mrd(fields.get("mrd"))
    if fields.get("extramedullary") is not None:
        fields["extramedullary"] = Extramedullary(fields["extramedullary"])
    return LeukaemiaAssessment(**fields)


@pytest.mark.parametrize("case", CASES["leukaemia"], ids=lambda c: c["name"])
def test_leukaemia(case: dict[str, Any]) -> None:
    result = classify_leukaemia(_leukaemia(case["set"]))
    assert result.category == Category(case["category"])
    assert case["reason"] in result.reason
    if "marrow" in case:
        assert result.marrow.value == case["marrow"]


@pytest.mark.parametrize("case", CASES["mrd"], ids=lambda c: c["name"])
def test_mrd(case: dict[str, Any]) -> None:
    finding = mrd_status(_mrd(case["mrd"]))
    assert finding.status == case["status"]
    assert case["reason"] in finding.reason


@pytest.mark.parametrize("case", CASES["lymphoma"], ids=lambda c: c["name"])
def test_lymphoma(case: dict[str, Any]) -> None:
    result = classify_lymphoma(LymphomaAssessment(**{**CASES["lymphoma_base"], **case["set"]}))
    assert result.category == Category(case["category"])
    assert case["reason"] in result.reason


def test_every_category_has_a_case() -> None:
    seen = {c["category"] for c in CASES["leukaemia"] + CASES["lymphoma"]}
    assert seen == {c.value for c in Category}


def test_mrd_reported_beside_the_category() -> None:
    result = classify_leukaemia(
        _leukaemia({"mrd": {"method": "flow_cytometry", "value": 0.0, "sensitivity": 1e-5}})
    )
    assert result.category is Category.CR
    assert result.mrd.value == "negative"
    assert result.reasons[-1].startswith("MRD not detected")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: LeukaemiaAssessment(marrow_blasts_pct=101), "marrow_blasts_pct: 101 is out of range"),
        (lambda: LeukaemiaAssessment(anc=-1), "anc: -1 is out of range"),
        (lambda: LeukaemiaAssessment(cns="CNS4"), "cns: 'CNS4' is not one of"),
        (lambda: Mrd("elisa", 0.1, 1e-4), "mrd.method: 'elisa'"),
        (lambda: Mrd("flow_cytometry", 2, 1e-4), "mrd.value: 2 is out of range"),
        (lambda: Mrd("flow_cytometry", 0, 0), "mrd.sensitivity: must be above 0"),
    ],
)
def test_bad_components_are_named(build: Any, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        build()
