"""End-to-end tests in Chromium, as each role: sign in, screen by upload and by form, the tumour
board, registration, site scoping, read-only monitors, revoked sessions, accessibility."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import Page, expect
from sqlalchemy import select
from webhelpers import (
    DESKTOP,
    EXAMPLES,
    TABLET,
    Server,
    check_page,
    external_requests,
    new_page,
    sign_in,
)

from ismart.registry import accounts, services
from ismart.registry.access import Role
from ismart.registry.models import AuditEntry, User
from ismart.web import session as ws

REFUSED = ws.REFUSED


def _new_subject(page: Page) -> str:
    page.get_by_role("button", name="New subject").click()
    expect(page.get_by_role("status")).to_contain_text("created")
    heading = page.get_by_role("heading", level=1).inner_text()
    match = re.search(r"[A-Z]{2}-[A-Z0-9]+-\d{4}", heading)
    assert match, heading
    return match.group(0)


def _upload(page: Page, example: str, edit: Callable[[dict[str, Any]], None] | None = None) -> None:
    # the registry refuses a dossier whose patient.id is not the subject's code (issue 9): upload the
    # example without its own id, as a site files a dossier under the subject it created
    data = yaml.safe_load((EXAMPLES / example).read_text(encoding="utf-8"))
    data.get("patient", {}).pop("id", None)
    if edit is not None:
        edit(data)
    copy = Path(tempfile.mkdtemp()) / example
    copy.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    page.get_by_label("Dossier file (YAML or JSON)").set_input_files(str(copy))
    page.get_by_role("button", name="Upload and screen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Screening report")


def _as_a_laboratory_writes_it(data: dict[str, Any]) -> None:
    """The B+D example as a laboratory report carries it: three-letter HGVS, a second NRAS variant of
    its own VAF, a mistyped gene symbol, a reference residue that is not KRAS's, an Oncotator-style
    FLT3-ITD and the fusion's read support."""
    profiling = data["profiling"]
    profiling["variants"][0]["hgvs_p"] = "p.Gln61Lys"
    profiling["variants"] += [
        {"gene": "NRAS", "hgvs_p": "p.G12D", "vaf": 0.04},
        {"gene": "KRASS", "hgvs_p": "p.G12V", "vaf": 0.11},
        {"gene": "KRAS", "hgvs_p": "p.A12D", "vaf": 0.2},
        {"gene": "FLT3", "hgvs_p": "p.600_600D>DSSDNEYFYVDFREYEYD", "vaf": 0.31},
    ]
    profiling["fusions"][0]["supporting_reads"] = 57


def _verdict_row(page: Page, sp: str) -> Any:
    return page.locator("table.data").first.locator("tr", has_text=f"{sp} · HEM-iSMART-{sp}")


def test_sign_in_form_and_one_message_for_every_refusal(server: Server, browser: Any) -> None:
    page = new_page(browser)
    leaks = external_requests(page, server.url)
    page.goto(server.url + "/")
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    check_page(page, "sign-in")
    messages = []
    for username, password in (("staff", "wrong password!"), ("nobody", "whatever it is")):
        sign_in(page, server.url, username, password)
        messages.append(
            page.get_by_role("alert").inner_text()
            if page.get_by_role("alert").count()
            else page.get_by_role("status").inner_text()
        )
    assert messages == [REFUSED, REFUSED]
    assert page.url.rstrip("/") == server.url
    assert leaks == []


