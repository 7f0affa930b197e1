"""Issue 9, family 3: every numeric threshold tested exactly on its boundary, with values whose float
arithmetic is inexact (so the test fails if a comparison goes back to floats), and one step either
side; and the date windows on the day before, of and after their boundary.

Each case states the float result that would mislead (``naive``): the test first checks that float
arithmetic really is inexact there, so a case cannot silently stop probing what it claims to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from helpers import base_data, patch, screen_data
from ismart.calculators import qtcf
from ismart.eligibility.status import Outcome, Status, all_of

LAB = "2026-03-08T08:00"


def _lab(test: str, value: float, unit: str, uln: float | None = None) -> dict[str, Any]:
    lab: dict[str, Any] = {"test": test, "value": value, "unit": unit, "collected_at": LAB}
    if uln is not None:
        lab["uln"] = uln
    return lab


@dataclass(frozen=True)
class Case:
    id: str
    sub: str
    key: str
    changes: dict[str, Any]
    expect: Status
    reason: str
    naive: Callable[[], float] | None = None  # the float arithmetic the engine must not rely on
    exact: float | None = None  # the exact value of that arithmetic
    c1d1: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


CASES = [
    # creatinine at most 1.5 x ULN (site ULN, mg/dL and umol/L; table ULN 0.9 mg/dL at 11 y)
    Case("creatinine-mg-dl-exactly-1.5", "D", "renal",
         {"labs[0]": _lab("creatinine", 1.05, "mg/dL", 0.7)}, Status.MET,
         "creatinine 1.50 x ULN (within 1.5 x)", lambda: 1.05 / 0.7, 1.5),
    Case("creatinine-umol-exactly-1.5", "D", "renal",
         {"labs[0]": _lab("creatinine", 60.45, "umol/L", 40.3)}, Status.MET,
         "creatinine 1.50 x ULN (within 1.5 x)", lambda: 60.45 / 40.3, 1.5),
    Case("creatinine-umol-just-above-1.5", "D", "renal",
         {"labs[0]": _lab("creatinine", 60.46, "umol/L", 40.3), "patient.height_cm": 90.0},
         Status.UNKNOWN, "creatinine 1.51 x ULN (above 1.5 x)"),
    Case("creatinine-table-uln-exactly-1.5", "D", "renal",
         {"labs[0]": _lab("creatinine", 119.34, "µmol/L")}, Status.MET,
         "creatinine 1.50 x ULN (within 1.5 x)", lambda: 119.34 / 88.4 / 0.9, 1.5),
    Case("creatinine-table-uln-just-above", "D", "renal",
         {"labs[0]": _lab("creatinine", 119.4, "µmol/L")}, Status.UNKNOWN,
         "creatinine 1.51 x ULN (above 1.5 x)"),
    # Schwartz eGFR at least 60 (0.413 x 180 / 1.239 is exactly 60; creatinine itself is too high)
    Case("egfr-exactly-60", "D", "renal",
         {"labs[0]": _lab("creatinine", 1.239, "mg/dL", 0.7), "patient.height_cm": 180.0}, Status.MET,
         "Schwartz eGFR 60.0 mL/min/1.73m2 (at least 60)", lambda: 0.413 * 180.0 / 1.239, 60.0),
    Case("egfr-just-below-60", "D", "renal",
         {"labs[0]": _lab("creatinine", 1.24, "mg/dL", 0.7), "patient.height_cm": 180.0}, Status.UNKNOWN,
         "Schwartz eGFR 59.9 mL/min/1.73m2 (below 60)"),
    Case("egfr-just-above-60", "D", "renal",
         {"labs[0]": _lab("creatinine", 1.238, "mg/dL", 0.7), "patient.height_cm": 180.0}, Status.MET,
         "Schwartz eGFR 60.0 mL/min/1.73m2 (at least 60)"),
    # measured GFR at least 60 (no division: on, and either side of, the boundary)
    Case("gfr-measured-exactly-60", "D", "renal",
         {"labs[0]": _lab("creatinine", 1.24, "mg/dL", 0.7), "patient.height_cm": 100.0,
          "labs[+]": _lab("gfr_measured", 60.0, "mL/min/1.73m2")}, Status.MET, "measured GFR 60"),
    Case("gfr-measured-59.9", "D", "renal",
         {"labs[0]": _lab("creatinine", 1.24, "mg/dL", 0.7), "patient.height_cm": 100.0,
          "labs[+]": _lab("gfr_measured", 59.9, "mL/min/1.73m2")}, Status.NOT_MET, "measured GFR 59.9"),
    # direct bilirubin at most 3 x ULN with Gilbert's (umol/L), and 2 x ULN without
    Case("bilirubin-gilbert-umol-exactly-3", "B", "bilirubin",
         {"labs[1]": _lab("bilirubin_direct", 9.9, "µmol/L", 3.3), "conditions.gilbert_syndrome": True},
         Status.MET, "direct bilirubin 3.00 x ULN (Gilbert's syndrome limit)", lambda: 9.9 / 3.3, 3.0),
    Case("bilirubin-gilbert-umol-just-above-3", "B", "bilirubin",
         {"labs[1]": _lab("bilirubin_direct", 9.91, "µmol/L", 3.3), "conditions.gilbert_syndrome": True},
         Status.NOT_MET, "direct bilirubin 3.01 x ULN: above the limit"),
    Case("bilirubin-mg-dl-exactly-3-gilbert", "C", "bilirubin",
         {"labs[1]": _lab("bilirubin_direct", 2.1, "mg/dL", 0.7), "conditions.gilbert_syndrome": True},
         Status.MET, "direct bilirubin 3.00 x ULN (Gilbert's syndrome limit)", lambda: 2.1 / 0.7, 3.0),
    Case("bilirubin-exactly-3-without-gilbert", "C", "bilirubin",
         {"labs[1]": _lab("bilirubin_direct", 2.1, "mg/dL", 0.7)}, Status.NOT_MET,
         "direct bilirubin 3.00 x ULN: above the limit"),
    Case("bilirubin-just-above-2", "D", "bilirubin",
         {"labs[1]": _lab("bilirubin_direct", 9.41, "µmol/L", 4.7)}, Status.NOT_MET,
         "direct bilirubin 2.01 x ULN: above the limit"),
    # ALT / AST at most 5 x ULN (Swedish units; 2.35 / 0.47 is exactly 5)
    Case("alt-ukat-exactly-5", "B", "transaminases",
         {"labs[2]": _lab("alt", 2.35, "µkat/L", 0.47)}, Status.MET, "ALT 5.00 x ULN",
         lambda: 2.35 / 0.47, 5.0),
    Case("ast-ukat-exactly-5", "D", "transaminases",
         {"labs[3]": _lab("ast", 4.15, "µkat/L", 0.83)}, Status.MET, "AST 5.00 x ULN",
         lambda: 4.15 / 0.83, 5.0),
    Case("alt-ukat-just-above-5", "B", "transaminases",
         {"labs[2]": _lab("alt", 2.36, "µkat/L", 0.47)}, Status.NOT_MET, "ALT 5.03 x ULN above 5 x"),
    # QTcF at most 450 ms: 414 / 0.7786880^(1/3) = 414 / 0.92 = 450 exactly; 360 at 117.1875 bpm too
    Case("qtcf-rr-exactly-450", "D", "qtc",
         {"cardiac.ecg": {"date": "2026-03-02", "qt_ms": 414.0, "rr_ms": 778.688}}, Status.MET,
         "QTcF 450.0 ms (within 450)", lambda: qtcf(414.0, rr_ms=778.688), 450.0),
    Case("qtcf-rr-just-above-450", "D", "qtc",
         {"cardiac.ecg": {"date": "2026-03-02", "qt_ms": 414.1, "rr_ms": 778.688}}, Status.NOT_MET,
         "QTcF 450.2 ms (above 450)"),
    Case("qtcf-rate-exactly-450", "C", "qtc",
         {"cardiac.ecg": {"date": "2026-03-02", "qt_ms": 360.0, "heart_rate_bpm": 117.1875}}, Status.MET,
         "QTcF 450.0 ms (within 450)"),
    Case("qtcf-reported-exactly-450-and-recomputed-450", "D", "qtc",
         {"cardiac.ecg": {"date": "2026-03-02", "qt_ms": 414.0, "rr_ms": 778.688, "qtcf_ms": 450.0}},
         Status.MET, "QTcF reported 450 ms, recomputed 450.0 ms: both within 450",
         lambda: qtcf(414.0, rr_ms=778.688), 450.0),
    # LVEF at least 50 %, SF above 29 % (above 35 % under 3 years): values as given, no division
    Case("lvef-exactly-50", "D", "cardiac_function",
         {"cardiac.echo": {"date": "2026-03-02", "shortening_fraction_pct": 28.0, "lvef_pct": 50.0}},
         Status.MET, "LVEF 50% (at least 50%)"),
    Case("lvef-49.9", "D", "cardiac_function",
         {"cardiac.echo": {"date": "2026-03-02", "shortening_fraction_pct": 28.0, "lvef_pct": 49.9}},
         Status.NOT_MET, "LVEF 49.9% (below 50%)"),
    Case("sf-exactly-29-is-not-above", "D", "cardiac_function",
         {"cardiac.echo": {"date": "2026-03-02", "shortening_fraction_pct": 29.0, "lvef_pct": 45.0}},
         Status.NOT_MET, "SF 29% (not above 29%)"),
    Case("sf-29.1-is-above", "D", "cardiac_function",
         {"cardiac.echo": {"date": "2026-03-02", "shortening_fraction_pct": 29.1, "lvef_pct": 45.0}},
         Status.MET, "SF 29.1% (above 29%)"),
    # date windows, day before / of / after (C1D1 2026-03-09, inclusion 2026-03-04)
    Case("surgery-22-days", "D", "washout_surgery",
         {"surgery": [{"date": "2026-02-15", "procedure": "laparotomy", "major": True}]}, Status.MET,
         "major surgery (21 d): over by 2026-03-08"),
    Case("antibody-22-days", "D", "washout_antibody",
         {"prior_therapy[+]": {"agent": "inotuzumab ozogamicin", "class": "monoclonal_antibody",
                               "last_dose": "2026-02-15"}}, Status.MET, "over by 2026-03-08"),
    Case("covid-contact-pcr-day-6", "B", "infection",
         {"infections.covid.recent_contact": True, "infections.covid.last_contact": "2026-03-01",
          "infections.covid.pcr_after_contact": "2026-03-07"}, Status.MET,
         "no active hepatitis, HIV or uncontrolled infection"),
    Case("weight-13-days-before-inclusion", "D", "weight", {"patient.measured_on": "2026-02-19"},
         Status.MET, "31 kg"),
    Case("pregnancy-test-on-c1d1", "D", "pregnancy",
         {"patient.sex": "female", "reproductive.childbearing_potential": True,
          "labs[+]": {"test": "pregnancy_urine_hcg", "result": "negative", "collected_at": "2026-03-09"}},
         Status.MET, "negative test 0 d before C1D1"),
    Case("pregnancy-test-day-after-c1d1", "D", "pregnancy",
         {"patient.sex": "female", "reproductive.childbearing_potential": True,
          "labs[+]": {"test": "pregnancy_urine_hcg", "result": "negative", "collected_at": "2026-03-10"}},
         Status.UNKNOWN, "outside the 7-day window", extra={"today": "2026-03-10"}),
]  # fmt: skip


def _screen(case: Case) -> tuple[Status, list[str]]:
    from datetime import date

    today = date.fromisoformat(case.extra.get("today", "2026-03-09"))
    c1d1 = date.fromisoformat(case.c1d1) if case.c1d1 else None
    result = screen_data(patch(base_data(), case.changes), c1d1=c1d1, today=today)
    sub = next(s for s in result.subprotocols if s.id == case.sub)
    found = [c for c in sub.criteria if c.key == case.key]
    assert found, (case.sub, case.key)
    return all_of(Outcome(c.status, c.summary) for c in found).status, [c.summary for c in found]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_threshold_on_and_beside_its_boundary(case: Case) -> None:
    if case.naive is not None:
        assert case.naive() != case.exact, "float arithmetic is exact here: the case probes nothing"
    status, summaries = _screen(case)
    assert status is case.expect, summaries
    assert any(case.reason in s for s in summaries), summaries


def test_every_numeric_threshold_has_an_exact_boundary_case() -> None:
    probed = {c.id.split("-")[0] for c in CASES if c.naive is not None}
    assert {"creatinine", "egfr", "bilirubin", "alt", "ast", "qtcf"} <= probed
