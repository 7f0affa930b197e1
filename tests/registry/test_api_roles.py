"""Every role against every endpoint: allowed or refused, with the exact status code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry_helpers import SITE, Registry, add_users, eligible_b, flow_to_reviewed, flow_to_screened

ROLES = ["staff", "investigator", "other_staff", "other_investigator", "board", "office", "monitor"]
Setup = Callable[[Registry], str]


def _none(_r: Registry) -> str:
    return ""


# (method, path, body, setup, expected status for each role in ROLES order)
CASES: list[tuple[str, str, Any, Setup, list[int]]] = [
    ("GET", "/sites", None, _none, [200, 200, 200, 200, 200, 200, 200]),
    (
        "PUT",
        f"/sites/{SITE}/status",
        {"subprotocol": "B", "status": "recruiting", "reason": "r"},
        _none,
        [403, 403, 403, 403, 403, 200, 403],
    ),
    ("GET", "/subjects", None, _none, [200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/subjects", {"site_code": SITE}, _none, [201, 201, 404, 404, 403, 201, 403]),
    ("GET", "/subjects/{code}", None, flow_to_screened, [200, 200, 404, 404, 200, 200, 200]),
    ("GET", "/subjects/{code}/dossiers", None, flow_to_screened, [200, 200, 404, 404, 200, 200, 200]),
    (
        "POST",
        "/subjects/{code}/dossiers",
        {"data": eligible_b(), "reason": "update"},
        flow_to_screened,
        [201, 201, 404, 404, 403, 201, 403],
    ),
    ("GET", "/subjects/{code}/screenings", None, flow_to_screened, [200, 200, 404, 404, 200, 200, 200]),
    ("POST", "/subjects/{code}/screenings", None, flow_to_screened, [201, 201, 404, 404, 403, 201, 403]),
    ("GET", "/subjects/{code}/board-decisions", None, flow_to_screened, [200, 200, 404, 404, 200, 200, 200]),
    (
        "POST",
        "/subjects/{code}/board-decisions",
        {"subprotocol": "B", "priority": 1, "rationale": "match", "members": ["x"]},
        flow_to_screened,
        [403, 403, 403, 403, 201, 201, 403],
    ),
    (
        "POST",
        "/subjects/{code}/registrations",
        {"subprotocol": "B", "dose_level": 1},
        flow_to_reviewed,
        [403, 201, 403, 404, 403, 201, 403],
    ),
    (
        "POST",
        "/subjects/{code}/transitions",
        {"to": "off_study", "reason": "parents' wish"},
        flow_to_screened,
        [403, 200, 403, 404, 403, 200, 403],
    ),
    (
        "GET",
        "/subjects/{code}/registrations",
        None,
        flow_to_screened,
        [200, 200, 404, 404, 200, 200, 200],
    ),
    ("GET", "/audit", None, _none, [403, 403, 403, 403, 403, 200, 200]),
    ("GET", "/audit/verify", None, _none, [403, 403, 403, 403, 403, 200, 200]),
    ("POST", "/screen", eligible_b(), _none, [200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/screenings/rescreen", None, flow_to_screened, [403, 403, 403, 403, 403, 200, 403]),
    ("GET", "/verdict-changes", None, _none, [200, 200, 200, 200, 200, 200, 200]),
    (
        "POST",
        "/verdict-changes/999/review",
        {"note": "checked"},
        _none,
        [403, 403, 403, 403, 403, 404, 403],
    ),
]


def test_role_matrix(registry: Registry) -> None:
    headers = add_users(registry)
    client = registry.client()
    failures = []
    for method, path, body, setup, expected in CASES:
        for role, status in zip(ROLES, expected, strict=True):
            url = path.format(code=setup(registry))
            response = client.request(method, url, json=body, headers=headers[role])
            if response.status_code != status:
                failures.append(f"{role} {method} {url}: {response.status_code} != {status} {response.text}")
            assert "detail" in response.json() or response.status_code < 400
        anonymous = client.request(method, path.format(code="SE-STO-0001"), json=body)
        if anonymous.status_code != 401:
            failures.append(f"anonymous {method} {path}: {anonymous.status_code}")
    assert not failures, "\n".join(failures)


def test_only_trial_office_adds_users(registry: Registry) -> None:
    headers = add_users(registry)
    client = registry.client()
    body = {"username": "new", "password": "long enough pw", "role": "monitor"}
    for role in ROLES:
        expected = 201 if role == "office" else 403
        assert client.post("/users", json=body, headers=headers[role]).status_code == expected
