"""Pre-screen a cBioPortal-format study: per sample, the candidate sub-protocols and why.

Files read (tab-separated, '#' comment lines skipped), all optional but at least one:

* data_mutations*.txt (MAF): Tumor_Sample_Barcode, Hugo_Symbol, HGVSp_Short (or HGVSp),
  Variant_Classification, Exon_Number ("14/24");
* data_sv.txt: Sample_Id, Site1_Hugo_Symbol (5'), Site2_Hugo_Symbol (3'), Site2_Effect_On_Frame;
  or the older data_fusions.txt: Tumor_Sample_Barcode, Fusion ("GENE1-GENE2 fusion"), Frame;
* data_cna.txt: discrete copy number, wide (Hugo_Symbol, [Entrez_Gene_Id], one column per
  sample) or long (Hugo_Symbol, Sample_Id, Value); -2 homozygous deletion, -1 heterozygous
  deletion, 1 gain, 2 amplification;
* data_clinical_sample.txt (SAMPLE_ID): samples profiled without any listed alteration.

Distinct alterations are judged once (``Classifier``); Polars does the joins and the group-by.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from ismart.errors import ProfileFileError
from ismart.prescreen.classify import (
    NO_MATCH,
    Classifier,
    Judged,
    cna_profiling,
    fusion_profiling,
    variant_profiling,
)
from ismart.profiles.maf import NON_PROTEIN, PROTEIN_COLUMNS
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


def _need(path: Path, frame: pl.LazyFrame, columns: list[str]) -> None:
    have = frame.collect_schema().names()
    missing = [c for c in columns if c not in have]
    if missing:
        raise ProfileFileError(str(path), 1, f"missing column(s) {', '.join(missing)}")


def _mutations(study: Path) -> pl.LazyFrame | None:
    files = sorted(study.glob("data_mutations*.txt"))
    if not files:
        return None
    frames = []
    for path in files:
        check_rows(path)
        frame = _scan(path)
        names = frame.collect_schema().names()
        _need(path, frame, ["Tumor_Sample_Barcode", "Hugo_Symbol"])
        proteins = [c for c in PROTEIN_COLUMNS if c in names]
        if not proteins:
            raise ProfileFileError(str(path), 1, f"no protein-change column ({', '.join(PROTEIN_COLUMNS)})")
        blank = pl.lit(None, dtype=pl.String)
        protein = pl.coalesce([pl.col(c).str.strip_chars().replace("", None) for c in proteins])
        vclass = pl.col("Variant_Classification") if "Variant_Classification" in names else blank
        frame = frame.filter(  # intronic, UTR, flanking, intergenic and RNA rows are not protein changes
            vclass.is_null() | ~vclass.str.to_lowercase().is_in(list(NON_PROTEIN))
        )
        exon = (
            pl.col("Exon_Number").str.extract(r"^(\d+)").cast(pl.Int64)
            if "Exon_Number" in names
            else pl.lit(None, dtype=pl.Int64)
        )
        frames.append(
            frame.select(
                pl.col("Tumor_Sample_Barcode").alias("sample_id"),
                pl.concat_str(
                    [
                        pl.lit("v"),
                        *(  # a cell can never split the key
                            e.fill_null("").str.replace_all(SEP, "", literal=True)
                            for e in (pl.col("Hugo_Symbol"), protein, vclass)
                        ),
                        exon.cast(pl.String).fill_null(""),
                    ],
                    separator=SEP,
                ).alias("akey"),
            )
        )
    return pl.concat(frames)


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
        profiling = variant_profiling(gene, hgvs_p, vclass, int(exon) if exon else None)
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


def _samples(study: Path) -> pl.LazyFrame | None:
    path = study / "data_clinical_sample.txt"
    if not path.exists():
        return None
    frame = _scan(path)
    _need(path, frame, ["SAMPLE_ID"])
    return frame.select(pl.col("SAMPLE_ID").alias("sample_id")).unique()


def prescreen(study: Path, protocol: Protocol, progress: Progress | None = None) -> pl.DataFrame:
    """One row per sample: sample_id, candidates (MET), review (REVIEW), alterations, errors."""
    step = progress or (lambda _msg: None)
    if not study.is_dir():
        raise ProfileFileError(str(study), None, "not a study folder")
    sources = [f for f in (_mutations(study), _fusions(study), _cna(study)) if f is not None]
    if not sources:
        raise ProfileFileError(
            str(study), None, "no data_mutations*.txt, data_sv.txt/data_fusions.txt or data_cna.txt"
        )
    step("reading alteration files")
    long = pl.concat(sources).collect(engine="streaming")
    step(f"judging {long['akey'].n_unique():,} distinct alterations")
    classifier = Classifier(protocol)
    keys = _key_table(long["akey"].unique().to_list(), classifier)
    ids = list(classifier.rules)
    step("aggregating per sample")
    joined = long.join(keys, on="akey", how="left")
    per_sample = joined.group_by("sample_id").agg(
        *[pl.col(f"r_{s}").max() for s in ids],
        *[pl.col("name").filter(pl.col(f"r_{s}") == 3).unique().sort().alias(f"n_{s}") for s in ids],
        *[pl.col("name").filter(pl.col(f"r_{s}") == 2).unique().sort().alias(f"m_{s}") for s in ids],
        pl.col("error").drop_nulls().unique().alias("errors"),
    )
    samples = _samples(study)
    if samples is not None:
        per_sample = samples.collect().join(per_sample, on="sample_id", how="left")
    return _finish(per_sample, ids)


def _finish(per_sample: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    def listed(rank: int) -> pl.Expr:
        return (
            pl.concat_list([pl.when(pl.col(f"r_{s}") == rank).then(pl.lit(s)) for s in ids])
            .list.drop_nulls()
            .list.join(",")
        )

    alterations = (
        pl.concat_list(
            [
                pl.when(pl.col(f"r_{s}") == 3).then(pl.lit(f"{s}: ") + pl.col(f"n_{s}").list.join(", "))
                for s in ids
            ]
            + [  # rows for review list the alterations to review
                pl.when(pl.col(f"r_{s}") == 2).then(
                    pl.lit(f"{s} (review): ") + pl.col(f"m_{s}").list.join(", ")
                )
                for s in ids
            ]
        )
        .list.drop_nulls()
        .list.join("; ")
    )
    return per_sample.select(
        "sample_id",
        listed(3).alias("candidates"),
        listed(2).alias("review"),
        alterations.fill_null("").alias("alterations"),
        pl.col("errors").list.join("; ").fill_null("").alias("errors"),
    ).sort("sample_id")
