"""The sponsor's files of trial conduct in force for a registry: the DLT rule and evaluability
file, the dose table, the CTCAE term list, the dose-level file and the intrathecal table.

Named by environment variables and read once, when the registry is opened (``context.from_settings``),
so that a bad file is a one-line error naming the file and field at start-up, never on a later
request; the registry's context carries them (no module keeps them in a global). Without a file:
ismart's marked placeholder DLT settings, no dose table, the shipped CTCAE v5.0 list, no dose-level
file (the safety committee assigns levels), no intrathecal table (never a default dose).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ismart.conduct.ctcae_terms import TermList, parse_terms, shipped_terms
from ismart.conduct.dlt import PLACEHOLDER_SETTINGS, DltSettings, load_dlt_settings
from ismart.conduct.sponsor import DoseLevelFile, IntrathecalTable, load_dose_levels, load_intrathecal
from ismart.protocol.model import Protocol
from ismart.registry.settings import SettingsError
from ismart.treatment.calendar import DoseTable
from ismart.treatment.calendar_io import load_dose_table

__all__ = ["ENVIRONMENT", "SponsorData", "from_environment", "named_in_environment"]

ENVIRONMENT = (
    "ISMART_DLT_RULES",
    "ISMART_DOSE_TABLE",
    "ISMART_CTCAE_TERMS",
    "ISMART_DOSE_LEVELS",
    "ISMART_INTRATHECAL_TABLE",
)


@dataclass(frozen=True)
class SponsorData:
    dlt: DltSettings = PLACEHOLDER_SETTINGS
    doses: DoseTable | None = None
    terms: TermList = field(default_factory=shipped_terms)
    levels: DoseLevelFile | None = None
    intrathecal: IntrathecalTable | None = None


def named_in_environment() -> bool:
    return any(os.environ.get(name) for name in ENVIRONMENT)


def _text(variable: str) -> tuple[str, str] | None:
    """(text, file name) of the file ``variable`` names; None if it names none."""
    path = os.environ.get(variable)
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8"), Path(path).name
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{variable}: cannot read {path} ({exc})") from None


def from_environment(proto: Protocol) -> SponsorData:
    """Every sponsor file the environment names, read and checked against ``proto``."""
    dlt = load_dlt_settings(*f) if (f := _text("ISMART_DLT_RULES")) else PLACEHOLDER_SETTINGS
    doses = load_dose_table(Path(p)) if (p := os.environ.get("ISMART_DOSE_TABLE")) else None  # reads its file
    terms = parse_terms(*f) if (f := _text("ISMART_CTCAE_TERMS")) else shipped_terms()
    levels = None
    if f := _text("ISMART_DOSE_LEVELS"):
        public: dict[str, tuple[list[int], int | None]] = {sp.id: ([], None) for sp in proto.subprotocols}
        for sp in proto.subprotocols:
            if sp.treatment is not None:
                public[sp.id] = (list(sp.treatment.dose_levels), sp.treatment.starting_level)
        levels = load_dose_levels(*f, public)
    intrathecal = None
    if f := _text("ISMART_INTRATHECAL_TABLE"):
        drugs = sorted({d for sp in proto.subprotocols for d in sp.intrathecal})
        intrathecal = load_intrathecal(*f, drugs)
    return SponsorData(dlt, doses, terms, levels, intrathecal)
