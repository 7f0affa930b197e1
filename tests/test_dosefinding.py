"""Dose finding: rolling six row by row, 3+3 branch by branch, BOIN against derived and published
numbers, and the simulators against exact answers and a published BOIN scenario."""

from __future__ import annotations

import csv
import json
import math
import random
from datetime import date, timedelta
from functools import cache

import pytest

from helpers import DATA
from ismart.errors import InputError
from ismart.treatment.dosefinding import (
    Decision,
    Design,
    PatientRecord,
    decision_table,
    next_decision,
    simulate,
)
from ismart.treatment.dosefinding.boin import boin_boundaries, boin_lambdas, boin_next, select_mtd
from ismart.treatment.dosefinding.rolling6 import (
    DEESCALATE,
    ENROL,
    ESCALATE,
    MTD,
    SUSPEND,
    GridRule,
    resolve,
    rolling6_action,
)
from ismart.treatment.dosefinding.three_plus_three import three_plus_three_action

BOIN_DATA = DATA / "boin"
HEM = Design("rolling6")  # levels -1, 1, 2; start at 1
THREE = Design("3+3")
DAY0 = date(2026, 1, 5)


def level(dose: int, on: int, evaluable: int, dlts: int, not_evaluable: int = 0) -> list[PatientRecord]:
    """Patients at one level: the first ``evaluable`` have outcomes (the first ``dlts`` of them a DLT),
    the rest of the ``on`` are pending, and ``not_evaluable`` more were never assessable."""
    records = []
    for i in range(on + not_evaluable):
        when = DAY0 + timedelta(days=7 * i + dose + 10)
        if i >= on:
            records.append(PatientRecord(f"L{dose}-{i}", dose, when, "no", None))
        elif i < evaluable:
            records.append(PatientRecord(f"L{dose}-{i}", dose, when, "yes", i < dlts))
        else:
            records.append(PatientRecord(f"L{dose}-{i}", dose, when, "pending", None))
    return records


def decide(design: Design, current: int, *groups: list[PatientRecord]) -> Decision:
    return next_decision(design, [p for g in groups for p in g], current)


# --- rolling six: the published grid ----------------------------------------------------------

# JAMA Netw Open 2020;3(5):e204787, Table 2, "Rolling 6" column, restated in
# shared/reference/rolling6-decision-grid.md: on level | evaluable | DLTs | next patient.
PUBLISHED_GRID = [
    ("0-5", "0", "0", "enrol"),
    ("6", "0", "0", "wait"),
    ("1-5", "1", "0", "enrol"),
    ("6", "1", "0", "wait"),
    ("2-5", "2", "0", "enrol"),
    ("6", "2", "0", "wait"),
    ("3", "3", "0", "escalate"),
    ("4-5", "3", "0", "enrol"),
    ("6", "3", "0", "wait"),
    ("4", "4", "0", "escalate"),
    ("5", "4", "0", "enrol"),
    ("6", "4", "0", "wait"),
    ("5", "5", "0", "escalate"),
    ("6", "5", "0", "escalate"),
    ("1-5", "1-5", "1", "enrol"),
    ("6", "1-3", "1", "wait"),
    ("6", "4", "1", "wait"),
    ("6", "5", "1", "wait"),
    ("6", "6", "1", "escalate"),
    ("2-6", "2-6", "2", "de-escalate"),
    ("any", "any", ">=3", "de-escalate"),
]


def _span(label: str) -> range:
    if label == "any":
        return range(0, 7)
    if label.startswith(">="):
        return range(int(label[2:]), 7)
    low, _, high = label.partition("-")
    return range(int(low), int(high or low) + 1)


def _grid_cases() -> list[tuple[str, int, int, int, str]]:
    cases = []
    for k, (on_l, ev_l, d_l, kind) in enumerate(PUBLISHED_GRID):
        for on in _span(on_l):
            for ev in _span(ev_l):
                for d in _span(d_l):
                    if d <= ev <= on:
                        cases.append((f"row{k + 1:02d}", on, ev, d, kind))
    return cases


NEXT_LEVEL = {"enrol": 1, "wait": None, "escalate": 2, "de-escalate": -1}


