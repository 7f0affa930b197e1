"""MatchMiner CTML both ways: sub-protocol molecular rules -> CTML, CTML trials -> protocol data.

Pure: plain data in and out. A CTML match tree is and/or nodes over leaves; a node that is a mapping
of leaf keys (``genomic``, ``clinical``) is the conjunction of those leaves. ``match_paths`` expands a
tree into its disjunctive normal form, the alternatives a patient can satisfy.

Export: each sub-protocol is one step with one arm; its match is ``and`` of the clinical leaves
(age, OncoTree diagnosis) and ``or`` of one genomic leaf per ismart match entry. What CTML cannot say
(board REVIEW, hotspot lists, protein domains, kinase-domain retention, ex-vivo drug response,
expression) is listed in ``cannot_express`` and kept losslessly in the leaf's ``ismart_match`` key,
an ismart extension that MatchMiner ignores. Resistance exclusions become negated leaves.
"""

from __future__ import annotations

import re
from typing import Any

from ismart.exchange.report import Unmapped
from ismart.protocol.model import (
    AgeRule,
    AlterationRule,
    CopyNumberMatch,
    FusionMatch,
    ResistanceRule,
    SubProtocol,
    VariantMatch,
)

LEAF_KEYS = ("genomic", "clinical")
# OncoTree codes of the lymphoblastic neoplasms (OncoTree, oncotree.mskcc.org, tumour type BLL/TLL).
ONCOTREE = {"B": "B-Lymphoblastic Leukemia/Lymphoma", "T": "T-Lymphoblastic Leukemia/Lymphoma"}
_CNV_TO_CTML = {
    "homozygous_deletion": "Homozygous Deletion",
    "heterozygous_deletion": "Heterozygous Deletion",
    "gain": "Gain",
    "amplification": "High Level Amplification",
}
_CNV_FROM_CTML = {v.lower(): k for k, v in _CNV_TO_CTML.items()}
_AA1 = "ACDEFGHIKLMNPQRSTVWY"


class CtmlError(ValueError):
    """A CTML document is not of CTML's shape; the message names the place."""


# -- and/or semantics ------------------------------------------------------------------------------
def match_paths(node: Any) -> list[list[dict[str, Any]]]:
    """The DNF of a CTML match tree: each alternative is a list of ``{key: leaf}`` conditions."""
    if isinstance(node, list):
        return match_paths({"and": node})
    if not isinstance(node, dict):
        raise CtmlError(f"a match node must be a mapping, got {type(node).__name__}")
    paths: list[list[dict[str, Any]]] = [[]]
    for key, value in node.items():  # the keys of one mapping hold together (and)
        if key in ("and", "or"):
            if not isinstance(value, list):
                raise CtmlError(f"'{key}' must hold a list")
            expanded = [match_paths(c) for c in value]
            if key == "or":
                part = [path for e in expanded for path in e]
            else:
                part = [[]]
                for e in expanded:
                    part = [p + q for p in part for q in e]
        else:
            part = [[{key: value}]]
        paths = [p + q for p in paths for q in part]
    return paths


# -- export ----------------------------------------------------------------------------------------
def _protein(change: str) -> str:
    return change if change.startswith("p.") else f"p.{change}"


def _leaf(entry: Any, cannot: list[str], sp: str) -> dict[str, Any]:
    leaf: dict[str, Any] = {"hugo_symbol": getattr(entry, "gene", None) or getattr(entry, "drug", "?")}
    if isinstance(entry, VariantMatch):
        if entry.changes:
            leaf["protein_change"] = _protein(entry.changes[0]) if len(entry.changes) == 1 else None
        if entry.positions and not entry.changes:
            leaf["wildcard_protein_change"] = None
        leaf["variant_category"] = "Mutation"
        leaf = {k: v for k, v in leaf.items() if v is not None}
        restrictions = [
            name
            for name, on in (
                ("hotspot list", entry.hotspots),
                ("protein domains", bool(entry.domains)),
                ("exons", bool(entry.exons)),
                ("variant classes", bool(entry.classes)),
            )
            if on
        ]
        if restrictions:
            cannot.append(f"{sp}: {entry.label}: {', '.join(restrictions)} not expressible in CTML")
    elif isinstance(entry, FusionMatch):
        leaf["variant_category"] = "Structural Variation"
        if entry.partner:
            leaf["fusion_partner_hugo_symbol"] = entry.partner
        if entry.needs_kinase_domain or entry.position != "any":
            cannot.append(f"{sp}: {entry.label}: kinase-domain retention / partner position not expressible")
    elif isinstance(entry, CopyNumberMatch):
        leaf["variant_category"] = "Copy Number Variation"
        calls = [_CNV_TO_CTML[c] for c in entry.calls if c in _CNV_TO_CTML]
        if len(calls) == 1:
            leaf["cnv_call"] = calls[0]
        elif "deletion" in entry.calls or len(calls) > 1:
            cannot.append(f"{sp}: {entry.label}: several CNV calls in one leaf (CTML takes one)")
    else:
        cannot.append(f"{sp}: {entry.label}: {entry.kind} has no CTML genomic leaf")
    if entry.review:
        cannot.append(f"{sp}: {entry.label}: REVIEW (board decision) has no CTML meaning")
    leaf["ismart_match"] = entry.model_dump(mode="json", exclude_defaults=True)
    return leaf


