"""The trial office reviews verdict changes in the browser (issue 13): new protocol data re-runs
stored screenings, the changed verdicts wait on the verdict-changes page, the site sees that a
review is pending, and the office marks each reviewed with a note."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import expect
from sqlalchemy.orm import Session
from webhelpers import EXAMPLES, Server, check_page, new_page, sign_in

from ismart.protocol.loader import load_from
from ismart.registry import services
from ismart.registry.context import CONTEXT_KEY, RegistryContext

TODAY = date(2026, 3, 9)


@pytest.fixture
def suspend_b(server: Server, tmp_path: Path) -> Iterator[Callable[[], None]]:
    """Puts protocol data in force in which B no longer recruits (as a restart of the app with an
    amended protocol folder would: the registry's context changes); the shipped data afterwards."""
    folder = tmp_path / "amended"
    shutil.copytree(str(resources.files("ismart") / "protocols" / "hem_ismart"), folder)
    master, b_file = folder / "master.yaml", folder / "B.yaml"
    text, b_text = master.read_text("utf-8"), b_file.read_text("utf-8")
    assert 'version: "2026.11.1"' in text and "\nstatus: recruiting\n" in b_text
    master.write_text(text.replace('version: "2026.11.1"', 'version: "2027.1.0"', 1), "utf-8")
    b_file.write_text(b_text.replace("\nstatus: recruiting\n", "\nstatus: suspended\n", 1), "utf-8")
    info = server.state.sessions.kw["info"]
    before = info[CONTEXT_KEY]

    def amend() -> None:
        info[CONTEXT_KEY] = RegistryContext(load_from(folder), before.efficacy)

    try:
        yield amend
    finally:
        info[CONTEXT_KEY] = before


def test_a_changed_verdict_waits_for_the_office_and_is_reviewed(
    server: Server, browser: Any, suspend_b: Callable[[], None]
) -> None:
    text = (EXAMPLES / "b-nup214-abl1-eligible.yaml").read_text("utf-8")
    data = json.loads(json.dumps(yaml.safe_load(text), default=str))
    data["patient"].pop("id", None)

    def screened(db: Session) -> str:
        subject = services.create_subject(db, actor=services.SYSTEM, site_code="SE-STO")
        services.add_dossier(
            db, actor=services.SYSTEM, code=subject.code, data=data, reason=None, as_of=TODAY
        )
        row = services.screen_subject(db, actor=services.SYSTEM, code=subject.code, as_of=TODAY)
        assert services.stored_verdicts(row)["B"] == "ELIGIBLE"
        return subject.code

    code = server.state.write(screened)
    suspend_b()
    server.state.write(lambda db: services.rescreen_outdated(db, actor=services.SYSTEM))

    office = new_page(browser)
    sign_in(office, server.url, "office")
    office.get_by_role("link", name="Verdict changes", exact=True).click()
    change = office.locator("tbody tr", has_text=code).filter(has_text="2026.11.1 → 2027.1.0")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("ELIGIBLE")
    expect(change).to_contain_text("pending")
    check_page(office, "verdict-changes")

    site = new_page(browser)
    sign_in(site, server.url, "other_staff")
    expect(site.locator("#subjects tr", has_text=code)).to_contain_text(
        "verdict change awaiting trial-office review"
    )

    change.get_by_label("Review note for change", exact=False).fill("B suspended by the sponsor; site told")
    change.get_by_role("button", name="Mark reviewed").click()
    expect(office.get_by_role("status")).to_contain_text("reviewed.")
    reviewed = office.locator("tbody tr", has_text=code).filter(has_text="2026.11.1 → 2027.1.0")
    expect(reviewed).to_contain_text("office: B suspended by the sponsor; site told")
    assert reviewed.get_by_role("button", name="Mark reviewed").count() == 0
    site.reload()
    expect(site.locator("#subjects tr", has_text=code)).not_to_contain_text("awaiting trial-office review")
