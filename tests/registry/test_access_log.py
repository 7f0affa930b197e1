"""The access log (issue 11): one entry per read of patient records, a list is one entry, kept
apart from the audit chain, append-only, listed for the trial office and monitors only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from registry_helpers import Registry, add_users, flow_to_screened, signed_in_client
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from ismart.registry import access_log
from ismart.registry.access_log import AccessEntry
from ismart.registry.models import AuditEntry


def _entries(registry: Registry) -> list[AccessEntry]:
    with registry.state.sessions() as db:
        return list(db.scalars(select(AccessEntry).order_by(AccessEntry.id)))


def _audit_rows(registry: Registry) -> int:
    with registry.state.sessions() as db:
        return len(list(db.scalars(select(AuditEntry.id))))


def test_a_read_of_one_subject_is_one_entry_naming_reader_and_subject(registry: Registry) -> None:
    headers = add_users(registry)
    code = flow_to_screened(registry)
    before = _audit_rows(registry)
    client = registry.client()
    for path in ("", "/dossiers", "/screenings", "/board-decisions", "/registrations"):
        assert client.get(f"/subjects/{code}{path}", headers=headers["staff"]).status_code == 200
    entries = _entries(registry)
    assert [(e.actor, e.role, e.action, json.loads(e.subjects), e.count) for e in entries] == [
        ("staff", "site_staff", f"GET /subjects/{{code}}{path}", [code], 1)
        for path in ("", "/dossiers", "/screenings", "/board-decisions", "/registrations")
    ]
    assert _audit_rows(registry) == before  # reads stay out of the clinical audit chain


def test_a_list_is_one_entry_with_every_subject_shown(registry: Registry) -> None:
    headers = add_users(registry)
    first, second = flow_to_screened(registry), flow_to_screened(registry)
    other = flow_to_screened(registry, site="DK-COP")
    client = registry.client()
    assert client.get("/subjects", headers=headers["staff"]).status_code == 200
    assert client.get("/subjects", headers=headers["office"]).status_code == 200
    staff, office = _entries(registry)
    assert (staff.actor, json.loads(staff.subjects), staff.count) == ("staff", [first, second], 2)
    assert (office.actor, sorted(json.loads(office.subjects))) == ("office", sorted([first, second, other]))


def test_a_refused_read_is_not_logged_as_seen(registry: Registry) -> None:
    headers = add_users(registry)
    code = flow_to_screened(registry)
    response = registry.client().get(f"/subjects/{code}", headers=headers["other_staff"])
    assert response.status_code == 404
    assert _entries(registry) == []


def test_trial_office_and_monitors_list_the_log_by_subject_and_reader(registry: Registry) -> None:
    headers = add_users(registry)
    code, other = flow_to_screened(registry), flow_to_screened(registry)
    client = registry.client()
    client.get(f"/subjects/{code}", headers=headers["staff"])
    client.get(f"/subjects/{other}/dossiers", headers=headers["investigator"])
    client.get(f"/subjects/{code}/screenings", headers=headers["investigator"])
    response = client.get("/access-log", params={"subject": code}, headers=headers["monitor"])
    assert response.status_code == 200
    assert [(e["actor"], e["action"], e["subjects"]) for e in response.json()] == [
        ("staff", "GET /subjects/{code}", [code]),
        ("investigator", "GET /subjects/{code}/screenings", [code]),
    ]
    by_user = client.get("/access-log", params={"user": "investigator"}, headers=headers["office"]).json()
    assert [e["subjects"] for e in by_user] == [[other], [code]]
    refused = client.get("/access-log", headers=headers["staff"])
    assert refused.status_code == 403
    assert refused.json()["detail"] == "role site_staff may not do this"


def test_the_access_log_is_append_only(registry: Registry) -> None:
    headers = add_users(registry)
    code = flow_to_screened(registry)
    registry.client().get(f"/subjects/{code}", headers=headers["staff"])
    for statement in ("UPDATE access_log SET actor = 'nobody'", "DELETE FROM access_log"):
        with (
            pytest.raises(DBAPIError, match="access_log is append-only"),
            registry.state.sessions.begin() as db,
        ):
            db.execute(text(statement))
    assert [e.actor for e in _entries(registry)] == ["staff"]


def test_web_pages_log_the_subjects_they_show(registry: Registry) -> None:
    add_users(registry)
    code = flow_to_screened(registry)
    client = signed_in_client(registry, "staff")
    assert client.get("/web/home").status_code == 200
    assert client.get(f"/web/subjects/{code}").status_code == 200
    entries = _entries(registry)
    assert [(e.actor, e.action, json.loads(e.subjects)) for e in entries] == [
        ("staff", "GET /web/home", [code]),
        ("staff", "GET /web/subjects/{code}", [code]),
    ]


def test_listing_needs_the_trial_office_or_a_monitor(registry: Registry) -> None:
    from ismart.registry.access import Principal, Role
    from ismart.registry.errors import Forbidden

    with registry.state.sessions() as db, pytest.raises(Forbidden):
        access_log.list_entries(db, actor=Principal("s", Role.site_staff, "SE-STO"))


def test_the_cli_lists_the_log_for_the_trial_office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from ismart.cli import app
    from ismart.registry.access import Principal, Role
    from ismart.registry.bootstrap import open_registry
    from ismart.registry.settings import load_settings

    monkeypatch.setenv("ISMART_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ISMART_SECRET_KEY", "cli-test-secret-0123456789")
    sessions = open_registry(load_settings())
    reader = Principal("ann", Role.site_staff, "SE-STO")
    with sessions.begin() as db:
        access_log.record(db, actor=reader, action="GET /subjects/{code}", subjects=["SE-STO-0001"])
        access_log.record(db, actor=reader, action="GET /subjects", subjects=["SE-STO-0001", "SE-STO-0002"])
    listed = CliRunner().invoke(app, ["access-log", "list", "--csv", "--subject", "SE-STO-0002"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert lines[0] == "id,at,actor,role,action,subjects"
    assert [line.split(",")[2:] for line in lines[1:]] == [
        ["ann", "site_staff", "GET /subjects", "SE-STO-0001 SE-STO-0002"]
    ]


def test_conduct_lists_of_subjects_are_logged(registry: Registry) -> None:
    headers = add_users(registry)
    client = registry.client()
    assert client.get("/adverse-events/overdue", headers=headers["office"]).status_code == 200
    assert client.get("/subprotocols/B/waiting-list", headers=headers["office"]).status_code == 200
    assert [(e.action, e.count) for e in _entries(registry)] == [
        ("GET /adverse-events/overdue", 0),
        ("GET /subprotocols/{sp_id}/waiting-list", 0),
    ]