def _variant_leaves(entry: Any, cannot: list[str], sp: str) -> list[dict[str, Any]]:
    """One CTML leaf per named change (CTML leaves hold one value)."""
    base = _leaf(entry, cannot, sp)
    if isinstance(entry, VariantMatch) and entry.positions and not entry.changes:
        cannot.append(
            f"{sp}: {entry.label}: codons {entry.positions} need CTML's wildcard form with the reference "
            "residue (p.G12), which ismart does not ship: exported as any mutation of the gene"
        )
    if isinstance(entry, VariantMatch) and len(entry.changes) > 1:
        out = [{**base, "protein_change": _protein(change)} for change in entry.changes]
        for leaf in out[1:]:
            leaf["ismart_match"] = {"same_as_previous": True}
        return out
    return [base]


def export_subprotocol(sp: SubProtocol) -> tuple[dict[str, Any], list[str]]:
    """One sub-protocol as a CTML trial, and what CTML cannot express."""
    cannot: list[str] = []
    clinical: list[dict[str, Any]] = []
    genomic: list[dict[str, Any]] = []
    negated: list[dict[str, Any]] = []
    for crit in sp.criteria:
        rule = crit.rule
        if isinstance(rule, AgeRule):
            years = rule.max_at_inclusion_below.years or 0
            clinical.append({"clinical": {"age_numerical": f"<{years}"}})
            cannot.append(
                f"{sp.id}: age at first diagnosis ({rule.min_at_diagnosis} to below "
                f"{rule.max_at_diagnosis_below}) has no CTML field; only age at screening is exported"
            )
        elif isinstance(rule, AlterationRule) and crit.key == "alteration":
            for entry in rule.matches:
                for leaf in _variant_leaves(entry, cannot, sp.id):
                    genomic.append({"genomic": leaf})
        elif isinstance(rule, ResistanceRule):
            for m in rule.mutations:
                if m.positions:
                    cannot.append(
                        f"{sp.id}: resistance codons {m.gene} {m.positions} need the reference residue"
                    )
                for ch in m.changes:
                    negated.append({"genomic": {"hugo_symbol": m.gene, "protein_change": f"!{_protein(ch)}"}})
            cannot.append(
                f"{sp.id}: resistance exclusions exported as negated leaves; their drug is not kept"
            )
        elif crit.key == "alteration":
            cannot.append(f"{sp.id}: criterion {crit.number} ({crit.label}) is not a list of alterations")
    clinical.append({"or": [{"clinical": {"oncotree_primary_diagnosis": n}} for n in ONCOTREE.values()]})
    match: list[Any] = [{"and": [*clinical, *negated, *([{"or": genomic}] if genomic else [])]}]
    if not genomic:
        cannot.append(
            f"{sp.id}: no genomic entry criterion (a generic arm): the arm matches on clinical leaves"
        )
    trial = {
        "protocol_no": sp.registry_id or sp.id,
        "nct_id": sp.registry_id,
        "long_title": sp.name,
        "status": "Open to Accrual" if sp.status == "recruiting" else "Closed to Accrual",
        "treatment_list": {
            "step": [
                {
                    "step_code": sp.id,
                    "arm": [
                        {
                            "arm_code": sp.name,
                            "arm_description": ", ".join(sp.drugs),
                            "arm_suspended": "N" if sp.status == "recruiting" else "Y",
                            "match": match,
                        }
                    ],
                }
            ]
        },
    }
    return trial, cannot


