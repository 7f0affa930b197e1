"""Registration gates (tumour board, latest dossier, screening age, verdict) and row locks."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from registry_helpers import TODAY, Registry, add_users, eligible_b, flow_to_reviewed, flow_to_screened
from sqlalchemy import select
from sqlalchemy.orm import Session

from ismart.registry import services
from ismart.registry.context import in_force
from ismart.registry.errors import Conflict
from ismart.registry.models import AuditEntry, Registration, Screening, Subject

B = {"subprotocol": "B", "dose_level": 1}


def _decide(registry: Registry, code: str, subprotocol: str | None) -> None:
    registry.state.write(
        lambda s: services.add_board_decision(
            s,
            actor=services.SYSTEM,
            code=code,
            subprotocol=subprotocol,
            priority=1 if subprotocol else None,
            rationale="board",
            members=["a"],
            non_referral_reason=None if subprotocol else "palliative care preferred",
        )
    )


def _set_verdict(registry: Registry, code: str, verdict: str) -> None:
    def work(session: Session) -> None:
        row = session.scalars(select(Screening).where(Screening.subject_code == code)).one()
        row.verdicts = json.dumps({"B": verdict})

    registry.state.write(work)


def test_tumour_board_gate(registry: Registry) -> None:
    h = add_users(registry)
    c = registry.client()
    not_referred = flow_to_screened(registry)
    _decide(registry, not_referred, None)
    refused = c.post(f"/subjects/{not_referred}/registrations", json=B, headers=h["investigator"])
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"registration refused by the tumour board gate: subject {not_referred} was not referred by "
        "the tumour board (palliative care preferred)"
    )
    to_d = flow_to_screened(registry)
    _decide(registry, to_d, "D")
    refused = c.post(f"/subjects/{to_d}/registrations", json=B, headers=h["investigator"])
    assert (
        refused.status_code == 409 and "referred by the tumour board to D, not B" in refused.json()["detail"]
    )
    by_investigator = {**B, "board_override_reason": "board chair agreed by phone"}
    refused = c.post(f"/subjects/{to_d}/registrations", json=by_investigator, headers=h["investigator"])
    assert refused.status_code == 409 and "only the trial office" in refused.json()["detail"]
    office = c.post(f"/subjects/{to_d}/registrations", json=by_investigator, headers=h["office"])
    assert office.status_code == 201, office.text
    entry = registry.state.write(
        lambda s: s.scalars(select(AuditEntry).where(AuditEntry.action == "registration.add")).one()
    )
    assert entry.reason == "board chair agreed by phone" and "board_override" in (entry.after or "")


def test_latest_dossier_gate(registry: Registry) -> None:
    h = add_users(registry)
    code = flow_to_reviewed(registry)
    newer = registry.client().post(
        f"/subjects/{code}/dossiers", json={"data": eligible_b(), "reason": "new labs"}, headers=h["staff"]
    )
    assert newer.status_code == 201
    refused = registry.client().post(f"/subjects/{code}/registrations", json=B, headers=h["investigator"])
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"registration refused by the latest dossier gate: the latest screening of {code} is of dossier "
        "version 1, but version 2 is the latest; screen again"
    )
    screened = registry.client().post(f"/subjects/{code}/screenings", headers=h["staff"])
    assert screened.status_code == 201
    _decide(registry, code, "B")
    ok = registry.client().post(f"/subjects/{code}/registrations", json=B, headers=h["investigator"])
    assert ok.status_code == 201, ok.text


def test_screening_age_gate(registry: Registry) -> None:
    code = flow_to_reviewed(registry)
    limit = in_force(registry.state.sessions).protocol.master.registration
    assert limit is not None and limit.screening_max_age_days == 7

    def attempt(days: int) -> None:
        registry.state.write(
            lambda s: services.register(
                s,
                actor=services.SYSTEM,
                code=code,
                subprotocol="B",
                dose_level=1,
                as_of=TODAY + timedelta(days),
            )
        )

    try:
        attempt(8)
        raise AssertionError("an 8-day-old screening was accepted")
    except Conflict as exc:
        assert str(exc) == (
            f"registration refused by the screening age gate: the latest screening of {code} is of "
            "2026-03-09, 8 days old; the protocol data allow 7; screen again"
        )
    attempt(7)


def test_verdict_gate_and_the_investigators_review_override(registry: Registry) -> None:
    h = add_users(registry)
    c = registry.client()
    code = flow_to_reviewed(registry)
    _set_verdict(registry, code, "NOT_ELIGIBLE")
    refused = c.post(f"/subjects/{code}/registrations", json=B, headers=h["investigator"])
    assert refused.json()["detail"] == (
        f"registration refused by the verdict gate: the latest screening of {code} is NOT_ELIGIBLE "
        "for B, not ELIGIBLE"
    )
    override = {**B, "review_override_reason": "reviewed the open point"}
    refused = c.post(f"/subjects/{code}/registrations", json=override, headers=h["investigator"])
    assert refused.status_code == 409 and "NOT_ELIGIBLE" in refused.json()["detail"]  # only REVIEW
    _set_verdict(registry, code, "REVIEW")
    refused = c.post(f"/subjects/{code}/registrations", json=B, headers=h["investigator"])
    assert refused.status_code == 409 and "is REVIEW for B" in refused.json()["detail"]
    refused = c.post(f"/subjects/{code}/registrations", json=override, headers=h["office"])
    assert refused.status_code == 409 and "only the site investigator" in refused.json()["detail"]
    blank = c.post(
        f"/subjects/{code}/registrations",
        json={**B, "review_override_reason": " "},
        headers=h["investigator"],
    )
    assert blank.status_code == 422 and "review_override_reason" in blank.json()["detail"]
    ok = c.post(f"/subjects/{code}/registrations", json=override, headers=h["investigator"])
    assert ok.status_code == 201, ok.text
    entry = registry.state.write(
        lambda s: s.scalars(select(AuditEntry).where(AuditEntry.action == "registration.add")).one()
    )
    assert entry.reason == "reviewed the open point" and entry.actor == "investigator"


def test_register_and_withdraw_race_ends_consistent(registry: Registry) -> None:
    """A withdrawal and a registration of the same subject at the same moment, several times over:
    never both applied with the subject left registered."""
    codes = [flow_to_reviewed(registry) for _ in range(6)]
    errors: list[str] = []

    def run(work: object) -> None:
        try:
            registry.state.write(work)  # type: ignore[arg-type]
        except Conflict:
            pass
        except Exception as exc:  # a 500 in the API
            errors.append(repr(exc))

    for code in codes:
        barrier = threading.Barrier(2)

        def register(s: Session, code: str = code, barrier: threading.Barrier = barrier) -> object:
            barrier.wait()
            return services.register(
                s, actor=services.SYSTEM, code=code, subprotocol="B", dose_level=1, as_of=TODAY
            )

        def withdraw(s: Session, code: str = code, barrier: threading.Barrier = barrier) -> object:
            barrier.wait()
            return services.withdraw(s, actor=services.SYSTEM, code=code, reason="parents' wish")

        threads = [threading.Thread(target=run, args=(w,)) for w in (register, withdraw)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    with registry.state.sessions() as session:
        states = {s.code: s.state for s in session.scalars(select(Subject).where(Subject.code.in_(codes)))}
        assert set(states.values()) == {"off_study"}, states
        registered = {r.subject_code for r in session.scalars(select(Registration))}
        for code in registered:  # registered first, then taken off study: both in the audit trail
            actions = [
                e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.entity_id.in_([code])))
            ]
            assert actions.count("subject.state") >= 2