@pytest.mark.parametrize(
    ("row", "on", "ev", "d", "kind"),
    _grid_cases(),
    ids=[f"{c[0]}-{c[1]}/{c[2]}/{c[3]}" for c in _grid_cases()],
)
def test_rolling6_every_grid_row(row: str, on: int, ev: int, d: int, kind: str) -> None:
    # A patient not evaluable for DLT sits on the level too; the grid must not count them.
    decision = decide(HEM, 1, level(1, on, ev, d, not_evaluable=1))
    assert decision.decision == kind
    assert decision.dose_level == NEXT_LEVEL[kind]
    assert decision.counts == {
        "level": 1,
        "on_level": on,
        "evaluable": ev,
        "dlts": d,
        "pending": on - ev,
        "not_evaluable": 1,
    }
    assert "grid row: patients on the level" in decision.reason


def test_rolling6_table_is_the_published_grid() -> None:
    rows = decision_table(HEM)
    assert [(r["on_level"], r["evaluable"], r["dlts"], r["decision"]) for r in rows] == PUBLISHED_GRID
    assert rows[12]["next_patient"] == "escalate (or MTD at the highest level)"


def test_rolling6_six_enrolled_waiting_holds_accrual() -> None:
    decision = decide(HEM, 1, level(1, 6, 2, 0))
    assert (decision.decision, decision.dose_level, decision.mtd) == ("wait", None, None)
    assert "hold accrual" in decision.reason


def test_non_evaluable_patient_frees_a_place_on_the_level() -> None:
    # Six enrolled but one not evaluable: five on level, so a sixth may be enrolled.
    assert decide(HEM, 1, level(1, 5, 2, 0, not_evaluable=1)).decision == "enrol"
    assert decide(HEM, 1, level(1, 6, 2, 0)).decision == "wait"


def test_pending_patient_with_a_dlt_counts_as_evaluable() -> None:
    patients = [*level(1, 2, 1, 1), PatientRecord("X", 1, DAY0, "pending", True)]
    decision = decide(HEM, 1, patients)
    assert decision.decision == "de-escalate"
    assert decision.counts["dlts"] == 2


def test_first_patient_starts_at_level_one() -> None:
    decision = next_decision(HEM, [])
    assert (decision.decision, decision.dose_level) == ("enrol", 1)


def test_current_level_defaults_to_latest_enrolment() -> None:
    patients = [*level(1, 3, 3, 0), PatientRecord("Z", 2, DAY0 + timedelta(days=90), "pending", None)]
    decision = next_decision(HEM, patients)
    assert (decision.decision, decision.dose_level, decision.counts["level"]) == ("enrol", 2, 2)


# --- rolling six: the MTD rule and elimination ------------------------------------------------


@pytest.mark.parametrize(("on", "ev", "d"), [(5, 5, 0), (6, 5, 0), (6, 6, 0), (6, 6, 1)])
def test_escalating_past_the_top_level_declares_it_the_mtd(on: int, ev: int, d: int) -> None:
    decision = decide(HEM, 2, level(1, 3, 3, 0), level(2, on, ev, d))
    assert (decision.decision, decision.mtd, decision.dose_level) == ("mtd", 2, None)
    assert "highest level" in decision.reason


@pytest.mark.parametrize(("on", "ev", "kind"), [(3, 3, "enrol"), (4, 4, "enrol"), (6, 4, "wait")])
def test_top_level_fills_to_six_before_declaring(on: int, ev: int, kind: str) -> None:
    decision = decide(HEM, 2, level(1, 3, 3, 0), level(2, on, ev, 0))
    assert decision.decision == kind
    assert decision.mtd is None


def test_de_escalating_onto_six_with_at_most_one_dlt_declares_the_mtd() -> None:
    decision = decide(HEM, 2, level(1, 6, 6, 1), level(2, 3, 2, 2))
    assert (decision.decision, decision.mtd, decision.dose_level) == ("mtd", 1, None)
    assert decision.eliminated == (2,)


def test_de_escalating_onto_a_full_level_with_pending_waits() -> None:
    decision = decide(HEM, 2, level(1, 6, 5, 0), level(2, 2, 2, 2))
    assert (decision.decision, decision.dose_level) == ("wait", None)
    assert "level 1" in decision.reason


