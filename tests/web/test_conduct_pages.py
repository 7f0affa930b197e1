"""Browser tests of the trial-conduct pages (issue 14): adverse-event entry with CTCAE term search and
automatic grading, cycle entry, the investigator's DLT decision, the SAE clock on the site
dashboard, the dose-escalation page with the safety committee's form and chart. Each page: it
renders, a form submission works, axe finds no serious or critical violation, screenshots."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import yaml
from playwright.sync_api import expect
from sqlalchemy import select
from webhelpers import EXAMPLES, Server, check_page, external_requests, new_page, sign_in

from ismart.conduct.sponsor import DoseLevelFile
from ismart.registry import conduct, services
from ismart.registry.access import Principal, Role
from ismart.registry.context import CONTEXT_KEY, in_force
from ismart.registry.models import User
from ismart.registry.sponsor_data import SponsorData

TODAY = date(2026, 3, 9)  # the web fixture's day
SITE = "DK-COP"
INVESTIGATOR = Principal("investigator", Role.site_investigator, SITE)
STAFF = Principal("staff", Role.site_staff, SITE)
B_DRUGS = ["dasatinib", "venetoclax", "dexamethasone", "cyclophosphamide", "cytarabine"]


def _registered(server: Server, example: str, subprotocol: str) -> str:
    """A DK-COP subject screened on the example, referred by the board and registered."""
    data = yaml.safe_load((EXAMPLES / example).read_text(encoding="utf-8"))
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    plain["patient"].pop("id", None)

    def work(db: Any) -> str:
        subject = services.create_subject(db, actor=services.SYSTEM, site_code=SITE)
        services.add_dossier(
            db, actor=services.SYSTEM, code=subject.code, data=plain, reason=None, as_of=TODAY
        )
        services.screen_subject(db, actor=services.SYSTEM, code=subject.code, as_of=TODAY)
        services.add_board_decision(
            db,
            actor=services.SYSTEM,
            code=subject.code,
            subprotocol=subprotocol,
            priority=1,
            rationale="test referral",
            members=["A", "B"],
            non_referral_reason=None,
        )
        conduct.register(db, actor=INVESTIGATOR, code=subject.code, subprotocol=subprotocol, on=TODAY)
        return subject.code

    code: str = server.state.write(work)
    return code


def _cycle1(server: Server, code: str, start: date, drugs: list[str]) -> None:
    body = conduct.CycleInput(
        number=1,
        start_date=start,
        doses=[conduct.DoseGiven(drug=d, given_administrations=1, planned_administrations=1) for d in drugs],
    )
    server.state.write(lambda db: conduct.add_cycle(db, actor=STAFF, code=code, body=body))


def _event(server: Server, code: str, **kw: Any) -> int:
    values: dict[str, Any] = {
        "term": "Alanine aminotransferase increased",
        "lab": {"value": 210, "unit": "U/L", "uln": 40},
        "onset": TODAY - timedelta(days=2),
        "cycle": 1,
        "attribution": dict.fromkeys(B_DRUGS, "possible"),
        **kw,
    }
    body = conduct.AdverseEventInput.model_validate(values)
    row = server.state.write(
        lambda db: conduct.add_adverse_event(db, actor=STAFF, code=code, body=body, today=TODAY)
    )
    return int(row.id)


def test_adverse_event_entry_with_term_search_and_lab_grading(server: Server, browser: Any) -> None:
    code = _registered(server, "multi-match-b-and-d.yaml", "B")
    page = new_page(browser)
    leaks = external_requests(page, server.url)
    sign_in(page, server.url, "staff")
    page.goto(server.url + f"/web/subjects/{code}")
    page.get_by_role("link", name="Adverse events").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Adverse events: {code}")
    expect(page.locator("#events")).to_contain_text("No adverse event recorded.")
    # the static script fills the datalist from the search endpoint (strict CSP: no inline script)
    page.get_by_label("CTCAE term", exact=True).press_sequentially("neutro")
    expect(page.locator("#ctcae-terms option[value='Febrile neutropenia']")).to_have_count(1)
    # the search works without JavaScript too, with each term's grade criteria
    page.get_by_label("Words of the term").fill("febrile neutro")
    page.get_by_role("button", name="Search terms").click()
    expect(page.locator("#term-matches")).to_contain_text("Febrile neutropenia")
    expect(page.locator("#term-matches")).to_contain_text("10016288")  # its MedDRA code
    page.get_by_role("link", name="Febrile neutropenia").click()
    expect(page.get_by_label("CTCAE term", exact=True)).to_have_value("Febrile neutropenia")
    # an unknown term: one line naming the field, with the closest term
    page.get_by_label("CTCAE term", exact=True).fill("Nausia")
    page.get_by_label("Grade").select_option("2")
    page.get_by_role("button", name="Record adverse event").click()
    expect(page.get_by_role("alert")).to_have_text(
        "term: 'Nausia' is not in the CTCAE v5.0 term list in force (all 837 terms) (did you mean 'Nausea'?)"
    )
    expect(page.get_by_label("CTCAE term", exact=True)).to_have_value("Nausia")  # the entry is kept
    # a laboratory value is graded automatically
    page.get_by_label("CTCAE term", exact=True).fill("alanine aminotransferase increased")
    page.get_by_label("Grade").select_option("")
    page.get_by_label("Value", exact=True).fill("210")
    page.get_by_label("Unit").fill("U/L")
    page.get_by_label("ULN").fill("40")
    page.get_by_label("dasatinib").select_option("possible")
    page.get_by_role("button", name="Record adverse event").click()
    expect(page.get_by_role("status")).to_contain_text(
        re.compile(
            r"Adverse event \d+ recorded: Alanine aminotransferase increased, grade 3 "
            r"\(laboratory value 210 U/L"
        )
    )
    row = page.locator("#events tbody tr").first
    expect(row).to_contain_text("dasatinib: possible")
    check_page(page, "adverse-events")
    assert leaks == []


def test_cycle_entry_flags_deviations_and_never_invents_intrathecal_doses(
    server: Server, browser: Any
) -> None:
    code = _registered(server, "multi-match-b-and-d.yaml", "B")
    page = new_page(browser)
    sign_in(page, server.url, "staff")
    page.goto(server.url + f"/web/subjects/{code}/cycles")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cycles: {code}")
    expect(page.locator("#main")).to_contain_text("No cycle recorded yet.")
    page.get_by_label("Start date").fill((TODAY - timedelta(days=3)).isoformat())
    page.get_by_label("Height (cm)").fill("140")
    page.get_by_label("Weight (kg)").fill("35")
    page.get_by_label("dasatinib: administrations given").fill("abc")
    page.get_by_role("button", name="Record cycle").click()
    expect(page.get_by_role("alert")).to_have_text(
        "dasatinib: administrations given: 'abc' is not a whole number"
    )
    for drug, given in zip(B_DRUGS, (14, 20, 5, 1, 8), strict=True):
        page.get_by_label(f"{drug}: administrations given").fill(str(given))
    page.get_by_label("Intrathecal methotrexate: planned").fill("1")
    page.get_by_label("Intrathecal methotrexate: given").fill("1")
    page.get_by_role("button", name="Record cycle").click()
    expect(page.get_by_role("status")).to_contain_text(
        re.compile(r"Cycle 1 recorded \(\d+ note\(s\) flagged\)")
    )
    cycle = page.locator("section", has_text="Cycle 1: started")
    expect(cycle).to_contain_text("intrathecal methotrexate")
    expect(cycle).to_contain_text("dose to be set: the sponsor's intrathecal table by age is not in force")
    expect(cycle).to_contain_text("deviation: venetoclax: 20 of")
    check_page(page, "cycles")


def test_investigator_decides_a_dlt_candidate(server: Server, browser: Any) -> None:
    code = _registered(server, "multi-match-b-and-d.yaml", "B")
    _cycle1(server, code, TODAY - timedelta(days=5), B_DRUGS)
    event = _event(server, code)
    staff = new_page(browser)
    sign_in(staff, server.url, "staff")
    staff.goto(server.url + f"/web/subjects/{code}/dlt")
    expect(staff.locator("#candidates")).to_contain_text("Alanine aminotransferase increased")
    assert staff.get_by_role("button", name="Record decision").count() == 0  # the investigator decides
    page = new_page(browser)
    sign_in(page, server.url, "investigator")
    page.goto(server.url + f"/web/subjects/{code}/dlt")
    expect(page.locator("#evaluable")).to_contain_text("1 DLT candidate(s) await the investigator's decision")
    expect(page.locator("#main")).to_contain_text("Placeholder: DLT rule: ismart placeholder")
    page.get_by_label("Yes, a DLT").check()
    page.get_by_label("Note").fill("grade 3 ALT on day 4, possibly related")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("alert")).to_have_text("event_ids: a DLT names the adverse event(s) it rests on")
    page.get_by_label("Yes, a DLT").check()
    page.get_by_label(re.compile(f"No. {event}: Alanine aminotransferase increased")).check()
    page.get_by_label("Note").fill("grade 3 ALT on day 4, possibly related")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_have_text("Decision recorded: a DLT.")
    expect(page.locator("#evaluable")).to_contain_text("yes: DLT confirmed by the investigator")
    check_page(page, "dlt")


def test_sae_clock_on_the_site_dashboard(server: Server, browser: Any) -> None:
    code = _registered(server, "multi-match-b-and-d.yaml", "B")
    now = datetime.now(UTC).replace(tzinfo=None)
    serious = {"serious": True, "seriousness": ["hospitalisation"], "term": "Febrile neutropenia", "grade": 3}
    _event(server, code, lab=None, aware_at=now - timedelta(days=2), **serious)
    _event(server, code, lab=None, aware_at=now - timedelta(hours=1), **serious)
    page = new_page(browser)
    sign_in(page, server.url, "staff")
    clocks = page.locator("#sae-clocks")
    expect(clocks.locator("tr", has_text="OVERDUE").first).to_contain_text(
        "SAE report to the sponsor overdue since"
    )
    expect(clocks.locator("tr", has_text="due by").first).to_contain_text(code)
    check_page(page, "sae-clock")
    other = new_page(browser)
    sign_in(other, server.url, "other_staff")
    expect(other.locator("#main")).to_contain_text("No SAE report is due or overdue.")  # another site's


def _committee(server: Server) -> None:
    """The safety committee's account (created once per test session)."""

    def work(db: Any) -> None:
        if db.scalar(select(User).where(User.username == "committee")) is None:
            services.create_user(
                db,
                actor=services.SYSTEM,
                username="committee",
                role=Role.safety_committee,
                site_code=None,
                password="correct horse battery",
            )

    server.state.write(work)


