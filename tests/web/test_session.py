"""Session cookies and form reading without a browser: idle timeout, tampering, the account check."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from ismart.registry.access import Principal, Role
from ismart.web import session as ws
from ismart.web.app import PageError, form_to_dossier, plain_refusal
from ismart.web.views import nice_date

SECRET = "a test secret of enough length"


def _cookie(last: float) -> str:
    session = ws.WebSession(Principal("nurse", Role.site_staff, "DK-COP"), 3, "tok", last)
    return ws.encode(session, secret=SECRET)


def test_a_fresh_cookie_reads_back() -> None:
    assert ws.decode(_cookie(1000.0), secret=SECRET, idle_minutes=30, now=1000.0 + 29 * 60) == (
        "nurse",
        3,
        "tok",
    )


def test_an_idle_session_has_ended_with_the_expired_message() -> None:
    with pytest.raises(ws.SessionEnded) as info:
        ws.decode(_cookie(1000.0), secret=SECRET, idle_minutes=30, now=1000.0 + 30 * 60 + 1)
    assert info.value.message == ws.EXPIRED


@pytest.mark.parametrize("value", ["", "garbage", None])
def test_no_or_garbled_cookie_asks_to_sign_in(value: str | None) -> None:
    with pytest.raises(ws.SessionEnded):
        ws.decode(value, secret=SECRET, idle_minutes=30, now=1000.0)


def test_a_cookie_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(ws.SessionEnded):
        ws.decode(_cookie(1000.0), secret="another secret of enough length", idle_minutes=30, now=1000.0)


def test_csrf_tokens_compare_exactly() -> None:
    assert ws.same_token("abc", "abc")
    assert not ws.same_token("abd", "abc")
    assert not ws.same_token(None, "abc")


def test_form_fields_become_dossier_sections_and_empty_ones_stay_missing() -> None:
    form = FormData(
        [
            ("weight_kg", "31"),
            ("sex", "male"),
            ("lab0_test", "alt"),
            ("lab0_value", "35"),
            ("lab0_unit", "U/L"),
            ("medications", "cotrimoxazole\n\naciclovir"),
            ("birth_date", ""),
        ]
    )
    data = form_to_dossier(form)
    assert data["patient"] == {"sex": "male", "weight_kg": 31.0}
    assert data["labs"] == [{"test": "alt", "value": 35.0, "unit": "U/L"}]
    assert data["current_medications"] == [{"name": "cotrimoxazole"}, {"name": "aciclovir"}]
    assert "diagnosis" not in data and "cardiac" not in data


def test_medication_fields_the_text_box_and_further_sections_all_count() -> None:
    form = FormData(
        [
            ("med0", "zofran"),
            ("med1", ""),
            ("med2", "fluconazole"),
            ("medications", "aciclovir"),
            ("extra", "current_medications:\n- name: cotrimoxazole\n  route: oral\n"),
        ]
    )
    assert form_to_dossier(form)["current_medications"] == [
        {"name": "zofran"},
        {"name": "fluconazole"},
        {"name": "aciclovir"},
        {"name": "cotrimoxazole", "route": "oral"},
    ]


def test_a_bad_number_names_the_field() -> None:
    with pytest.raises(PageError) as info:
        form_to_dossier(FormData([("ecg_qt", "long")]))
    assert info.value.message == "QT (ms): 'long' is not a number"


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_a_number_that_is_not_finite_is_refused_with_the_field(text: str) -> None:
    with pytest.raises(PageError) as info:
        form_to_dossier(FormData([("ecg_qt", text)]))
    assert (info.value.status, info.value.message) == (422, f"QT (ms): {text!r} is not a finite number")


def test_bad_further_sections_name_the_line() -> None:
    with pytest.raises(PageError) as info:
        form_to_dossier(FormData([("extra", "consent:\n  signed_on: [\n")]))
    assert info.value.message.startswith("Further sections line")


def test_refusals_in_plain_words() -> None:
    text = plain_refusal("subject DK-COP-0001: latest screening is INCOMPLETE for D")
    assert text.startswith("the latest screening says INCOMPLETE for D")
    assert "only an ELIGIBLE verdict" in text
    assert "not recruiting at your site" in plain_refusal("sub-protocol B at site SE-STO: suspended")


def test_dates_are_unambiguous() -> None:
    assert nice_date("2026-03-02") == "2 Mar 2026"
    assert nice_date("2026-03-08T08:00") == "8 Mar 2026 08:00"
    assert nice_date(None) == ""
