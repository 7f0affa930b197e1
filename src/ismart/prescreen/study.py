"""Pre-screen a cBioPortal-format study: per sample, the candidate sub-protocols and why.

Files read (tab-separated, '#' comment lines skipped), all optional but at least one:

* data_mutations*.txt (MAF): Tumor_Sample_Barcode, Hugo_Symbol, the protein change (the first of
  HGVSp_Short, HGVSp, Protein_Change, Amino_Acid_Change, aaChange that holds a value),
  Variant_Classification, Exon_Number ("14/24"), and the VAF (below);
* data_sv.txt: Sample_Id, Site1_Hugo_Symbol (5'), Site2_Hugo_Symbol (3'), Site2_Effect_On_Frame;
  or the older data_fusions.txt: Tumor_Sample_Barcode, Fusion ("GENE1-GENE2 fusion"), Frame;
* data_cna.txt: discrete copy number, wide (Hugo_Symbol, [Entrez_Gene_Id], one column per
  sample) or long (Hugo_Symbol, Sample_Id, Value); -2 homozygous deletion, -1 heterozygous
  deletion, 1 gain, 2 amplification;
* data_clinical_sample.txt (SAMPLE_ID): samples profiled without any listed alteration.

Distinct alterations are judged once (``Classifier``); Polars does the joins and the group-by. A
small variant of a gene that no rule, board flag or ITD region names can match nothing: its protein
change is still read, once per distinct string, by the one protein-change grammar, so that an
unreadable change is reported in ``errors`` (the same message the full judgement gives).

VAF, shown beside every alteration listed in ``alterations``: ``t_alt_count / (t_alt_count +
t_ref_count)``, else ``t_alt_count / t_depth``, else a frequency column read in its unit, decided
per column:

* named for its unit: ``tumor_f`` and ``t_vaf`` are fractions (0-1), WashU's ``tumor_var_freq`` and
  ``i_TumorVAF_WU`` percentages (0-100); a value outside the unit is an error of its sample;
* a generic name (``VAF``, ``AF``, ``Allele_Frequency``, ...): fractions when every value is at most
  1, percentages when every non-zero value is at least 1; a column holding both (0.4 and 35) is
  ambiguous and is not read: every sample with a value there gets an error saying so;
* a value written with ``%`` is a percentage in any column.

The VAF never changes a call (no rule has a VAF threshold); a VAF that cannot be read is an error
of its sample, never a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl

from ismart.errors import ProfileFileError
from ismart.molecular.genes import normalize_gene
from ismart.molecular.protein import protein_change_error
from ismart.prescreen.classify import (
    NO_MATCH,
    Classifier,
    Judged,
    cna_profiling,
    fusion_profiling,
    variant_profiling,
)
from ismart.profiles.maf import FREQUENCY_COLUMNS, NON_PROTEIN, PROTEIN_COLUMNS, SPLICE
from ismart.protocol.model import Protocol

SEP = "\x1f"  # joins the parts of an alteration key; a unit separator never appears in a cell
CNA_CALLS = {-2: "homozygous_deletion", -1: "heterozygous_deletion", 1: "gain", 2: "amplification"}
Progress = Callable[[str], None]


def _scan(path: Path) -> pl.LazyFrame:
    return pl.scan_csv(path, separator="\t", comment_prefix="#", infer_schema=False, quote_char=None)


def check_rows(path: Path) -> None:
    """Every row has as many tab-separated cells as the header, else an error naming the first line
    that does not (a ragged row, a file cut mid-line): a cut file is never read as a shorter cohort."""
    try:
        lines = (
            pl.scan_csv(
                path,
                separator="\x01",
                has_header=False,
                new_columns=["line"],
                comment_prefix="#",
                quote_char=None,
                infer_schema=False,
            )
            .filter(pl.col("line").is_not_null() & (pl.col("line").str.strip_chars("\r") != ""))
            .select(
                pl.col("line").str.strip_chars_end("\r").str.count_matches("\t", literal=True).alias("tabs")
            )
            .collect(engine="streaming")["tabs"]
        )
    except pl.exceptions.ComputeError:  # a cell holding the probe's separator byte: check line by line
        _name_ragged_line(path)
        return
    if lines.is_empty() or lines.n_unique() == 1:
        return
    _name_ragged_line(path)


def _name_ragged_line(path: Path) -> None:
    expected: int | None = None
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        for number, raw in enumerate(handle, 1):
            text = raw.rstrip("\r\n")
            if not text or text.startswith("#"):
                continue
            cells = text.count("\t") + 1
            if expected is None:
                expected = cells
            elif cells != expected:
                what = "the file ends inside this row" if not raw.endswith("\n") else "a ragged row"
                raise ProfileFileError(
                    str(path), number, f"{cells} tab-separated columns, the header has {expected} ({what})"
                )


def unended_last_row(path: Path) -> tuple[int, str] | None:
    """(line number, text) of the last line when the file does not end with a line end.

    Counting cells cannot see a file cut inside the last cell of its last row; the missing line end
    can. Such a row is still read (many tools write no last line end), and its sample is told."""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        if size == 0:
            return None
        handle.seek(max(0, size - 65536))
        tail = handle.read()
    if tail.endswith(b"\n"):
        return None
    with open(path, "rb") as handle:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
    return lines + 1, tail.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace").rstrip("\r")


def _need(path: Path, frame: pl.LazyFrame, columns: list[str]) -> None:
    have = frame.collect_schema().names()
    missing = [c for c in columns if c not in have]
    if missing:
        raise ProfileFileError(str(path), 1, f"missing column(s) {', '.join(missing)}")


# Frequency columns named for their unit (scale 1: fraction, 100: percentage) and generic ones.
NAMED_FREQUENCY = dict(FREQUENCY_COLUMNS)
GENERIC_FREQUENCY = frozenset(
    {"vaf", "af", "allele_frequency", "allele_freq", "variant_allele_frequency", "tumor_vaf", "t_af"}
)
_TEXT = pl.String
_FLOAT = pl.Float64


_MISSING = ["", ".", "NA", "na", "N/A", "n/a", "NaN", "nan", "None", "null", "-"]


def _number(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().replace("", None)


def _vaf_from_counts(names: list[str]) -> tuple[pl.Expr, pl.Expr] | None:
    """(vaf, unreadable) from read counts, or None when the file has no t_alt_count and a total."""
    if "t_alt_count" not in names or not {"t_ref_count", "t_depth"} & set(names):
        return None
    wanted = [c for c in ("t_alt_count", "t_ref_count", "t_depth") if c in names]
    nums = {c: pl.col(c).cast(_FLOAT, strict=False) for c in wanted}
    bad = pl.any_horizontal(
        [nums[c].is_null() & pl.col(c).is_not_null() & ~pl.col(c).is_in(_MISSING) for c in wanted]
    )
    alt = nums["t_alt_count"]
    total = (alt + nums["t_ref_count"]) if "t_ref_count" in nums else nums["t_depth"]
    if "t_ref_count" in nums and "t_depth" in nums:
        total = pl.coalesce([total, nums["t_depth"]])
    return pl.when(total > 0).then(alt / total), bad


def _frequency_column(names: list[str]) -> str | None:
    for name in names:
        if name in NAMED_FREQUENCY or name.lower() in GENERIC_FREQUENCY:
            return name
    return None


def _frequency_unit(frame: pl.DataFrame, column: str) -> float | str:
    """The scale of a frequency column (1 or 100), or why it is ambiguous."""
    if column in NAMED_FREQUENCY:
        return NAMED_FREQUENCY[column]
    plain = frame.select(pl.col("freq").filter(~pl.col("freq_pct") & pl.col("freq").is_between(0, 100)))
    values = plain["freq"]
    low = values.filter((values > 0) & (values < 1))
    high = values.filter(values > 1)
    if high.is_empty():
        return 1.0
    if low.is_empty():
        return 100.0
    return (
        f"VAF column {column!r} holds values below 1 ({low[0]:g}) and above 1 ({high[0]:g}): fractions or "
        f"percentages? VAF not read (name the unit: tumor_f for fractions, tumor_var_freq for percentages)"
    )


def _read_mutation_file(path: Path, check: bool = True) -> pl.DataFrame:
    """One MAF as rows: sample_id, gene, protein, vclass, exon, vaf, vaf_error (see the module notes).

    ``check=False`` leaves the cell-count check (``check_rows``) to the caller."""
    if check:
        check_rows(path)
    frame = _scan(path)
    names = frame.collect_schema().names()
    _need(path, frame, ["Tumor_Sample_Barcode", "Hugo_Symbol"])
    proteins = [c for c in PROTEIN_COLUMNS if c in names]
    if not proteins:
        raise ProfileFileError(str(path), 1, f"no protein-change column ({', '.join(PROTEIN_COLUMNS)})")
    blank = pl.lit(None, dtype=_TEXT)
    protein = pl.coalesce([pl.col(c).str.strip_chars().replace("", None) for c in proteins])
    vclass = pl.col("Variant_Classification") if "Variant_Classification" in names else blank
    frame = frame.filter(  # intronic, UTR, flanking, intergenic and RNA rows are not protein changes
        vclass.is_null() | ~vclass.str.to_lowercase().is_in(list(NON_PROTEIN)),
        ~pl.all_horizontal([pl.col(c).is_null() for c in names]),  # a blank line
    )
    exon = pl.col("Exon_Number") if "Exon_Number" in names else blank  # as written: see _exon_number
    counts = _vaf_from_counts(names)
    freq_column = _frequency_column(names)
    extra: list[pl.Expr] = []
    if counts is not None:
        extra += [counts[0].alias("cvaf"), counts[1].alias("cerror")]
    if freq_column is not None:
        raw = _number(freq_column)
        extra += [
            raw.alias("freq_raw"),
            raw.str.strip_suffix("%").str.strip_chars().cast(_FLOAT, strict=False).alias("freq"),
            raw.str.ends_with("%").fill_null(False).alias("freq_pct"),
        ]
    rows = frame.select(
        pl.col("Tumor_Sample_Barcode")
        .str.strip_chars()
        .fill_null("")
        .cast(pl.Categorical)
        .alias("sample_id"),
        pl.col("Hugo_Symbol")
        .fill_null("")
        .str.replace_all(SEP, "", literal=True)
        .cast(pl.Categorical)
        .alias("gene"),
        protein.str.replace_all(SEP, "", literal=True).alias("protein"),
        vclass.str.replace_all(SEP, "", literal=True).cast(pl.Categorical).alias("vclass"),
        exon.cast(pl.Categorical).alias("exon"),
        *extra,
    ).collect(engine="streaming")
    vaf: pl.Expr = pl.lit(None, dtype=_FLOAT)
    error: pl.Expr = pl.lit(None, dtype=_TEXT)
    if freq_column is not None:
        unit = _frequency_unit(rows, freq_column)
        scale = pl.when(pl.col("freq_pct")).then(100.0).otherwise(unit if isinstance(unit, float) else None)
        limit = (
            pl.when(pl.col("freq_pct") | (unit == 100.0))
            .then(pl.lit("100 %"))
            .otherwise(pl.lit("1 (a fraction)"))
        )
        bad_number = pl.col("freq_raw").is_not_null() & pl.col("freq").is_null()
        out_of_range = pl.col("freq").is_not_null() & ~pl.col("freq").is_between(0, scale)
        vaf = pl.when(~out_of_range).then(pl.col("freq") / scale)
        error = (
            pl.when(bad_number)
            .then(pl.lit(f"{freq_column} ") + pl.col("freq_raw") + pl.lit(" is not a number; VAF not read"))
            .when(pl.col("freq").is_not_null() & pl.lit(isinstance(unit, str)) & ~pl.col("freq_pct"))
            .then(pl.lit(unit if isinstance(unit, str) else ""))
            .when(out_of_range)
            .then(
                pl.lit(f"{freq_column} ")
                + pl.col("freq_raw")
                + pl.lit(" is not between 0 and ")
                + limit
                + pl.lit("; VAF not read")
            )
        )
    if counts is not None:  # read counts win over a frequency column, as in the per-patient reader
        vaf = pl.coalesce([pl.col("cvaf"), vaf])
        unread = pl.when(pl.col("cerror")).then(
            pl.lit("a read count (t_alt_count, t_ref_count, t_depth) is not a number; VAF not read")
        )
        error = pl.when(pl.col("cvaf").is_null()).then(pl.coalesce([unread, error]))
    rows = rows.with_columns(vaf.cast(pl.Float32).alias("vaf"), error.alias("vaf_error")).select(
        "sample_id",
        "gene",
        "protein",
        "vclass",
        "exon",
        "vaf",
        pl.when(pl.col("vaf").is_null()).then("vaf_error").alias("vaf_error"),
    )
    unended = unended_last_row(path)
    if unended is not None and rows.height:
        line, text = unended
        cells = text.split("\t")
        sample = cells[names.index("Tumor_Sample_Barcode")].strip() if len(cells) == len(names) else None
        if sample is not None and str(rows["sample_id"][-1]) == sample:
            warning = f"{path}:{line}: the file ends without a line end; this last row may be cut"
            last = pl.int_range(pl.len()) == pl.len() - 1
            rows = rows.with_columns(
                pl.when(last).then(pl.lit(warning)).otherwise(pl.col("vaf_error")).alias("vaf_error")
            )
    return rows


def _exon_number() -> pl.Expr:
    """The exon of "14/24" (the MAF's Exon_Number), read only for the rows that are judged."""
    return pl.col("exon").cast(pl.String).str.extract(r"^(\d+)").cast(pl.Int32, strict=False)


def _check_all(files: list[Path]) -> None:
    for path in files:
        check_rows(path)


def _fusions(study: Path) -> pl.LazyFrame | None:
    sv, legacy = study / "data_sv.txt", study / "data_fusions.txt"
    frame_col = pl.col("frame").str.to_lowercase().str.replace_all(r"[-_ ]", "")
    in_frame = (
        pl.when(frame_col.is_in(["inframe"]))
        .then(pl.lit("1"))
        .when(frame_col.is_in(["frameshift", "outofframe"]))
        .then(pl.lit("0"))
        .otherwise(pl.lit(""))
    )
    if sv.exists():
        check_rows(sv)
        frame = _scan(sv)
        _need(sv, frame, ["Sample_Id", "Site1_Hugo_Symbol", "Site2_Hugo_Symbol"])
        names = frame.collect_schema().names()
        frame = frame.select(
            pl.col("Sample_Id").alias("sample_id"),
            pl.col("Site1_Hugo_Symbol").alias("five"),
            pl.col("Site2_Hugo_Symbol").alias("three"),
            (pl.col("Site2_Effect_On_Frame") if "Site2_Effect_On_Frame" in names else pl.lit("")).alias(
                "frame"
            ),
        )
    elif legacy.exists():
        check_rows(legacy)
        frame = _scan(legacy)
        _need(legacy, frame, ["Tumor_Sample_Barcode", "Fusion"])
        names = frame.collect_schema().names()
        parts = pl.col("Fusion").str.replace(r"(?i)\s+fusion$", "").str.split_exact("-", 1)
        frame = frame.select(
            pl.col("Tumor_Sample_Barcode").alias("sample_id"),
            parts.struct.field("field_0").alias("five"),
            parts.struct.field("field_1").alias("three"),
            (pl.col("Frame") if "Frame" in names else pl.lit("")).alias("frame"),
        ).unique()  # the legacy format lists each fusion once per partner gene
    else:
        return None
    return frame.filter(pl.col("five").is_not_null() & pl.col("three").is_not_null()).select(
        "sample_id",
        pl.concat_str([pl.lit("f"), "five", "three", in_frame], separator=SEP).alias("akey"),
    )


def _cna(study: Path) -> pl.LazyFrame | None:
    path = study / "data_cna.txt"
    if not path.exists():
        return None
    check_rows(path)
    frame = _scan(path)
    names = frame.collect_schema().names()
    if "Hugo_Symbol" not in names:
        raise ProfileFileError(str(path), 1, "missing column Hugo_Symbol")
    if {"Sample_Id", "Value"} <= set(names):
        long = frame.select(pl.col("Sample_Id").alias("sample_id"), "Hugo_Symbol", "Value")
    else:
        samples = [n for n in names if n not in ("Hugo_Symbol", "Entrez_Gene_Id", "Cytoband")]
        long = frame.unpivot(index="Hugo_Symbol", on=samples, variable_name="sample_id", value_name="Value")
    value = pl.col("Value").str.strip_chars().cast(pl.Int64, strict=False)
    return long.filter(value.is_in(list(CNA_CALLS))).select(
        "sample_id",
        pl.concat_str([pl.lit("c"), pl.col("Hugo_Symbol"), value.cast(pl.String)], separator=SEP).alias(
            "akey"
        ),
    )


def _judge_key(classifier: Classifier, akey: str) -> tuple[dict[str, int], str, str | None]:
    kind, *parts = akey.split(SEP)
    if kind == "v":
        gene, hgvs_p, vclass, exon = parts
        if not gene.strip():
            judged = Judged(
                {sp: NO_MATCH for sp in classifier.rules}, "", "a mutation row without Hugo_Symbol"
            )
            return judged.ranks, judged.name, judged.error
        profiling = variant_profiling(gene, hgvs_p or None, vclass or None, int(exon) if exon else None)
    elif kind == "f":
        five, three, frame = parts
        profiling = fusion_profiling(five, three, {"1": True, "0": False}.get(frame))
    else:
        gene, value = parts
        profiling = cna_profiling(gene, CNA_CALLS[int(value)])
    judged = classifier.judge((akey,), profiling)
    return judged.ranks, judged.name, judged.error


def _key_table(keys: list[str], classifier: Classifier) -> pl.DataFrame:
    ids = list(classifier.rules)
    rows: dict[str, list[object]] = {"akey": [], "name": [], "error": [], **{f"r_{s}": [] for s in ids}}
    for akey in keys:
        ranks, name, error = _judge_key(classifier, akey)
        rows["akey"].append(akey)
        rows["name"].append(name)
        rows["error"].append(error)
        for sp in ids:
            rows[f"r_{sp}"].append(ranks[sp])
    schema = {"akey": pl.String, "name": pl.String, "error": pl.String, **{f"r_{s}": pl.Int8 for s in ids}}
    return pl.DataFrame(rows, schema=schema)


def _samples(study: Path) -> pl.DataFrame | None:
    path = study / "data_clinical_sample.txt"
    if not path.exists():
        return None
    check_rows(path)
    frame = _scan(path)
    _need(path, frame, ["SAMPLE_ID"])
    return frame.select(pl.col("SAMPLE_ID").alias("sample_id")).collect()


def _variant_keys(frame: pl.DataFrame) -> pl.Expr:
    return pl.concat_str(
        [
            pl.lit("v"),
            *(pl.col(c).cast(pl.String).fill_null("") for c in ("gene", "protein", "vclass", "exon")),
        ],
        separator=SEP,
    ).alias("akey")


def _unread_changes(proteins: list[str]) -> pl.DataFrame:
    """Distinct protein changes of genes no rule names, read once each by the one grammar: those that
    cannot be read, and why."""
    texts, whys = [], []
    splice = SPLICE.fullmatch
    for text in proteins:
        why = protein_change_error(text)
        if why is not None and not splice(text):
            texts.append(text)
            whys.append(why)
    return pl.DataFrame({"protein": texts, "why": whys}, schema={"protein": pl.String, "why": pl.String})


def prescreen(study: Path, protocol: Protocol, progress: Progress | None = None) -> pl.DataFrame:
    """One row per sample: sample_id, candidates (MET), review (REVIEW), alterations, errors."""
    step = progress or (lambda _msg: None)
    if not study.is_dir():
        raise ProfileFileError(str(study), None, "not a study folder")
    step("reading alteration files")
    files = sorted(study.glob("data_mutations*.txt"))
    # The MAFs' cell-count check (a whole second pass over the largest files) runs in a thread beside
    # the judging, which is Python and holds one core; a ragged row stays the error reported, as when
    # the check ran first: any failure waits for the check, whose error wins.
    checked: Future[None] | None = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            mutations = pl.concat([_read_mutation_file(f, check=False) for f in files]) if files else None
            checked = pool.submit(_check_all, files)
            result = _judge_study(study, protocol, step, mutations)
        except Exception:
            if checked is None:
                _check_all(files)
            else:
                checked.result()
            raise
        checked.result()
    return result


def _judge_study(
    study: Path, protocol: Protocol, step: Progress, mutations: pl.DataFrame | None
) -> pl.DataFrame:
    others = [f for f in (_fusions(study), _cna(study)) if f is not None]
    if mutations is None and not others:
        raise ProfileFileError(
            str(study), None, "no data_mutations*.txt, data_sv.txt/data_fusions.txt or data_cna.txt"
        )
    classifier = Classifier(protocol)
    ids = list(classifier.rules)
    ranks = [f"r_{s}" for s in ids]
    columns = ["sample_id", "name", "error", "vaf", "vaf_error", *ranks]
    zero = [pl.lit(0, dtype=pl.Int8).alias(r) for r in ranks]
    parts: list[pl.DataFrame] = []
    everyone: list[pl.Series] = []
    if others:
        long = pl.concat(others).collect(engine="streaming")
        everyone.append(long["sample_id"].unique())
        keys = _key_table(long["akey"].unique().to_list(), classifier)
        parts.append(
            long.join(keys, on="akey", how="left").select(
                "sample_id",
                "name",
                "error",
                pl.lit(None, dtype=pl.Float32).alias("vaf"),
                pl.lit(None, dtype=pl.String).alias("vaf_error"),
                *ranks,
            )
        )
    if mutations is not None:
        everyone.append(mutations["sample_id"].unique().cast(pl.String))
        genes = mutations["gene"].unique().to_list()
        named = [g for g in genes if classifier.judges_variants_of(g)]
        is_named = pl.col("gene").is_in(named)
        listed = mutations.filter(is_named).with_columns(_exon_number())
        unlisted = mutations.lazy().filter(~is_named)  # most rows: never copied whole
        listed = listed.with_columns(_variant_keys(listed))
        listed_keys = listed["akey"].unique().to_list()
        step(f"judging {len(listed_keys):,} alterations of listed genes")
        keys = _key_table(listed_keys, classifier)
        parts.append(
            listed.join(keys, on="akey", how="left")
            .select(columns)
            .with_columns(pl.col("sample_id").cast(pl.String))
        )
        distinct = unlisted.select(pl.col("protein").drop_nulls().unique()).collect()["protein"]
        step(f"reading {distinct.len():,} distinct protein changes of other genes")
        unread = _unread_changes(distinct.to_list())
        gene_names = pl.DataFrame(
            {"gene": genes, "symbol": [normalize_gene(g) if g.strip() else "" for g in genes]},
            schema={"gene": pl.String, "symbol": pl.String},
        )
        flagged = (
            unlisted.join(unread.lazy(), on="protein", how="left")
            .filter(pl.col("why").is_not_null() | pl.col("vaf_error").is_not_null())
            .collect()
        )
        parts.append(
            flagged.with_columns(pl.col("gene", "sample_id").cast(pl.String))
            .join(gene_names, on="gene", how="left")
            .select(
                "sample_id",
                pl.concat_str(["symbol", "protein"], separator=" ", ignore_nulls=True).alias("name"),
                pl.when(pl.col("why").is_not_null())
                .then(pl.col("symbol") + pl.lit(": ") + pl.col("why"))
                .alias("error"),
                "vaf",
                "vaf_error",
                *zero,
            )
        )
        nobody = mutations.filter(pl.col("sample_id") == "").with_columns(pl.col("sample_id").cast(pl.String))
        if nobody.height:  # kept as the sample "" with an error: never dropped in silence
            parts.append(
                nobody.select(
                    "sample_id",
                    pl.concat_str(
                        [pl.col("gene").cast(pl.String), "protein"], separator=" ", ignore_nulls=True
                    ).alias("name"),
                    pl.lit("a mutation row without Tumor_Sample_Barcode").alias("error"),
                    "vaf",
                    "vaf_error",
                    *zero,
                )
            )
    step("aggregating per sample")
    joined = pl.concat(parts, how="vertical_relaxed").filter(
        pl.any_horizontal([pl.col(r) > 0 for r in ranks])
        | pl.col("error").is_not_null()
        | pl.col("vaf_error").is_not_null()
    )
    shown = pl.col("name") + pl.when(pl.col("vaf").is_not_null()).then(
        pl.lit(" (VAF ")
        + (pl.col("vaf") * 100).round(1).cast(pl.String).str.replace(r"\.0$", "")
        + pl.lit("%)")
    ).otherwise(pl.lit(""))
    vaf_error = pl.when(pl.col("vaf_error").is_not_null()).then(
        pl.col("name").replace("", None).fill_null(pl.lit("a mutation row"))
        + pl.lit(": ")
        + pl.col("vaf_error")
    )
    per_sample = (
        joined.with_columns(shown.alias("shown"), vaf_error.alias("vaf_error"))
        .group_by("sample_id")
        .agg(
            *[pl.col(f"r_{s}").max() for s in ids],
            *[pl.col("shown").filter(pl.col(f"r_{s}") == 3).unique().sort().alias(f"n_{s}") for s in ids],
            *[pl.col("shown").filter(pl.col(f"r_{s}") == 2).unique().sort().alias(f"m_{s}") for s in ids],
            pl.col("error").append(pl.col("vaf_error")).drop_nulls().unique().sort().alias("errors"),
        )
    )
    samples = _samples(study)
    if samples is not None:
        everyone.append(samples["sample_id"])
    every = pl.concat(everyone).drop_nulls().unique().to_frame("sample_id")
    texts = ["candidates", "review", "alterations", "errors"]
    return (
        every.join(_finish(per_sample, ids), on="sample_id", how="left")
        .with_columns(pl.col(texts).fill_null(""))
        .sort("sample_id")
    )


def _finish(per_sample: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    """The text columns of the samples that have rows (the others get empty texts after the join)."""

    def joined(parts: Sequence[pl.Expr], separator: str) -> pl.Expr:
        return pl.concat_str(parts, separator=separator, ignore_nulls=True).fill_null("")

    def listed(rank: int) -> pl.Expr:
        return joined([pl.when(pl.col(f"r_{s}") == rank).then(pl.lit(s)) for s in ids], ",")

    alterations = joined(
        [
            pl.when(pl.col(f"r_{s}") == 3).then(pl.lit(f"{s}: ") + pl.col(f"n_{s}").list.join(", "))
            for s in ids
        ]
        + [  # rows for review list the alterations to review
            pl.when(pl.col(f"r_{s}") == 2).then(pl.lit(f"{s} (review): ") + pl.col(f"m_{s}").list.join(", "))
            for s in ids
        ],
        "; ",
    )
    return per_sample.select(
        "sample_id",
        listed(3).alias("candidates"),
        listed(2).alias("review"),
        alterations.alias("alterations"),
        pl.col("errors").list.join("; ").fill_null("").alias("errors"),
    )
