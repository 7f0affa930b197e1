"""Rules shared by sub-protocols are evaluated once per screening (the engine's sharing): the
answer is the same as evaluating every criterion of every sub-protocol on its own, and a rule
that reads the sub-protocol without being listed as doing so is a loud internal error."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import DATA, TODAY, base_data, patch, screen_data
from ismart.eligibility import rules
from ismart.errors import InternalError
from ismart.protocol import load_protocol
from ismart.report.json_report import to_dict

EXAMPLES = Path(__file__).parent.parent / "examples"
CASES: list[dict[str, Any]] = yaml.safe_load((DATA / "criterion_cases.yaml").read_text(encoding="utf-8"))


def _dossiers() -> list[tuple[str, dict[str, Any], Any]]:
    found = [(c["id"], patch(base_data(), c.get("set", {})), c.get("c1d1")) for c in CASES]
    for path in sorted(EXAMPLES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found.append((path.stem, data, None))
    return found


def test_sharing_gives_the_answer_of_evaluating_every_criterion_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cases = _dossiers()
    shared = [to_dict(screen_data(data, c1d1=c1d1)) for _, data, c1d1 in cases]
    monkeypatch.setattr(rules, "READS_SUBPROTOCOL", rules.RULE_TYPES)  # nothing shared
    for (name, data, c1d1), answer in zip(cases, shared, strict=True):
        assert to_dict(screen_data(data, c1d1=c1d1)) == answer, name


def test_a_shared_rule_is_evaluated_once_for_all_sub_protocols(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: Counter[str] = Counter()
    evaluators = dict(rules._EVALUATORS)

    def counted(kind: str) -> Any:
        def run(rule: Any, ctx: Any) -> Any:
            calls[kind] += 1
            return evaluators[kind](rule, ctx)

        return run

    for kind in ("age", "alteration"):
        monkeypatch.setitem(rules._EVALUATORS, kind, counted(kind))
    result = screen_data(base_data())
    with_age = sum(1 for sp in result.subprotocols for c in sp.criteria if c.key == "age")
    protocol = load_protocol()
    alteration_rules = [c for sp in protocol.subprotocols for c in sp.criteria if c.rule.type == "alteration"]
    assert with_age > 1
    assert calls["age"] < with_age  # B, C, D and E share one age rule
    assert calls["alteration"] == len(alteration_rules)  # reads the sub-protocol: once per criterion


@pytest.mark.parametrize("kind", sorted(rules.READS_SUBPROTOCOL))
def test_a_rule_reading_the_sub_protocol_unlisted_is_an_internal_error(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each listed type really reads the sub-protocol (on a dossier that reaches that reading): not
    listed, it meets the stand-in and fails loudly instead of answering for the wrong sub-protocol."""
    monkeypatch.setattr(rules, "READS_SUBPROTOCOL", rules.READS_SUBPROTOCOL - {kind})
    data = patch(
        base_data(),
        {
            "conditions.active_tuberculosis": True,
            "current_medications[+]": {"name": "dasatinib", "route": "oral"},
        },
    )
    with pytest.raises(InternalError, match="READS_SUBPROTOCOL"):
        screen_data(data, today=TODAY)
