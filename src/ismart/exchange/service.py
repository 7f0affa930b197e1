"""FHIR input to a validated dossier: the one function the command line and the API share."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from ismart.exchange.report import Unmapped


def pseudonym() -> str:
    """A fresh pseudonymous subject code (never derived from the hospital's identifiers)."""
    return f"ISM-{secrets.token_hex(4).upper()}"


def fhir_to_dossier(
    resources: list[dict[str, Any]], where: str, patient_id: str
) -> tuple[dict[str, Any], list[Unmapped]]:
    """Checked, imported and validated dossier data and the mapping report (shared with the API)."""
    from ismart import dossier
    from ismart.exchange import fhir_import, fhir_io

    flat = [r for res in resources for r in fhir_import.flatten(res)]
    ok, report = fhir_io.check_resources(flat, where)
    result = fhir_import.import_many(ok, patient_id=patient_id, urls=fhir_import.full_urls(resources))
    dossier.from_mapping(result.dossier, as_of=date.today())  # the result must be a valid dossier
    return result.dossier, report + result.report
