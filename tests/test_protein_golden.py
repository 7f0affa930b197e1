"""The protein-change grammar reads ~20,000 strings exactly as it did before it was made faster.

tests/data/protein_change_golden.tsv.gz was written by the grammar as it stood at commit ea9c689
(before precompiling its patterns and dispatching each edit through one alternation): every
protein-change-like cell of tests/data (biocommons hgvs cases, the MAF and VCF excerpts), a sample
of the synthetic cohort's distinct changes (seed 7, 100,000 samples: every shape, up to 30 of each,
and 1,500 drawn at random), and deterministic corruptions of each (lower/upper case, a prefix,
parentheses, surrounding blanks, one character inserted, deleted or replaced). Each row: the input
(``\\n`` for a line end), then ``ok`` and the fields, or ``error`` and the message a user sees.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from ismart.molecular.protein import HgvsError, parse_protein_change, protein_change_error

GOLDEN = Path(__file__).parent / "data" / "protein_change_golden.tsv.gz"


def _rows() -> list[tuple[str, list[str]]]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle if not line.startswith("#")]
    rows = []
    for line in lines:
        text, *expected = line.split("\t")
        rows.append((text.replace("\\n", "\n").replace("\\\\", "\\"), expected))
    return rows


def _now(text: str) -> list[str]:
    try:
        c = parse_protein_change(text)
    except HgvsError as exc:
        return ["error", str(exc)]
    fields = [c.kind.value, c.start, c.end, c.ref, c.alt, c.end_ref, c.predicted, c.length]
    return ["ok", *("" if f is None else str(f) for f in fields)]


def test_golden_file_covers_both_outcomes() -> None:
    rows = _rows()
    outcomes = [expected[0] for _, expected in rows]
    assert len(rows) > 19_000
    assert outcomes.count("ok") > 10_000 and outcomes.count("error") > 5_000


def test_parse_gives_the_recorded_fields_or_message() -> None:
    differ = [(text, expected, _now(text)) for text, expected in _rows() if _now(text) != expected]
    assert differ == []


def test_error_only_reading_agrees_with_the_parse() -> None:
    """protein_change_error is the same grammar: None exactly when the parse succeeds, else its message."""
    for text, expected in _rows():
        found = protein_change_error(text)
        if expected[0] == "ok":
            assert found is None, text
        else:
            assert found == expected[1], text


def test_error_only_reading_names_the_text_and_reason() -> None:
    assert protein_change_error("p.G12D") is None
    assert protein_change_error("p.12D") == (
        "'p.12D' is not an HGVS protein change (a substitution needs its reference residue, e.g. p.G12D)"
    )
    assert protein_change_error(" ") == "' ' is not an HGVS protein change (empty)"
