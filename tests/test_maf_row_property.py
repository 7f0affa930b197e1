"""Property: in the per-patient MAF reader (``read_maf`` -> profile -> triage), deleting, duplicating or
corrupting one row of a real MAF never changes the calls of any other sample. A row made unreadable as a
table (a tab inserted or removed) is an error naming that row's line, never a shorter cohort."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ismart.dossier import Profiling, Variant
from ismart.errors import ProfileFileError
from ismart.molecular.profile import build_profile
from ismart.molecular.triage import triage
from ismart.profiles import read_maf
from ismart.protocol import load_protocol

SOURCE = Path(__file__).parent / "data" / "maf" / "tcga_laml_maftools_excerpt.maf"
LINES = SOURCE.read_text(encoding="utf-8").splitlines()
HEADER, ROWS = LINES[0], LINES[1:]
COLUMNS = HEADER.split("\t")
SAMPLE = COLUMNS.index("Tumor_Sample_Barcode")
PROTOCOL = load_protocol()


def _calls(variants: list[Variant]) -> tuple[Any, ...]:
    """What the board sees for one sample: each alteration's tier and each sub-protocol's tier."""
    result = triage(build_profile(Profiling(variants=variants, methods=["WES"])), PROTOCOL)
    return (
        tuple(sorted((a.name, a.tier) for a in result.alterations)),
        tuple(sorted((c.subprotocol, c.tier) for c in result.candidates)),
    )


def _read(path: Path, rows: list[str]) -> dict[str, tuple[Any, ...]]:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return {sample: _calls(variants) for sample, variants in read_maf(path).items()}


@cache
def _base() -> dict[str, tuple[Any, ...]]:
    with tempfile.TemporaryDirectory() as folder:
        return _read(Path(folder) / "base.maf", ROWS)


def test_the_unedited_excerpt_has_calls_to_protect() -> None:
    assert ("D", "protocol-named") in _base()["TCGA-AB-2812"][1]  # FLT3-ITD in the Oncotator form
    assert len(_base()) == 10


_CELL = st.text(st.characters(blacklist_characters="\t\r\n", blacklist_categories=["Cs"]), max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    index=st.integers(0, len(ROWS) - 1),
    action=st.sampled_from(["delete", "duplicate", "corrupt", "corrupt", "ragged"]),
    column=st.sampled_from([i for i, name in enumerate(COLUMNS) if i != SAMPLE]),
    garbage=_CELL,
)
def test_one_bad_row_never_changes_another_sample(
    tmp_path_factory: pytest.TempPathFactory, index: int, action: str, column: int, garbage: str
) -> None:
    rows = list(ROWS)
    touched = rows[index].split("\t")[SAMPLE]
    if action == "delete":
        del rows[index]
    elif action == "duplicate":
        rows.insert(index, rows[index])
    elif action == "corrupt":
        cells = rows[index].split("\t")
        cells[column] = garbage
        rows[index] = "\t".join(cells)
    else:  # a cell split in two or two cells merged: the row no longer fits the header
        cells = rows[index].split("\t")
        cells[column : column + 1] = [garbage, garbage] if len(garbage) % 2 else []
        rows[index] = "\t".join(cells)
    path = tmp_path_factory.mktemp("maf") / "edited.maf"
    try:
        changed = _read(path, rows)
    except ProfileFileError as error:
        # only a row that no longer reads as a table row (or a cell of a kind the reader checks, such as
        # a VAF that is not a number) may stop the file, and the error names that row's line
        assert error.line == index + 2, (action, column, garbage, str(error))
        return
    for sample, calls in _base().items():
        if sample != touched:
            assert changed.get(sample) == calls, (sample, action, column, garbage)
