"""The protocol data: valid, complete, sourced, and every rule type has an evaluator."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml

from helpers import DATA
from ismart.eligibility.rules import RULE_TYPES
from ismart.errors import ProtocolDataError
from ismart.protocol import load_protocol
from ismart.protocol.loader import load_from
from ismart.protocol.model import Rule

SCHEMA = json.loads((DATA / "screening-output.schema.json").read_text(encoding="utf-8"))
CONTRACT_KEYS = set(
    SCHEMA["properties"]["subprotocols"]["items"]["properties"]["criteria"]["items"]["properties"]["key"][
        "enum"
    ]
)
FOLDER = resources.files("ismart") / "protocols" / "hem_ismart"


def _types(rule: Rule) -> set[str]:
    found = {rule.type}
    for child in getattr(rule, "rules", []):
        found |= _types(child)
    if hasattr(rule, "rule"):
        found |= _types(rule.rule)
    return found


def test_sub_protocols_status_and_capacity() -> None:
    protocol = load_protocol()
    assert [s.id for s in protocol.subprotocols] == ["A", "B", "C", "D", "E"]
    status = {s.id: s.status for s in protocol.subprotocols}
    assert status == {
        "A": "withdrawn",
        "B": "recruiting",
        "C": "not_yet_recruiting",
        "D": "recruiting",
        "E": "not_yet_recruiting",
    }
    assert {s.id: s.capacity.value for s in protocol.subprotocols} == {
        "A": 26,
        "B": 26,
        "C": 26,
        "D": 26,
        "E": 42,
    }


def test_every_criterion_key_is_in_the_contract_and_every_rule_type_has_an_evaluator() -> None:
    for sp in load_protocol().subprotocols:
        for c in sp.criteria:
            assert c.key in CONTRACT_KEYS
            assert _types(c.rule) <= RULE_TYPES, (sp.id, c.key)


def test_b_c_d_numbering_follows_their_documents() -> None:
    numbers = {sp.id: [(c.number, c.key) for c in sp.criteria] for sp in load_protocol().subprotocols}
    assert ("6", "alteration") in numbers["B"] and ("18.5", "washout_antibody") in numbers["B"]
    assert ("5", "alteration") in numbers["C"] and ("27.6", "washout_surgery") in numbers["C"]
    assert ("1", "weight") in numbers["D"] and ("20", "retinal") in numbers["D"]
    for sp in ("B", "C", "D"):
        assert all(n is not None for n, _ in numbers[sp])


def test_b_sites_have_no_personal_names_and_known_statuses() -> None:
    b = next(s for s in load_protocol().subprotocols if s.id == "B")
    assert len(b.sites) == 33
    assert {s.status for s in b.sites} == {"recruiting", "not_yet_recruiting"}
    assert {s.city for s in b.sites if s.status == "recruiting"} == {"Copenhagen", "Stockholm"}


def test_every_template_is_used() -> None:
    master = yaml.safe_load((FOLDER / "master.yaml").read_text(encoding="utf-8"))
    used = set()
    for sub in master["subprotocols"]:
        data = yaml.safe_load((FOLDER / f"{sub}.yaml").read_text(encoding="utf-8"))
        used |= {c["template"] for c in data["criteria"] if "template" in c}
    assert used == set(master["templates"])


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "proto"
    shutil.copytree(str(FOLDER), target)
    return target


def test_unknown_schema_version_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    text = (folder / "B.yaml").read_text(encoding="utf-8").replace("schema_version: 1", "schema_version: 9")
    (folder / "B.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolDataError, match="schema_version 9"):
        load_from(folder)


def test_unknown_keys_and_sources_are_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    text = (folder / "D.yaml").read_text(encoding="utf-8")
    (folder / "D.yaml").write_text(
        text.replace("pathway: RAS-RAF-MAPK", "pathway: RAS\nsurprise: 1"), encoding="utf-8"
    )
    with pytest.raises(ProtocolDataError, match="surprise"):
        load_from(folder)
    (folder / "D.yaml").write_text(
        text.replace("source: registry_D}", "source: nowhere}", 1), encoding="utf-8"
    )
    with pytest.raises(ProtocolDataError, match="nowhere"):
        load_from(folder)
