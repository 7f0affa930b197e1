"""Cross-check of the protein-level HGVS parser against biocommons hgvs (optional extra `hgvs`).

Skipped unless `pip install -e '.[hgvs]'` was run: the library is heavy to install (psycopg2 built
from source, IPython, seqrepo), so ismart parses protein changes itself and uses it only here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ismart.molecular.protein import parse_protein_change

hgvs_parser = pytest.importorskip("hgvs.parser")
CASES = Path(__file__).parent / "data" / "hgvs_protein_cases.tsv"


def _canonical(text: str) -> str:
    """Render-only differences: biocommons writes fs* / ext* / X where ismart writes fs / ext*? / *."""
    body = text.split(":", 1)[-1]
    if body.startswith("p.(") and body.endswith(")"):
        body = "p." + body[3:-1]
    body = body.replace("X", "*")
    if body.endswith("fs*"):
        body = body[:-1]
    if body.endswith("ext*"):
        body += "?"
    return body


def _valid_cases() -> list[str]:
    rows = [
        r for r in csv.reader(CASES.open(encoding="utf-8"), delimiter="\t") if r and not r[0].startswith("#")
    ]
    header = rows[0]
    return [
        dict(zip(header, r, strict=False))["input"]
        for r in rows[1:]
        if dict(zip(header, r, strict=False)).get("valid", "").lower() in ("true", "1", "yes")
    ]


@pytest.mark.parametrize("text", _valid_cases())
def test_same_normal_form_as_biocommons(text: str) -> None:
    parser = hgvs_parser.Parser()
    full = text if ":" in text else "NP_004976.2:" + (text if text.startswith("p.") else "p." + text)
    try:
        theirs = parser.parse(full).format(conf={"p_3_letter": False})
    except Exception:
        pytest.skip("biocommons hgvs does not parse this form")
    assert _canonical(parse_protein_change(text).normalized()) == _canonical(str(theirs))
