"""Pre-screening on study files as laboratories write them (issue 10): where REVIEW goes, VAF units,
cut or ragged files, the chart, and one bad MAF row never changing another sample's calls."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ismart.errors import ProfileFileError
from ismart.prescreen.classify import Classifier, variant_profiling
from ismart.prescreen.study import prescreen
from ismart.prescreen.summary import NOT_PUBLIC, bar_chart, bar_label, summarise
from ismart.prescreen.synthetic import generate
from ismart.protocol import load_protocol

PROTOCOL = load_protocol()
COLUMNS = ["sample_id", "candidates", "review", "alterations", "errors"]
HEADER = ["Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "HGVSp_Short"]


def _study(root: Path, header: list[str], rows: list[list[str]], *, text: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    body = text if text is not None else "\n".join("\t".join(r) for r in [header, *rows]) + "\n"
    (root / "data_mutations.txt").write_text(body, encoding="utf-8")
    return root


def _calls(root: Path) -> dict[str, dict[str, str]]:
    frame = prescreen(root, PROTOCOL)
    assert frame.columns == COLUMNS
    return {r["sample_id"]: r for r in frame.iter_rows(named=True)}


# --- every REVIEW goes to `review`, with the alterations to review ------------------------------


def test_review_never_goes_to_candidates_and_lists_what_to_review(tmp_path: Path) -> None:
    rows = [
        ["BRAF", "R1", "Missense_Mutation", "p.V600E"],  # open-list RAS-pathway gene
        ["KRAS", "R2", "Missense_Mutation", "p.Gxx"],  # unreadable change of a listed gene
        ["KRAS", "R3", "Missense_Mutation", "p.L19F"],  # off the hotspot list
        ["NRAS", "R4", "Missense_Mutation", "p.Q61K"],
        ["STAT3", "R4", "Missense_Mutation", "p.Y640F"],  # R4: D matched, C for the board
    ]
    calls = _calls(_study(tmp_path / "s", HEADER, rows))
    assert (calls["R1"]["candidates"], calls["R1"]["review"]) == ("", "D")
    assert calls["R1"]["alterations"] == "D (review): BRAF p.V600E"
    assert (calls["R2"]["candidates"], calls["R2"]["review"]) == ("", "D")
    assert calls["R2"]["alterations"] == "D (review): KRAS protein change 'p.Gxx' not readable"
    assert "KRAS: 'p.Gxx' is not an HGVS protein change" in calls["R2"]["errors"]
    assert (calls["R3"]["candidates"], calls["R3"]["review"]) == ("", "D")
    assert (calls["R4"]["candidates"], calls["R4"]["review"]) == ("D", "C")
    assert calls["R4"]["alterations"] == "D: NRAS p.Q61K; C (review): STAT3 p.Y640F"


def test_unreadable_change_of_an_unlisted_gene_is_an_error_not_a_call(tmp_path: Path) -> None:
    rows = [["TP53", "U1", "Missense_Mutation", "p.Xaa100fs"], ["KRAS", "U1", "Missense_Mutation", "p.G12D"]]
    call = _calls(_study(tmp_path / "s", HEADER, rows))["U1"]
    assert (call["candidates"], call["review"]) == ("D", "")
    assert call["errors"].startswith("TP53: 'p.Xaa100fs' is not an HGVS protein change")


def test_unlisted_genes_read_once_give_what_the_full_judgement_gives(tmp_path: Path) -> None:
    """The fast path for genes no rule names equals judging every alteration in full."""
    classifier = Classifier(PROTOCOL)
    changes = ["p.R100W", "p.Xaa100fs", "p.G12Dxyz?", "p.X12_splice", "p.K57fs*5", "p.E102del", "c.35G>A"]
    rows = [["TP53", f"T{i}", "Missense_Mutation", c] for i, c in enumerate(changes)]
    rows += [["ETV6", f"E{i}", "Missense_Mutation", c] for i, c in enumerate(changes)]
    calls = _calls(_study(tmp_path / "s", HEADER, rows))
    for gene, _sample, vclass, change in rows:
        full = classifier.judge((gene, change), variant_profiling(gene, change, vclass, None))
        call = calls[_sample]
        assert set(full.ranks.values()) == {0}
        assert (call["candidates"], call["review"], call["errors"]) == ("", "", full.error or ""), change


def test_a_sample_only_in_the_maf_is_kept_beside_the_clinical_file(tmp_path: Path) -> None:
    root = _study(tmp_path / "s", HEADER, [["KRAS", "M1", "Missense_Mutation", "p.G12D"]])
    (root / "data_clinical_sample.txt").write_text("SAMPLE_ID\nC1\n", encoding="utf-8")
    assert {s: c["candidates"] for s, c in _calls(root).items()} == {"C1": "", "M1": "D"}


# --- VAF in the unit of its column -----------------------------------------------------------------


def _vaf_calls(tmp_path: Path, column: str, values: list[str]) -> dict[str, dict[str, str]]:
    rows = [["KRAS", f"V{i}", "Missense_Mutation", "p.G12D", v] for i, v in enumerate(values)]
    return _calls(_study(tmp_path / column, [*HEADER, column], rows))


def test_vaf_from_read_counts_is_a_fraction(tmp_path: Path) -> None:
    header = [*HEADER, "t_alt_count", "t_ref_count", "t_depth"]
    rows = [
        ["KRAS", "A1", "Missense_Mutation", "p.G12D", "30", "70", "100"],
        ["KRAS", "A2", "Missense_Mutation", "p.G12D", "5", "", "20"],  # no t_ref_count: t_depth
        ["KRAS", "A3", "Missense_Mutation", "p.G12D", "x", "70", "100"],
    ]
    calls = _calls(_study(tmp_path / "s", header, rows))
    assert calls["A1"]["alterations"] == "D: KRAS p.G12D (VAF 30%)"
    assert calls["A2"]["alterations"] == "D: KRAS p.G12D (VAF 25%)"
    assert calls["A3"]["alterations"] == "D: KRAS p.G12D" and "is not a number" in calls["A3"]["errors"]
    assert calls["A3"]["candidates"] == "D"  # the VAF never changes a call


@pytest.mark.parametrize(
    ("column", "values", "shown"),
    [
        ("tumor_f", ["0.42", "0.05"], ["42%", "5%"]),  # MAF/MuTect: fraction
        ("t_vaf", ["0.5", "1"], ["50%", "100%"]),
        ("tumor_var_freq", ["42.5", "0.8"], ["42.5%", "0.8%"]),  # WashU: percentage
        ("i_TumorVAF_WU", ["12", "7.25"], ["12%", "7.2%"]),
        ("VAF", ["0.42", "0.9", "0.05"], ["42%", "90%", "5%"]),  # generic: values say fractions
        ("VAF", ["42", "90", "5", "0"], ["42%", "90%", "5%", "0%"]),  # generic: values say percentages
        ("AF", ["35%", "0.2"], ["35%", "20%"]),  # a value written with % is a percentage
    ],
)
def test_vaf_column_read_in_its_unit(
    tmp_path: Path, column: str, values: list[str], shown: list[str]
) -> None:
    calls = _vaf_calls(tmp_path, column, values)
    for i, text in enumerate(shown):
        assert calls[f"V{i}"]["alterations"] == f"D: KRAS p.G12D (VAF {text})"
        assert calls[f"V{i}"]["errors"] == ""


def test_ambiguous_vaf_column_is_an_error_for_its_samples_never_a_guess(tmp_path: Path) -> None:
    calls = _vaf_calls(tmp_path, "VAF", ["0.4", "35", ""])
    for sample in ("V0", "V1"):
        assert calls[sample]["alterations"] == "D: KRAS p.G12D"  # shown without a VAF
        assert "VAF column 'VAF' holds values below 1 (0.4) and above 1 (35)" in calls[sample]["errors"]
        assert calls[sample]["candidates"] == "D"
    assert calls["V2"]["errors"] == ""  # no value, nothing to doubt


@pytest.mark.parametrize(
    ("column", "value", "why"),
    [
        ("tumor_f", "35", "tumor_f 35 is not between 0 and 1 (a fraction)"),
        ("tumor_var_freq", "135", "tumor_var_freq 135 is not between 0 and 100 %"),
        ("VAF", "250", "VAF 250 is not between 0 and 100 %"),
        ("VAF", "high", "VAF high is not a number"),
    ],
)
def test_vaf_outside_its_unit_names_the_sample_and_change(
    tmp_path: Path, column: str, value: str, why: str
) -> None:
    calls = _vaf_calls(tmp_path, column, ["0.5" if column == "tumor_f" else "40", value])
    assert calls["V1"]["errors"] == f"KRAS p.G12D: {why}; VAF not read"
    assert calls["V0"]["errors"] == "" and calls["V1"]["candidates"] == "D"


# --- a cut or ragged file is an error naming the line, never a shorter cohort --------------------

_ROWS = [
    ["KRAS", "S1", "Missense_Mutation", "p.G12D"],
    ["NRAS", "S2", "Missense_Mutation", "p.Q61K"],
    ["JAK2", "S3", "Missense_Mutation", "p.R683G"],
]
_TEXT = "\n".join("\t".join(r) for r in [HEADER, *_ROWS])


@pytest.mark.parametrize(
    ("text", "line", "why"),
    [
        (_TEXT[: _TEXT.rindex("\t")], 4, "3 tab-separated columns, the header has 4"),  # cut at a tab
        (_TEXT.replace("NRAS\tS2\tMissense_Mutation\t", "NRAS\tS2\t"), 3, "a ragged row"),
        (_TEXT.replace("p.Q61K", "p.Q61K\textra"), 3, "5 tab-separated columns, the header has 4"),
        ("#version 2.4\n" + _TEXT.replace("\nJAK2\tS3", "\nJAK2"), 5, "the header has 4"),
    ],
)
def test_cut_or_ragged_maf_names_the_line(tmp_path: Path, text: str, line: int, why: str) -> None:
    with pytest.raises(ProfileFileError) as caught:
        prescreen(_study(tmp_path / "s", HEADER, [], text=text), PROTOCOL)
    assert caught.value.line == line and why in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "s" / "data_mutations.txt"))


@pytest.mark.parametrize("text", [_TEXT + "\n", _TEXT.replace("\n", "\r\n") + "\r\n", _TEXT + "\n\n"])
def test_complete_files_are_read_whole(tmp_path: Path, text: str) -> None:
    calls = _calls(_study(tmp_path / "s", HEADER, [], text=text))
    assert {s: (c["candidates"], c["errors"]) for s, c in calls.items()} == {
        "S1": ("D", ""), "S2": ("D", ""), "S3": ("C", ""),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "s3"),
    [
        (_TEXT, "C"),  # complete, only the last line end missing
        (_TEXT[: _TEXT.rindex("683G")], ""),  # cut inside the last cell: the cell count cannot tell
        (_TEXT[: _TEXT.rindex("p.")], ""),  # cut right after the last tab
    ],
)
def test_a_last_row_without_line_end_is_read_and_its_sample_told(tmp_path: Path, text: str, s3: str) -> None:
    calls = _calls(_study(tmp_path / "s", HEADER, [], text=text))
    assert {s: c["candidates"] for s, c in calls.items()} == {"S1": "D", "S2": "D", "S3": s3}
    assert (
        "data_mutations.txt:4: the file ends without a line end; this last row may be cut"
        in calls["S3"]["errors"]
    )
    assert calls["S1"]["errors"] == calls["S2"]["errors"] == ""


def test_cut_clinical_and_sv_files_name_their_line(tmp_path: Path) -> None:
    root = _study(tmp_path / "s", HEADER, _ROWS)
    (root / "data_clinical_sample.txt").write_text("SAMPLE_ID\tPATIENT_ID\nS1\tP1\nS2", encoding="utf-8")
    with pytest.raises(ProfileFileError, match=r"data_clinical_sample.txt:3: .*ends inside this row"):
        prescreen(root, PROTOCOL)
    (root / "data_clinical_sample.txt").unlink()
    (root / "data_sv.txt").write_text(
        "Sample_Id\tSite1_Hugo_Symbol\tSite2_Hugo_Symbol\nS1\tNUP214\tABL1\nS2\tEBF1\n", encoding="utf-8"
    )
    with pytest.raises(ProfileFileError, match=r"data_sv.txt:3: 2 tab-separated columns"):
        prescreen(root, PROTOCOL)


@pytest.mark.parametrize("other", ["sv", "missing column"])
def test_a_ragged_maf_is_reported_before_other_errors(tmp_path: Path, other: str) -> None:
    """The MAF's cell-count check runs beside the judging: its error still wins over later ones."""
    ragged = _TEXT.replace("NRAS\tS2\tMissense_Mutation\t", "NRAS\tS2\t")
    if other == "missing column":
        ragged = ragged.replace("Hugo_Symbol", "Gene", 1)
    root = _study(tmp_path / "s", HEADER, [], text=ragged)
    if other == "sv":
        (root / "data_sv.txt").write_text(
            "Sample_Id\tSite1_Hugo_Symbol\nS1\tNUP214\tABL1\n", encoding="utf-8"
        )
    with pytest.raises(ProfileFileError) as caught:
        prescreen(root, PROTOCOL)
    assert str(caught.value).startswith(str(root / "data_mutations.txt"))
    assert caught.value.line == 3 and "a ragged row" in str(caught.value)


