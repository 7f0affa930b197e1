"""Shared steps of the browser tests: sign in, check accessibility, take screenshots."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from ismart.api.app import create_app
from ismart.api.deps import AppState
from ismart.registry import services
from ismart.registry.access import Role
from ismart.registry.bootstrap import open_registry
from ismart.registry.settings import Settings

PASSWORD = "correct horse battery"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 820, "height": 1180}
_AXE = Axe()


@dataclass
class Server:
    url: str
    state: AppState


def new_page(browser: Any, viewport: dict[str, int] = DESKTOP) -> Page:
    context = browser.new_context(viewport=viewport)
    page: Page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def external_requests(page: Page, base: str) -> list[str]:
    """Collect every request that leaves the app (there must be none)."""
    seen: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((base, "data:", "about:")) else seen.append(r.url))
    return seen


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def serious_violations(page: Page) -> list[str]:
    results = _AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def check_page(page: Page, name: str) -> None:
    """No serious or critical axe violation; screenshots at desktop and tablet width when asked
    (ISMART_SCREENSHOTS=1 writes docs/screenshots/, which are committed after being looked at)."""
    problems = serious_violations(page)
    assert not problems, f"{name}: {problems}"
    if os.environ.get("ISMART_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        for label, size in (("desktop", DESKTOP), ("tablet", TABLET)):
            page.set_viewport_size(size)
            page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        page.set_viewport_size(DESKTOP)


TODAY = date(2026, 3, 9)  # the shipped examples' work-up day
SITE, OTHER_SITE = "DK-COP", "SE-STO"
USERS = {
    "staff": (Role.site_staff, SITE),
    "investigator": (Role.site_investigator, SITE),
    "other_staff": (Role.site_staff, OTHER_SITE),
    "board": (Role.tumour_board, None),
    "office": (Role.trial_office, None),
    "monitor": (Role.monitor, None),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(tmp_path_factory: pytest.TempPathFactory, **settings_kw: object) -> Iterator[Server]:
    """A served app over a fresh SQLite registry with the USERS accounts; settings_kw adds settings."""
    folder = tmp_path_factory.mktemp("web")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'web.db'}",
        secret_key="web tests secret key 0123",
        **settings_kw,  # type: ignore[arg-type]
    )
    state = AppState(settings=settings, sessions=open_registry(settings), today=lambda: TODAY)

    def add(session: object) -> None:
        for name, (role, site) in USERS.items():
            services.create_user(
                session,  # type: ignore[arg-type]
                actor=services.SYSTEM,
                username=name,
                role=role,
                site_code=site,
                password=PASSWORD,
            )

    state.write(add)
    app = create_app(state=state)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", state)
    uv.should_exit = True
    thread.join(timeout=10)