# -- import ----------------------------------------------------------------------------------------
_CHANGE = re.compile(r"^p\.([A-Z*])(\d+)([A-Z*]|fs|del|dup|ins\w*)?$")


def _leaf_to_match(leaf: dict[str, Any], where: str, report: list[Unmapped], previous: Any) -> Any:
    own = leaf.get("ismart_match")
    if isinstance(own, dict) and own.get("same_as_previous"):
        return "same"
    if isinstance(own, dict) and own:
        return own
    gene = leaf.get("hugo_symbol")
    if not isinstance(gene, str) or not gene or gene.startswith("!"):
        report.append(
            Unmapped(where, "genomic.hugo_symbol", f"{gene!r}: a negated or missing gene has no ismart match")
        )
        return None
    category = str(leaf.get("variant_category", "Mutation"))
    if category.startswith("!"):
        report.append(
            Unmapped(where, "genomic.variant_category", f"negated category {category!r} not imported")
        )
        return None
    label = f"{gene} " + " ".join(str(v) for k, v in sorted(leaf.items()) if k != "hugo_symbol")
    used = {"hugo_symbol", "variant_category"}
    entry: dict[str, Any]
    if category == "Mutation":
        entry = {"kind": "variant", "gene": gene, "label": label.strip()}
        if "protein_change" in leaf:
            used.add("protein_change")
            m = _CHANGE.match(str(leaf["protein_change"]))
            if m is None or str(leaf["protein_change"]).startswith("!"):
                report.append(
                    Unmapped(where, "genomic.protein_change", f"{leaf['protein_change']!r} not imported")
                )
                return None
            entry["changes"] = [str(leaf["protein_change"])[2:]]
        elif "wildcard_protein_change" in leaf:
            used.add("wildcard_protein_change")
            m = re.match(r"^p\.[A-Z]?(\d+)$", str(leaf["wildcard_protein_change"]))
            if m is None:
                report.append(
                    Unmapped(
                        where,
                        "genomic.wildcard_protein_change",
                        f"{leaf['wildcard_protein_change']!r} not imported",
                    )
                )
                return None
            entry["positions"] = [int(m.group(1))]
        else:
            entry["classes"] = ["protein_altering"]
    elif category == "Copy Number Variation":
        call = str(leaf.get("cnv_call", "")).lower()
        used.add("cnv_call")
        if call not in _CNV_FROM_CTML:
            report.append(Unmapped(where, "genomic.cnv_call", f"{leaf.get('cnv_call')!r} not imported"))
            return None
        entry = {"kind": "copy_number", "gene": gene, "calls": [_CNV_FROM_CTML[call]], "label": label.strip()}
    elif category in ("Structural Variation", "SV"):
        entry = {"kind": "fusion", "gene": gene, "label": label.strip()}
        partner = leaf.get("fusion_partner_hugo_symbol")
        used.add("fusion_partner_hugo_symbol")
        if isinstance(partner, str) and partner and not partner.startswith("!"):
            entry["partner"] = partner
    else:
        report.append(
            Unmapped(where, "genomic.variant_category", f"category {category!r} has no ismart match")
        )
        return None
    for key in sorted(set(leaf) - used - {"ismart_match"}):
        report.append(Unmapped(where, f"genomic.{key}", f"{leaf[key]!r}: not used by the ismart match"))
    return entry