def test_site_staff_screens_an_example_by_upload(server: Server, browser: Any) -> None:
    page = new_page(browser)
    leaks = external_requests(page, server.url)
    sign_in(page, server.url, "staff")
    expect(page.get_by_role("heading", level=1)).to_have_text("DK-COP · Rigshospitalet Copenhagen")
    expect(page.locator("header")).to_contain_text("staff")
    code = _new_subject(page)
    _upload(page, "d-kras-g12d-eligible.yaml")
    expect(_verdict_row(page, "D")).to_contain_text("ELIGIBLE")
    expect(_verdict_row(page, "D")).to_contain_text("9 Mar 2026")
    expect(page.locator("#sp-C")).to_contain_text("Blocking criteria")
    check_page(page, "report")
    every_criterion = page.locator("#sp-D details.all table")
    expect(every_criterion).to_be_hidden()  # folded away on screen
    page.emulate_media(media="print")
    expect(every_criterion).to_be_visible()  # in print every criterion is shown
    expect(page.locator("nav[aria-label=Main]")).to_be_hidden()
    page.emulate_media(media="screen")
    pdf = page.request.get(page.url.split("?")[0] + "/report.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    page.goto(server.url + "/web/home")
    row = page.locator("#subjects tr", has_text=code)
    expect(row).to_contain_text("screened")
    expect(row).to_contain_text("waiting for the tumour board")
    check_page(page, "dashboard")
    page.get_by_label("State").select_option("new")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#subjects")).not_to_contain_text(code)
    page.goto(server.url + f"/web/subjects/{code}")
    check_page(page, "subject")
    assert leaks == []


def _fill_form(page: Page, data: dict[str, Any]) -> None:
    p, d = data["patient"], data["diagnosis"]
    page.get_by_label("Local patient id").fill(p["id"])
    page.get_by_label("Sex", exact=True).select_option(p["sex"])
    page.get_by_label("Birth date").fill(str(p["birth_date"]))
    page.get_by_label("Weight (kg)").fill(str(p["weight_kg"]))
    page.get_by_label("Height (cm)").fill(str(p["height_cm"]))
    page.get_by_label("Weight and height measured on").fill(str(p["measured_on"]))
    page.get_by_label("Hospital").fill(p["site"])
    page.get_by_label("Inclusion date").fill(str(p["inclusion_date"]))
    page.get_by_label("Planned C1D1").fill(str(data["planned_c1d1"]))
    page.get_by_label("Disease", exact=True).select_option(d["disease"])
    page.get_by_label("Lineage").select_option(d["lineage"])
    page.get_by_label("Disease status").select_option(d["status"])
    page.get_by_label("First diagnosis").fill(str(d["first_diagnosis_date"]))
    page.get_by_label("CNS status").select_option(d["cns_status"])
    for i, lab in enumerate(data["labs"]):
        page.get_by_label(f"Test {i + 1}", exact=True).fill(lab["test"])
        page.get_by_label(f"Value {i + 1}", exact=True).fill(str(lab["value"]))
        page.get_by_label(f"Unit {i + 1}", exact=True).fill(lab["unit"])
        page.get_by_label(f"ULN {i + 1}", exact=True).fill(str(lab["uln"]))
        page.get_by_label(f"Collected {i + 1}", exact=True).fill(
            str(lab["collected_at"]).replace(" ", "T")[:16]
        )
    echo, ecg = data["cardiac"]["echo"], data["cardiac"]["ecg"]
    page.get_by_label("Echocardiogram date").fill(str(echo["date"]))
    page.get_by_label("Shortening fraction (%)").fill(str(echo["shortening_fraction_pct"]))
    page.get_by_label("LVEF (%)").fill(str(echo["lvef_pct"]))
    page.get_by_label("ECG date").fill(str(ecg["date"]))
    page.get_by_label("QT (ms)").fill(str(ecg["qt_ms"]))
    page.get_by_label("Heart rate (bpm)").fill(str(ecg["heart_rate_bpm"]))
    page.get_by_label("Sample date").fill(str(data["profiling"]["sample_date"]))
    for i, v in enumerate(data["profiling"]["variants"]):
        page.get_by_label(f"Variant {i + 1} gene").fill(v["gene"])
        page.get_by_label(f"Variant {i + 1} protein change (HGVS p.)").fill(v["hgvs_p"])
        page.get_by_label(f"Variant {i + 1} VAF (0-1)").fill(str(v["vaf"]))
    rest = {k: data[k] for k in data if k not in {"patient", "diagnosis", "planned_c1d1", "labs", "cardiac"}}
    rest["profiling"] = {k: v for k, v in data["profiling"].items() if k not in {"sample_date", "variants"}}
    rest["cardiac"] = {"significant_arrhythmia": data["cardiac"]["significant_arrhythmia"]}
    page.get_by_label("Further sections (YAML)").fill(yaml.safe_dump(rest, sort_keys=False))


def test_site_staff_screens_an_example_by_the_form(server: Server, browser: Any) -> None:
    page = new_page(browser)
    sign_in(page, server.url, "staff")
    code = _new_subject(page)
    page.get_by_role("link", name="build the dossier in a form").click()
    data = yaml.safe_load((EXAMPLES / "d-kras-g12d-eligible.yaml").read_text(encoding="utf-8"))
    page.get_by_label("Weight (kg)").fill("heavy")
    page.get_by_role("button", name="Check verdict").click()
    expect(page.get_by_role("alert")).to_have_text("Weight (kg): 'heavy' is not a number")
    data["patient"]["id"] = code  # the registry files a dossier only under its own subject's code
    _fill_form(page, data)
    page.get_by_role("button", name="Check verdict").click()
    expect(page.locator("#preview tbody tr").nth(3)).to_contain_text("DELIGIBLE0")
    check_page(page, "dossier-form")
    page.get_by_role("button", name="Store and screen").click()
    expect(_verdict_row(page, "D")).to_contain_text("ELIGIBLE")
    expect(page.locator(".lead")).to_contain_text("9 Mar 2026")
    assert code in page.locator("h1").inner_text()


def test_the_verdict_follows_the_form_as_fields_are_filled(server: Server, browser: Any) -> None:
    page = new_page(browser)
    leaks = external_requests(page, server.url)
    sign_in(page, server.url, "staff")
    code = _new_subject(page)
    page.get_by_role("link", name="build the dossier in a form").click()
    form_url = page.url
    preview = page.locator("#preview")
    expect(preview).to_have_attribute("aria-live", "polite")
    expect(preview).to_contain_text("appears here as the fields are filled in")
    data = yaml.safe_load((EXAMPLES / "d-kras-g12d-eligible.yaml").read_text(encoding="utf-8"))
    data["patient"]["id"] = code
    _fill_form(page, data)  # no click: the served script posts the form as it changes
    d_row = preview.locator("tbody tr").nth(3)  # A, B, C, D, E
    expect(d_row).to_contain_text("ELIGIBLE")
    expect(d_row).not_to_contain_text("NOT ELIGIBLE")
    expect(d_row).to_contain_text("9 Mar 2026")
    # the medication field suggests the drug vocabulary's names, brand names included
    medication = page.get_by_label("Medication 1", exact=True)
    expect(medication).to_have_attribute("list", "drugs")
    assert page.locator("#drugs option[value=ondansetron]").count() == 1
    assert page.locator("#drugs option[value=zofran]").get_attribute("label") == "zofran (ondansetron)"
    medication.fill("zofran")  # ondansetron, QT-prolonging: D's exclusion
    expect(d_row).to_contain_text("NOT ELIGIBLE")
    page.get_by_label("Weight (kg)").fill("heavy")
    expect(preview).to_contain_text("Weight (kg): 'heavy' is not a number")
    page.get_by_label("Weight (kg)").fill("31")
    # dates are typed as ISO text, never shown in the browser's locale; another form is named
    birth = page.get_by_label("Birth date")
    expect(birth).to_have_attribute("type", "text")
    expect(birth).to_have_attribute("placeholder", "YYYY-MM-DD")
    birth.fill("03/05/2014")
    expect(preview).to_contain_text("birth_date")
    assert page.url == form_url  # nothing was submitted by the page itself
    stored = server.state.write(lambda db: services.list_dossiers(db, actor=services.SYSTEM, code=code))
    assert stored == []  # following the verdict stores nothing
    assert leaks == []


def test_without_script_the_button_checks_the_verdict(server: Server, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server.url, "staff")
    _new_subject(page)
    page.get_by_role("link", name="build the dossier in a form").click()
    page.get_by_label("Disease", exact=True).select_option("ALL")
    page.get_by_label("Medication 1", exact=True).fill("zofran")
    expect(page.locator("#preview")).not_to_contain_text("NOT ELIGIBLE")
    page.get_by_role("button", name="Check verdict").click()
    expect(page.locator("#preview tbody tr").nth(3)).to_contain_text("DNOT ELIGIBLE")
    expect(page.get_by_label("Medication 1", exact=True)).to_have_value("zofran")
    context.close()


def test_the_verdict_fragment_needs_the_forms_token_and_the_subjects_site(
    server: Server, browser: Any
) -> None:
    page = new_page(browser)
    sign_in(page, server.url, "staff")
    code = _new_subject(page)
    page.get_by_role("link", name="build the dossier in a form").click()
    csrf = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    url = server.url + f"/web/subjects/{code}/form/verdict"
    answer = page.request.post(url, form={"disease": "ALL"})
    assert answer.status == 403 and "did not come from this site" in answer.text()
    answer = page.request.post(url, form={"csrf": csrf, "disease": "ALL"})
    assert answer.status == 200 and "<html" not in answer.text() and "INCOMPLETE" in answer.text()
    other = new_page(browser)
    sign_in(other, server.url, "other_staff")
    other.goto(server.url + "/web/home")
    other_csrf = other.locator("input[name=csrf]").first.get_attribute("value") or ""
    answer = other.request.post(url, form={"csrf": other_csrf, "disease": "ALL"})
    assert answer.status == 404 and f"Subject {code} not found" in answer.text()


def test_board_decision_then_registration_and_calendar(server: Server, browser: Any) -> None:
    page = new_page(browser)
    sign_in(page, server.url, "staff")
    code = _new_subject(page)
    _upload(page, "multi-match-b-and-d.yaml", _as_a_laboratory_writes_it)
    board = new_page(browser)
    sign_in(board, server.url, "board")
    expect(board.get_by_role("heading", level=1)).to_have_text("Tumour board queue")
    row = board.locator("tr", has_text=code)
    expect(row).to_contain_text("matches B, D")
    check_page(board, "board-queue")
    row.get_by_role("link", name=f"Triage {code}").click()
    alterations = board.get_by_role("table", name=re.compile("^Alterations"))
    nras = alterations.get_by_role("row", name=re.compile(r"^NRAS p\.Q61K"))
    expect(nras.get_by_role("rowheader")).to_have_text("NRAS p.Q61K")
    expect(nras).to_contain_text("p.Gln61Lys")  # the raw string beside the normalised change
    expect(nras).to_contain_text("22.0%")  # the VAF of this alteration, not of its gene
    expect(nras).to_contain_text("NRAS hotspot mutation")
    second = alterations.get_by_role("row", name=re.compile(r"^NRAS p\.G12D"))
    expect(second).to_contain_text("4.0%")  # a second alteration of the same gene keeps its own VAF
    expect(second).not_to_contain_text("22.0%")
    fusion = alterations.get_by_role("row", name=re.compile("ETV6::ABL1"))
    expect(fusion).to_contain_text("57 reads")  # a fusion carries its read support
    typo = alterations.get_by_role("row", name=re.compile("^KRASS"))
    expect(typo).to_contain_text("did you mean KRAS?")  # the notes column
    wrong = alterations.get_by_role("row", name=re.compile(r"^KRAS p\.A12D"))
    expect(wrong).to_contain_text("probable annotation error: A12 is written, but residue 12 of KRAS is G")
    itd = alterations.get_by_role("row", name=re.compile("^FLT3 ITD"))
    expect(itd.get_by_role("rowheader")).to_have_text("FLT3 ITD p.D600_601insSSDNEYFYVDFREYEYD")
    expect(itd).to_contain_text("p.600_600D>DSSDNEYFYVDFREYEYD")
    expect(alterations.locator("thead")).to_contain_text("Notes")
    check_page(board, "triage")
    board.set_viewport_size(TABLET)  # at tablet width the alterations table needs no sideways scroll
    region = board.get_by_role("region", name=re.compile("^Alterations"))
    assert region.evaluate("e => e.scrollWidth <= e.clientWidth"), "alterations table wider than a tablet"
    board.set_viewport_size(DESKTOP)
    board.get_by_role("link", name="Subject page and decision form").click()
    board.get_by_label("Recommended sub-protocol").select_option("B")
    board.get_by_label("Priority").fill("1")
    board.get_by_label("Rationale").fill("B first: ABL1 fusion, dasatinib")
    board.get_by_label("Members present").fill("Dr A, Dr B")
    board.get_by_role("button", name="Record decision").click()
    expect(board.get_by_role("status")).to_have_text("Board decision recorded.")
    expect(board.locator("table", has_text="Rationale")).to_contain_text("Dr A, Dr B")

    inv = new_page(browser)
    sign_in(inv, server.url, "investigator")
    inv.goto(server.url + f"/web/subjects/{code}")
    expect(inv.locator("#main")).to_contain_text(re.compile(r"Places: \d+ of \d+ taken"))
    check_page(inv, "registration")
    inv.get_by_role("button", name="Confirm registration").click()
    expect(inv.get_by_role("status")).to_contain_text(re.compile(r"Registered to B as B-\d{3}"))
    inv.get_by_role("link", name="Cycle calendar").click()
    expect(inv.locator("table.data")).to_contain_text("dasatinib")
    check_page(inv, "calendar")


def test_triage_page_of_a_subject_without_dossier_says_so(server: Server, browser: Any) -> None:
    page = new_page(browser)
    sign_in(page, server.url, "staff")
    code = _new_subject(page)
    board = new_page(browser)
    sign_in(board, server.url, "board")
    board.goto(server.url + f"/web/subjects/{code}/triage")
    expect(board.get_by_role("heading", level=1)).to_have_text(f"Triage: {code}")
    expect(board.locator("#main")).to_contain_text("No dossier yet.")
    expect(board.get_by_role("table")).to_have_count(0)


def test_registration_refusal_is_in_plain_words(server: Server, browser: Any) -> None:
    page = new_page(browser)
    sign_in(page, server.url, "staff")
    code = _new_subject(page)
    _upload(page, "incomplete-early-referral.yaml")
    board = new_page(browser)
    sign_in(board, server.url, "board")
    board.goto(server.url + f"/web/subjects/{code}")
    board.get_by_label("Recommended sub-protocol").select_option("D")
    board.get_by_label("Rationale").fill("refer to D once the work-up is complete")
    board.get_by_role("button", name="Record decision").click()
    inv = new_page(browser)
    sign_in(inv, server.url, "investigator")
    inv.goto(server.url + f"/web/subjects/{code}")
    inv.get_by_role("button", name="Confirm registration").click()
    expect(inv.get_by_role("status")).to_contain_text(
        re.compile(r"Registration refused: .*verdict gate: .* is INCOMPLETE for D, not ELIGIBLE")
    )
    expect(inv.get_by_role("status")).to_contain_text("only an ELIGIBLE verdict can be registered")


def test_another_sites_subject_is_not_found(server: Server, browser: Any) -> None:
    page = new_page(browser)
    sign_in(page, server.url, "staff")
    code = _new_subject(page)
    _upload(page, "d-kras-g12d-eligible.yaml")
    report = page.url.split("?")[0].removeprefix(server.url)
    other = new_page(browser)
    sign_in(other, server.url, "other_staff")
    response = other.goto(server.url + f"/web/subjects/{code}")
    assert response is not None and response.status == 404
    expect(other.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(other.get_by_role("alert")).to_have_text(f"Subject {code} not found")
    check_page(other, "not-found")
    for path in (
        f"/web/subjects/{code}/form",
        f"/web/subjects/{code}/triage",
        f"/web/subjects/{code}/calendar",
        report,
        report + "/report.pdf",
    ):
        response = other.goto(server.url + path)
        assert response is not None and response.status == 404, path
        expect(other.get_by_role("alert")).to_have_text(f"Subject {code} not found")
    expect(other.locator("#main")).not_to_contain_text("KRAS")
    other.goto(server.url + "/web/home")
    expect(other.locator("#subjects")).not_to_contain_text(code)


def test_monitor_sees_but_cannot_change(server: Server, browser: Any) -> None:
    subject = server.state.write(
        lambda db: services.create_subject(db, actor=services.SYSTEM, site_code="DK-COP")
    )
    code = subject.code
    page = new_page(browser)
    sign_in(page, server.url, "monitor")
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring overview")
    assert page.get_by_role("button", name="New subject").count() == 0
    page.goto(server.url + "/web/office/changes")
    assert page.get_by_role("button", name="Mark reviewed").count() == 0
    page.goto(server.url + "/web/office/sites")
    assert page.get_by_role("button", name="Change status").count() == 0
    page.goto(server.url + f"/web/subjects/{code}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)  # the monitor reads it
    for button in ("Upload and screen", "Record decision", "Confirm registration"):
        assert page.get_by_role("button", name=button).count() == 0, button
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    entries_before = _audit_count(server)
    for path, form in (
        ("/web/subjects", {"site_code": "DK-COP"}),
        (f"/web/subjects/{code}/form", {"action": "store", "disease": "ALL"}),
        (f"/web/subjects/{code}/decision", {"subprotocol": "B", "rationale": "monitor tries"}),
        (f"/web/subjects/{code}/register", {"subprotocol": "B"}),
        ("/web/office/changes/1", {"note": "monitor tries"}),
        (
            "/web/office/sites",
            {"site_code": "DK-COP", "subprotocol": "D", "status": "closed", "reason": "monitor tries"},
        ),
        ("/web/office/users", {"username": "mole", "role": "trial_office", "password": "x" * 14}),
        ("/web/office/users/staff", {"action": "deactivate", "reason": "monitor tries"}),
        ("/web/office/users/monitor", {"action": "role", "role": "trial_office", "reason": "promote me"}),
    ):
        answer = page.request.post(server.url + path, form={"csrf": csrf or "", **form}, max_redirects=0)
        assert answer.status == 403, (path, answer.status)
        assert "may not do this" in answer.text() or "for the trial office" in answer.text(), path
    assert _audit_count(server) == entries_before  # nothing changed, nothing was written
    page.goto(server.url + "/web/office/users")
    expect(page.get_by_role("alert")).to_have_text("This page is for the trial office.")


def _audit_count(server: Server) -> int:
    return len(server.state.write(lambda db: list(db.scalars(select(AuditEntry.id)))))


def test_forms_without_the_csrf_token_are_refused(server: Server, browser: Any) -> None:
    page = new_page(browser)
    sign_in(page, server.url, "staff")
    answer = page.request.post(server.url + "/web/subjects", form={"site_code": "DK-COP"}, max_redirects=0)
    assert answer.status == 403
    assert "did not come from this site" in answer.text()


def _deactivate(server: Server, username: str) -> None:
    """The trial office deactivates the account through the registry's accounts service."""
    server.state.write(
        lambda db: accounts.set_active(
            db, actor=services.SYSTEM, username=username, active=False, reason="left"
        )
    )


def test_a_revoked_accounts_open_session_stops_at_the_next_click(server: Server, browser: Any) -> None:
    server.state.write(
        lambda db: services.create_user(
            db,
            actor=services.SYSTEM,
            username="leaver",
            role=Role.site_staff,
            site_code="DK-COP",
            password="correct horse battery",
        )
    )
    page = new_page(browser)
    sign_in(page, server.url, "leaver")
    expect(page.get_by_role("heading", level=1)).to_contain_text("DK-COP")
    _deactivate(server, "leaver")
    page.get_by_role("link", name="My password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_have_text(ws.EXPIRED)
    sign_in(page, server.url, "leaver")
    expect(page.get_by_role("status")).to_have_text(REFUSED)


def test_a_locked_account_cannot_sign_in(server: Server, browser: Any) -> None:
    server.state.write(
        lambda db: services.create_user(
            db,
            actor=services.SYSTEM,
            username="locked",
            role=Role.site_staff,
            site_code="DK-COP",
            password="correct horse battery",
        )
    )
    page = new_page(browser)
    for _ in range(accounts.LoginPolicy().max_failures_per_user):
        sign_in(page, server.url, "locked", "not the password")
    sign_in(page, server.url, "locked")
    expect(page.get_by_role("status")).to_have_text(REFUSED)
    assert "/web/home" not in page.url


def test_trial_office_pages(server: Server, browser: Any) -> None:
    page = new_page(browser)
    leaks = external_requests(page, server.url)
    sign_in(page, server.url, "office")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trial office overview")
    check_page(page, "office")
    page.get_by_role("link", name="Verdict changes", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verdict changes after re-screening")
    check_page(page, "verdict-changes")
    page.get_by_role("link", name="Sites").click()
    page.get_by_label("Site", exact=True).select_option("SE-STO")
    page.get_by_label("Sub-protocol").select_option("B")
    page.get_by_label("Status").select_option("suspended")
    page.get_by_label("Reason").fill("pharmacy audit")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("status")).to_have_text("Site status changed.")
    expect(page.locator("tr", has_text="SE-STO")).to_contain_text("suspended")
    check_page(page, "sites")
    page.get_by_role("link", name="Users").click()
    page.get_by_label("New username").fill("nurse2")
    page.get_by_label("Role", exact=True).select_option("site_staff")
    page.get_by_label("Site (site roles only)").select_option("DK-COP")
    page.get_by_label("Initial password").fill("a long initial password")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_have_text("User nurse2 added.")
    check_page(page, "users")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action starts with").fill("site.")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.data tbody")).to_contain_text("pharmacy audit")
    expect(page.locator("table.data tbody")).not_to_contain_text("user.create")
    check_page(page, "audit")
    with page.expect_download() as info:
        page.get_by_role("link", name="Export as CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith("id,at,actor,action") and "site.status" in text and "user.create" not in text
    page.get_by_role("link", name="Verify the chain").click()
    expect(page.locator("#verify")).to_contain_text(re.compile(r"Audit chain intact: \d+ row\(s\) checked"))
    page.get_by_role("link", name="Patterns").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patterns")
    check_page(page, "patterns")
    page.get_by_role("link", name="My password").click()
    check_page(page, "password")
    assert leaks == []
    nurse = server.state.write(lambda db: db.scalar(select(User).where(User.username == "nurse2")))
    assert nurse is not None and nurse.site_code == "DK-COP"


def test_keyboard_reaches_sign_in_with_visible_focus(server: Server, browser: Any) -> None:
    page = new_page(browser)
    page.goto(server.url + "/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focused == "username" and outline == "solid"


def test_change_own_password(server: Server, browser: Any) -> None:
    server.state.write(
        lambda db: services.create_user(
            db,
            actor=services.SYSTEM,
            username="changer",
            role=Role.tumour_board,
            site_code=None,
            password="correct horse battery",
        )
    )
    page = new_page(browser)
    sign_in(page, server.url, "changer")
    page.get_by_role("link", name="My password").click()
    page.get_by_label("Current password").fill("correct horse battery")
    page.get_by_label("New password", exact=True).fill("a brand new passphrase")
    page.get_by_label("Repeat new password").fill("a brand new passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Password changed")
    sign_in(page, server.url, "changer", "a brand new passphrase")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tumour board queue")
