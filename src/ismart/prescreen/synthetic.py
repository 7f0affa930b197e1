"""Synthetic cBioPortal-format cohorts of any size, for tests and benchmarks (seeded, vectorised).

The alterations are drawn from a fixed catalogue that covers every kind of rule outcome: protocol
hotspots, off-hotspot changes of named genes (board review), synonymous changes, resistance
mutations, kinase fusions in and out of frame, deletions and amplifications, and background noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

# (gene, HGVSp_Short, Variant_Classification, exon or None, weight)
VARIANTS: list[tuple[str, str, str, int | None, float]] = [
    ("KRAS", "p.G12D", "Missense_Mutation", 2, 3.0),
    ("KRAS", "p.G13D", "Missense_Mutation", 2, 1.5),
    ("NRAS", "p.Q61K", "Missense_Mutation", 3, 2.0),
    ("NRAS", "p.G12S", "Missense_Mutation", 2, 1.5),
    ("KRAS", "p.L19F", "Missense_Mutation", 2, 0.3),
    ("KRAS", "p.G12=", "Silent", 2, 0.5),
    ("PTPN11", "p.E76K", "Missense_Mutation", 3, 0.8),
    ("FLT3", "p.D835Y", "Missense_Mutation", 20, 0.6),
    ("MAP2K1", "p.K57N", "Missense_Mutation", 2, 0.3),
    ("CBL", "p.C381Y", "Missense_Mutation", 8, 0.3),
    ("CBL", "p.A50T", "Missense_Mutation", 2, 0.2),
    ("NF1", "p.R1276*", "Nonsense_Mutation", 29, 0.3),
    ("JAK2", "p.R683G", "Missense_Mutation", 16, 0.8),
    ("JAK1", "p.V658F", "Missense_Mutation", 14, 0.4),
    ("JAK1", "p.F958V", "Missense_Mutation", 21, 0.1),
    ("JAK2", "p.A100V", "Missense_Mutation", 3, 0.2),
    ("JAK3", "p.M511I", "Missense_Mutation", 11, 0.3),
    ("IL7R", "p.L242_L243insNPC", "In_Frame_Ins", 6, 0.4),
    ("IL7R", "p.S185C", "Missense_Mutation", 5, 0.2),
    ("STAT5B", "p.N642H", "Missense_Mutation", 16, 0.3),
    ("DNM2", "p.K44E", "Missense_Mutation", 2, 0.2),
    ("SH2B3", "p.E208*", "Nonsense_Mutation", 2, 0.2),
    ("USP9X", "p.Q1029fs", "Frame_Shift_Del", 21, 0.2),
    ("CRLF2", "p.F232C", "Missense_Mutation", 6, 0.3),
    ("EPOR", "p.Q435*", "Nonsense_Mutation", 8, 0.1),
    ("BCL2", "p.G101V", "Missense_Mutation", 2, 0.1),
    ("TP53", "p.R248Q", "Missense_Mutation", 7, 2.0),
    ("TP53", "p.R273H", "Missense_Mutation", 8, 1.5),
    ("IKZF1", "p.N159Y", "Missense_Mutation", 5, 0.5),
    ("CREBBP", "p.R1446C", "Missense_Mutation", 26, 1.0),
    ("NT5C2", "p.R367Q", "Missense_Mutation", 13, 1.0),
    ("PAX5", "p.P80R", "Missense_Mutation", 3, 0.8),
    ("TTN", "p.A1234V", "Missense_Mutation", 30, 20.0),
    ("MUC16", "p.S2000L", "Missense_Mutation", 3, 20.0),
    ("OBSCN", "p.R100W", "Missense_Mutation", 5, 15.0),
    ("SETD2", "p.K200fs", "Frame_Shift_Ins", 3, 3.0),
]
# (5' gene, 3' gene, Site2_Effect_On_Frame, weight)
FUSIONS: list[tuple[str, str, str, float]] = [
    ("P2RY8", "CRLF2", "in-frame", 3.0),
    ("IGH", "CRLF2", "", 1.5),
    ("NUP214", "ABL1", "in-frame", 1.0),
    ("ETV6", "ABL1", "frameshift", 0.3),
    ("EBF1", "PDGFRB", "in-frame", 1.0),
    ("PAX5", "JAK2", "in-frame", 0.8),
    ("ABL1", "NUP214", "in-frame", 0.2),
    ("ETV6", "RUNX1", "in-frame", 6.0),
    ("TCF3", "PBX1", "in-frame", 2.0),
    ("USP9X", "DDX3X", "in-frame", 0.2),
]
# (gene, discrete value, weight)
CNAS: list[tuple[str, int, float]] = [
    ("IKZF1", -1, 6.0),
    ("CDKN2A", -2, 8.0),
    ("SH2B3", -1, 0.5),
    ("NF1", -1, 0.5),
    ("ABL1", 2, 0.3),
    ("PTPN2", -2, 0.3),
    ("PAX5", -1, 4.0),
    ("ABL1", 1, 0.5),
]


def _pick(rng: np.random.Generator, weights: list[float], n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(weights), size=n, p=p / p.sum())


def generate(
    out: Path,
    samples: int,
    *,
    seed: int = 1,
    mean_mutations: float = 10.0,
    fusion_rate: float = 0.12,
    cna_rate: float = 0.35,
) -> dict[str, int]:
    """Write data_mutations.txt, data_sv.txt, data_cna.txt (long) and data_clinical_sample.txt."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    ids = np.char.add("S", np.char.zfill(np.arange(1, samples + 1).astype(str), 7))
    pl.DataFrame({"SAMPLE_ID": ids, "PATIENT_ID": np.char.add("P", np.char.lstrip(ids, "S"))}).write_csv(
        out / "data_clinical_sample.txt", separator="\t"
    )

    counts = rng.poisson(mean_mutations, samples)
    owner = np.repeat(np.arange(samples), counts)
    choice = _pick(rng, [v[4] for v in VARIANTS], owner.size)
    table = pl.DataFrame(
        {
            "gene": [v[0] for v in VARIANTS],
            "hgvs": [v[1] for v in VARIANTS],
            "cls": [v[2] for v in VARIANTS],
            "exon": [f"{v[3]}/30" if v[3] else "" for v in VARIANTS],
        }
    )
    pl.DataFrame({"i": choice, "Tumor_Sample_Barcode": ids[owner]}).join(
        table.with_row_index("i").with_columns(pl.col("i").cast(pl.Int64)), on="i", how="left"
    ).select(
        pl.col("gene").alias("Hugo_Symbol"),
        "Tumor_Sample_Barcode",
        pl.col("cls").alias("Variant_Classification"),
        pl.col("hgvs").alias("HGVSp_Short"),
        pl.col("exon").alias("Exon_Number"),
    ).write_csv(out / "data_mutations.txt", separator="\t")

    fused = np.flatnonzero(rng.random(samples) < fusion_rate)
    f = _pick(rng, [x[3] for x in FUSIONS], fused.size)
    pl.DataFrame(
        {
            "Sample_Id": ids[fused],
            "Site1_Hugo_Symbol": np.array([x[0] for x in FUSIONS])[f],
            "Site2_Hugo_Symbol": np.array([x[1] for x in FUSIONS])[f],
            "Site2_Effect_On_Frame": np.array([x[2] for x in FUSIONS])[f],
            "Class": "FUSION",
        }
    ).write_csv(out / "data_sv.txt", separator="\t")

    cna_owner = np.flatnonzero(rng.random(samples) < cna_rate)
    c = _pick(rng, [x[2] for x in CNAS], cna_owner.size)
    pl.DataFrame(
        {
            "Hugo_Symbol": np.array([x[0] for x in CNAS])[c],
            "Sample_Id": ids[cna_owner],
            "Value": np.array([x[1] for x in CNAS])[c],
        }
    ).write_csv(out / "data_cna.txt", separator="\t")
    return {
        "samples": samples,
        "mutations": int(owner.size),
        "fusions": int(fused.size),
        "cna": int(cna_owner.size),
    }
