"""Authenticated large uploads (issue 11): a signed-in caller may send an upload route up to
ISMART_MAX_UPLOAD_BYTES, spooled to a temporary file; everyone else, and every other route, keeps
the small limit, refused with 413 before authentication and the database."""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from collections.abc import Iterator

import pytest
from registry_helpers import TODAY, Registry, add_users, eligible_b, flow_to_screened, signed_in_client
from sqlalchemy import Engine, func, select

from ismart.api import uploads
from ismart.api.app import create_app
from ismart.api.deps import AppState
from ismart.registry import db, services
from ismart.registry.models import AuditEntry, LoginThrottle
from ismart.registry.settings import Settings

PATIENT = {"resourceType": "Patient", "id": "h-1", "gender": "female", "birthDate": "2015-01-02"}
MB = 1_000_000


def _bundle(size: int) -> bytes:
    """A valid FHIR Bundle of about size bytes (JSON whitespace pads it)."""
    core = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": PATIENT}]})
    return (core[:-1] + " " * max(0, size - len(core)) + "}").encode()


def _zip(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("Patient.000.ndjson", json.dumps(PATIENT) + "\n" + "\n" * size)
    return buffer.getvalue()


def _rows(registry: Registry) -> tuple[int, int]:
    with registry.state.sessions() as session:
        audit = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        throttles = session.scalar(select(func.count()).select_from(LoginThrottle)) or 0
    return int(audit), int(throttles)


@pytest.fixture
def small_uploads(engine: Engine) -> Registry:
    settings = Settings(
        database_url=str(engine.url), secret_key="test-secret-key-0123456789abcdef", max_upload_bytes=2 * MB
    )
    state = AppState(settings=settings, sessions=db.make_sessionmaker(engine=engine), today=lambda: TODAY)
    state.write(services.seed)
    return Registry(state=state, app=create_app(state=state))


def test_an_upload_without_a_valid_credential_gets_the_small_limit(registry: Registry) -> None:
    add_users(registry)
    before = _rows(registry)
    c = registry.client()
    body = _bundle(2 * MB)
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = c.post(
            "/fhir/import", content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 413  # not 401: authentication was never reached
        assert response.json() == {"detail": "request body larger than 1000000 bytes"}
    assert _rows(registry) == before  # nothing written: no audit row, no sign-in throttle


def test_a_signed_in_upload_may_be_larger_than_the_api_limit(registry: Registry) -> None:
    headers = add_users(registry)["staff"]
    c = registry.client()
    response = c.post(
        "/fhir/import?patient_id=SE-STO-0001",
        content=_bundle(3 * MB),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text[:200]
    assert response.json()["dossier"]["patient"] == {
        "id": "SE-STO-0001",
        "sex": "female",
        "birth_date": "2015-01-02",
    }
    zipped = c.post(
        "/fhir/import", content=_zip(3 * MB), headers={**headers, "Content-Type": "application/zip"}
    )
    assert zipped.status_code == 200, zipped.text[:200]
    assert zipped.json()["dossier"]["patient"]["sex"] == "female"


def test_the_json_api_keeps_the_small_limit_for_signed_in_callers(registry: Registry) -> None:
    headers = add_users(registry)["office"]
    body = b'{"site_code": "SE-STO", "x": "' + b"x" * (2 * MB) + b'"}'
    response = registry.client().post(
        "/subjects", content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "request body larger than 1000000 bytes"}


def test_an_upload_over_its_own_limit_is_413(small_uploads: Registry) -> None:
    headers = add_users(small_uploads)["staff"]
    c = small_uploads.client()
    declared = c.post(
        "/fhir/import", content=_bundle(3 * MB), headers={**headers, "Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.json() == {"detail": "request body larger than 2000000 bytes"}

    def chunks() -> Iterator[bytes]:  # no Content-Length: cut while it streams in
        for _ in range(30):
            yield b" " * 100_000

    streamed = c.post(
        "/fhir/import", content=chunks(), headers={**headers, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert streamed.json() == {"detail": "request body larger than 2000000 bytes"}


def test_a_spooled_upload_goes_to_disk_not_memory() -> None:
    messages = [{"type": "http.request", "body": b"x" * 100_000, "more_body": True} for _ in range(29)]
    messages.append({"type": "http.request", "body": b"x" * 100_000, "more_body": False})

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    body = asyncio.run(uploads.spool(receive, 5 * MB))
    assert body is not None
    try:
        assert body.size == 3 * MB
        assert body.on_disk  # past IN_MEMORY bytes the temporary file is on disk
        with pytest.raises(uploads.TooLarge):
            more = [{"type": "http.request", "body": b"x" * 100_000, "more_body": True}] * 30

            async def again() -> dict[str, object]:
                return more.pop(0)

            asyncio.run(uploads.spool(again, 2 * MB))
    finally:
        body.close()


def test_a_signed_in_web_session_may_upload_a_dossier_with_large_lab_files(registry: Registry) -> None:
    add_users(registry)
    code = flow_to_screened(registry)
    c = signed_in_client(registry, "staff")
    page = c.get(f"/web/subjects/{code}")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    padded = json.dumps(eligible_b()).encode() + b" " * (2 * MB)  # a dossier file of 2 MB
    response = c.post(
        f"/web/subjects/{code}/upload",
        data={"csrf": token.group(1), "reason": "new laboratory results"},
        files={"dossier": ("d.json", padded, "application/json")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:300]
    with registry.state.sessions() as session:
        assert len(services.list_dossiers(session, actor=services.SYSTEM, code=code)) == 2
    anonymous = registry.client().post(
        f"/web/subjects/{code}/upload", files={"dossier": ("d.json", b" " * (2 * MB), "application/json")}
    )
    assert anonymous.status_code == 413
