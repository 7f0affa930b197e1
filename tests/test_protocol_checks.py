"""Issue 12: a protocol folder that refers to nothing real is refused when it is loaded, with one
line naming the file, the criterion and the field (not a raw error while a patient is screened)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from ismart.errors import ProtocolDataError
from ismart.protocol.loader import load_from

FOLDER = resources.files("ismart") / "protocols" / "hem_ismart"

# (file, text in the shipped file, its corrupted replacement, the whole expected error)
DEFECTS = [
    pytest.param(
        "master.yaml",
        "field: conditions.gi_impairment_affecting_absorption",
        "field: conditions.gi_impairment_typo",
        "master.yaml: template gi_function: field: 'conditions.gi_impairment_typo' is not a field of the "
        "dossier ('gi_impairment_typo' is not in conditions)",
        id="dotted-field",
    ),
    pytest.param(
        "C.yaml",
        "changes: [p.F232C]",
        "changes: [p.F2xxC]",
        "C.yaml: criterion 5 (alteration): matches.1.changes: 'p.F2xxC' is not an HGVS protein change",
        id="protein-change",
    ),
    pytest.param(
        "C.yaml",
        "gene: JAK1, classes: [missense, inframe], domains: [pseudokinase, kinase], label",
        "gene: JAKK1, classes: [missense, inframe], domains: [pseudokinase, kinase], label",
        "C.yaml: criterion 5 (alteration): matches.7.gene: gene 'JAKK1' is not in reference/genes.yaml",
        id="gene",
    ),
    pytest.param(
        "C.yaml",
        "gene: JAK2, classes: [missense, inframe], domains: [pseudokinase, kinase], label",
        "gene: JAK2, classes: [missense, inframe], domains: [pseudokinase, kinasse], label",
        "C.yaml: criterion 5 (alteration): matches.8.domains: no region 'kinasse' for JAK2 in "
        "reference/domains.yaml",
        id="domain",
    ),
    pytest.param(
        "D.yaml",
        "  - key: alteration\n",
        "  - key: alteration_typo\n",
        "D.yaml: criterion 5: key: 'alteration_typo' is not a criterion key of the screening-output contract",
        id="criterion-key",
    ),
]


def corrupted(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the shipped protocol folder with one text of one file replaced (exactly once)."""
    target = tmp_path / "proto"
    shutil.copytree(str(FOLDER), target)
    text = (target / file).read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{file} no longer contains {old!r}"
    (target / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_the_shipped_folder_passes_every_check() -> None:
    assert load_from(FOLDER).version


@pytest.mark.parametrize(("file", "old", "new", "message"), DEFECTS)
def test_each_kind_of_defect_is_one_line_at_load(
    tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    folder = corrupted(tmp_path, file, old, new)
    with pytest.raises(ProtocolDataError) as info:
        load_from(folder)
    shown = str(info.value)
    assert "\n" not in shown
    assert shown.startswith(message)


def test_dose_finding_facts_are_protocol_data_with_sources() -> None:
    from ismart.treatment.adverse_events import PLACEHOLDER_DLT_RULE
    from ismart.treatment.dosefinding import DLT_WINDOW_DAYS, HEM_ISMART_LEVELS, HEM_ISMART_START

    master = load_from(FOLDER).master
    found = master.dose_finding
    assert found is not None
    assert (found.design, found.levels, found.start_level, found.dlt_window_days) == (
        "rolling6",
        [-1, 1, 2],
        1,
        28,
    )
    assert all(cited in master.sources for cited in found.sources())
    assert (HEM_ISMART_LEVELS, HEM_ISMART_START, DLT_WINDOW_DAYS) == ((-1, 1, 2), 1, 28)
    # the DLT rule is ismart's placeholder, and the data says so
    assert found.dlt_rule.source == "ismart_placeholder" and PLACEHOLDER_DLT_RULE.shipped_as_placeholder


def test_dose_finding_citing_an_unknown_source_is_refused(tmp_path: Path) -> None:
    folder = corrupted(tmp_path, "master.yaml", "  levels_source: registry_B", "  levels_source: nowhere")
    with pytest.raises(
        ProtocolDataError, match=r"^master\.yaml: dose_finding cites unknown source 'nowhere'$"
    ):
        load_from(folder)
