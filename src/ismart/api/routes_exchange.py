"""POST /fhir/import: FHIR R4 (a JSON resource or Bundle, or a zip of NDJSON files) -> dossier data.

Nothing is stored: the answer is the dossier and the mapping report, for the site to check and then
submit as a dossier version. Any signed-in user may call it; bad input is a 400 with one line.
The body may be as large as ISMART_MAX_UPLOAD_BYTES (default 50 MB): it arrives in a temporary
file, and a zip is read from there member by member.
"""

from __future__ import annotations

from typing import IO, Annotated, Any

from fastapi import APIRouter, Query, Request

from ismart.api.deps import PrincipalDep
from ismart.api.uploads import body_file
from ismart.errors import InputError

router = APIRouter()


def _is_zip(file: IO[bytes], name: str) -> bool:
    head = file.read(4)
    file.seek(0)
    return name.endswith(".zip") or head == b"PK\x03\x04"


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

    kind = request.headers.get("content-type", "")
    name = "body.zip" if "zip" in kind else "body.xml" if "xml" in kind else "body.json"
    spooled = body_file(request)  # a signed-in upload: in a temporary file (ismart.api.uploads)
    if spooled is not None and _is_zip(spooled, name):
        resources = fhir_io.parse_zip(spooled, name)  # read member by member from the file
    else:
        body = spooled.read() if spooled is not None else await request.body()
        if not body:
            raise InputError("the request body is empty: send a FHIR JSON resource or a zip of NDJSON files")
        resources = fhir_io.parse_bytes(body, name)  # one JSON or XML document: parsed whole
    data, report = fhir_to_dossier(resources, "body", patient_id or pseudonym())
    return {"dossier": data, "mapping_report": [r.as_dict() for r in report]}
