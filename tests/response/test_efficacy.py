"""The efficacy design as protocol data (open question or sponsor file) and the derived stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from ismart.errors import ProtocolDataError
from ismart.response.efficacy import Outcome, Stage, from_file, resolve, shipped, state
from ismart.response.simon import SimonDesign

DESIGN = SimonDesign(r1=1, n1=5, r=3, n=10, en0=0.0, pet0=0.0)


def _patients(*flags: bool | None) -> list[Outcome]:
    return [Outcome(f"P{i}", f, True, "") for i, f in enumerate(flags)]


def test_shipped_designs_are_open_questions() -> None:
    data = shipped()
    assert set(data.designs) == {"A", "B", "C", "D", "E"}
    for design in data.designs.values():
        assert design.status == "open_question"
        assert resolve(design) is None
    result = state(resolve(data.designs["B"]), _patients(True, True))
    assert result.stage is Stage.open_question
    assert result.decision == "no decision: the Simon parameters are not public"
    assert (result.evaluable, result.responders) == (2, 2)


def test_sponsor_file_replaces_the_placeholder(tmp_path: Path) -> None:
    path = tmp_path / "sponsor-efficacy.yaml"
    path.write_text(
        "schema_version: 1\nsources: {s: sponsor}\n"
        "evaluability: {non_responder_if_off_before_assessment: [progression], source: s}\n"
        "designs:\n  B: {design: simon_two_stage, status: sponsor, source: s,"
        " p0: 0.2, p1: 0.4, alpha: 0.1, beta: 0.1}\n"
        "  D: {design: simon_two_stage, status: sponsor, source: s,"
        " p0: 0.2, p1: 0.4, alpha: 0.1, beta: 0.1, r1: 1, n1: 5, r: 3, n: 10}\n",
        encoding="utf-8",
    )
    data = from_file(path)
    b = resolve(data.designs["B"])
    assert b is not None and (b.r1, b.n1, b.r, b.n) == (3, 17, 10, 37)
    d = resolve(data.designs["D"])
    assert d is not None and (d.r1, d.n1, d.r, d.n) == (1, 5, 3, 10)
    assert d.pet0 == pytest.approx(0.8**5 + 5 * 0.2 * 0.8**4)


def test_incomplete_sponsor_design_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "schema_version: 1\nsources: {}\n"
        "evaluability: {non_responder_if_off_before_assessment: [], source: s}\n"
        "designs:\n  B: {design: simon_two_stage, status: sponsor, source: s, p0: 0.2}\n",
        encoding="utf-8",
    )
    with pytest.raises(ProtocolDataError, match=r"designs\.B: Value error, a sponsor design needs p0, p1"):
        from_file(path)


@pytest.mark.parametrize(
    ("flags", "stage", "decision"),
    [
        ((False, False), Stage.stage1, "2 of 5 evaluable, 0 responses (more than 1 needed)"),
        (
            (False, False, False, False, True),
            Stage.futility,
            "1 responses among the first 5 evaluable: at most r1 = 1",
        ),
        ((False, False, False, False), Stage.futility, "0 responses with 1 to come cannot exceed r1 = 1"),
        ((True, True), Stage.continue_stage2, "2 responses among 2 evaluable: more than r1 = 1"),
        ((True, True, False, False, False, False), Stage.continue_stage2, "stage 2: 6 of 10 evaluable"),
        ((True, True, False, False, False, True, True), Stage.promising, "4 responses among 7 evaluable"),
        ((True, True, False, False, False, True) + (False,) * 4, Stage.not_promising, "3 responses among 10"),
    ],
)
def test_stage_decisions(flags: tuple[bool, ...], stage: Stage, decision: str) -> None:
    result = state(DESIGN, _patients(*flags), p0=0.2, p1=0.4)
    assert result.stage is stage
    assert decision in result.decision
    assert result.at_p0 is not None and result.at_p1 is not None


def test_pending_and_not_evaluable_are_counted_apart() -> None:
    outcomes = [*_patients(True, None), Outcome("X", None, False, "off treatment: toxicity")]
    result = state(DESIGN, outcomes)
    assert (result.evaluable, result.pending, result.not_evaluable) == (1, 1, 1)


def test_no_decision_before_the_rp2d() -> None:
    assert state(DESIGN, _patients(True, True), rp2d_declared=False).stage is Stage.no_rp2d