# --- the summary and its chart ---------------------------------------------------------------------


def test_sub_protocols_without_public_rules_are_not_counted_as_zero(tmp_path: Path) -> None:
    generate(tmp_path / "c", 400, seed=5)
    result = prescreen(tmp_path / "c", PROTOCOL)
    rows = {r.name: r for r in summarise(result, PROTOCOL) if r.group == "sub-protocol"}
    assert rows["A"].note == f"withdrawn; {NOT_PUBLIC}" and not rows["A"].public
    assert rows["E"].note == f"not yet recruiting; {NOT_PUBLIC}"
    assert bar_label(rows["A"]) == f"withdrawn; {NOT_PUBLIC}"
    d = rows["D"]
    assert d.samples == result.filter(pl.col("candidates").str.contains("D")).height
    assert d.review == result.filter(pl.col("review").str.contains("D")).height
    assert bar_label(d) == f"{d.samples:,} ({d.percent:.1f}%)\n+{d.review:,} review ({d.review_percent:.1f}%)"


def test_chart_labels_are_the_bars_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typing import Any

    from matplotlib.figure import Figure

    generate(tmp_path / "c", 400, seed=5)
    rows = summarise(prescreen(tmp_path / "c", PROTOCOL), PROTOCOL)
    drawn: list[Figure] = []
    real_savefig = Figure.savefig

    def keep(fig: Figure, *args: Any, **kwargs: Any) -> None:
        drawn.append(fig)
        real_savefig(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    bar_chart(rows, tmp_path / "chart.png", "test")
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    (ax,) = drawn[0].axes
    texts = [t.get_text() for t in ax.texts]
    subs = [r for r in rows if r.group == "sub-protocol"]
    for r in subs:
        shown = bar_label(r) if r.public else bar_label(r).replace("; ", "\n")
        assert shown in texts, r.name
    from matplotlib.patches import Rectangle

    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    tops = {round(p.get_x() + p.get_width() / 2): 0.0 for p in bars}
    for p in bars[: 2 * len(subs)]:  # match and review segments, in sub-protocol order
        tops[round(p.get_x() + p.get_width() / 2)] += p.get_height()
    for x, r in enumerate(subs):
        if r.public:
            assert tops[x] == pytest.approx(r.percent + r.review_percent), r.name
        else:
            assert r.percent + r.review_percent == 0.0


# --- one bad row never changes another sample's calls ----------------------------------------------

_GENES = ["KRAS", "NRAS", "FLT3", "JAK2", "BRAF", "TP53", "CBL", "NF1", "IL7R", "STAT3"]
_CHANGES = [
    "p.G12D", "p.Q61K", "p.Y591_E598dup", "p.R683G", "p.V600E", "p.R175H", "p.C381Y", "p.R1276*",
    "p.L19F", "p.Gxx", "", "p.=", "p.X10_splice", "p.Q22*",
]  # fmt: skip
_CLASSES = ["Missense_Mutation", "Nonsense_Mutation", "In_Frame_Ins", "Silent", "Intron", "Splice_Site"]
_CELL = st.text(st.characters(blacklist_characters="\t\r\n\x1f", blacklist_categories=["Cs"]), max_size=12)
_ROW = st.tuples(
    st.sampled_from(_GENES),
    st.sampled_from(["P1", "P2", "P3", "P4", "P5"]),
    st.sampled_from(_CLASSES),
    st.sampled_from(_CHANGES),
    st.sampled_from(["0.3", "0.05", "0.9", ""]),
).map(list)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(_ROW, min_size=2, max_size=12),
    pick=st.integers(0, 11),
    action=st.sampled_from(["delete", "duplicate", "corrupt"]),
    column=st.integers(0, 4),
    garbage=_CELL,
    vaf_column=st.sampled_from(["tumor_f", "VAF"]),
)
def test_one_bad_row_never_changes_another_samples_calls(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[str]],
    pick: int,
    action: str,
    column: int,
    garbage: str,
    vaf_column: str,
) -> None:
    header = [*HEADER, vaf_column]
    index = pick % len(rows)
    base = _calls(_study(tmp_path_factory.mktemp("b") / "s", header, rows))
    changed_rows = [list(r) for r in rows]
    if action == "delete":
        del changed_rows[index]
    elif action == "duplicate":
        changed_rows.insert(index, list(changed_rows[index]))
    else:
        changed_rows[index][column] = garbage
    changed = _calls(_study(tmp_path_factory.mktemp("c") / "s", header, changed_rows))
    touched = {rows[index][1]} | ({garbage.strip()} if action == "corrupt" and column == 1 else set())
    for sample, call in base.items():
        if sample in touched:
            continue
        after = changed[sample]
        assert (after["candidates"], after["review"]) == (call["candidates"], call["review"]), sample
        # a generic VAF column's unit is read from all its values: one bad value may make it
        # ambiguous (an error for every sample with a value), never a different call
        if vaf_column == "tumor_f" or not (action == "corrupt" and column == 4):
            assert after == call, sample


