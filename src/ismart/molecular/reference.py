"""Reference data for the molecular rules: protein domains and hotspot residues (package data)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from ismart.errors import ProtocolDataError


class _Ref(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Domain(_Ref):
    gene: str
    name: str
    uniprot: str
    feature: str
    start: int
    end: int


class Hotspot(_Ref):
    gene: str
    residues: list[int]
    source: str


class DomainFile(_Ref):
    schema_version: int
    name: str
    version: str
    source: dict[str, str]
    domains: list[Domain]


class HotspotFile(_Ref):
    schema_version: int
    name: str
    version: str
    sources: dict[str, dict[str, str]]
    hotspots: list[Hotspot]


def _load(name: str) -> Any:
    data = yaml.safe_load((resources.files("ismart") / "reference" / name).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        raise ProtocolDataError(f"{name}: unsupported schema_version")
    return data


@cache
def load_domains() -> DomainFile:
    try:
        return DomainFile.model_validate(_load("domains.yaml"))
    except ValidationError as exc:
        raise ProtocolDataError(f"domains.yaml: {exc.errors()[0]['msg']}") from None


@cache
def load_hotspots() -> HotspotFile:
    try:
        data = HotspotFile.model_validate(_load("hotspots.yaml"))
    except ValidationError as exc:
        raise ProtocolDataError(f"hotspots.yaml: {exc.errors()[0]['msg']}") from None
    for spot in data.hotspots:
        if spot.source not in data.sources:
            raise ProtocolDataError(f"hotspots.yaml: {spot.gene} cites unknown source {spot.source!r}")
    return data


def domain(gene: str, name: str) -> Domain:
    for d in load_domains().domains:
        if d.gene == gene and d.name == name:
            return d
    raise ProtocolDataError(f"no domain {name!r} for {gene} in domains.yaml")


@cache
def _hotspot_index() -> frozenset[tuple[str, int]]:
    return frozenset((h.gene, r) for h in load_hotspots().hotspots for r in h.residues)


def is_hotspot(gene: str, position: int) -> bool:
    return (gene, position) in _hotspot_index()
