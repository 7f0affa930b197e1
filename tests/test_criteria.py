"""Every criterion key, table-driven from tests/data/criterion_cases.yaml."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
import yaml

from helpers import DATA, base_data, patch, screen_data
from ismart.eligibility.status import Outcome, Status, all_of
from ismart.protocol import load_protocol

CASES: list[dict[str, Any]] = yaml.safe_load((DATA / "criterion_cases.yaml").read_text(encoding="utf-8"))


def _status(case: dict[str, Any]) -> tuple[Status, list[str]]:
    result = screen_data(patch(base_data(), case.get("set", {})), c1d1=case.get("c1d1"))
    sub = next(s for s in result.subprotocols if s.id == case["sub"])
    found = [c for c in sub.criteria if c.key == case["key"]]
    assert found, f"{case['sub']} has no {case['key']} criterion"
    combined = all_of(Outcome(c.status, c.summary) for c in found)
    return combined.status, [c.summary for c in found]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_criterion_case(case: dict[str, Any]) -> None:
    status, summaries = _status(case)
    assert status is Status(case["expect"]), summaries
    if "reason" in case:
        assert any(case["reason"] in s for s in summaries), summaries


def test_case_ids_are_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))


def test_every_key_of_b_c_d_has_met_not_met_and_unknown_cases() -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for case in CASES:
        seen[case["key"]].add(case["expect"])
    protocol = load_protocol()
    keys = {c.key for sp in protocol.subprotocols if sp.id in "BCD" for c in sp.criteria}
    keys.add("recruitment")
    lacking = {
        k: sorted({"MET", "NOT_MET", "UNKNOWN"} - seen[k])
        for k in keys
        if not {"MET", "NOT_MET", "UNKNOWN"} <= seen[k]
    }
    assert lacking == {}
