"""Screening summaries (issue 13): the dashboard reads each subject's latest screening from a
summary written with it, filled in by migration 0011_web for screenings stored before it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ismart.registry import audit, db, services
from ismart.registry.bootstrap import open_registry
from ismart.registry.models import Screening, ScreeningSummary
from ismart.registry.settings import Settings
from ismart.web import views

TODAY = date(2026, 3, 9)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example(name: str) -> dict[str, object]:
    data = json.loads(json.dumps(yaml.safe_load((EXAMPLES / name).read_text("utf-8")), default=str))
    data["patient"].pop("id", None)
    return data  # type: ignore[no-any-return]


def _screened(session: Session, example: str) -> Screening:
    subject = services.create_subject(session, actor=services.SYSTEM, site_code="DK-COP")
    services.add_dossier(
        session, actor=services.SYSTEM, code=subject.code, data=_example(example), reason=None, as_of=TODAY
    )
    return services.screen_subject(session, actor=services.SYSTEM, code=subject.code, as_of=TODAY)


def _settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", secret_key="summary tests secret 0123")


def test_a_screening_is_stored_with_its_summary_and_the_audit_still_verifies(tmp_path: Path) -> None:
    sessions = open_registry(_settings(tmp_path))
    with sessions.begin() as session:
        row = _screened(session, "incomplete-early-referral.yaml")
        result = json.loads(row.result)
    with sessions() as session:
        summary = session.get(ScreeningSummary, row.id)
        assert summary is not None
        assert json.loads(summary.verdicts) == {sp["id"]: sp["verdict"] for sp in result["subprotocols"]}
        expected_missing = list(dict.fromkeys(m for sp in result["subprotocols"] for m in sp["missing"]))
        assert json.loads(summary.missing) == expected_missing and expected_missing
        assert summary.screened_on == TODAY
        assert audit.verify_tables(session) == []


def test_the_migration_fills_in_summaries_of_earlier_screenings(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    sessions = open_registry(settings)
    with sessions.begin() as session:
        row = _screened(session, "multi-match-b-and-d.yaml")
        written = session.get(ScreeningSummary, row.id)
        assert written is not None
        before = (written.screened_on, written.verdicts, written.missing, written.candidates)
    engine = db.make_engine(url=settings.database_url)
    db.downgrade(engine=engine, revision="0010")  # as a registry was before the summaries
    db.upgrade(engine=engine)
    with Session(engine) as session:
        filled = session.get(ScreeningSummary, row.id)
        assert filled is not None
        assert (filled.screened_on, filled.verdicts, filled.missing, filled.candidates) == before
        assert json.loads(filled.candidates) == ["B", "D"]
    engine.dispose()


def test_the_dashboard_rows_come_from_the_summaries_or_else_the_result(tmp_path: Path) -> None:
    sessions = open_registry(_settings(tmp_path))
    with sessions.begin() as session:
        first = _screened(session, "d-kras-g12d-eligible.yaml")
        second = _screened(session, "multi-match-b-and-d.yaml")
        session.execute(delete(ScreeningSummary).where(ScreeningSummary.screening_id == second.id))
    with sessions() as session:
        rows = {r.code: r for r in views.subject_rows(session, actor=services.SYSTEM)}
        assert rows[first.subject_code].summary is not None
        assert rows[first.subject_code].summary.verdicts["D"] == "ELIGIBLE"  # type: ignore[union-attr]
        summary = rows[second.subject_code].summary  # no summary row: read from the stored result
        assert summary is not None and summary.candidates == ("B", "D")
        assert rows[second.subject_code].actions[0] == "waiting for the tumour board"
        ids = session.scalars(select(Screening.id).order_by(Screening.id)).all()
        assert list(ids) == [first.id, second.id]