_HGNC = pytest.mark.skipif(
    not hasattr(__import__("ismart.molecular.genes").molecular.genes, "check_symbol"),
    reason="needs the HGNC symbol and protein tables of the molecular package (issue 10)",
)


@_HGNC
def test_misspelt_symbol_and_annotation_error_go_to_review_with_the_reason(tmp_path: Path) -> None:
    rows = [
        ["KRASS", "K1", "Missense_Mutation", "p.G12D"],  # not an HGNC symbol, one edit from KRAS
        ["KRAS", "K2", "Missense_Mutation", "p.A12D"],  # residue 12 of KRAS is G
    ]
    calls = _calls(_study(tmp_path / "s", HEADER, rows))
    assert (calls["K1"]["candidates"], calls["K1"]["review"]) == ("", "D")
    assert "did you mean KRAS?" in calls["K1"]["errors"]
    assert (calls["K2"]["candidates"], calls["K2"]["review"]) == ("", "D")
    assert calls["K2"]["alterations"] == "D (review): KRAS p.A12D"
    assert "probable annotation error" in calls["K2"]["errors"]


def _ismart(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "ismart", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_cli_prescreen_shows_rules_not_public_and_names_a_cut_line(tmp_path: Path) -> None:
    study = tmp_path / "c"
    made = _ismart("cohort", str(study), "--samples", "300", "--seed", "4")
    assert made.returncode == 0 and "samples: 300" in made.stdout
    done = _ismart(
        "prescreen", str(study), "-o", str(tmp_path / "calls.tsv"), "--chart", str(tmp_path / "c.png")
    )
    assert done.returncode == 0, done.stderr
    assert (
        "withdrawn; rules not public" in done.stdout and "not yet recruiting; rules not public" in done.stdout
    )
    assert pl.read_csv(tmp_path / "calls.tsv", separator="\t").columns == COLUMNS
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    maf = study / "data_mutations.txt"
    lines = maf.read_text(encoding="utf-8").splitlines()
    maf.write_text("\n".join(lines[:5]) + "\n" + lines[5].rsplit("\t", 2)[0], encoding="utf-8")
    cut = _ismart("prescreen", str(study))
    assert cut.returncode == 2
    assert f"{maf}:6:" in cut.stderr and "the header has 8" in cut.stderr
    assert len(cut.stderr.strip().splitlines()) == 1
