"""Build ``src/ismart/reference/ctcae_v5_terms.json`` from NCI's CTCAE v5.0 workbook.

Usage:
    python tools/ctcae_v5_terms.py CTCAE_v5.0.xlsx [CTCAE_v5.0.csv] \
        > src/ismart/reference/ctcae_v5_terms.json

Reads the sheet "CTCAE v5.0 Clean Copy" with the standard library only (an xlsx is a zip of XML).
A grade whose cell is "-" is not defined for the term. The optional CSV is an independent copy
of the same sheet; every row of both must agree (code, SOC, term, the five grade texts).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
SHEET = "CTCAE v5.0 Clean Copy"
SOURCE_URL = "https://ctep.cancer.gov/protocoldevelopment/electronic_applications/ctc.htm#ctc_50"
COPY_URL = (
    "https://github.com/TheMillerLab/StoryboardR/blob/2564d598925963440cd98924b825a62c6cd99a6d/"
    "data-raw/CTCAE_v5.0.xlsx"
)
CHECK_URL = (
    "https://github.com/KohSoonho/CTCAE/blob/5f6e26205023be3998f12c91ef4d47a854a9ba53/CTCAE_v5.0.csv"
)


def _column(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref)
    assert letters
    n = 0
    for ch in letters.group(0):
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_sheet(path: Path, name: str) -> list[list[str]]:
    z = zipfile.ZipFile(path)
    shared = [
        "".join(t.text or "" for t in si.iter(f"{M}t"))
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall(f"{M}si")
    ]
    book = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.attrib["Id"]: r.attrib["Target"] for r in rels}
    sheet = next(s for s in book.iter(f"{M}sheet") if s.attrib["name"] == name)
    target = targets[sheet.attrib[f"{R}id"]].lstrip("/")
    target = target if target.startswith("xl/") else f"xl/{target}"
    rows: list[list[str]] = []
    for row in ET.fromstring(z.read(target)).iter(f"{M}row"):
        cells: dict[int, str] = {}
        for c in row.iter(f"{M}c"):
            kind = c.attrib.get("t")
            v = c.find(f"{M}v")
            if kind == "s" and v is not None:
                text = shared[int(v.text or 0)]
            elif kind == "inlineStr":
                text = "".join(t.text or "" for t in c.iter(f"{M}t"))
            else:
                text = v.text or "" if v is not None else ""
            cells[_column(c.attrib["r"])] = text
        if cells:
            rows.append([cells.get(i, "") for i in range(max(cells) + 1)])
    return rows


def _clean(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _undefined(text: str) -> bool:
    return _clean(text) in ("-", "")


def build(xlsx: Path, check: Path | None) -> dict[str, object]:
    rows = read_sheet(xlsx, SHEET)
    header = [_clean(h) for h in rows[0]]
    assert header[:3] == ["MedDRA Code", "MedDRA SOC", "CTCAE Term"], header
    terms = []
    for raw in rows[1:]:
        raw = raw + [""] * (len(header) - len(raw))
        code, soc, term = _clean(raw[0]), _clean(raw[1]), _clean(raw[2])
        if not term:
            continue
        grades = [_clean(g) for g in raw[3:8]]
        terms.append(
            {
                "term": term,
                "meddra_code": int(code),
                "soc": soc,
                "grades": [i + 1 for i, g in enumerate(grades) if not _undefined(g)],
                "criteria": {str(i + 1): g for i, g in enumerate(grades) if not _undefined(g)},
                "definition": "" if _undefined(raw[8]) else _clean(raw[8]),
            }
        )
    if check is not None:
        with check.open(encoding="utf-8", newline="") as f:
            other = list(csv.reader(f))[1:]
        assert len(other) == len(terms), (len(other), len(terms))
        for mine, theirs in zip(terms, other, strict=True):
            assert int(theirs[0]) == mine["meddra_code"], (mine["term"], theirs[0])
            assert _clean(theirs[1]) == mine["soc"] and _clean(theirs[2]) == mine["term"], theirs[:3]
            defined = [i + 1 for i, g in enumerate(theirs[3:8]) if not _undefined(g)]
            assert defined == mine["grades"], (mine["term"], defined)
    digest = hashlib.sha256(xlsx.read_bytes()).hexdigest()
    return {
        "schema_version": 1,
        "name": "CTCAE v5.0 term list",
        "version": "5.0",
        "coverage": f"all {len(terms)} terms",
        "source": {
            "publisher": "National Cancer Institute, Cancer Therapy Evaluation Program",
            "title": "Common Terminology Criteria for Adverse Events (CTCAE) v5.0, 27 November 2017",
            "url": SOURCE_URL,
            "file": "CTCAE_v5.0_2017-11-27.xlsx",
            "sheet": SHEET,
            "copy_used": COPY_URL,
            "sha256": digest,
            "cross_checked_with": CHECK_URL if check is not None else None,
            "retrieved": "2026-12-02",
            "columns": "MedDRA Code, MedDRA SOC, CTCAE Term, Grade 1..5 ('-': not defined), Definition",
        },
        "terms": terms,
    }


if __name__ == "__main__":
    data = build(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    terms = data.pop("terms")
    head = json.dumps(data, indent=1, ensure_ascii=False)[:-2]
    lines = ",\n".join("  " + json.dumps(t, ensure_ascii=False) for t in terms)  # type: ignore[attr-defined]
    sys.stdout.write(f'{head},\n "terms": [\n{lines}\n ]\n}}\n')