def test_de_escalating_onto_a_partly_filled_level_enrols_there() -> None:
    decision = decide(HEM, 2, level(1, 3, 3, 0), level(2, 3, 3, 2))
    assert (decision.decision, decision.dose_level, decision.eliminated) == ("de-escalate", 1, (2,))


def test_mtd_rule_six_below_an_eliminated_level() -> None:
    decision = decide(HEM, 1, level(1, 6, 6, 1), level(2, 3, 3, 2))
    assert (decision.decision, decision.mtd) == ("mtd", 1)
    assert "0/6 or 1/6" in decision.reason


def test_five_of_five_below_an_eliminated_level_still_needs_a_sixth() -> None:
    # The HEM-iSMART rule asks for 0/6 or 1/6; only at the top level does the grid accept 0/5.
    decision = decide(HEM, 1, level(1, 5, 5, 0), level(2, 3, 3, 2))
    assert (decision.decision, decision.dose_level) == ("enrol", 1)


def test_eliminated_level_is_never_offered_again() -> None:
    decision = decide(HEM, 1, level(1, 3, 3, 0), level(2, 3, 3, 2))
    assert decision.decision == "enrol"
    assert decision.dose_level == 1
    assert decision.eliminated == (2,)


def test_standing_above_an_eliminated_level_goes_below_it() -> None:
    design = Design("rolling6", (1, 2, 3))
    decision = decide(design, 3, level(1, 3, 3, 0), level(2, 4, 4, 2), level(3, 1, 0, 0))
    assert (decision.decision, decision.dose_level, decision.eliminated) == ("de-escalate", 1, (2, 3))


def test_de_escalating_below_the_lowest_level_suspends() -> None:
    decision = decide(HEM, -1, level(1, 3, 3, 2), level(-1, 3, 2, 2))
    assert (decision.decision, decision.dose_level, decision.mtd) == ("suspend", None, None)
    assert decision.eliminated == (-1, 1, 2)


@pytest.mark.parametrize("name", ["rolling6", "3+3", "boin"])
def test_no_design_offers_a_ruled_out_level(name: str) -> None:
    rng = random.Random(7)
    design = Design(name, (1, 2, 3, 4), target=0.3)  # type: ignore[arg-type]
    for _ in range(400):
        groups = []
        for dose in design.levels:
            on = rng.randint(0, 6)
            ev = rng.randint(0, on)
            groups.append(level(dose, on, ev, rng.randint(0, ev)))
        decision = decide(design, rng.choice(design.levels), *groups)
        assert decision.dose_level is None or decision.dose_level not in decision.eliminated
        assert decision.mtd is None or decision.mtd not in decision.eliminated


# --- 3+3 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "ev", "d", "kind", "dose"),
    [
        (0, 0, 0, "enrol", 1),
        (2, 1, 0, "enrol", 1),  # completing the cohort of three
        (3, 2, 0, "wait", None),  # cohort outcomes pending
        (3, 3, 0, "escalate", 2),  # 0/3
        (3, 3, 1, "enrol", 1),  # 1/3: expand to six
        (4, 3, 1, "enrol", 1),
        (6, 5, 1, "wait", None),
        (6, 6, 1, "escalate", 2),  # 1/6
        (3, 3, 2, "de-escalate", -1),  # > 1/3
        (6, 6, 2, "de-escalate", -1),  # >= 2/6
        (2, 2, 2, "de-escalate", -1),  # two DLTs before the cohort is complete
    ],
)
def test_three_plus_three_branches(on: int, ev: int, d: int, kind: str, dose: int | None) -> None:
    decision = decide(THREE, 1, level(1, on, ev, d, not_evaluable=1))
    assert (decision.decision, decision.dose_level) == (kind, dose)


def test_three_plus_three_expands_the_top_level_then_declares() -> None:
    assert decide(THREE, 2, level(1, 3, 3, 0), level(2, 3, 3, 0)).decision == "enrol"
    decision = decide(THREE, 2, level(1, 3, 3, 0), level(2, 6, 6, 1))
    assert (decision.decision, decision.mtd) == ("mtd", 2)


