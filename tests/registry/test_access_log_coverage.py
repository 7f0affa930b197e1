"""Every read that shows subjects' records is in the access log (issue 11): each GET route of the
API and the pages is classified, so a new route cannot be forgotten, and the conduct, efficacy and
verdict-change reads write one entry naming the subjects shown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conduct_helpers import SITES, Phase1, open_phase1, registered_to_b
from fastapi.routing import APIRoute, iter_route_contexts
from registry_helpers import Registry, add_users, flow_to_screened, signed_in_client
from sqlalchemy import Engine, select

from ismart.registry.access_log import AccessEntry

# routes that show one or more subjects' records: each writes one access-log entry per request
SHOWS_SUBJECTS = {
    "/subjects",
    "/subjects/{code}",
    "/subjects/{code}/dossiers",
    "/subjects/{code}/screenings",
    "/subjects/{code}/board-decisions",
    "/subjects/{code}/registrations",
    "/verdict-changes",
    "/subprotocols/{sp_id}/dose-finding",
    "/subprotocols/{sp_id}/waiting-list",
    "/subjects/{code}/cycles",
    "/subjects/{code}/adverse-events",
    "/adverse-events/overdue",
    "/subjects/{code}/dlt",
    "/subprotocols/{sp_id}/reports/dose-escalation.{fmt}",
    "/subprotocols/{sp_id}/reports/safety-listing.csv",
    "/subjects/{code}/responses",
    "/subjects/{code}/cycle-gates/{cycle}",
    "/subjects/{code}/outcome",
    "/subprotocols/{sub_id}/efficacy",
    "/web/home",
    "/web/subjects/{code}",
    "/web/screenings/{screening_id}",
    "/web/screenings/{screening_id}/report.pdf",
    "/web/board",
    "/web/subjects/{code}/triage",
    "/web/subjects/{code}/calendar",
    "/web/office/changes",
    "/web/subjects/{code}/adverse-events",
    "/web/subjects/{code}/cycles",
    "/web/subjects/{code}/dlt",
    "/web/subprotocols/{sp_id}/dose-finding",
    "/web/subprotocols/{sp_id}/dose-escalation.png",
    "/web/subjects/{code}/responses",
    "/web/subjects/{code}/outcome",
    "/web/efficacy/{sp_id}",
}
# routes that show no subject's records: accounts, sites, reference data, the logs themselves,
# counts (the efficacy downloads, enrolment and flow hold no subject code) and blank forms
SHOWS_NO_SUBJECT = {
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/users",
    "/sites",
    "/audit",
    "/audit/verify",
    "/access-log",
    "/ctcae-terms",
    "/",
    "/web/password",
    "/web/subjects/{code}/form",
    "/web/office/sites",
    "/web/office/users",
    "/web/office/audit",
    "/web/office/audit.csv",
    "/web/office/audit/verify",
    "/web/patterns",
    "/web/ctcae-terms",
    "/web/dose-finding",
    "/web/efficacy",
    "/web/efficacy/{sp_id}/enrolment",
    "/web/efficacy/{sp_id}/flow",
    "/web/efficacy/{sp_id}/{name}",
}


def _get_routes(registry: Registry) -> set[str]:
    found = set()
    for context in iter_route_contexts(registry.app.routes):
        route = context.original_route
        methods = getattr(route, "methods", None) or set()
        if "GET" in methods:
            found.add(context.path if isinstance(route, APIRoute) else getattr(route, "path", ""))
    return found


def test_every_get_route_is_classified_as_showing_subjects_or_not(registry: Registry) -> None:
    routes = _get_routes(registry)
    assert len(routes) > 50  # the walk saw the included routers
    assert routes - SHOWS_SUBJECTS - SHOWS_NO_SUBJECT == set(), "classify the new GET routes"
    assert SHOWS_SUBJECTS.isdisjoint(SHOWS_NO_SUBJECT)
    assert (SHOWS_SUBJECTS | SHOWS_NO_SUBJECT) - routes == set(), "a classified route is gone"


def _entries(registry: Registry) -> list[tuple[str, str, list[str]]]:
    with registry.state.sessions() as db:
        rows = db.scalars(select(AccessEntry).order_by(AccessEntry.id))
        return [(e.actor, e.action, json.loads(e.subjects)) for e in rows]


@pytest.fixture
def phase1(engine: Engine, tmp_path: Path) -> Iterator[Phase1]:
    yield from open_phase1(engine, tmp_path)


def _serious_event(phase1: Phase1, code: str) -> None:
    body: dict[str, Any] = {
        "term": "Febrile neutropenia",
        "grade": 3,
        "onset": "2026-03-09",
        "cycle": 1,
        "attribution": dict.fromkeys(
            ["dasatinib", "venetoclax", "dexamethasone", "cyclophosphamide", "cytarabine"], "possible"
        ),
        "serious": True,
        "seriousness": ["hospitalisation"],
        "aware_at": "2026-03-09T08:00:00+00:00",
    }
    reply = phase1.registry.client().post(
        f"/subjects/{code}/adverse-events", json=body, headers=phase1.headers["inv_AT-VIE"]
    )
    assert reply.status_code == 201, reply.text


def test_the_api_conduct_reports_name_the_patients_they_show(phase1: Phase1) -> None:
    code = registered_to_b(phase1)
    _serious_event(phase1, code)
    client, office = phase1.registry.client(), phase1.headers["office"]
    before = len(_entries(phase1.registry))
    for path in (
        "/subprotocols/B/reports/safety-listing.csv",
        "/subprotocols/B/dose-finding",
        "/subprotocols/B/efficacy",
        "/subprotocols/B/reports/dose-escalation.png",
    ):
        assert client.get(path, headers=office).status_code == 200, path
    listing, dose_finding, efficacy, chart = _entries(phase1.registry)[before:]
    assert listing == ("office", "GET /subprotocols/{sp_id}/reports/safety-listing.csv", [code])
    assert dose_finding == ("office", "GET /subprotocols/{sp_id}/dose-finding", [code])
    assert efficacy[:2] == ("office", "GET /subprotocols/{sub_id}/efficacy")
    assert chart == ("office", "GET /subprotocols/{sp_id}/reports/dose-escalation.{fmt}", [code])


def test_a_site_reader_of_dose_finding_is_logged_with_only_the_codes_it_sees(phase1: Phase1) -> None:
    own, other = registered_to_b(phase1), registered_to_b(phase1, SITES[1])
    before = len(_entries(phase1.registry))
    shown = phase1.registry.client().get("/subprotocols/B/dose-finding", headers=phase1.headers["inv_AT-VIE"])
    assert shown.status_code == 200
    assert other not in shown.text  # the other site's patient is masked
    assert _entries(phase1.registry)[before:] == [
        ("inv_AT-VIE", "GET /subprotocols/{sp_id}/dose-finding", [own])
    ]


def test_the_verdict_change_list_names_its_subjects(registry: Registry) -> None:
    headers = add_users(registry)
    flow_to_screened(registry)
    assert registry.client().get("/verdict-changes", headers=headers["office"]).status_code == 200
    assert _entries(registry)[-1] == ("office", "GET /verdict-changes", [])


def test_the_conduct_and_response_pages_name_the_subject_they_show(phase1: Phase1) -> None:
    code = registered_to_b(phase1)
    client = signed_in_client(phase1.registry, "inv_AT-VIE")
    pages = ("adverse-events", "cycles", "dlt", "responses", "outcome")
    before = len(_entries(phase1.registry))
    for page in pages:
        reply = client.get(f"/web/subjects/{code}/{page}")
        assert reply.status_code == 200, (page, reply.text[:300])
    assert _entries(phase1.registry)[before:] == [
        ("inv_AT-VIE", f"GET /web/subjects/{{code}}/{page}", [code]) for page in pages
    ]


def test_another_sites_conduct_page_is_not_found_and_not_logged(phase1: Phase1) -> None:
    code = registered_to_b(phase1)
    client = signed_in_client(phase1.registry, "inv_DK-COP")
    before = len(_entries(phase1.registry))
    assert client.get(f"/web/subjects/{code}/adverse-events").status_code == 404
    assert _entries(phase1.registry)[before:] == []


def test_the_site_dashboard_names_only_the_subjects_of_the_page_shown(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ismart.registry import services
    from ismart.web import app as web_app

    add_users(registry)
    codes = registry.state.write(
        lambda db: [
            services.create_subject(db, actor=services.SYSTEM, site_code="SE-STO").code for _ in range(5)
        ]
    )
    monkeypatch.setattr(web_app, "PAGE_SIZE", 2)
    client = signed_in_client(registry, "staff")
    before = len(_entries(registry))
    for page in (1, 3):
        assert client.get("/web/home", params={"page": page}).status_code == 200
    assert _entries(registry)[before:] == [
        ("staff", "GET /web/home", codes[:2]),
        ("staff", "GET /web/home", codes[4:]),
    ]
