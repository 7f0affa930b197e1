"""CTML: and/or semantics against matchengine-v2's cases, its trials import without loss, and a
differential test: a sub-protocol exported and imported again gives the same molecular matches."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter
from typer.testing import CliRunner

from ismart import dossier
from ismart.cli.main import app
from ismart.exchange import ctml
from ismart.molecular.matching import hits
from ismart.molecular.profile import build_profile
from ismart.protocol import load_protocol
from ismart.protocol.model import AlterationRule, MolecularMatch

ROOT = Path(__file__).resolve().parents[1]
ME = ROOT.parent / "shared" / "external" / "matchengine-v2" / "test-data"
needs_me = pytest.mark.skipif(not ME.is_dir(), reason="matchengine-v2 test data absent")
PURE_CASES = [
    "and_and_and",
    "and_and_or",
    "and_or_and",
    "and_or_or",
    "or_and_and",
    "or_and_or",
    "or_or_and",
    "or_or_or",
]
runner = CliRunner()


def _paths(paths: list[list[dict[str, Any]]]) -> set[tuple[str, ...]]:
    return {tuple(sorted({json.dumps(c, sort_keys=True) for c in p})) for p in paths}


@needs_me
@pytest.mark.parametrize("case", PURE_CASES)
def test_boolean_cases_expand_as_matchengine_expects(case: str) -> None:
    tree = json.loads((ME / "ctml_boolean_cases" / f"{case}.json").read_text())
    expected = json.loads((ME / "get_match_paths_expected.json").read_text())[f"{case}.json"]
    want = [
        [{k: v} for cl in p["criteria_list"] for c in cl["criteria"] for k, v in c.items()] for p in expected
    ]
    # matchengine lists a path twice when a node holds two leaves; as sets the expansions agree
    assert _paths(ctml.match_paths(tree)) == _paths(want)


def test_keys_of_one_node_hold_together() -> None:
    tree = {"and": [{"g": 1}], "or": [{"a": 1}, {"b": 1}]}
    assert _paths(ctml.match_paths(tree)) == _paths([[{"g": 1}, {"a": 1}], [{"g": 1}, {"b": 1}]])


def _trial_files() -> list[Path]:
    if not ME.is_dir():
        return []
    return sorted(
        [
            *(ME / "trials").glob("*.json"),
            *(ME / "yaml").glob("*.yaml"),
            *(ME / "integration_trials").glob("*.json"),
        ]
    )


def _genomic_leaves(node: Any) -> int:
    return sum(1 for p in ctml.match_paths(node) for c in p if "genomic" in c) if node else 0


@needs_me
@pytest.mark.parametrize("path", _trial_files(), ids=lambda p: p.name)
def test_matchengine_trials_import_without_loss(path: Path) -> None:
    for trial in ctml.parse_trials(path.read_text(), path.name):
        arms, report = ctml.import_trial(trial, path.name)
        for arm in arms:
            assert arm["ctml_match"] is not None or any(r.path == "match" for r in report)
            if arm["rule"] is not None:
                TypeAdapter(Any).validate_python(arm["rule"])
        # every genomic leaf of the tree is either an ismart match or a line of the report
        leaves = sum(_count_leaves(a["ctml_match"]) for a in arms)
        mapped = sum(len(_all_matches(a["rule"])) for a in arms)
        dropped = sum(
            1
            for r in report
            if r.path.startswith("genomic") and ("not imported" in r.why or "no ismart" in r.why)
        )
        assert leaves == mapped + dropped


def _count_leaves(node: Any) -> int:
    if isinstance(node, list):
        return sum(_count_leaves(n) for n in node)
    if not isinstance(node, dict):
        return 0
    return sum(_count_leaves(v) if k in ("and", "or") else int(k == "genomic") for k, v in node.items())


def _all_matches(rule: dict[str, Any] | None) -> list[Any]:
    if rule is None:
        return []
    if rule["type"] == "alteration":
        return list(rule["matches"])
    return [m for r in rule["rules"] for m in _all_matches(r)]


@needs_me
def test_negated_category_is_reported() -> None:
    trial = ctml.parse_trials((ME / "yaml" / "11-111.yaml").read_text(), "11-111.yaml")[0]
    arms, report = ctml.import_trial(trial)
    assert arms[0]["rule"] is None
    assert report[0].why == "negated category '!Mutation' not imported"


def test_plain_ctml_leaves_become_ismart_matches() -> None:
    trial = {
        "protocol_no": "X",
        "treatment_list": {
            "step": [
                {
                    "step_code": "1",
                    "arm": [
                        {
                            "arm_code": "A",
                            "match": [
                                {
                                    "or": [
                                        {
                                            "genomic": {
                                                "hugo_symbol": "KRAS",
                                                "protein_change": "p.G12D",
                                                "variant_category": "Mutation",
                                            }
                                        },
                                        {
                                            "genomic": {
                                                "hugo_symbol": "NF1",
                                                "variant_category": "Copy Number Variation",
                                                "cnv_call": "Homozygous Deletion",
                                            }
                                        },
                                        {
                                            "genomic": {
                                                "hugo_symbol": "ABL1",
                                                "variant_category": "Structural Variation",
                                                "fusion_partner_hugo_symbol": "NUP214",
                                            }
                                        },
                                    ]
                                }
                            ],
                        }
                    ],
                }
            ]
        },
    }
    arms, report = ctml.import_trial(trial)
    matches = ctml.alteration_matches(arms[0]["rule"])
    assert [m["kind"] for m in matches] == ["variant", "copy_number", "fusion"]
    assert matches[0]["changes"] == ["G12D"] and matches[1]["calls"] == ["homozygous_deletion"]
    assert matches[2]["partner"] == "NUP214"
    assert report == []
    adapter = TypeAdapter(list[MolecularMatch])
    profile = build_profile(
        dossier.Profiling.model_validate(
            {
                "variants": [{"gene": "KRAS", "hgvs_p": "p.Gly12Asp"}],
                "fusions": [{"five_prime": "NUP214", "three_prime": "ABL1"}],
            }
        )
    )
    statuses = {h.entry.kind: h.status.name for h in hits(profile, adapter.validate_python(matches))}
    assert statuses == {"variant": "MET", "fusion": "MET"}


def _alteration(sp: Any) -> list[Any]:
    return [m for c in sp.criteria if isinstance(c.rule, AlterationRule) for m in c.rule.matches]


def _cohort(matches: list[Any], rng: random.Random, n: int) -> list[dossier.Profiling]:
    genes = sorted({getattr(m, "gene", "KRAS") for m in matches}) or ["KRAS"]
    aa = "ACDEFGHIKLMNPQRSTVWY"
    out = []
    for _ in range(n):
        variants, fusions, cnv = [], [], []
        for _ in range(rng.randint(0, 3)):
            g = rng.choice(genes)
            variants.append({"gene": g, "hgvs_p": f"p.{rng.choice(aa)}{rng.randint(1, 900)}{rng.choice(aa)}"})
        for m in matches:
            if getattr(m, "changes", None) and rng.random() < 0.2:
                change = rng.choice(m.changes)
                variants.append(
                    {"gene": m.gene, "hgvs_p": change if change.startswith("p.") else f"p.{change}"}
                )
            if m.kind == "fusion" and rng.random() < 0.2:
                partner = m.partner or rng.choice(m.named_partners or ["ETV6"])
                pair = [partner, m.gene] if m.position != "five_prime" else [m.gene, partner]
                fusions.append(
                    {
                        "five_prime": pair[0],
                        "three_prime": pair[1],
                        "in_frame": True,
                        "retains_kinase_domain": rng.choice([True, None]),
                    }
                )
            if m.kind == "copy_number" and rng.random() < 0.2:
                cnv.append({"gene": m.gene, "call": rng.choice(m.calls)})
        out.append(
            dossier.Profiling.model_validate({"variants": variants, "fusions": fusions, "copy_number": cnv})
        )
    return out


def _met(profile: Any, matches: list[Any]) -> list[tuple[str, str, str]]:
    return sorted((h.entry.label, h.alteration.detail, h.status.name) for h in hits(profile, matches))


@pytest.mark.parametrize("sp_id", ["A", "B", "C", "D", "E"])
def test_export_then_import_gives_the_same_matches(sp_id: str) -> None:
    sp = next(s for s in load_protocol().subprotocols if s.id == sp_id)
    trial, cannot = ctml.export_subprotocol(sp)
    arms, _ = ctml.import_trial(yaml.safe_load(yaml.safe_dump(trial)))
    back = TypeAdapter(list[MolecularMatch]).validate_python(ctml.alteration_matches(arms[0]["rule"]))
    original = _alteration(sp)
    assert back == original
    examples = [
        dossier.load(p, as_of=__import__("datetime").date(2026, 3, 9)).profiling
        for p in sorted((ROOT / "examples").glob("*.yaml"))
    ]
    cohort = [p for p in examples if p is not None] + _cohort(original, random.Random(sp_id), 300)
    for prof in cohort:
        profile = build_profile(prof)
        assert _met(profile, back) == _met(profile, original)
    if any(m.review for m in original):
        assert any("REVIEW" in c for c in cannot)


def test_cli_ctml_export_and_import(tmp_path: Path) -> None:
    r = runner.invoke(app, ["ctml", "export", "-s", "B", "-o", str(tmp_path / "b.yaml")])
    assert r.exit_code == 0, r.output
    doc = yaml.safe_load((tmp_path / "b.yaml").read_text())
    assert doc["treatment_list"]["step"][0]["arm"][0]["match"][0]["and"]
    assert doc["ismart_cannot_express"]
    r = runner.invoke(app, ["ctml", "import", str(tmp_path / "b.yaml")])
    assert r.exit_code == 0, r.output
    assert "arms:" in r.stdout
    r = runner.invoke(app, ["ctml", "export", "-s", "Z"])
    assert r.exit_code == 2 and "not one of" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("protocol_no: 1\ntreatment_list: 3\n")
    r = runner.invoke(app, ["ctml", "import", str(bad)])
    assert r.exit_code == 2 and "treatment_list.step is missing" in r.output
