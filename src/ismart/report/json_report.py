"""The JSON contract of `ismart screen --format json` (spec/screening-output.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ismart.eligibility.result import CriterionResult, ScreeningResult, SubprotocolResult


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float):  # bool is an int
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def _criterion(c: CriterionResult) -> dict[str, Any]:
    return {
        "key": c.key,
        "number": c.number,
        "kind": c.kind,
        "status": c.status.value,
        "summary": c.summary,
        "evidence": _plain(c.evidence),
        "label": c.label,
        "source": c.source,
        "missing": list(c.missing),
        "earliest": _plain(c.earliest),
    }


def _subprotocol(s: SubprotocolResult) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "drugs": list(s.drugs),
        "status": s.status,
        "site_status": s.site_status,
        "molecular_match": s.molecular_match,
        "alterations": [
            {
                "gene": a.gene,
                "kind": a.kind,
                "detail": a.detail,
                "pathway": a.pathway,
                "status": a.status.value,
                "rule": a.rule,
            }
            for a in s.alterations
        ],
        "verdict": s.verdict.value,
        "earliest_c1d1": _plain(s.earliest_c1d1),
        "criteria": [_criterion(c) for c in s.criteria],
        "missing": list(s.missing),
    }


def to_dict(result: ScreeningResult) -> dict[str, Any]:
    return {
        "patient_id": result.patient_id,
        "protocol": {"name": result.protocol_name, "version": result.protocol_version},
        "engine_version": result.engine_version,
        "screened_on": result.screened_on.isoformat(),
        "planned_c1d1": _plain(result.planned_c1d1),
        "inclusion_date": _plain(result.inclusion_date),
        "subprotocols": [_subprotocol(s) for s in result.subprotocols],
        "recommendation": {
            "subprotocol": result.recommendation.subprotocol,
            "candidates": list(result.recommendation.candidates),
            "reason": result.recommendation.reason,
        },
    }


def render(result: ScreeningResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False)
