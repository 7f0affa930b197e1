"""Browser tests: the app served by uvicorn on 127.0.0.1 (a temporary SQLite registry), driven by
Playwright through Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from webhelpers import Server

from ismart.api.app import create_app
from ismart.api.deps import AppState
from ismart.registry import services
from ismart.registry.access import Role
from ismart.registry.bootstrap import open_registry
from ismart.registry.settings import Settings

CHROMIUM = os.environ.get("ISMART_CHROMIUM", "/usr/bin/chromium")
TODAY = date(2026, 3, 9)  # the shipped examples' work-up day
PASSWORD = "correct horse battery"
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


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web")
    settings = Settings(database_url=f"sqlite:///{folder / 'web.db'}", secret_key="web tests secret key 0123")
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


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("ISMART_REQUIRE_BROWSER"):
            pytest.fail(message)  # CI: the browser suite must run, never skip silently
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()
