"""Bodies too large or JSON the registry cannot store are refused at the door: 413/422 before
authentication and before the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from registry_helpers import Registry, add_users, eligible_b, flow_to_screened
from sqlalchemy import func, select

from ismart.registry.models import AuditEntry, DossierVersion


def _audit_rows(registry: Registry) -> int:
    with registry.state.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_an_oversized_body_is_refused_before_authentication(registry: Registry) -> None:
    c = registry.client()
    before = _audit_rows(registry)
    big = b'{"username": "' + b"x" * 1_100_000 + b'", "password": "p"}'
    for path in ("/token", "/subjects", "/screen"):
        response = c.post(path, content=big, headers={"content-type": "application/json"})
        assert response.status_code == 413, (path, response.status_code)
        assert response.json() == {"detail": "request body larger than 1000000 bytes"}
    assert _audit_rows(registry) == before  # no failed sign-in recorded: never reached


def test_a_streamed_body_without_length_is_cut_at_the_limit(registry: Registry) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * 100_000

    response = registry.client().post(
        "/token", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"username": "\\ud800", "password": "p"}', "username: text holds a lone surrogate"),
        ('{"username": "a", "password": NaN}', "NaN is not a number JSON allows"),
        ('{"username": "a", "password": -Infinity}', "-Infinity is not a number JSON allows"),
        ('{"username": "a", "password": 1e400}', "out of range"),
        ('{"username": "a", "password": 123456789012345678901234567890}', "out of range"),
    ],
)
def test_malformed_json_is_422_before_authentication(registry: Registry, raw: str, reason: str) -> None:
    before = _audit_rows(registry)
    response = registry.client().post("/subjects", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422 and reason in response.json()["detail"]
    response = registry.client().post("/token", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422 and reason in response.json()["detail"]
    assert _audit_rows(registry) == before


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("c1d1", "9999-12-31", "date 9999-12-31 is outside 1900-2100"),
        ("lab_value", float("nan"), "NaN"),
        ("lab_value", float("inf"), "Infinity"),
    ],
)
def test_stored_dossiers_refuse_unstorable_values(
    registry: Registry, field: str, value: object, reason: str
) -> None:
    import json

    h = add_users(registry)
    code = flow_to_screened(registry)
    data = eligible_b()
    data["planned_c1d1" if field == "c1d1" else "weight_kg"] = value
    raw = json.dumps({"data": data, "reason": "update"})
    response = registry.client().post(
        f"/subjects/{code}/dossiers", content=raw, headers={**h["staff"], "content-type": "application/json"}
    )
    assert response.status_code == 422 and reason in response.json()["detail"], response.text
    with registry.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DossierVersion)) == 1


def test_a_duplicate_key_in_a_screening_body_is_refused_naming_it(registry: Registry) -> None:
    """Issue 9: the API refuses a key given twice (json would keep the last one silently)."""
    h = add_users(registry)
    raw = '{"infections": {"hiv": "positive", "hiv": "negative"}}'
    response = registry.client().post(
        "/screen", content=raw, headers={**h["staff"], "content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json() == {
        "detail": "body: duplicate key 'hiv': each key may appear once in a JSON object"
    }
    # the same key in two different objects is not a duplicate
    raw = '{"patient": {"id": "X-1"}, "diagnosis": {"status": "relapsed"}, "consent": {"assent": "obtained"}}'
    ok = registry.client().post(
        "/screen", content=raw, headers={**h["staff"], "content-type": "application/json"}
    )
    assert ok.status_code == 200, ok.text


def test_a_duplicate_key_in_a_dossier_upload_is_refused_and_nothing_is_stored(registry: Registry) -> None:
    import json

    h = add_users(registry)
    code = flow_to_screened(registry)
    body = json.dumps({"data": eligible_b(), "reason": "update"})
    raw = body[:-1] + ', "reason": "second"}'  # the top-level key "reason" twice
    response = registry.client().post(
        f"/subjects/{code}/dossiers", content=raw, headers={**h["staff"], "content-type": "application/json"}
    )
    assert response.status_code == 422 and "duplicate key 'reason'" in response.json()["detail"]
    with registry.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DossierVersion)) == 1
