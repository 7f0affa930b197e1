"""The life of a subject through the API, and the error contract."""

from __future__ import annotations

from registry_helpers import SITE, Registry, add_users, eligible_b, flow_to_reviewed

from ismart.registry.access import Principal, Role
from ismart.registry.security import issue_token


def test_screen_to_off_study(registry: Registry) -> None:
    h = add_users(registry)
    c = registry.client()
    code = c.post("/subjects", json={"site_code": SITE}, headers=h["staff"]).json()["code"]
    assert code == f"{SITE}-0001"
    first = c.post(f"/subjects/{code}/dossiers", json={"data": eligible_b()}, headers=h["staff"])
    assert first.status_code == 201
    again = c.post(f"/subjects/{code}/dossiers", json={"data": eligible_b()}, headers=h["staff"])
    assert again.status_code == 422 and "reason" in again.json()["detail"]
    screening = c.post(f"/subjects/{code}/screenings", headers=h["staff"]).json()
    verdicts = {s["id"]: s["verdict"] for s in screening["result"]["subprotocols"]}
    assert verdicts["B"] == "ELIGIBLE" and screening["engine_version"]
    early = c.post(
        f"/subjects/{code}/registrations",
        json={"subprotocol": "B", "dose_level": 1},
        headers=h["investigator"],
    )
    assert early.status_code == 409
    board = {"subprotocol": "B", "priority": 1, "rationale": "NUP214::ABL1", "members": ["a", "b"]}
    assert c.post(f"/subjects/{code}/board-decisions", json=board, headers=h["board"]).status_code == 201
    wrong = c.post(
        f"/subjects/{code}/registrations",
        json={"subprotocol": "D", "dose_level": 1},
        headers=h["investigator"],
    )
    assert wrong.status_code == 409 and "tumour board gate" in wrong.json()["detail"]
    reg = c.post(
        f"/subjects/{code}/registrations",
        json={"subprotocol": "B", "dose_level": 1},
        headers=h["investigator"],
    )
    assert reg.status_code == 201 and reg.json()["subject_number"] == "B-001"
    listed = c.get(f"/subjects/{code}/registrations", headers=h["monitor"]).json()
    assert [r["subject_number"] for r in listed] == ["B-001"]
    twice = c.post(
        f"/subjects/{code}/registrations",
        json={"subprotocol": "B", "dose_level": 1},
        headers=h["investigator"],
    )
    assert twice.status_code == 409
    on = {"to": "on_treatment", "reason": "C1D1"}
    assert c.post(f"/subjects/{code}/transitions", json=on, headers=h["investigator"]).json()["state"] == (
        "on_treatment"
    )
    assert c.post(f"/subjects/{code}/transitions", json=on, headers=h["investigator"]).status_code == 409
    off = c.post(
        f"/subjects/{code}/transitions",
        json={"to": "off_study", "reason": "progression"},
        headers=h["investigator"],
    )
    assert off.json()["state"] == "off_study" and off.json()["off_study_reason"] == "progression"
    assert c.get("/audit/verify", headers=h["monitor"]).json()["ok"] is True


def test_site_not_recruiting_refuses_registration(registry: Registry) -> None:
    h = add_users(registry)
    c = registry.client()
    code = flow_to_reviewed(registry)
    body = {"subprotocol": "B", "status": "suspended", "reason": "pharmacy audit"}
    assert c.put(f"/sites/{SITE}/status", json=body, headers=h["office"]).status_code == 200
    refused = c.post(
        f"/subjects/{code}/registrations",
        json={"subprotocol": "B", "dose_level": 1},
        headers=h["investigator"],
    )
    assert refused.status_code == 409 and "suspended" in refused.json()["detail"]


def test_bad_dossier_is_a_one_line_422(registry: Registry) -> None:
    h = add_users(registry)
    data = eligible_b()
    data["patient"]["birth_date"] = "not a date"
    response = registry.client().post("/screen", json=data, headers=h["monitor"])
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and "birth_date" in detail


def test_tokens_expire_and_passwords_are_checked(registry: Registry) -> None:
    add_users(registry)
    c = registry.client()
    assert c.post("/token", json={"username": "staff", "password": "nope"}).status_code == 401
    old = issue_token(
        principal=Principal("staff", Role.site_staff, SITE),
        secret=registry.state.settings.secret_key,
        minutes=-1,
    )
    response = c.get("/sites", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401 and response.json() == {"detail": "invalid or expired token"}


def test_internal_errors_do_not_leak(registry: Registry) -> None:
    h = add_users(registry)

    def boom() -> object:
        raise RuntimeError("secret traceback material")

    registry.state.today = boom  # type: ignore[assignment,method-assign]
    response = registry.client().post("/screen", json=eligible_b(), headers=h["staff"])
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}
