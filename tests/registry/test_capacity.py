from __future__ import annotations

import threading

from registry_helpers import OTHER_SITE, SITE, TODAY, Registry, add_users, flow_to_reviewed
from sqlalchemy import select
from sqlalchemy.orm import Session

from ismart.registry import services
from ismart.registry.errors import Conflict
from ismart.registry.models import Counter, Registration

RACERS = 8
RACING_SITES = [(SITE, "investigator"), (OTHER_SITE, "other_investigator")]


def _leave_places(registry: Registry, free: int) -> None:
    def work(session: Session) -> None:
        counter = session.get(Counter, "B")
        assert counter is not None
        counter.used = counter.capacity - free

    registry.state.write(work)


def test_race_for_the_last_two_places(registry: Registry) -> None:
    codes = [flow_to_reviewed(registry) for _ in range(RACERS)]
    _leave_places(registry, 2)
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(code: str) -> None:
        barrier.wait()
        try:
            registry.state.write(
                lambda s: services.register(
                    s, actor=services.SYSTEM, code=code, subprotocol="B", dose_level=1, as_of=TODAY
                )
            )
            result = "ok"
        except Conflict as exc:
            result = f"refused: {exc}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=(code,)) for code in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("ok") == 2, outcomes
    assert all("is full" in o for o in outcomes if o != "ok")
    with registry.state.sessions() as session:
        counter = session.get(Counter, "B")
        assert counter is not None and counter.used == counter.capacity
        assert len(session.scalars(select(Registration)).all()) == 2


def test_two_sites_race_over_http_for_the_last_places(registry: Registry) -> None:
    """Investigators of two sites post registrations at the same moment through the API."""
    headers = add_users(registry)
    racers = [(flow_to_reviewed(registry, site=site), user) for site, user in RACING_SITES for _ in range(4)]
    _leave_places(registry, 2)
    barrier = threading.Barrier(len(racers))
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def race(code: str, user: str) -> None:
        with registry.client() as client:
            barrier.wait()
            response = client.post(
                f"/subjects/{code}/registrations",
                json={"subprotocol": "B", "dose_level": 1},
                headers=headers[user],
            )
        with lock:
            answers.append((response.status_code, response.json().get("detail", "")))

    threads = [threading.Thread(target=race, args=racer) for racer in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201, 201] + [409] * (len(racers) - 2), answers
    assert all("is full" in detail for status, detail in answers if status == 409)
    with registry.state.sessions() as session:
        numbers = session.scalars(select(Registration.subject_number)).all()
    assert sorted(numbers) == ["B-001", "B-002"]
