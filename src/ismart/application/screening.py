"""Screening one patient: the one path taken by ``ismart screen``, ``POST /screen``, a stored
(registry) screening, a re-screen and the server's warm-up, so one dossier on one date under one
protocol folder gets one answer everywhere.

The protocol in force is chosen once by the caller (``protocol_in_force``, from the deployment's
``ISMART_PROTOCOL_DIR`` or the shipped data) and passed down: nothing here keeps it in a global.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ismart import dossier
from ismart.dossier import Dossier
from ismart.eligibility.context import Options
from ismart.eligibility.engine import screen
from ismart.eligibility.result import ScreeningResult
from ismart.errors import ProtocolDataError
from ismart.molecular.profile import build_profile
from ismart.profile_inputs import ProfileSources, sources_of, with_files
from ismart.protocol import load_protocol
from ismart.protocol.loader import load_from
from ismart.protocol.model import Protocol
from ismart.report.json_report import to_dict

__all__ = [
    "PROTOCOL_DIR_VARIABLE",
    "ScreeningRequest",
    "protocol_from_environment",
    "protocol_in_force",
    "read_dossier",
    "run_screening",
    "to_contract",
]

PROTOCOL_DIR_VARIABLE = "ISMART_PROTOCOL_DIR"


def protocol_in_force(protocol_dir: str | Path | None) -> Protocol:
    """The protocol data a deployment screens with: the folder it names, else the shipped data.

    A folder is loaded (and checked) on every call: callers choose once and pass the result down.
    """
    if protocol_dir is None or str(protocol_dir) == "":
        return load_protocol()
    return load_from(Path(protocol_dir))


def protocol_from_environment(environ: Mapping[str, str] | None = None) -> Protocol:
    """``protocol_in_force`` of the folder ``ISMART_PROTOCOL_DIR`` names (unset: the shipped data)."""
    folder = (os.environ if environ is None else environ).get(PROTOCOL_DIR_VARIABLE)
    try:
        return protocol_in_force(folder)
    except ProtocolDataError as exc:
        raise ProtocolDataError(f"{PROTOCOL_DIR_VARIABLE}={folder}: {exc}") from None


@dataclass(frozen=True)
class ScreeningRequest:
    """What a screening is asked for, whichever shell asks.

    ``dossier``: a dossier file (YAML or JSON; lab files it names are read relative to it), already
    parsed data (as an API body or a stored dossier version), or a validated Dossier.
    ``as_of``: the screening date; ``c1d1``: a planned C1D1 overriding the dossier's.
    ``lab_files``: laboratory files given beside the dossier (VCF, MAF, fusions, CNV, IC50).
    """

    dossier: Path | Mapping[str, Any] | Dossier
    as_of: date
    c1d1: date | None = None
    options: Options | None = None
    lab_files: ProfileSources = field(default_factory=ProfileSources)


def read_dossier(source: Path | Mapping[str, Any], *, as_of: date) -> Dossier:
    """A dossier file or parsed data, checked whole: the input schema, then its molecular findings.

    The dossier model is a pure input schema; an HGVS change is read where the profile is built
    (``molecular.profile``), and building it here refuses a bad change when the dossier comes in
    (a one-line DossierError naming ``profiling.variants[i].hgvs_p``), not at screening.
    """
    if isinstance(source, Path):
        record = dossier.load(source, as_of=as_of)
    else:
        record = dossier.from_mapping(dict(source), as_of=as_of)
    build_profile(record.profiling)
    return record


def _record(request: ScreeningRequest) -> Dossier:
    source = request.dossier
    if isinstance(source, Dossier):
        return with_files(source, request.lab_files)
    record = read_dossier(source, as_of=request.as_of)
    if isinstance(source, Path):
        return with_files(record, sources_of(record, source, request.lab_files))
    return with_files(record, request.lab_files)


def run_screening(request: ScreeningRequest, *, protocol: Protocol) -> ScreeningResult:
    """Load or map the dossier, attach its lab files, screen it under ``protocol``."""
    return screen(_record(request), protocol, as_of=request.as_of, c1d1=request.c1d1, options=request.options)


def to_contract(result: ScreeningResult) -> dict[str, Any]:
    """The screening-output contract (spec/screening-output.schema.json): the one serializer."""
    return to_dict(result)