def _rule(node: Any, where: str, report: list[Unmapped], state: dict[str, Any]) -> dict[str, Any] | None:
    """A CTML match node as an ismart rule tree (all/any/alteration); None if nothing maps."""
    if isinstance(node, list):
        node = {"and": node}
    if not isinstance(node, dict):
        raise CtmlError(f"{where}: a match node must be a mapping")
    if "and" in node or "or" in node:
        op = "and" if "and" in node else "or"
        if not isinstance(node[op], list):
            raise CtmlError(f"{where}: '{op}' must hold a list")
        rules = [r for i, c in enumerate(node[op]) if (r := _rule(c, f"{where}.{op}[{i}]", report, state))]
        merged: list[dict[str, Any]] = []
        for r in rules:  # adjacent alteration leaves of an 'or' are one alteration rule
            if op == "or" and r["type"] == "alteration" and merged and merged[-1]["type"] == "alteration":
                merged[-1]["matches"].extend(r["matches"])
            else:
                merged.append(r)
        if not merged:
            return None
        return merged[0] if len(merged) == 1 else {"type": "all" if op == "and" else "any", "rules": merged}
    parts: list[dict[str, Any]] = []
    for key, leaf in node.items():
        if key == "genomic" and isinstance(leaf, dict):
            m = _leaf_to_match(leaf, where, report, state.get("previous"))
            if m == "same":
                continue
            if m is not None:
                state["previous"] = m
                parts.append({"type": "alteration", "pathway": state["pathway"], "matches": [m]})
        elif key == "clinical" and isinstance(leaf, dict):
            state.setdefault("clinical", []).append(leaf)
            for k, v in leaf.items():
                report.append(
                    Unmapped(
                        where,
                        f"clinical.{k}",
                        f"{v!r}: clinical leaves stay with the master protocol's criteria",
                    )
                )
        else:
            report.append(Unmapped(where, key, "not a CTML leaf (genomic or clinical)"))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"type": "all", "rules": parts}


def import_trial(trial: Any, name: str = "trial") -> tuple[list[dict[str, Any]], list[Unmapped]]:
    """A CTML trial as one entry per arm: {step, arm, suspended, rule}; and the mapping report."""
    if not isinstance(trial, dict):
        raise CtmlError(f"{name}: a CTML trial must be a mapping")
    tl = trial.get("treatment_list")
    if not isinstance(tl, dict) or not isinstance(tl.get("step"), list):
        raise CtmlError(f"{name}: treatment_list.step is missing or not a list")
    report: list[Unmapped] = []
    arms: list[dict[str, Any]] = []
    proto = str(trial.get("protocol_no", name))
    for si, step in enumerate(tl["step"]):
        if not isinstance(step, dict):
            raise CtmlError(f"{name}: treatment_list.step[{si}] is not a mapping")
        for key in ("match",):
            if key in step:
                report.append(Unmapped(proto, f"step[{si}].match", "step-level match not imported"))
        for ai, arm in enumerate(step.get("arm") or []):
            if not isinstance(arm, dict):
                raise CtmlError(f"{name}: step[{si}].arm[{ai}] is not a mapping")
            where = f"{proto} step {step.get('step_code', si)} arm {arm.get('arm_code', ai)}"
            state: dict[str, Any] = {"pathway": str(arm.get("arm_code", "ctml"))}
            rule = (
                _rule(arm.get("match") or [], where, report, state) if arm.get("match") is not None else None
            )
            if arm.get("match") is None:
                report.append(Unmapped(where, "match", "arm without a match tree"))
            for dl in arm.get("dose_level") or []:
                if isinstance(dl, dict) and dl.get("match") is not None:
                    report.append(Unmapped(where, "dose_level.match", "dose-level match not imported"))
            arms.append(
                {
                    "step": step.get("step_code"),
                    "arm": arm.get("arm_code"),
                    "suspended": str(arm.get("arm_suspended", "N")).upper().startswith("Y"),
                    "rule": rule,
                    "clinical": state.get("clinical", []),
                    "ctml_match": arm.get("match"),
                }
            )
    return arms, report


def alteration_matches(rule: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The match entries of an imported rule tree that is an 'or' of alterations (ismart's shape)."""
    if rule is None:
        return []
    if rule["type"] == "alteration":
        return list(rule["matches"])
    if rule["type"] == "any":
        return [m for r in rule["rules"] for m in alteration_matches(r)]
    if rule["type"] == "all":
        found = [r for r in rule["rules"] if r["type"] in ("alteration", "any")]
        return alteration_matches(found[-1]) if found else []
    return []


def parse_trials(text: str, name: str) -> list[Any]:
    """CTML trials from JSON (one object, an array, or objects one after another) or YAML documents."""
    import json

    import yaml

    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        decoder = json.JSONDecoder()
        out: list[Any] = []
        pos = 0
        while pos < len(text):
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            try:
                obj, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise CtmlError(f"{name}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
            out.extend(obj if isinstance(obj, list) else [obj])
        return out
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CtmlError(f"{name}: invalid YAML{where}") from None
    if not docs:
        raise CtmlError(f"{name}: no CTML trial in the file")
    return [t for d in docs for t in (d if isinstance(d, list) else [d])]
