"""Synthetic cBioPortal-format cohorts of any size, for tests and benchmarks (seeded, vectorised).

The cohort imitates what a relapsed paediatric ALL study looks like, so that "judge each distinct
alteration once" is measured on a realistic number of distinct alterations:

* **Passengers, long-tailed.** Each sample carries a gamma-Poisson (over-dispersed) number of
  passenger mutations, and a small hypermutated subset carries ten times more (Waanders et al. 2020
  describe hypermutation in a subset of multiply relapsed ALL; the share used here is an assumption).
  A passenger falls in a gene with probability proportional to the gene's protein length and at a
  uniformly drawn residue, with a random reference and alternative residue, so nearly every
  passenger mutation is unique to its sample while a few genes (long ones) recur, as in real MAFs.
  The gene symbols are real HGNC symbols of genes no HEM-iSMART rule names; their protein lengths
  here are *drawn* (log-normal), not UniProt's.
* **Drivers, from published relapse series** (``PATHWAY_RATES``; each rate says where it comes
  from, and rates the author could not verify are marked ``unverified``).
* **Laboratory reality**: silent rows, splice rows (vcf2maf ``p.X125_splice``), FLT3-ITDs written
  as VEP duplications and as short insertions, Oncotator ``>`` forms, a few unreadable protein
  changes, read counts (``t_alt_count``, ``t_ref_count``, ``t_depth``) from which the VAF is read.

Every draw comes from one ``numpy.random.Generator(seed)``: the same seed writes the same files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

# Pathway-level rates per sample at relapse: (name, rate, source). Sources the author read (search
# of stored public pages, 2026-12-02) are cited with what they say; the others are marked.
PATHWAY_RATES: list[tuple[str, float, str]] = [
    (
        "RAS",
        76 / 206,
        "Irving et al., Blood 2014;124(23):3420 (ALL-REZ BFM 2002): KRAS/NRAS/FLT3/PTPN11 mutations "
        "in 76 of 206 relapsed childhood B-ALL",
    ),
    (
        "JAK-STAT",
        0.11,
        "Zhang et al., Blood 2011;118(11):3080: Janus kinase alterations in 11% of 187 high-risk "
        "B-ALL at diagnosis (a diagnosis proxy, not a relapse rate)",
    ),
    (
        "NT5C2",
        9 / 20,
        "Ma et al., Nat Commun 2015;6:6604: relapse-specific NT5C2 mutations in 9 of 20 B-ALL "
        "(deep WES; a small series)",
    ),
    (
        "CREBBP",
        0.15,
        "unverified (Ma et al. 2015 and Waanders et al. 2020 name CREBBP as enriched at relapse)",
    ),
    ("TP53", 0.10, "unverified (Ma et al. 2015 name TP53 as enriched at relapse)"),
    ("IKZF1", 0.05, "unverified (Ma et al. 2015 name IKZF1 mutations as enriched at relapse)"),
    ("open-list", 0.02, "unverified (BRAF, SOS1, STAT3 ... pathway genes the documents do not list)"),
]
HYPERMUTATED = (0.02, 10.0, "unverified share; Waanders et al., Blood Cancer Discov 2020;1(1):96")

# Driver changes per pathway: (gene, HGVSp_Short, Variant_Classification, exon, weight).
DRIVERS: dict[str, list[tuple[str, str, str, int | None, float]]] = {
    "RAS": [
        ("NRAS", "p.G12D", "Missense_Mutation", 2, 3.0),
        ("NRAS", "p.G13D", "Missense_Mutation", 2, 2.5),
        ("NRAS", "p.G12S", "Missense_Mutation", 2, 1.0),
        ("NRAS", "p.Q61K", "Missense_Mutation", 3, 1.0),
        ("KRAS", "p.G12D", "Missense_Mutation", 2, 2.5),
        ("KRAS", "p.G13D", "Missense_Mutation", 2, 2.5),
        ("KRAS", "p.G12V", "Missense_Mutation", 2, 1.0),
        ("KRAS", "p.A146T", "Missense_Mutation", 4, 0.5),
        ("KRAS", "p.L19F", "Missense_Mutation", 2, 0.3),  # off the hotspot list: board review
        ("KRAS", "p.Q22*", "Nonsense_Mutation", 2, 0.1),  # truncating: not an activating change
        ("PTPN11", "p.E76K", "Missense_Mutation", 3, 0.8),
        ("PTPN11", "p.A72T", "Missense_Mutation", 3, 0.5),
        ("FLT3", "p.D835Y", "Missense_Mutation", 20, 0.6),
        ("FLT3", "p.Y591_E598dup", "In_Frame_Ins", 14, 0.3),  # an ITD as VEP writes it
        ("FLT3", "p.595_596insEDNEYFYVDFR", "In_Frame_Ins", 14, 0.1),  # an ITD, short form
        ("CBL", "p.C381Y", "Missense_Mutation", 8, 0.3),
        ("NF1", "p.R1276*", "Nonsense_Mutation", 29, 0.3),
        ("MAP2K1", "p.K57N", "Missense_Mutation", 2, 0.2),
    ],
    "JAK-STAT": [
        ("JAK2", "p.R683G", "Missense_Mutation", 16, 2.0),
        ("JAK1", "p.V658F", "Missense_Mutation", 14, 0.8),
        ("JAK3", "p.M511I", "Missense_Mutation", 11, 0.5),
        ("IL7R", "p.L242_L243insNPC", "In_Frame_Ins", 6, 0.8),
        ("CRLF2", "p.F232C", "Missense_Mutation", 6, 0.6),
        ("STAT5B", "p.N642H", "Missense_Mutation", 16, 0.3),
        ("SH2B3", "p.E208*", "Nonsense_Mutation", 2, 0.2),
        ("EPOR", "p.Q435*", "Nonsense_Mutation", 8, 0.1),
        ("JAK2", "p.A100V", "Missense_Mutation", 3, 0.2),  # outside the kinase domains
    ],
    "NT5C2": [
        ("NT5C2", "p.R367Q", "Missense_Mutation", 13, 3.0),
        ("NT5C2", "p.R238W", "Missense_Mutation", 9, 1.0),
        ("NT5C2", "p.S445F", "Missense_Mutation", 16, 0.5),
    ],
    "CREBBP": [
        ("CREBBP", "p.R1446C", "Missense_Mutation", 26, 2.0),
        ("CREBBP", "p.R1446H", "Missense_Mutation", 26, 1.0),
        ("CREBBP", "p.Q1174fs", "Frame_Shift_Del", 18, 0.5),
    ],
    "TP53": [
        ("TP53", "p.R248Q", "Missense_Mutation", 7, 1.0),
        ("TP53", "p.R273H", "Missense_Mutation", 8, 1.0),
        ("TP53", "p.R175H", "Missense_Mutation", 5, 1.0),
    ],
    "IKZF1": [("IKZF1", "p.N159Y", "Missense_Mutation", 5, 1.0)],
    "open-list": [
        ("BRAF", "p.V600E", "Missense_Mutation", 15, 1.0),
        ("SOS1", "p.N233Y", "Missense_Mutation", 7, 0.5),
        ("STAT3", "p.Y640F", "Missense_Mutation", 21, 0.5),
    ],
}
# Real protein-coding genes that no HEM-iSMART rule or board flag names (passenger targets).
_PASSENGER_TEXT = """
TTN MUC16 OBSCN SYNE1 NEB RYR1 RYR2 RYR3 DNAH5 DNAH8 DNAH11 DNAH17 USH2A FAT1 FAT2 FAT3 FAT4 LRP1B
CSMD1 CSMD3 PCLO PKHD1L1 HMCN1 MACF1 DST AHNAK AHNAK2 PLEC SPTA1 SPTB COL6A3 COL12A1 LAMA1 LAMA2
ZFHX3 ZFHX4 KMT2C KMT2D ARID1A ARID1B ARID2 SETD2 NSD1 NSD2 EP300 NCOR1 NCOR2 CTCF SMARCA4
ATRX BRCA2 APC ADGRV1 CDH23 PCDH15 VPS13B VPS13C HUWE1 UBR4 BIRC6 MDN1 SACS LRRK2 ABCA13 ABCA4
XIRP2 FLG FLG2 HRNR TPR CENPF DYNC1H1 DYNC2H1 UTRN DMD SRRM2 PRKDC ATM ATR MTOR PIK3CA
PIK3R1 PTEN AKT1 TSC2 NOTCH1 NOTCH2 FBXW7 PHF6 RUNX1 ETV6 PAX5 EBF1 TCF3 LEF1 IKZF3 BTG1 TBL1XR1
NR3C1 PRPS1 MSH2 MSH6 MLH1 PMS2 POLE WT1 DNMT3A TET2 IDH1 IDH2 ASXL1 EZH2 SUZ12 EED KDM6A
CDKN2A RB1 SH3BP1 ZEB2 MYB BCL11B GATA3 ETV1 ERG FOXO1 CDK6 CCND3 MED12 DDX3X ZNF384 ZNF217
ZNF292 ZNF608 ZNF638 ZNF831 OR4C3 OR2T4 OR5H1 OR6C2 OR10G8 OR51E1 OR1L8 OR8K3 KRT1 KRT5 KRT10
KRT14 SLC4A1 SLC6A4 SLC12A3 SLC26A3 SLC34A2 SCN1A SCN2A SCN5A SCN9A CACNA1A CACNA1C CACNA1E
KCNQ1 KCNH2 HCN1 GRIN2A GRIN2B GRIA2 GRM3 GABRA6 CNTNAP2 CNTNAP5 NRXN1 NRXN3 ROBO1 ROBO2 SLIT2
EPHA3 EPHA5 EPHA7 EPHB1 ERBB4 KDR FLT1 FLT4 TEK INSR IGF1R MET ALK ROS1 RET NTRK1 NTRK3 DDR2
PRKCB PLCG2 BTK SYK LYN BLNK CD79A CD79B CD19 CD22 MS4A1 CD38 PTPRD PTPRT PTPRC PTPRB TRRAP
SPEN SF3B1 U2AF1 SRSF2 ZRSR2 HNRNPK DIS3 XPO1 EIF4A2 RPL5 RPL10 RPL22 RPS15 TCF7 NUP98 CUX1
MGA MAX MYC MYCN BCL6 BCL2L1 MCL1 CASP8 FAS TNFAIP3 TRAF3 NFKBIE CARD11 MYD88 TLR4 IRF4
PRDM1 SOCS1 STAT6 GNA13 RHOA DDX41 SAMD9 SAMD9L GATA2 CEBPA NPM1 WAC BRD4 CHD4 CHD7
CHD8 SMC1A SMC3 STAG2 RAD21 BCOR BCORL1 KDM5C UTY USP7 USP28 FBXO11 CUL3 KEAP1 NFE2L2 SPOP
"""
PASSENGER_GENES: list[str] = sorted(set(_PASSENGER_TEXT.split()))
# Genes whose variants the rules judge, with their protein lengths (UniProt canonical isoforms as
# known to the author: unverified). A passenger falls in one of them at the rate a ~19,000-gene
# exome gives 27 genes of these lengths (assumed 0.15 %), at a random residue: mostly board review.
LISTED_LENGTHS: dict[str, int] = {
    "KRAS": 189, "NRAS": 189, "HRAS": 189, "FLT3": 993, "PTPN11": 597, "MAP2K1": 393, "CBL": 906,
    "NF1": 2839, "JAK1": 1154, "JAK2": 1132, "JAK3": 1124, "IL7R": 459, "CRLF2": 371, "EPOR": 508,
    "SH2B3": 575, "USP9X": 2570, "STAT5B": 787, "DNM2": 870, "BRAF": 766, "RAF1": 648, "RIT1": 219,
    "SOS1": 1333, "SHOC2": 582, "LZTR1": 840, "TYK2": 1187, "STAT3": 770, "IL2RB": 551,
}  # fmt: skip
LISTED_SHARE = 0.0015
_AMINO = np.array(list("ACDEFGHIKLMNPQRSTVWY"))

FUSIONS: list[tuple[str, str, str, float]] = [  # (5', 3', Site2_Effect_On_Frame, weight); unverified rates
    ("P2RY8", "CRLF2", "in-frame", 3.0),
    ("IGH", "CRLF2", "", 1.5),
    ("NUP214", "ABL1", "in-frame", 1.0),
    ("ETV6", "ABL1", "frameshift", 0.3),
    ("EBF1", "PDGFRB", "in-frame", 1.0),
    ("PAX5", "JAK2", "in-frame", 0.8),
    ("ZC3HAV1", "ABL2", "in-frame", 0.2),
    ("ETV6", "RUNX1", "in-frame", 6.0),
    ("TCF3", "PBX1", "in-frame", 2.0),
    ("USP9X", "DDX3X", "in-frame", 0.2),
]
CNAS: list[tuple[str, int, float]] = [  # (gene, discrete value, weight); unverified rates
    ("IKZF1", -1, 6.0),
    ("CDKN2A", -2, 8.0),
    ("SH2B3", -1, 0.5),
    ("NF1", -1, 0.5),
    ("ABL1", 2, 0.3),
    ("PTPN2", -2, 0.3),
    ("PAX5", -1, 4.0),
    ("ABL1", 1, 0.5),
]
# Passenger consequence mix (assumed): missense, silent, nonsense, frameshift, in-frame deletion, splice.
_CLASS_MIX = (
    ("Missense_Mutation", 0.66),
    ("Silent", 0.22),
    ("Nonsense_Mutation", 0.04),
    ("Frame_Shift_Del", 0.04),
    ("In_Frame_Del", 0.01),
    ("Splice_Site", 0.03),
)
_UNREADABLE = ["p.G12Dxyz?", "p.(?)ins", "c.35G>A", "p.Xaa100fs"]  # what broken pipelines write


def _pick(rng: np.random.Generator, weights: list[float], n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(weights), size=n, p=p / p.sum())


def _passengers(rng: np.random.Generator, owner: np.ndarray) -> pl.DataFrame:
    n = owner.size
    drawn = np.clip(rng.lognormal(6.2, 0.75, len(PASSENGER_GENES)), 80, 8000).astype(np.int64)
    weights = drawn.astype(float)
    titin = PASSENGER_GENES.index("TTN")
    drawn[titin] = 34350  # the long gene every MAF shows; about 1 % of passengers (assumed)
    weights[titin] = 0.01 * weights.sum()
    names = np.array([*PASSENGER_GENES, *LISTED_LENGTHS])
    lengths = np.concatenate([drawn, np.array(list(LISTED_LENGTHS.values()))])
    listed = np.array(list(LISTED_LENGTHS.values()), dtype=float)
    p = np.concatenate([weights / weights.sum() * (1 - LISTED_SHARE), listed / listed.sum() * LISTED_SHARE])
    gene = rng.choice(names.size, size=n, p=p / p.sum())
    pos = (rng.random(n) * lengths[gene]).astype(np.int64) + 1
    ref = rng.integers(0, 20, n)
    alt = (ref + rng.integers(1, 20, n)) % 20  # never the reference residue
    cls = _pick(rng, [w for _, w in _CLASS_MIX], n)
    frame = pl.DataFrame(
        {
            "gene": names[gene],
            "ref": _AMINO[ref],
            "alt": _AMINO[alt],
            "pos": pos,
            "cls": np.array([c for c, _ in _CLASS_MIX])[cls],
            "stop": rng.integers(2, 40, n),
            "exon": rng.integers(1, 40, n),
        }
    )
    at = pl.col("pos").cast(pl.String)
    change = (
        pl.when(pl.col("cls") == "Missense_Mutation")
        .then(pl.concat_str([pl.lit("p."), "ref", at, "alt"]))
        .when(pl.col("cls") == "Silent")
        .then(pl.concat_str([pl.lit("p."), "ref", at, pl.lit("=")]))
        .when(pl.col("cls") == "Nonsense_Mutation")
        .then(pl.concat_str([pl.lit("p."), "ref", at, pl.lit("*")]))
        .when(pl.col("cls") == "Frame_Shift_Del")
        .then(pl.concat_str([pl.lit("p."), "ref", at, "alt", pl.lit("fs*"), pl.col("stop").cast(pl.String)]))
        .when(pl.col("cls") == "In_Frame_Del")
        .then(pl.concat_str([pl.lit("p."), "ref", at, pl.lit("del")]))
        .otherwise(pl.concat_str([pl.lit("p.X"), at, pl.lit("_splice")]))
    )
    return frame.select(
        pl.col("gene").alias("Hugo_Symbol"),
        pl.col("cls").alias("Variant_Classification"),
        change.alias("HGVSp_Short"),
        pl.concat_str([pl.col("exon").cast(pl.String), pl.lit("/40")]).alias("Exon_Number"),
    )


def _drivers(rng: np.random.Generator, samples: int) -> tuple[np.ndarray, pl.DataFrame]:
    owners, parts = [], []
    for name, rate, _source in PATHWAY_RATES:
        chosen = np.flatnonzero(rng.random(samples) < rate)
        catalogue = DRIVERS[name]
        pick = _pick(rng, [d[4] for d in catalogue], chosen.size)
        owners.append(chosen)
        parts.append(
            pl.DataFrame(
                {
                    "Hugo_Symbol": np.array([d[0] for d in catalogue])[pick],
                    "Variant_Classification": np.array([d[2] for d in catalogue])[pick],
                    "HGVSp_Short": np.array([d[1] for d in catalogue])[pick],
                    "Exon_Number": np.array([f"{d[3]}/30" if d[3] else "" for d in catalogue])[pick],
                }
            )
        )
    return np.concatenate(owners), pl.concat(parts)


def generate(
    out: Path,
    samples: int,
    *,
    seed: int = 1,
    mean_mutations: float = 12.0,
    fusion_rate: float = 0.12,
    cna_rate: float = 0.35,
    unreadable_rate: float = 0.0005,
) -> dict[str, int]:
    """Write data_mutations.txt, data_sv.txt, data_cna.txt (long) and data_clinical_sample.txt."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    ids = np.char.add("S", np.char.zfill(np.arange(1, samples + 1).astype(str), 7))
    pl.DataFrame({"SAMPLE_ID": ids, "PATIENT_ID": np.char.add("P", np.char.lstrip(ids, "S"))}).write_csv(
        out / "data_clinical_sample.txt", separator="\t"
    )

    share, factor, _ = HYPERMUTATED
    hyper = np.where(rng.random(samples) < share, factor, 1.0)
    burden = rng.gamma(2.0, mean_mutations / 2.0, samples) * hyper
    owner = np.repeat(np.arange(samples), rng.poisson(burden))
    passengers = _passengers(rng, owner)
    driver_owner, drivers = _drivers(rng, samples)
    rows = pl.concat([passengers, drivers])
    owner = np.concatenate([owner, driver_owner])
    broken = rng.random(owner.size) < unreadable_rate
    unreadable = np.array(_UNREADABLE)[rng.integers(0, len(_UNREADABLE), owner.size)]
    depth = rng.integers(30, 400, owner.size)
    alt = rng.binomial(depth, rng.beta(2.0, 4.0, owner.size))
    rows = rows.with_columns(
        pl.Series("Tumor_Sample_Barcode", ids[owner]),
        pl.when(pl.Series(broken))
        .then(pl.Series(unreadable))
        .otherwise(pl.col("HGVSp_Short"))
        .alias("HGVSp_Short"),
        pl.Series("t_alt_count", alt),
        pl.Series("t_ref_count", depth - alt),
        pl.Series("t_depth", depth),
    )
    order = np.argsort(owner, kind="stable")  # rows grouped by sample, as pipelines write them
    rows[order].select(
        "Hugo_Symbol",
        "Tumor_Sample_Barcode",
        "Variant_Classification",
        "HGVSp_Short",
        "Exon_Number",
        "t_alt_count",
        "t_ref_count",
        "t_depth",
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