@pytest.fixture
def d_with_sponsor_levels(server: Server) -> Iterator[None]:
    plan = DoseLevelFile.model_validate(
        {
            "schema_version": 1,
            "source": "synthetic test plan (not HEM-iSMART's)",
            "subprotocols": {"D": {"design": "rolling6", "levels": [1, 2], "start_level": 1}},
        }
    )
    info = server.state.sessions.kw["info"]
    before = info[CONTEXT_KEY]
    info[CONTEXT_KEY] = replace(before, sponsor=SponsorData(levels=plan))  # as a restart with the file
    try:
        yield
    finally:
        info[CONTEXT_KEY] = before


def test_dose_escalation_page_and_the_committees_decision(
    server: Server, browser: Any, d_with_sponsor_levels: None
) -> None:
    _committee(server)
    d_drugs = next(sp.drugs for sp in in_force(server.state.sessions).protocol.subprotocols if sp.id == "D")
    for _ in range(3):
        code = _registered(server, "d-kras-g12d-eligible.yaml", "D")
        _cycle1(server, code, TODAY - timedelta(days=40), list(d_drugs))
    staff = new_page(browser)
    sign_in(staff, server.url, "staff")
    answer = staff.goto(server.url + "/web/subprotocols/D/dose-finding")
    assert answer is not None and answer.status == 403
    page = new_page(browser)
    leaks = external_requests(page, server.url)
    sign_in(page, server.url, "committee")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dose finding")
    page.get_by_role("link", name="D", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dose escalation: sub-protocol D")
    expect(page.locator("#next")).to_contain_text("SUSPEND")
    expect(page.locator("#next")).to_contain_text("awaiting the safety committee")
    expect(page.locator("#patients tbody tr")).to_have_count(3)
    chart = page.request.get(server.url + "/web/subprotocols/D/dose-escalation.png")
    assert chart.status == 200 and chart.headers["content-type"] == "image/png"
    assert chart.body().startswith(b"\x89PNG")
    page.wait_for_function("() => document.querySelector('img.chart').naturalWidth > 0")  # shown
    check_page(page, "dose-escalation")
    page.get_by_label("Accept the proposal").check()
    page.get_by_label("Note (minutes)").fill("3 of 3 evaluable without DLT; escalate to level 2")
    page.get_by_role("button", name="Record the committee's decision").click()
    expect(page.get_by_role("status")).to_have_text("Proposal accepted: escalate to level 2.")
    expect(page.locator("#next")).to_contain_text("ENROL at level 2")
    expect(page.locator("#decisions")).to_contain_text("escalate accepted")
    monitor = new_page(browser)
    sign_in(monitor, server.url, "monitor")
    monitor.goto(server.url + "/web/subprotocols/D/dose-finding")
    expect(monitor.locator("#decisions")).to_contain_text("committee")
    assert monitor.get_by_role("button", name="Record the committee's decision").count() == 0
    assert leaks == []


def test_without_levels_the_committee_assigns_the_level_on_the_page(server: Server, browser: Any) -> None:
    _committee(server)
    code = _registered(server, "d-kras-g12d-eligible.yaml", "D")  # D: no public levels, no sponsor file
    page = new_page(browser)
    sign_in(page, server.url, "committee")
    page.goto(server.url + "/web/subprotocols/D/dose-finding")
    expect(page.locator("#next")).to_contain_text("ASSIGN BY COMMITTEE")
    expect(page.locator("#next")).to_contain_text(
        "D has no public dose levels and no sponsor dose-level file"
    )
    section = page.locator("section", has_text="Patients whose level the safety committee assigns")
    expect(section).to_contain_text(code)
    page.get_by_label(f"Dose level for {code}").fill("1")
    page.get_by_label(f"Note for {code}").fill("level 1 per the committee minutes of 9 March")
    page.get_by_role("button", name="Assign level").click()
    expect(page.get_by_role("status")).to_have_text(f"{code}: dose level 1 assigned.")
    expect(page.locator("#decisions")).to_contain_text("assign accepted")
    expect(page.locator("#decisions")).to_contain_text("level 1 per the committee minutes of 9 March")
    expect(page.locator("#patients tr", has_text=code)).to_contain_text("1")  # listed at its level
    check_page(page, "dose-level-assignment")
