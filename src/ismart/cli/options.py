"""Options shared by several commands: the laboratory files given beside a dossier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ismart.profile_inputs import ProfileSources

__all__ = ["CnvOpt", "DrugResponseOpt", "FusionsOpt", "MafOpt", "SampleOpt", "VcfOpt", "lab_files"]

_PANEL = "Laboratory files"
VcfOpt = Annotated[
    Path | None, typer.Option(help="Annotated VCF (VEP CSQ or SnpEff ANN).", rich_help_panel=_PANEL)
]
MafOpt = Annotated[
    Path | None, typer.Option(help="MAF (cBioPortal/GDC mutation format).", rich_help_panel=_PANEL)
]
FusionsOpt = Annotated[Path | None, typer.Option(help="Arriba or STAR-Fusion table.", rich_help_panel=_PANEL)]
CnvOpt = Annotated[
    Path | None, typer.Option(help="Discrete CNA (cBioPortal) or a seg file.", rich_help_panel=_PANEL)
]
DrugResponseOpt = Annotated[
    Path | None, typer.Option(help="IC50 table (drug, ic50_nM, central_lab).", rich_help_panel=_PANEL)
]
SampleOpt = Annotated[
    str | None, typer.Option(help="Sample to take from multi-sample files.", rich_help_panel=_PANEL)
]


def lab_files(
    vcf: Path | None,
    maf: Path | None,
    fusions: Path | None,
    cnv: Path | None,
    drug_response: Path | None,
    sample: str | None,
) -> ProfileSources:
    """The lab-file options as the sources the screening path reads."""
    return ProfileSources(vcf, maf, fusions, cnv, drug_response, sample)
