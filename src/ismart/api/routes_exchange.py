"""POST /fhir/import: FHIR R4 (a JSON resource or Bundle, or a zip of NDJSON files) -> dossier data.

Nothing is stored: the answer is the dossier and the mapping report, for the site to check and then
submit as a dossier version. Any signed-in user may call it; bad input is a 400 with one line.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ismart.api.deps import PrincipalDep
from ismart.errors import InputError

router = APIRouter()
_MAX_BYTES = 20_000_000


@router.post("/fhir/import", tags=["exchange"])
async def fhir_import(
    request: Request,
    _who: PrincipalDep,
    patient_id: Annotated[
        str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9.\-]+$", description="The dossier's pseudonym.")
    ] = None,
) -> dict[str, Any]:
    """Map FHIR resources to a dossier; the hospital's identifiers and names are never copied."""
    from ismart.exchange import fhir_io
    from ismart.exchange.service import fhir_to_dossier, pseudonym

    body = await request.body()
    if not body:
        raise InputError("the request body is empty: send a FHIR JSON resource or a zip of NDJSON files")
    if len(body) > _MAX_BYTES:
        raise InputError(f"the request body is larger than {_MAX_BYTES} bytes")
    kind = request.headers.get("content-type", "")
    name = "body.zip" if "zip" in kind else "body.xml" if "xml" in kind else "body.json"
    resources = fhir_io.parse_bytes(body, name)
    data, report = fhir_to_dossier(resources, "body", patient_id or pseudonym())
    return {"dossier": data, "mapping_report": [r.as_dict() for r in report]}
