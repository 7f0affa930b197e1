"""Issue 12: `ismart screen`, POST /screen and a stored screening give the same JSON for the same
dossier, date and protocol folder, with ISMART_PROTOCOL_DIR naming an amended copy."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from registry_helpers import EXAMPLES, SITE, Registry, add_users, amended_protocol, eligible_b, use_protocol
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ismart.application import protocol_from_environment
from ismart.cli import app as main_app
from ismart.registry import services

AS_OF = date(2026, 3, 8)  # not the registry's clock (TODAY): the date must come from the request
C1D1 = date(2026, 3, 9)  # the example's own planned C1D1


def test_cli_api_and_registry_agree_under_an_amended_protocol(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = amended_protocol(tmp_path, version="2027.1.0", b_status="suspended")
    monkeypatch.setenv("ISMART_PROTOCOL_DIR", str(folder))
    headers = add_users(registry)
    # what bootstrap.open_registry does with the deployment's settings, without a second database
    use_protocol(registry.state, protocol_from_environment())
    # the example without its patient.id, which the registry refuses under another subject (issue 9)
    plain = tmp_path / "b-nup214-abl1-eligible.json"
    plain.write_text(json.dumps(eligible_b()), encoding="utf-8")
    cli = CliRunner().invoke(main_app, ["screen", str(plain), "--as-of", str(AS_OF), "-f", "json"])
    assert cli.exit_code == 0, cli.output
    from_cli = json.loads(cli.output)

    response = registry.client().post(
        "/screen",
        json=eligible_b(),
        params={"as_of": str(AS_OF), "c1d1": str(C1D1)},
        headers=headers["staff"],
    )
    assert response.status_code == 200, response.text
    from_api = response.json()

    def stored(session: Session) -> Any:
        subject = services.create_subject(session, actor=services.SYSTEM, site_code=SITE)
        services.add_dossier(
            session,
            actor=services.SYSTEM,
            code=subject.code,
            data=eligible_b(),
            reason=None,
            as_of=AS_OF,
        )
        row = services.screen_subject(session, actor=services.SYSTEM, code=subject.code, as_of=AS_OF)
        return json.loads(row.result)

    from_registry = registry.state.write(stored)

    assert from_cli == from_api == from_registry
    assert from_cli["protocol"]["version"] == "2027.1.0"
    assert from_cli["screened_on"] == "2026-03-08"
    b = next(sp for sp in from_cli["subprotocols"] if sp["id"] == "B")
    assert b["status"] == "suspended" and b["verdict"] == "NOT_ELIGIBLE"


def test_api_screen_takes_the_screening_date_and_c1d1(registry: Registry) -> None:
    headers = add_users(registry)
    client = registry.client()
    answer = client.post(
        "/screen",
        json=eligible_b(),
        params={"as_of": "2026-03-08", "c1d1": "2026-03-16"},
        headers=headers["staff"],
    ).json()
    assert answer["screened_on"] == "2026-03-08" and answer["planned_c1d1"] == "2026-03-16"
    bad = client.post("/screen", json=eligible_b(), params={"as_of": "yesterday"}, headers=headers["staff"])
    assert bad.status_code == 422 and bad.json()["detail"].startswith("query.as_of:")


def test_cli_refuses_a_broken_protocol_folder_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = amended_protocol(tmp_path, version="2027.1.0", b_status="recruiting")
    c_file = folder / "C.yaml"
    c_file.write_text(c_file.read_text(encoding="utf-8").replace("p.F232C", "p.F2xxC", 1), encoding="utf-8")
    monkeypatch.setenv("ISMART_PROTOCOL_DIR", str(folder))
    ran = CliRunner().invoke(main_app, ["screen", str(EXAMPLES / "b-nup214-abl1-eligible.yaml")])
    assert ran.exit_code == 2
    lines = ran.output.strip().splitlines()
    assert len(lines) == 1
    assert f"ISMART_PROTOCOL_DIR={folder}: C.yaml: criterion 5 (alteration): matches.1.changes:" in lines[0]