def test_three_plus_three_mtd_needs_six_at_the_level_below() -> None:
    decision = decide(THREE, 2, level(1, 3, 3, 0), level(2, 3, 3, 2))
    assert (decision.decision, decision.dose_level) == ("de-escalate", 1)
    decision = decide(THREE, 1, level(1, 6, 6, 1), level(2, 3, 3, 2))
    assert (decision.decision, decision.mtd) == ("mtd", 1)
    decision = decide(THREE, 2, level(1, 6, 6, 0), level(2, 6, 6, 2))
    assert (decision.decision, decision.mtd) == ("mtd", 1)


def test_three_plus_three_toxic_lowest_level_suspends() -> None:
    assert decide(THREE, -1, level(-1, 3, 3, 2)).decision == "suspend"


def test_three_plus_three_table() -> None:
    rows = decision_table(THREE)
    assert [(r["evaluable"], r["dlts"], r["decision"]) for r in rows] == [
        ("3", "0", "escalate"),
        ("3", "1", "enrol"),
        ("3", ">=2", "de-escalate"),
        ("6", "<=1", "escalate"),
        ("6", ">=2", "de-escalate"),
    ]


# --- input checks ------------------------------------------------------------------------------


def test_inputs_are_checked() -> None:
    with pytest.raises(InputError, match="needs a DLT outcome"):
        PatientRecord("A", 1, DAY0, "yes", None)
    with pytest.raises(InputError, match="evaluable"):
        PatientRecord("A", 1, DAY0, "no", True)
    with pytest.raises(InputError, match="listed twice"):
        next_decision(HEM, [PatientRecord("A", 1, DAY0, "pending", None)] * 2)
    with pytest.raises(InputError, match="dose level 3"):
        next_decision(HEM, [PatientRecord("A", 3, DAY0, "pending", None)])
    with pytest.raises(InputError, match="current level 5"):
        next_decision(HEM, [], 5)
    with pytest.raises(InputError, match="increasing"):
        Design("rolling6", (1, -1, 2))


# --- BOIN --------------------------------------------------------------------------------------


def test_boin_lambdas_match_the_derived_values() -> None:
    expected = json.loads((BOIN_DATA / "boin_lambdas_derived.json").read_text(encoding="utf-8"))
    for target, (lam_e, lam_d) in ((0.25, (0.197, 0.298)), (0.3, (0.236, 0.359))):
        got = boin_lambdas(target)
        assert got == pytest.approx(
            (expected[str(target)]["lambda_e"], expected[str(target)]["lambda_d"]), abs=1e-12
        )
        assert (round(got[0], 3), round(got[1], 3)) == (lam_e, lam_d)


def test_boin_boundaries_equal_the_derived_table() -> None:
    path = BOIN_DATA / "boin_boundaries_derived_from_cran_BOIN_get.boundary.csv"
    with path.open(encoding="utf-8") as handle:
        expected = list(csv.DictReader(handle))
    got = [
        {key: ("NA" if value is None else str(value)) for key, value in row.items()}
        for target in (0.25, 0.3)
        for row in boin_boundaries(target, 30).as_rows()
    ]
    assert got == expected


def _outcomes(text: str, doses: int = 5) -> tuple[list[int], list[int], int]:
    n, y, current = [0] * doses, [0] * doses, 1
    for cohort in text.split():
        current = int(cohort[0])
        for mark in cohort[1:]:
            n[current - 1] += 1
            y[current - 1] += mark == "T"
    return n, y, current


