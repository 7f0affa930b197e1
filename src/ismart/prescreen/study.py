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
from ismart.prescreen.classify import Classifier, cna_profiling, fusion_profiling, variant_profiling
from ismart.protocol.model import Protocol

CNA_CALLS = {-2: "homozygous_deletion", -1: "heterozygous_deletion", 1: "gain", 2: "amplification"}
Progress = Callable[[str], None]


def _scan(path: Path) -> pl.LazyFrame:
    return pl.scan_csv(path, separator="\t", comment_prefix="#", infer_schema=False, quote_char=None)


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
        frame = _scan(path)
        names = frame.collect_schema().names()
        protein = "HGVSp_Short" if "HGVSp_Short" in names else "HGVSp"
        _need(path, frame, ["Tumor_Sample_Barcode", "Hugo_Symbol", protein, "Variant_Classification"])
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
                        pl.col("Hugo_Symbol"),
                        pl.col(protein).fill_null(""),
                        pl.col("Variant_Classification").fill_null(""),
                        exon.cast(pl.String).fill_null(""),
                    ],
                    separator="|",
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
        pl.concat_str([pl.lit("f"), "five", "three", in_frame], separator="|").alias("akey"),
    )


def _cna(study: Path) -> pl.LazyFrame | None:
    path = study / "data_cna.txt"
    if not path.exists():
        return None
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
        pl.concat_str([pl.lit("c"), pl.col("Hugo_Symbol"), value.cast(pl.String)], separator="|").alias(
            "akey"
        ),
    )


def _judge_key(classifier: Classifier, akey: str) -> tuple[dict[str, int], str, str | None]:
    kind, *parts = akey.split("|")
    if kind == "v":
        gene, hgvs_p, vclass, exon = parts
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
