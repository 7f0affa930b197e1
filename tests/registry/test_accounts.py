"""Accounts: revocation at once, role changes, one-time passwords, password policy, sign-in limits."""

from __future__ import annotations

import time

import pytest
from argon2 import PasswordHasher
from registry_helpers import PASSWORD, SITE, Registry, add_users
from sqlalchemy import select
from typer.testing import CliRunner

from ismart.cli import app
from ismart.registry import accounts, security
from ismart.registry.models import AuditEntry


def _login(registry: Registry, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = registry.client().post("/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _actions(registry: Registry, action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action)
    return registry.state.write(lambda db: list(db.scalars(query)))


def test_a_deactivated_users_existing_token_is_refused_at_once(registry: Registry) -> None:
    h = add_users(registry)
    c = registry.client()
    assert c.get("/subjects", headers=h["staff"]).status_code == 200
    off = c.post("/users/staff/deactivate", json={"reason": "left the site"}, headers=h["office"])
    assert off.status_code == 200 and off.json()["active"] is False
    refused = c.get("/subjects", headers=h["staff"])
    assert refused.status_code == 401 and refused.json() == {"detail": "invalid or expired token"}
    signin = c.post("/token", json={"username": "staff", "password": PASSWORD})
    assert signin.status_code == 401 and signin.json() == {"detail": accounts.REFUSED}
    on = c.post("/users/staff/reactivate", json={"reason": "back"}, headers=h["office"])
    assert on.status_code == 200 and on.json()["active"] is True
    assert c.get("/subjects", headers=h["staff"]).status_code == 401  # the old token stays dead
    assert c.get("/subjects", headers=_login(registry, "staff")).status_code == 200
    assert [e.entity_id for e in _actions(registry, "user.deactivate")] == ["staff"]
    assert [e.reason for e in _actions(registry, "user.reactivate")] == ["back"]


def test_a_role_change_takes_effect_at_once(registry: Registry) -> None:
    h = add_users(registry)
    c = registry.client()
    assert c.post("/subjects", json={"site_code": SITE}, headers=h["staff"]).status_code == 201
    body = {"role": "monitor", "reason": "now monitors the trial"}
    changed = c.put("/users/staff/role", json=body, headers=h["office"])
    assert changed.status_code == 200 and changed.json()["role"] == "monitor"
    assert changed.json()["site_code"] is None
    assert c.post("/subjects", json={"site_code": SITE}, headers=h["staff"]).status_code == 401
    as_monitor = _login(registry, "staff")
    assert c.post("/subjects", json={"site_code": SITE}, headers=as_monitor).status_code == 403
    entry = _actions(registry, "user.role")[0]
    assert '"role": "site_staff"' in (entry.before or "") and '"role": "monitor"' in (entry.after or "")
    bad = c.put("/users/staff/role", json={"role": "site_staff", "reason": "x"}, headers=h["office"])
    assert bad.status_code == 422 and "site" in bad.json()["detail"]


def test_only_the_trial_office_manages_accounts(registry: Registry) -> None:
    h = add_users(registry)
    c = registry.client()
    calls = [
        ("GET", "/users", None),
        ("POST", "/users/monitor/deactivate", {"reason": "r"}),
        ("POST", "/users/monitor/reactivate", {"reason": "r"}),
        ("PUT", "/users/monitor/role", {"role": "tumour_board", "reason": "r"}),
        ("POST", "/users/monitor/password-reset", {"reason": "r"}),
        ("POST", "/login-lockouts/lift", {"username": "monitor", "reason": "r"}),
    ]
    for name in ("staff", "investigator", "board", "monitor"):
        for method, path, body in calls:
            assert c.request(method, path, json=body, headers=h[name]).status_code == 403, (name, path)
    listed = c.get("/users", headers=h["office"])
    assert listed.status_code == 200 and {u["username"] for u in listed.json()} >= {"staff", "office"}
    assert c.post("/users/nobody/deactivate", json={"reason": "r"}, headers=h["office"]).status_code == 404


def test_a_reset_gives_a_one_time_password_that_must_be_changed(registry: Registry) -> None:
    h = add_users(registry)
    c = registry.client()
    reset = c.post("/users/staff/password-reset", json={"reason": "forgot it"}, headers=h["office"])
    assert reset.status_code == 200
    one_time = reset.json()["one_time_password"]
    assert c.get("/subjects", headers=h["staff"]).status_code == 401  # old tokens revoked
    assert c.post("/token", json={"username": "staff", "password": PASSWORD}).status_code == 401
    signin = c.post("/token", json={"username": "staff", "password": one_time})
    assert signin.status_code == 200 and signin.json()["must_change_password"] is True
    limited = {"Authorization": f"Bearer {signin.json()['access_token']}"}
    blocked = c.get("/subjects", headers=limited)
    assert blocked.status_code == 403 and "password change required" in blocked.json()["detail"]
    weak = c.post(
        "/users/me/password", json={"current_password": one_time, "new_password": "short"}, headers=limited
    )
    assert weak.status_code == 422 and "at least 12 characters" in weak.json()["detail"]
    new = "a brand new pass phrase"
    changed = c.post(
        "/users/me/password", json={"current_password": one_time, "new_password": new}, headers=limited
    )
    assert changed.status_code == 200 and changed.json()["must_change_password"] is False
    assert c.get("/subjects", headers=limited).status_code == 401  # the one-time token is spent
    assert c.post("/token", json={"username": "staff", "password": one_time}).status_code == 401
    assert c.get("/subjects", headers=_login(registry, "staff", new)).status_code == 200
    assert one_time not in str([(e.before, e.after) for e in _actions(registry, "user.password_reset")])


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "at least 12 characters"),
        ("x", "at least 12 characters"),
        ("elevenchars", "at least 12 characters"),
        ("password1234", "too common"),
        ("Qwertyuiop!!", "too common"),
        ("abcabcabcabc", "too common"),
        ("!!football2024!!", "too common"),
    ],
)
def test_weak_passwords_are_refused(registry: Registry, password: str, reason: str) -> None:
    h = add_users(registry)
    body = {"username": "newbie", "password": password, "role": "monitor"}
    response = registry.client().post("/users", json=body, headers=h["office"])
    assert response.status_code == 422, response.text
    assert reason in response.json()["detail"] and response.json()["detail"].startswith("password")


