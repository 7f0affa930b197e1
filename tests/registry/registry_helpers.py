"""Shared helpers of the registry tests (importable; fixtures live in conftest.py)."""

from __future__ import annotations

import json
import re
import shutil
import warnings
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI
from sqlalchemy.orm import Session

from ismart.api.deps import AppState
from ismart.protocol.model import Protocol
from ismart.registry import services
from ismart.registry.access import Role
from ismart.registry.context import CONTEXT_KEY, RegistryContext, shipped

with warnings.catch_warnings():  # starlette prefers httpx2; httpx 0.28 is the pinned client
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

EXAMPLES = Path(__file__).parent.parent.parent / "examples"
TODAY = date(2026, 3, 9)
PASSWORD = "correct horse battery"
SITE = "SE-STO"
OTHER_SITE = "DK-COP"


def eligible_b() -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / "b-nup214-abl1-eligible.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    plain = json.loads(json.dumps(data, default=str))  # as a client would send it
    assert isinstance(plain, dict)
    plain["patient"].pop("id", None)  # filed under whichever subject a test creates (issue 9)
    return plain


@dataclass
class Registry:
    state: AppState
    app: FastAPI

    def client(self) -> TestClient:
        return TestClient(self.app, raise_server_exceptions=False)


def signed_in_client(registry: Registry, username: str) -> TestClient:
    """A client signed in to the web pages as `username` (the sign-in form, without a browser)."""
    client = registry.client()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert csrf is not None
    signed_in = client.post(
        "/", data={"csrf": csrf.group(1), "username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert signed_in.status_code == 303, signed_in.text
    return client


USERS = {
    "staff": (Role.site_staff, SITE),
    "investigator": (Role.site_investigator, SITE),
    "other_staff": (Role.site_staff, OTHER_SITE),
    "other_investigator": (Role.site_investigator, OTHER_SITE),
    "board": (Role.tumour_board, None),
    "office": (Role.trial_office, None),
    "monitor": (Role.monitor, None),
}


def add_users(registry: Registry) -> dict[str, dict[str, str]]:
    """Create one user per role; return bearer headers by user name."""

    def work(session: Session) -> None:
        for name, (role, site) in USERS.items():
            services.create_user(
                session, actor=services.SYSTEM, username=name, role=role, site_code=site, password=PASSWORD
            )

    registry.state.write(work)
    client = registry.client()
    headers = {}
    for name in USERS:
        response = client.post("/token", json={"username": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        headers[name] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return headers


def flow_to_screened(registry: Registry, *, site: str = SITE) -> str:
    """Create a subject with an eligible-for-B dossier and one screening; return its code."""

    def work(session: Session) -> str:
        subject = services.create_subject(session, actor=services.SYSTEM, site_code=site)
        services.add_dossier(
            session, actor=services.SYSTEM, code=subject.code, data=eligible_b(), reason=None, as_of=TODAY
        )
        services.screen_subject(session, actor=services.SYSTEM, code=subject.code, as_of=TODAY)
        return subject.code

    return registry.state.write(work)


def flow_to_reviewed(registry: Registry, *, site: str = SITE) -> str:
    code = flow_to_screened(registry, site=site)
    registry.state.write(
        lambda s: services.add_board_decision(
            s,
            actor=services.SYSTEM,
            code=code,
            subprotocol="B",
            priority=1,
            rationale="NUP214::ABL1",
            members=["A", "B"],
            non_referral_reason=None,
        )
    )
    return code


def amended_protocol(tmp_path: Path, *, version: str, b_status: str) -> Path:
    """A copy of the shipped protocol data with another version and B's recruitment status changed."""
    folder = tmp_path / version
    shutil.copytree(str(resources.files("ismart") / "protocols" / "hem_ismart"), folder)
    master = folder / "master.yaml"
    text = master.read_text(encoding="utf-8")
    assert 'version: "2026.11.1"' in text
    master.write_text(text.replace('version: "2026.11.1"', f'version: "{version}"', 1), encoding="utf-8")
    b_file = folder / "B.yaml"
    b_text = b_file.read_text(encoding="utf-8")
    assert "\nstatus: recruiting\n" in b_text
    b_file.write_text(
        b_text.replace("\nstatus: recruiting\n", f"\nstatus: {b_status}\n", 1), encoding="utf-8"
    )
    return folder


def use_context(state: AppState, context: RegistryContext | None = None) -> None:
    """Re-make the registry's session factory with other protocol data in force (None: shipped),
    as a restart with another ISMART_PROTOCOL_DIR would; the app sees it on its next request."""
    state.sessions.configure(info={**state.sessions.kw["info"], CONTEXT_KEY: context or shipped()})


def use_protocol(state: AppState, protocol: Protocol | None = None) -> None:
    """``use_context`` with the given protocol data and the shipped efficacy designs."""
    use_context(state, None if protocol is None else RegistryContext(protocol, shipped().efficacy))
