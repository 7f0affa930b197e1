"""Accounts in the browser (issue 13): the trial office adds, re-roles, resets and deactivates a
user on the users page, and each change ends that user's open session at their next click; idle
sessions end after ISMART_WEB_IDLE_MINUTES with the expired-session message."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from webhelpers import Server, new_page, sign_in

from ismart.registry.access import Principal, Role
from ismart.web import session as ws


def _manage(office: Page, username: str, action: str, reason: str, role: str | None = None) -> None:
    office.goto(office.url.split("/web/")[0] + "/web/office/users")
    row = office.locator("tr", has=office.get_by_text(username, exact=True))
    row.get_by_label(f"Action for {username}").select_option(action)
    if role:
        row.get_by_label("New role").select_option(role)
    row.get_by_label("Reason").fill(reason)
    row.get_by_role("button", name="Apply").click()


def _signed_out_at_next_click(page: Page) -> None:
    page.get_by_role("link", name="My password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_have_text(ws.EXPIRED)


def test_the_office_manages_a_user_and_each_change_ends_their_session(server: Server, browser: Any) -> None:
    office = new_page(browser)
    sign_in(office, server.url, "office")
    office.get_by_role("link", name="Users").click()
    office.get_by_label("New username").fill("rotating")
    office.get_by_label("Role", exact=True).select_option("site_staff")
    office.get_by_label("Site (site roles only)").select_option("DK-COP")
    office.get_by_label("Initial password").fill("rotating nurse password")
    office.get_by_role("button", name="Add user").click()
    expect(office.get_by_role("status")).to_have_text("User rotating added.")

    nurse = new_page(browser)
    sign_in(nurse, server.url, "rotating", "rotating nurse password")
    expect(nurse.get_by_role("heading", level=1)).to_have_text("DK-COP · Rigshospitalet Copenhagen")
    _manage(office, "rotating", "role", "now the site's investigator", role="site_investigator")
    expect(office.get_by_role("status")).to_have_text("User rotating is now site_investigator.")
    expect(office.locator("tr", has=office.get_by_text("rotating", exact=True))).to_contain_text(
        "site investigator"
    )
    _signed_out_at_next_click(nurse)  # a role change revokes the open session

    sign_in(nurse, server.url, "rotating", "rotating nurse password")
    expect(nurse.locator("header")).to_contain_text("site investigator")
    _manage(office, "rotating", "reset", "forgot it")
    notice = office.get_by_role("status").inner_text()
    match = re.search(r"One-time password for rotating: (\S+) \(give it to them in person", notice)
    assert match, notice
    _signed_out_at_next_click(nurse)  # so does a password reset
    sign_in(nurse, server.url, "rotating", match.group(1))
    expect(nurse.get_by_role("heading", level=1)).to_have_text("Change my password")
    for path in ("/web/home", "/web/subjects/DK-COP-0001"):  # a one-time password opens nothing else
        nurse.goto(server.url + path)
        expect(nurse.get_by_role("heading", level=1)).to_have_text("Change my password")
        expect(nurse.get_by_role("status")).to_have_text(ws.PasswordChangeRequired.message)

    _manage(office, "rotating", "deactivate", "left the hospital")
    expect(office.get_by_role("status")).to_have_text("User rotating deactivated.")
    expect(office.locator("tr", has=office.get_by_text("rotating", exact=True))).to_contain_text("no")
    sign_in(nurse, server.url, "rotating", match.group(1))
    expect(nurse.get_by_role("status")).to_have_text(ws.REFUSED)
    csrf = office.locator("input[name=csrf]").first.get_attribute("value") or ""
    answer = office.request.post(  # the field is required in the page; the server says so too
        server.url + "/web/office/users/rotating", form={"csrf": csrf, "action": "reactivate"}
    )
    assert answer.status == 422 and "Reason: say why the account changes" in answer.text()


def _cookie(server: Server, username: str, role: Role, site: str | None, idle_seconds: float) -> str:
    session = ws.new_session(Principal(username, role, site), 0)
    session = ws.WebSession(session.principal, 0, session.csrf, time.time() - idle_seconds)
    return ws.encode(session, secret=server.state.settings.signing_key())


@pytest.mark.parametrize(
    ("minutes", "idle_seconds", "ended"),
    [(None, 29 * 60, False), (None, 31 * 60, True), ("2", 90, False), ("2", 150, True)],
)
def test_an_idle_session_ends_after_the_configured_minutes(
    server: Server,
    browser: Any,
    monkeypatch: pytest.MonkeyPatch,
    minutes: str | None,
    idle_seconds: float,
    ended: bool,
) -> None:
    if minutes is None:
        monkeypatch.delenv("ISMART_WEB_IDLE_MINUTES", raising=False)  # the default: 30
    else:
        monkeypatch.setenv("ISMART_WEB_IDLE_MINUTES", minutes)
    context = browser.new_context()
    cookie = _cookie(server, "staff", Role.site_staff, "DK-COP", idle_seconds)
    context.add_cookies([{"name": ws.COOKIE, "value": cookie, "url": server.url}])
    page = context.new_page()
    page.goto(server.url + "/web/home")
    if ended:
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(page.get_by_role("status")).to_have_text(ws.EXPIRED)
    else:
        expect(page.get_by_role("heading", level=1)).to_have_text("DK-COP · Rigshospitalet Copenhagen")
    context.close()