def _trajectory() -> dict[str, object]:
    text = (BOIN_DATA / "boin_published_trajectory_escalation_test.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert isinstance(data, dict)
    return data


BOIN5 = Design("boin", (1, 2, 3, 4, 5), target=0.3)


@pytest.mark.parametrize("example", ["steps", "stopping_rule_example"])
def test_boin_reproduces_the_published_trajectory(example: str) -> None:
    data = _trajectory()
    steps = data["steps"] if example == "steps" else data["stopping_rule_example"]["steps"]  # type: ignore[index]
    for step in steps:  # type: ignore[attr-defined]
        n, y, current = _outcomes(step["outcomes"])
        decision = boin_next(BOIN5, n, y, current)
        assert decision.dose_level == step["expected_next_dose"], step["outcomes"]
        assert (decision.decision not in ("suspend", "mtd")) == step["continue"], step["outcomes"]
    if example == "steps":
        assert (n, y) == (data["final_n_at_dose"], data["final_tox_at_dose"])


def test_boin_from_records_waits_for_pending_and_eliminates() -> None:
    assert decide(BOIN5, 1, level(1, 3, 2, 0)).decision == "wait"
    decision = decide(BOIN5, 2, level(1, 3, 3, 0), level(2, 3, 3, 3))
    assert (decision.decision, decision.dose_level, decision.eliminated) == ("de-escalate", 1, (2, 3, 4, 5))


def test_boin_stops_at_n_earlystop_and_selects() -> None:
    design = Design("boin", (1, 2, 3), target=0.3, n_earlystop=9)
    decision = boin_next(design, [3, 9, 3], [0, 3, 2], 2)  # 3/9: between the boundaries 2 and 4
    assert (decision.decision, decision.mtd) == ("mtd", 2)
    assert boin_next(design, [3, 6, 0], [0, 1, 0], 2, max_patients=9).decision == "mtd"


def test_boin_selection_uses_isotonic_estimates() -> None:
    table = boin_boundaries(0.3)
    # Raw rates 0, 0.5, 0.33 violate monotonicity; pooled, level 2 and 3 share ~0.4: the lower is taken.
    assert select_mtd(table, [3, 6, 6], [0, 3, 2]) == 1
    assert select_mtd(table, [3, 3, 0], [3, 0, 0]) == -1  # lowest level eliminated


# --- simulators ---------------------------------------------------------------------------------


def _exact(rule: GridRule, five: bool, tox: tuple[float, ...], start: int) -> tuple[list[float], list[float]]:
    """Exact selection probabilities (last entry: no MTD) and mean patients per level when each
    outcome is known before the next patient arrives, by enumerating every outcome sequence."""
    k = len(tox)

    @cache
    def walk(cur: int, n: tuple[int, ...], d: tuple[int, ...]) -> tuple[tuple[float, ...], tuple[float, ...]]:
        code, idx, _ = resolve(rule, five, n, n, d, cur)
        if code in (MTD, SUSPEND):
            pick = [0.0] * (k + 1)
            pick[idx if code == MTD else k] = 1.0
            return tuple(pick), (0.0,) * k
        assert code in (ENROL, ESCALATE, DEESCALATE)
        n2 = tuple(v + (i == idx) for i, v in enumerate(n))
        yes = walk(idx, n2, tuple(v + (i == idx) for i, v in enumerate(d)))
        no = walk(idx, n2, d)
        p = tox[idx]
        sel = tuple(p * a + (1 - p) * b for a, b in zip(yes[0], no[0], strict=True))
        pairs = enumerate(zip(yes[1], no[1], strict=True))
        pts = tuple(p * a + (1 - p) * b + (i == idx) for i, (a, b) in pairs)
        return sel, pts

    sel, pts = walk(start, (0,) * k, (0,) * k)
    return list(sel), list(pts)


@pytest.mark.parametrize(
    ("name", "rule", "five"), [("rolling6", rolling6_action, True), ("3+3", three_plus_three_action, False)]
)
def test_rule_based_simulator_matches_exact_enumeration(name: str, rule: GridRule, five: bool) -> None:
    tox = (0.05, 0.2, 0.4)
    design = Design(name, HEM.levels)  # type: ignore[arg-type]
    exact_sel, exact_pts = _exact(rule, five, tox, design.levels.index(1))
    trials = 20000
    oc = simulate(design, tox, trials, seed=11, dlt_window_days=0.0)  # outcomes known at once
    sims = [oc.selection[lv] for lv in design.levels] + [oc.no_mtd]
    for got, want in zip(sims, exact_sel, strict=True):
        assert abs(got - want) <= 4 * math.sqrt(want * (1 - want) / trials) + 1e-9
    for lv, want in zip(design.levels, exact_pts, strict=True):
        assert oc.mean_patients_per_level[lv] == pytest.approx(want, abs=0.1)


def test_rolling6_simulation_edge_cases_and_duration() -> None:
    safe = simulate(HEM, [0.0, 0.0, 0.0], 500, seed=3, dlt_window_days=0.0)  # one patient at a time
    assert (safe.selection[2], safe.mean_patients_per_level) == (1.0, {-1: 0.0, 1: 3.0, 2: 5.0})
    toxic = simulate(HEM, [1.0, 1.0, 1.0], 500, seed=3)
    assert (toxic.no_mtd, toxic.dlt_rate) == (1.0, 1.0)
    oc = simulate(HEM, [0.05, 0.15, 0.3], 2000, seed=5)
    # Each trial needs at least the first patient's 28-day window, and a few months overall.
    assert oc.mean_duration_days is not None and 60 < oc.mean_duration_days < 365
    assert sum(oc.selection.values()) + oc.no_mtd == pytest.approx(1.0)


def test_three_plus_three_safe_doses_treat_three_then_six() -> None:
    oc = simulate(THREE, [0.0, 0.0, 0.0], 200, seed=3)
    assert (oc.selection[2], oc.mean_patients_per_level) == (1.0, {-1: 0.0, 1: 3.0, 2: 6.0})


def test_simulation_is_deterministic_for_a_seed() -> None:
    for design in (HEM, THREE, BOIN5):
        tox = [0.05, 0.15, 0.3] if design.name != "boin" else [0.05, 0.15, 0.3, 0.45, 0.6]
        first = simulate(design, tox, 300, seed=42)
        assert simulate(design, tox, 300, seed=42) == first
        assert simulate(design, tox, 300, seed=43) != first


def test_simulation_caps_patients() -> None:
    oc = simulate(HEM, [0.02, 0.05, 0.1], 300, seed=1, max_patients=4)
    assert oc.mean_patients <= 4
    assert oc.no_mtd == 1.0  # four patients can never make six evaluable at a level


# Published BOIN operating characteristics: the "Introduction to simFastBOIN" vignette (CRAN package
# simFastBOIN 1.3.2, G. Homma, vignette dated 2025-12-11,
# https://stat.ethz.ch/CRAN/web/packages/simFastBOIN/vignettes/simFastBOIN-introduction.html), a BOIN
# simulator whose documentation states agreement with the BOIN package's get.oc within 0.5%.
# Scenario: target 0.30, true DLT rates 0.10/0.25/0.40/0.55/0.70, 10 cohorts of 3, n_earlystop 18
# (stop once 18 are on the current level and the decision is to stay), 1,000 trials, seed 123.
# Printed: MTD selection % per level and without MTD, mean patients per level, totals.
PUBLISHED_SELECTION = [10.8, 52.4, 33.8, 2.8, 0.1]
PUBLISHED_NO_MTD = 0.1
PUBLISHED_PATIENTS = [6.8, 11.9, 7.7, 1.8, 0.1]
PUBLISHED_TOTAL_PATIENTS, PUBLISHED_TOTAL_DLTS, PUBLISHED_TRIALS = 28.4, 7.9, 1000


def test_boin_operating_characteristics_match_the_published_scenario() -> None:
    design = Design("boin", (1, 2, 3, 4, 5), target=0.3, n_earlystop=18)
    trials = 2000
    oc = simulate(design, [0.10, 0.25, 0.40, 0.55, 0.70], trials, seed=2015, max_patients=30, cohort_size=3)
    ours = [oc.selection[lv] for lv in design.levels] + [oc.no_mtd]
    for got, pct in zip(ours, [*PUBLISHED_SELECTION, PUBLISHED_NO_MTD], strict=True):
        p = max(pct / 100, 0.005)
        se = math.sqrt(p * (1 - p) * (1 / trials + 1 / PUBLISHED_TRIALS))  # both estimates are noisy
        assert abs(got - pct / 100) <= 4 * se + 0.0005  # + half the published rounding step
    for lv, published in zip(design.levels, PUBLISHED_PATIENTS, strict=True):
        assert oc.mean_patients_per_level[lv] == pytest.approx(published, abs=0.6)
    assert oc.mean_patients == pytest.approx(PUBLISHED_TOTAL_PATIENTS, abs=0.4)
    assert oc.mean_patients * oc.dlt_rate == pytest.approx(PUBLISHED_TOTAL_DLTS, abs=0.3)
