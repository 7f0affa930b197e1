"""Browser tests of the efficacy-stage pages (issue 15): response entry with the category computed as
the form is filled (and without scripts), the investigator's confirmation, off treatment / off study
and follow-up, the efficacy stage, enrolment by site and month and the flow, with their downloads.
Each page: renders, a form works, no serious axe violation, a monitor cannot submit, another site's
subject is not found, and the numbers equal the records."""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session
from webhelpers import EXAMPLES, Server, check_page, external_requests, new_page, serve, sign_in

from ismart.registry import responses as svc
from ismart.registry import services
from ismart.registry.access import Principal, Role
from ismart.report import efficacy_report as rep
from ismart.response import Disease

SITE = "DK-COP"
INVESTIGATOR = Principal("investigator", Role.site_investigator, SITE)
C1D1 = date(2026, 2, 2)
# A synthetic sponsor design for D (the shipped designs are open questions): stop after 3 evaluable
# with at most 1 response; promising with more than 2 responses among 6.
SPONSOR = """schema_version: 1
sources: {sponsor_test: "synthetic sponsor file for the browser tests"}
evaluability: {non_responder_if_off_before_assessment: [progression, death], source: sponsor_test}
designs:
  D: {design: simon_two_stage, status: sponsor, source: sponsor_test,
      p0: 0.2, p1: 0.5, alpha: 0.1, beta: 0.2, r1: 1, n1: 3, r: 2, n: 6}
"""
CR = {
    "marrow_blasts_pct": 1,
    "peripheral_blasts": 0,
    "anc": 1.2,
    "platelets": 120,
    "cns": "CNS1",
    "extramedullary": "none",
    "baseline_marrow_blasts_pct": 70,
    "baseline_peripheral_blasts": 3,
}
NR = {**CR, "marrow_blasts_pct": 60}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own app, with a sponsor efficacy file (the registry reads it once, at start)."""
    path = tmp_path_factory.mktemp("sponsor") / "efficacy.yaml"
    path.write_text(SPONSOR, encoding="utf-8")
    yield from serve(tmp_path_factory, efficacy_file=str(path))


def _treated(server: Server, site: str = SITE) -> str:
    """A subject registered to D at dose level 1 and on treatment since C1D1 (through the services)."""
    data = yaml.safe_load((EXAMPLES / "d-kras-g12d-eligible.yaml").read_text(encoding="utf-8"))
    data["patient"].pop("id", None)
    today = server.state.today()

    def work(db: Session) -> str:
        actor = services.SYSTEM
        code = services.create_subject(db, actor=actor, site_code=site).code
        plain = json.loads(json.dumps(data, default=str))  # dates as ISO text, as a client sends them
        services.add_dossier(db, actor=actor, code=code, data=plain, reason=None, as_of=today)
        services.screen_subject(db, actor=actor, code=code, as_of=today)
        services.add_board_decision(
            db,
            actor=actor,
            code=code,
            subprotocol="D",
            priority=1,
            rationale="KRAS G12D",
            members=["A"],
            non_referral_reason=None,
        )
        services.register(db, actor=actor, code=code, subprotocol="D", dose_level=1, as_of=today)
        services.start_treatment(db, actor=actor, code=code)
        svc.update_outcome(db, actor=actor, code=code, changes={"c1d1": C1D1}, today=today, reason=None)
        return code

    return server.state.write(work)


def _assessed(server: Server, code: str, parts: dict[str, Any], *, confirm: bool = True) -> int:
    def work(db: Session) -> int:
        row = svc.add_response(
            db,
            actor=services.SYSTEM,
            code=code,
            cycle=1,
            assessed_on=date(2026, 3, 2),
            disease=Disease.leukaemia,
            components=parts,
            today=server.state.today(),
        )
        if confirm:
            svc.confirm_response(db, actor=INVESTIGATOR, code=code, response_id=row.id)
        return row.id

    return server.state.write(work)


def _computed(page: Page) -> Any:
    return page.locator("#computed-body")


def _fill_cr(page: Page) -> None:
    page.get_by_label("Marrow blasts (%)", exact=True).fill("1")
    page.get_by_label("Baseline marrow blasts (%)").fill("70")
    page.get_by_label("Circulating blasts (x10⁹/L)", exact=True).fill("0")
    page.get_by_label("Baseline circulating blasts (x10⁹/L)").fill("3")
    page.get_by_label("ANC (x10⁹/L)").fill("1.2")
    page.get_by_label("Platelets (x10⁹/L)").fill("120")
    page.get_by_label("CNS status").select_option("CNS1")
    page.get_by_label("Extramedullary disease").select_option("none")


def test_response_entry_computes_the_category_while_filling(server: Server, browser: Any) -> None:
    code = _treated(server)
    page = new_page(browser)
    leaks = external_requests(page, server.url)
    sign_in(page, server.url, "staff")
    page.goto(server.url + f"/web/subjects/{code}")
    page.get_by_role("link", name="Responses").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Responses · {code}")
    expect(page.locator("#response-form")).to_have_attribute("data-live", "on")
    expect(page.locator("#fs-lymphoma")).to_be_hidden()  # the script shows the chosen disease's fields
    expect(_computed(page)).to_contain_text("marrow blasts not recorded: no category")
    _fill_cr(page)
    expect(_computed(page).locator(".badge")).to_have_text("CR")
    expect(_computed(page)).to_contain_text("counts recovered")
    page.get_by_label("Platelets (x10⁹/L)").fill("60")
    expect(_computed(page).locator(".badge")).to_have_text("CRp")
    expect(_computed(page)).to_contain_text("M1 and CR criteria met except platelet recovery")
    page.get_by_label("Marrow blasts (%)", exact=True).fill("5")
    expect(_computed(page)).to_contain_text("marrow blasts 5 %: M2 (5 to 25 %)")
    page.get_by_label("Marrow blasts (%)", exact=True).fill("abc")
    expect(_computed(page)).to_have_text(
        re.compile(r"Cannot compute the category: Marrow blasts \(%\): 'abc' is not a number")
    )
    page.get_by_label("Marrow blasts (%)", exact=True).fill("1")
    page.get_by_label("MRD method").select_option("flow_cytometry")
    page.get_by_label("MRD value (fraction)").fill("1e-4")
    page.get_by_label("MRD sensitivity (fraction)").fill("1e-5")
    expect(_computed(page)).to_contain_text("MRD 1×10⁻⁴ by flow cytometry: negative (at most 1×10⁻⁴)")
    expect(_computed(page).locator(".badge")).to_have_text("CRp")
    check_page(page, "response-entry")
    page.get_by_label("Disease", exact=True).select_option("lymphoma")
    expect(page.locator("#fs-leukaemia")).to_be_hidden()
    expect(_computed(page)).to_contain_text("progression cannot be excluded")
    page.get_by_label("SPD change from baseline (%)").fill("-60")
    page.get_by_label("SPD increase from nadir (%)").fill("0")
    page.get_by_label("New lesions", exact=True).select_option("no")
    page.get_by_label("Residual mass", exact=True).select_option("yes")
    page.get_by_label("Marrow involved").select_option("no")
    page.get_by_label("CSF involved").select_option("no")
    expect(_computed(page).locator(".badge")).to_have_text("PR")
    expect(_computed(page)).to_contain_text("SPD down 60 % (at least 50 %)")
    page.get_by_label("Residual mass biopsy negative").select_option("yes")
    expect(_computed(page).locator(".badge")).to_have_text("CR")
    page.get_by_label("Disease", exact=True).select_option("leukaemia")
    expect(_computed(page).locator(".badge")).to_have_text("CRp")
    page.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_role("status")).to_have_text(
        "Assessment of cycle 1 recorded: CRp. It counts once the site investigator confirms it."
    )
    rows = server.state.write(lambda db: svc.list_responses(db, actor=services.SYSTEM, code=code))
    assert [(r.cycle, r.category, r.mrd_status, r.confirmed_by) for r in rows] == [
        (1, "CRp", "negative", None)
    ]
    table = page.locator("#assessments tbody tr")
    expect(table).to_have_count(1)
    expect(table.first).to_contain_text("CRp")
    expect(table.first).to_contain_text("awaiting the investigator")
    assert page.get_by_role("button", name=re.compile("Confirm the cycle")).count() == 0  # staff cannot
    expect(page.locator("#best")).to_contain_text("no confirmed response assessment")
    assert leaks == []


def test_the_form_works_without_javascript(server: Server, browser: Any) -> None:
    code = _treated(server)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server.url, "investigator")
    page.goto(server.url + f"/web/subjects/{code}/responses")
    expect(page.locator("#fs-lymphoma")).to_be_visible()  # no script: both sections shown
    _fill_cr(page)
    page.get_by_label("ANC (x10⁹/L)").fill("0.5")
    page.get_by_role("button", name="Show category").click()
    expect(_computed(page).locator(".badge")).to_have_text("CRi")
    expect(_computed(page)).to_contain_text("except neutrophil recovery")
    expect(page.get_by_label("ANC (x10⁹/L)")).to_have_value("0.5")  # the values are kept
    page.get_by_label("Assessed on").fill("2026-04-01")
    page.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_role("alert")).to_have_text("Assessed on: 2026-04-01 is in the future")
    page.get_by_label("Assessed on").fill("2026-03-02")
    page.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_role("status")).to_contain_text("Assessment of cycle 1 recorded: CRi.")
    context.close()


def test_the_investigator_confirms_a_response(server: Server, browser: Any) -> None:
    code = _treated(server)
    response_id = _assessed(server, code, {**CR, "platelets": 60}, confirm=False)
    staff = new_page(browser)
    sign_in(staff, server.url, "staff")
    csrf = staff.locator("input[name=csrf]").first.get_attribute("value") or ""
    refused = staff.request.post(
        server.url + f"/web/subjects/{code}/responses/{response_id}/confirm",
        form={"csrf": csrf},
        max_redirects=0,
    )
    assert refused.status == 403 and "may not confirm response assessments" in refused.text()
    page = new_page(browser)
    sign_in(page, server.url, "investigator")
    page.goto(server.url + f"/web/subjects/{code}/responses")
    page.get_by_role("button", name="Confirm the cycle 1 assessment of 2 Mar 2026").click()
    expect(page.get_by_role("status")).to_have_text("Assessment of cycle 1 confirmed: CRp.")
    expect(page.locator("#assessments tbody tr").first).to_contain_text("confirmed by investigator")
    best = page.locator("#best tbody tr")
    expect(best.nth(0)).to_contain_text("CRp after cycle 1")
    expect(best.nth(2)).to_contain_text("CRp at the end of cycle 1: at least a partial response")
    check_page(page, "response-confirmed")
    rows = server.state.write(lambda db: svc.list_responses(db, actor=services.SYSTEM, code=code))
    assert rows[0].confirmed_by == "investigator"


def test_off_treatment_off_study_and_follow_up(server: Server, browser: Any) -> None:
    code = _treated(server)
    page = new_page(browser)
    sign_in(page, server.url, "investigator")
    page.goto(server.url + f"/web/subjects/{code}/outcome")
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)
    expect(page.locator("#outcome")).to_contain_text("2 Feb 2026")
    check_page(page, "off-study")
    treatment = page.locator("#off-treatment")
    treatment.get_by_role("button", name="Record off treatment").click()
    expect(page.get_by_role("alert")).to_have_text("Reason: choose one of the coded reasons")
    treatment = page.locator("#off-treatment")
    treatment.get_by_label("Off treatment on").fill("2026-03-01")
    treatment.get_by_label("Reason").select_option("toxicity")
    treatment.get_by_role("button", name="Record off treatment").click()
    expect(page.get_by_role("status")).to_have_text("Off treatment on 2026-03-01: toxicity.")
    expect(page.locator("#outcome tr", has_text="Off treatment")).to_contain_text("1 Mar 2026: Toxicity")
    follow = page.locator("#follow-up")
    follow.get_by_label("Last contact").fill("2026-03-05")
    follow.get_by_label("Follow-up status").select_option("in_follow_up")
    follow.get_by_role("button", name="Record follow-up").click()
    expect(page.get_by_role("status")).to_have_text("Follow-up recorded.")
    expect(page.locator("#outcome tr", has_text="Overall survival")).to_contain_text(
        "31 days from C1D1, censored"
    )
    study = page.locator("#off-study")
    study.get_by_label("Off study on").fill("2026-01-01")
    study.get_by_label("Reason").select_option("consent_withdrawn")
    study.get_by_role("button", name="Record off study").click()
    expect(page.get_by_role("alert")).to_have_text("Off study on: 2026-01-01 is before C1D1 (2026-02-02)")
    study = page.locator("#off-study")
    study.get_by_label("Off study on").fill("2026-03-06")
    study.get_by_label("Reason").select_option("consent_withdrawn")
    study.get_by_role("button", name="Record off study").click()
    expect(page.get_by_role("status")).to_have_text("Off study on 2026-03-06: consent withdrawn.")
    expect(page.locator(".lead")).to_contain_text("off study")
    outcome = server.state.write(lambda db: svc.get_outcome(db, actor=services.SYSTEM, code=code))
    assert outcome is not None
    assert (outcome.off_treatment_reason, outcome.off_study_reason, outcome.off_study_on) == (
        "toxicity",
        "consent_withdrawn",
        date(2026, 3, 6),
    )
    assert page.locator("#off-study").count() == 0


def test_a_monitor_reads_but_cannot_submit(server: Server, browser: Any) -> None:
    code = _treated(server)
    response_id = _assessed(server, code, CR, confirm=False)
    page = new_page(browser)
    sign_in(page, server.url, "monitor")
    page.goto(server.url + f"/web/subjects/{code}/responses")
    expect(page.locator("#assessments")).to_contain_text("CR")
    assert page.locator("#response-form").count() == 0
    assert page.get_by_role("button", name=re.compile("Confirm")).count() == 0
    expect(page.get_by_role("status")).to_contain_text("Monitors read the assessments")
    page.goto(server.url + f"/web/subjects/{code}/outcome")
    assert page.get_by_role("button").filter(has_text="Record").count() == 0
    page.goto(server.url + "/web/efficacy/D")
    assert page.locator("#rp2d").count() == 0
    csrf = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    for path, form in (
        (f"/web/subjects/{code}/responses", {"action": "store", "cycle": "1", "assessed_on": "2026-03-02"}),
        (f"/web/subjects/{code}/responses/category", {"marrow_blasts_pct": "1"}),
        (f"/web/subjects/{code}/responses/{response_id}/confirm", {}),
        (f"/web/subjects/{code}/off-treatment", {"on": "2026-03-01", "reason": "toxicity"}),
        (f"/web/subjects/{code}/off-study", {"on": "2026-03-01", "reason": "toxicity"}),
        (f"/web/subjects/{code}/outcome", {"last_contact_on": "2026-03-01"}),
        ("/web/efficacy/D/rp2d", {"dose_level": "1", "declared_on": "2026-03-01"}),
    ):
        answer = page.request.post(server.url + path, form={"csrf": csrf, **form}, max_redirects=0)
        assert answer.status == 403, (path, answer.status)
        assert "monitor) may not" in answer.text(), path
    rows = server.state.write(lambda db: svc.list_responses(db, actor=services.SYSTEM, code=code))
    assert len(rows) == 1 and rows[0].confirmed_by is None


def test_another_sites_subject_is_not_found(server: Server, browser: Any) -> None:
    code = _treated(server)
    page = new_page(browser)
    sign_in(page, server.url, "other_staff")
    for path in (f"/web/subjects/{code}/responses", f"/web/subjects/{code}/outcome"):
        answer = page.goto(server.url + path)
        assert answer is not None and answer.status == 404, path
        expect(page.get_by_role("alert")).to_have_text(f"Subject {code} not found")
    check_page(page, "response-not-found")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    for path in (f"/web/subjects/{code}/responses/category", f"/web/subjects/{code}/outcome"):
        answer = page.request.post(
            server.url + path, form={"csrf": csrf, "last_contact_on": "2026-03-01"}, max_redirects=0
        )
        assert answer.status == 404 and f"Subject {code} not found" in answer.text(), path
    page.goto(server.url + "/web/efficacy/D")
    expect(page.get_by_role("alert")).to_have_text(
        "The efficacy stage, enrolment and flow are for the trial office and monitors."
    )


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(text.splitlines()))


def test_efficacy_enrolment_and_flow_equal_the_records(server: Server, browser: Any, tmp_path: Path) -> None:
    page = new_page(browser)
    leaks = external_requests(page, server.url)
    sign_in(page, server.url, "office")
    page.get_by_role("link", name="Efficacy stage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Efficacy stage")
    check_page(page, "efficacy-index")
    page.get_by_role("link", name=re.compile(r"^D · ")).click()
    page.get_by_label("Dose level").fill("1")
    page.get_by_label("Declared on").fill("2026-03-01")
    page.get_by_role("button", name="Declare RP2D").click()
    expect(page.get_by_role("status")).to_have_text("Recommended phase II dose of D: level 1.")
    for parts in (CR, NR, CR):
        _assessed(server, _treated(server), parts)
    _treated(server, site="SE-STO")  # pending: no assessment yet
    page.reload()

    def records(db: Session) -> tuple[Any, Any, Any]:
        actor = services.SYSTEM
        return (
            svc.efficacy(db, actor=actor, subprotocol="D"),
            svc.flow(db, actor=actor, subprotocol="D"),
            svc.enrolment(db, actor=actor, subprotocol="D"),
        )

    report, flow, rows = server.state.write(records)
    st = report.state
    assert st.evaluable >= 3 and st.responders >= 2 and st.pending >= 1
    counts = page.locator("#counts .n")
    expect(counts).to_have_text(
        [str(st.evaluable), str(st.responders), str(st.pending), str(st.not_evaluable)]
    )
    expect(page.locator("#decision")).to_contain_text(st.stage.value)
    expect(page.locator("#decision")).to_contain_text(st.decision)
    expect(page.locator("#stage")).to_contain_text(
        "stop with at most 1 responses among the first 3 evaluable"
    )
    assert st.at_p0 is not None and st.at_p1 is not None
    oc = page.locator("#oc tbody tr")
    expect(oc.nth(0)).to_have_text(
        re.compile(rf"p0 = 0.2\s*{st.at_p0.pet:.3f}\s*{st.at_p0.en:.1f}\s*{st.at_p0.reject_h0:.3f}")
    )
    expect(oc.nth(1)).to_contain_text(f"{st.at_p1.reject_h0:.3f}")
    expect(page.locator("#patients tbody tr")).to_have_count(len(st.patients))
    share = f"{st.responders / st.evaluable:.0%}"
    orr_row = page.locator("#stage tr", has_text="ORR after cycle 1 at the RP2D")
    expect(orr_row).to_contain_text(
        f"{st.responders} of {st.evaluable} evaluable ({share}), {st.pending} awaiting"
    )
    statuses = page.locator("#patients tbody tr td:nth-child(2)").all_inner_texts()
    assert statuses.count("responder") == st.responders
    assert statuses.count("responder") + statuses.count("non-responder") == st.evaluable
    assert statuses.count("awaiting assessment") == st.pending
    assert statuses.count("not evaluable") == st.not_evaluable
    check_page(page, "efficacy")
    got = page.request.get(server.url + "/web/efficacy/D/efficacy.csv")
    assert got.status == 200 and got.text() == rep.efficacy_csv(report)
    assert dict(_csv(got.text())[1:])["evaluable / responders / pending / not evaluable"] == (
        f"{st.evaluable} / {st.responders} / {st.pending} / {st.not_evaluable}"
    )

    page.get_by_role("link", name="Enrolment by site and month").click()
    total = sum(r.registered for r in rows)
    expect(page.locator("#enrolment tfoot td.total")).to_have_text(str(total))
    for r in rows:
        row = page.locator("#enrolment tbody tr", has=page.locator(f"th:text-is('{r.site_code}')"))
        expect(row).to_contain_text(str(r.registered))
    by_site = {s: sum(r.registered for r in rows if r.site_code == s) for s in {r.site_code for r in rows}}
    assert set(by_site) == {"DK-COP", "SE-STO"}
    for site, n in by_site.items():
        expect(page.locator("#enrolment tbody tr", has_text=site).locator("td.total")).to_have_text(str(n))
    check_page(page, "enrolment")
    got = page.request.get(server.url + "/web/efficacy/D/enrolment.csv")
    assert got.text() == rep.enrolment_csv("D", rows)
    assert _csv(got.text())[-1] == ["D", "all", "all", str(total)]

    page.get_by_role("link", name="Flow of subjects").click()
    steps = page.locator("#flow li.step .n")
    expect(steps).to_have_text([str(flow.counts[s]) for s in rep.LABELS])
    assert flow.counts["evaluable"] >= 3 and flow.counts["responded"] >= 2
    check_page(page, "flow")
    got = page.request.get(server.url + "/web/efficacy/D/flow.csv")
    assert _csv(got.text())[1:] == [["D", s, str(n)] for s, n in flow.counts.items()]
    png = page.request.get(server.url + "/web/efficacy/D/flow.png")
    assert png.status == 200 and png.headers["content-type"] == "image/png"
    assert png.body()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("ISMART_SCREENSHOTS"):
        (Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "flow-diagram.png").write_bytes(
            png.body()
        )
    pdf = page.request.get(server.url + "/web/efficacy/D/report.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    assert page.request.get(server.url + "/web/efficacy/D/secret.txt").status == 404
    assert page.request.get(server.url + "/web/efficacy/Z").status == 404
    assert leaks == []