def test_lockout_after_repeated_failures_and_the_office_lifts_it(registry: Registry) -> None:
    h = add_users(registry)
    c = registry.client()
    limit = registry.state.settings.login_max_failures
    for _ in range(limit):
        wrong = c.post("/token", json={"username": "staff", "password": "not the password"})
        assert wrong.status_code == 401 and wrong.json() == {"detail": accounts.REFUSED}
    locked = c.post("/token", json={"username": "staff", "password": PASSWORD})
    assert locked.status_code == 401 and locked.json() == {"detail": accounts.REFUSED}  # one message
    for _ in range(limit):  # an unknown name is counted (and locked) alike
        c.post("/token", json={"username": "ghost", "password": "whatever it is"})
    failures = _actions(registry, "login.failed")
    assert len(failures) == 2 * limit + 1
    assert {e.entity_id for e in failures} == {"staff", "ghost"}
    lift = c.post("/login-lockouts/lift", json={"username": "staff", "reason": "called"}, headers=h["office"])
    assert lift.status_code == 200 and lift.json() == {"cleared": 1}
    assert c.post("/token", json={"username": "staff", "password": PASSWORD}).status_code == 200
    assert len(_actions(registry, "login.lockout_lift")) == 1


def test_lockout_per_address_across_usernames(registry: Registry) -> None:
    add_users(registry)
    registry.state.settings = registry.state.settings.model_copy(update={"login_max_failures_per_address": 3})
    c = registry.client()
    for name in ("a1", "a2", "a3"):
        assert c.post("/token", json={"username": name, "password": "guess guess"}).status_code == 401
    assert c.post("/token", json={"username": "monitor", "password": PASSWORD}).status_code == 401


def test_unknown_and_known_users_take_the_same_time(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(security, "_HASHER", PasswordHasher(time_cost=2, memory_cost=32768, parallelism=1))
    add_users(registry)  # hashed with the slower parameters, as in production
    registry.state.settings = registry.state.settings.model_copy(update={"login_max_failures": 1000})
    c = registry.client()
    c.post("/token", json={"username": "monitor", "password": "warm the dummy hash up"})

    def timed(username: str) -> float:
        samples = []
        for _ in range(9):
            start = time.perf_counter()
            answer = c.post("/token", json={"username": username, "password": "wrong password!"})
            assert answer.status_code == 401
            samples.append(time.perf_counter() - start)
        return min(samples)  # the least disturbed by other load on the machine

    known, unknown = timed("board"), timed("nobody-at-all")
    assert 1 / 3 < unknown / known < 3, (known, unknown)


def test_cli_manages_accounts(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISMART_DATABASE_URL", str(registry.state.settings.database_url))
    if registry.state.settings.database_url.startswith("postgresql"):
        pytest.skip("the CLI opens its own engine; covered on SQLite")
    add_users(registry)
    runner = CliRunner()
    short = runner.invoke(app, ["user", "add", "zed", "monitor", "--password", "short"])
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    listed = runner.invoke(app, ["user", "list"])
    assert listed.exit_code == 0 and "investigator" in listed.output
    off = runner.invoke(app, ["user", "deactivate", "staff", "--reason", "left"])
    assert off.exit_code == 0 and "deactivated staff" in off.output
    signin = registry.client().post("/token", json={"username": "staff", "password": PASSWORD})
    assert signin.status_code == 401
    assert runner.invoke(app, ["user", "reactivate", "staff", "--reason", "back"]).exit_code == 0
    role = runner.invoke(app, ["user", "role", "staff", "site_investigator", "--site", SITE, "--reason", "r"])
    assert role.exit_code == 0 and "site_investigator at SE-STO" in role.output
    reset = runner.invoke(app, ["user", "reset-password", "staff", "--reason", "forgot"])
    assert reset.exit_code == 0 and "one-time password for staff: " in reset.output
    missing = runner.invoke(app, ["user", "deactivate", "nobody", "--reason", "r"])
    assert missing.exit_code == 2 and "nobody" in missing.output
    unlock = runner.invoke(app, ["user", "unlock", "--username", "staff", "--reason", "r"])
    assert unlock.exit_code == 0 and "cleared" in unlock.output
