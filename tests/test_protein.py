"""HGVS protein-change parsing: the biocommons-derived case table, equivalent spellings, errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ismart.molecular.protein import (
    ONE_TO_THREE,
    ChangeKind,
    HgvsError,
    ProteinChange,
    parse_protein_change,
)

CASES = Path(__file__).parent / "data" / "hgvs_protein_cases.tsv"


def _cases() -> list[tuple[str, bool, str]]:
    lines = [line for line in CASES.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows, "the case table is empty"
    return [(r["input"], {"true": True, "false": False}[r["valid"]], r["normalized"]) for r in rows]


def test_case_table_has_a_provenance_header() -> None:
    head = CASES.read_text(encoding="utf-8").splitlines()[:8]
    text = " ".join(head)
    assert "biocommons/hgvs" in text
    assert "e074aee2750bdea92a1f72f582ce942f0835488c" in text
    assert "Apache License 2.0" in text


@pytest.mark.parametrize(("text", "valid", "normalized"), _cases())
def test_case_table(text: str, valid: bool, normalized: str) -> None:
    if not valid:
        with pytest.raises(HgvsError):
            parse_protein_change(text)
        return
    change = parse_protein_change(text)
    assert change.normalized() == normalized
    assert parse_protein_change(change.normalized()) == change
    assert parse_protein_change(change.three_letter()) == change


@pytest.mark.parametrize(
    ("spellings", "normalized", "three"),
    [
        (
            ["p.G12D", "p.Gly12Asp", "p.(Gly12Asp)", "G12D", "p.gly12asp", "p.GLY12ASP"],
            "p.G12D",
            "p.Gly12Asp",
        ),
        (["NP_004976.2:p.Gly12Asp", "NP_004976.2(KRAS):p.(G12D)"], "p.G12D", "p.Gly12Asp"),
        (["p.R123*", "p.Arg123Ter", "p.R123X", "p.(Arg123*)", "p.arg123ter"], "p.R123*", "p.Arg123Ter"),
        (["p.Gly12=", "p.G12=", "p.Gly12Gly", "p.(G12=)"], "p.G12=", "p.Gly12="),
        (["p.Lys57fs", "p.K57fs", "p.(Lys57fs)", "p.K57fs*"], "p.K57fs", "p.Lys57fs"),
        (["p.K57Efs*5", "p.Lys57GlufsTer5", "p.Lys57GlufsX5"], "p.K57Efs*5", "p.Lys57GlufsTer5"),
        (["p.K57fs*?", "p.Lys57fsTer?"], "p.K57fs*?", "p.Lys57fsTer?"),
        (["p.E102_I103del", "p.Glu102_Ile103del"], "p.E102_I103del", "p.Glu102_Ile103del"),
        (["p.Glu102del", "p.E102del"], "p.E102del", "p.Glu102del"),
        (["p.E102_I103dup", "p.Glu102_Ile103dup"], "p.E102_I103dup", "p.Glu102_Ile103dup"),
        (
            ["p.L242_L243insNPC", "p.Leu242_Leu243insAsnProCys"],
            "p.L242_L243insNPC",
            "p.Leu242_Leu243insAsnProCys",
        ),
        (
            ["p.C118_G120delinsW", "p.Cys118_Gly120delinsTrp"],
            "p.C118_G120delinsW",
            "p.Cys118_Gly120delinsTrp",
        ),
        (["p.*110Glnext*17", "p.Ter110GlnextTer17", "p.*110Qext*17"], "p.*110Qext*17", "p.Ter110GlnextTer17"),
        (["p.M1?", "p.Met1?", "p.(Met1?)"], "p.M1?", "p.Met1?"),
        (["p.0?"], "p.0?", "p.0?"),
        (["p.?"], "p.?", "p.?"),
    ],
)
def test_equivalent_spellings(spellings: list[str], normalized: str, three: str) -> None:
    changes = [parse_protein_change(s) for s in spellings]
    assert {c.normalized() for c in changes} == {normalized}
    assert {c.three_letter() for c in changes} == {three}
    assert all(c == changes[0] for c in changes)


def test_fields_of_a_missense_change() -> None:
    change = parse_protein_change("p.(Gly12Asp)")
    assert change == ProteinChange(ChangeKind.MISSENSE, 12, 12, "G", "D", None, predicted=True)
    assert change.predicted
    assert not parse_protein_change("p.G12D").predicted
    assert change.is_protein_altering and not change.is_truncating


def test_fields_of_ranges_and_insertions() -> None:
    deletion = parse_protein_change("p.E102_I103del")
    assert (deletion.kind, deletion.start, deletion.end, deletion.ref, deletion.end_ref) == (
        ChangeKind.INFRAME_DELETION,
        102,
        103,
        "E",
        "I",
    )
    insertion = parse_protein_change("p.Leu242_Leu243insAsnProCys")
    assert (insertion.kind, insertion.alt, insertion.start, insertion.end) == (
        ChangeKind.INFRAME_INSERTION,
        "NPC",
        242,
        243,
    )
    frameshift = parse_protein_change("p.Lys57GlufsTer5")
    assert (frameshift.kind, frameshift.ref, frameshift.alt, frameshift.length) == (
        ChangeKind.FRAMESHIFT,
        "K",
        "E",
        "5",
    )
    extension = parse_protein_change("p.Ter110GlnextTer17")
    assert (extension.kind, extension.ref, extension.alt, extension.length) == (
        ChangeKind.EXTENSION,
        "*",
        "Q",
        "17",
    )


@pytest.mark.parametrize(
    ("text", "kind", "truncating", "altering"),
    [
        ("p.G12D", ChangeKind.MISSENSE, False, True),
        ("p.R123*", ChangeKind.NONSENSE, True, True),
        ("p.G12=", ChangeKind.SYNONYMOUS, False, False),
        ("p.K57fs", ChangeKind.FRAMESHIFT, True, True),
        ("p.E102del", ChangeKind.INFRAME_DELETION, False, True),
        ("p.L242_L243insNPC", ChangeKind.INFRAME_INSERTION, False, True),
        ("p.E102dup", ChangeKind.DUPLICATION, False, True),
        ("p.C118_G120delinsW", ChangeKind.DELINS, False, True),
        ("p.*110Qext*17", ChangeKind.EXTENSION, False, True),
        ("p.M1?", ChangeKind.START_LOSS, False, True),
        ("p.M1V", ChangeKind.START_LOSS, False, True),
        ("p.0?", ChangeKind.START_LOSS, False, True),
        ("p.?", ChangeKind.UNKNOWN, False, False),
        ("p.G12?", ChangeKind.UNKNOWN, False, False),
    ],
)
def test_kinds(text: str, kind: ChangeKind, truncating: bool, altering: bool) -> None:
    change = parse_protein_change(text)
    assert change.kind is kind
    assert change.is_truncating is truncating
    assert change.is_protein_altering is altering


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "G12",
        "p.Gly12",
        "p.G12DD",
        "p.Gly12Aspp",
        "p.Xyz12Asp",
        "c.35G>A",
        "KRAS G12D",
        "p.G0D",
        "p.G12_A10del",
        "p.G12_A14ins",
        "p.G12_A14insW",
        "p.G12insW",
        "p.Cys9_Val10insgly",  # G-L-Y or Gly: ambiguous
        "p.Cys9_Val10insArgA",
        "p.Gly12Asx",
        "p.K57fs5",
        "p.G12Dfs*5extra",
        "p.*110Qext-5",
        "p.G12Qext*5",
        "p.(G12D",
        "p.(G12D\n)",
        "p.G12D\nX",
        "p.[G12D;Q61H]",
        "p.Gln18[23]",
        "p.1" + "2" * 5000 + "D",
    ],
)
def test_invalid_text_raises_hgvs_error_naming_it(text: str) -> None:
    with pytest.raises(HgvsError) as raised:
        parse_protein_change(text)
    message = str(raised.value)
    assert "\n" not in message
    assert repr(text)[:60] in message


def test_hgvs_error_is_a_value_error() -> None:
    assert issubclass(HgvsError, ValueError)


def test_non_string_raises_hgvs_error() -> None:
    with pytest.raises(HgvsError):
        parse_protein_change(12)  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
def test_parse_never_raises_anything_but_hgvs_error(text: str) -> None:
    try:
        change = parse_protein_change(text)
    except HgvsError as exc:
        assert "\n" not in str(exc)
        return
    assert parse_protein_change(change.normalized()) == change


_HGVS_ALPHABET = st.sampled_from(list("ACDEFGHIKLMNPQRSTVWYUX*=()_.pP?0123456789delinsdupfsextTerGlyAsp-:"))


@settings(max_examples=400, deadline=None)
@given(st.lists(_HGVS_ALPHABET, max_size=24).map("".join))
def test_parse_of_hgvs_like_text_raises_only_hgvs_error(text: str) -> None:
    try:
        change = parse_protein_change(text)
    except HgvsError:
        return
    assert parse_protein_change(change.normalized()) == change
    assert parse_protein_change(change.three_letter()) == change


_RESIDUES = sorted(set(ONE_TO_THREE) - {"*"})


@settings(max_examples=300, deadline=None)
@given(
    ref=st.sampled_from(_RESIDUES),
    alt=st.sampled_from([*_RESIDUES, "*"]),
    position=st.integers(min_value=1, max_value=99_999),
    three=st.booleans(),
    predicted=st.booleans(),
    case=st.sampled_from(["as-is", "lower", "upper"]),
)
def test_substitutions_round_trip(
    ref: str, alt: str, position: int, three: bool, predicted: bool, case: str
) -> None:
    body = f"{ONE_TO_THREE[ref]}{position}{ONE_TO_THREE[alt]}" if three else f"{ref}{position}{alt}"
    if case == "lower" and three:
        body = body.lower()
    elif case == "upper":
        body = body.upper()
    text = f"p.({body})" if predicted else f"p.{body}"
    change = parse_protein_change(text)
    assert change.start == change.end == position
    assert change.ref == ref
    assert change.predicted is predicted
    assert parse_protein_change(change.normalized()) == change
    assert parse_protein_change(change.three_letter()) == change
    if alt == ref:
        assert change.kind is ChangeKind.SYNONYMOUS
        assert change.normalized() == f"p.{ref}{position}="
    elif (position, ref) == (1, "M"):
        assert change.kind is ChangeKind.START_LOSS
    else:
        assert change.normalized() == f"p.{ref}{position}{alt}"
        assert change.kind is (ChangeKind.NONSENSE if alt == "*" else ChangeKind.MISSENSE)
