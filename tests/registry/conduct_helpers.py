"""A synthetic phase I protocol folder and a registry on it, for the conduct tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from registry_helpers import PASSWORD, TODAY, Registry, flow_to_reviewed
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ismart.api.app import create_app
from ismart.api.deps import AppState
from ismart.protocol.loader import load_from
from ismart.registry import db, services
from ismart.registry.access import Role
from ismart.registry.context import CONTEXT_KEY, RegistryContext, shipped
from ismart.registry.settings import Settings
from ismart.registry.sponsor_data import from_environment

LEVELS = [-1, 1, 2, 3, 4]
SITES = ["AT-VIE", "DK-COP", "BE-GHE"]


def phase1_folder(tmp_path: Path) -> Path:
    """The shipped protocol data with B given five dose levels, 40 places and every site recruiting.

    Synthetic: HEM-iSMART-B's public levels are -1, 1, 2; the extra levels let a whole rolling-six
    escalation run in a test.
    """
    folder = tmp_path / "phase1"
    shutil.copytree(str(resources.files("ismart") / "protocols" / "hem_ismart"), folder)
    master = folder / "master.yaml"
    master.write_text(
        master.read_text(encoding="utf-8")
        .replace('version: "2026.11.1"', 'version: "2026.11.1-phase1"', 1)
        # synthetic: every subject is screened once, on the first day, and registered over months
        .replace("screening_max_age_days: 7", "screening_max_age_days: 365", 1),
        encoding="utf-8",
    )
    b_file = folder / "B.yaml"
    text = b_file.read_text(encoding="utf-8")
    for old, new in [
        ("capacity: {value: 26, source: registry_B}", "capacity: {value: 40, source: registry_B}"),
        ("  dose_levels: [-1, 1, 2]\n", f"  dose_levels: {LEVELS}\n"),
    ]:
        assert old in text, old
        text = text.replace(old, new, 1)
    text = text.replace("status: not_yet_recruiting", "status: recruiting")
    text = text.replace("{-1: {}, 1: {}, 2: {}}", "{-1: {}, 1: {}, 2: {}, 3: {}, 4: {}}")
    b_file.write_text(text, encoding="utf-8")
    return folder


@dataclass
class Phase1:
    registry: Registry
    headers: dict[str, dict[str, str]]
    clock: list[date]


def open_phase1(engine: Engine, tmp_path: Path) -> Iterator[Phase1]:
    context = RegistryContext(load_from(phase1_folder(tmp_path)), shipped().efficacy)
    clock = [TODAY]
    settings = Settings(database_url=str(engine.url), secret_key="test-secret-key-0123456789abcdef")
    sessions = db.make_sessionmaker(engine=engine, context=context)
    state = AppState(settings=settings, sessions=sessions, today=lambda: clock[0])
    state.write(services.seed)
    registry = Registry(state=state, app=create_app(state=state))
    users = {f"inv_{s}": (Role.site_investigator, s) for s in SITES}
    users |= {f"staff_{s}": (Role.site_staff, s) for s in SITES}
    users |= {"committee": (Role.safety_committee, None), "office": (Role.trial_office, None)}
    users |= {"monitor": (Role.monitor, None)}

    def work(session: Session) -> None:
        for name, (role, site) in users.items():
            services.create_user(
                session,
                actor=services.SYSTEM,
                username=name,
                role=role,
                site_code=site,
                password=PASSWORD,
            )

    state.write(work)
    headers = {}
    client = registry.client()
    for name in users:
        token = client.post("/token", json={"username": name, "password": PASSWORD}).json()["access_token"]
        headers[name] = {"Authorization": f"Bearer {token}"}
    yield Phase1(registry, headers, clock)


def reviewed(phase1: Phase1, site: str) -> str:
    return flow_to_reviewed(phase1.registry, site=site)


def registered_to_b(phase1: Phase1, site: str = SITES[0]) -> str:
    """A reviewed subject of `site`, registered to B's dose finding by the site's investigator."""
    code = reviewed(phase1, site)
    reply = phase1.registry.client().post(
        f"/subjects/{code}/dose-finding-registration",
        json={"subprotocol": "B"},
        headers=phase1.headers[f"inv_{site}"],
    )
    assert reply.status_code == 201, reply.text
    return code


def sponsor_files_in_force(phase1: Phase1) -> None:
    """Read the sponsor files the environment now names into the registry's context, as opening the
    registry again with those variables set would."""
    info = phase1.registry.state.sessions.kw["info"]
    context: RegistryContext = info[CONTEXT_KEY]
    sponsor = from_environment(context.protocol)
    info[CONTEXT_KEY] = RegistryContext(context.protocol, context.efficacy, sponsor)
