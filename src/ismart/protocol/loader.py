"""Load and validate a protocol's data files (shipped package data or a site's own folder)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

from ismart import yamlio
from ismart.errors import ProtocolDataError
from ismart.protocol.checks import check_keys, check_master, check_subprotocol
from ismart.protocol.model import (
    SCHEMA_VERSION,
    Criterion,
    Master,
    Protocol,
    SubProtocol,
    SubProtocolFile,
    TemplateRef,
)

DEFAULT_PROTOCOL = "hem_ismart"
_F = TypeVar("_F", Master, SubProtocolFile)


def _load(entry: Traversable | Path, model: type[_F]) -> _F:
    try:
        text = entry.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolDataError(f"{entry.name}: cannot read protocol data: {exc}") from None
    data = yamlio.read_versioned(text, entry.name, SCHEMA_VERSION)
    check_keys(data, entry.name)
    return yamlio.validate(model, data, entry.name)


def _resolve(master: Master, raw: SubProtocolFile, name: str) -> SubProtocol:
    criteria: list[Criterion] = []
    for item in raw.criteria:
        if isinstance(item, TemplateRef):
            template = master.templates.get(item.template)
            if template is None:
                raise ProtocolDataError(f"{name}: unknown criterion template {item.template!r}")
            item = Criterion(
                key=template.key,
                number=item.number,
                kind=template.kind,
                label=template.label,
                source=item.source,
                rule=template.rule,
            )
        if item.source not in master.sources:
            raise ProtocolDataError(f"{name}: criterion {item.key} cites unknown source {item.source!r}")
        criteria.append(item)
    for cited in (raw.status_source, raw.capacity.source, raw.sites_source):
        if cited is not None and cited not in master.sources:
            raise ProtocolDataError(f"{name}: cites unknown source {cited!r}")
    fields = raw.model_dump(exclude={"criteria"})
    return SubProtocol.model_validate({**fields, "criteria": criteria})


def load_from(folder: Traversable | Path) -> Protocol:
    """Load a protocol folder: master.yaml plus the sub-protocol files it lists."""
    master = _load(folder / "master.yaml", Master)
    check_master(master, "master.yaml")
    if master.dose_finding is not None:
        for cited in master.dose_finding.sources():
            if cited not in master.sources:
                raise ProtocolDataError(f"master.yaml: dose_finding cites unknown source {cited!r}")
    subs: list[SubProtocol] = []
    for sub_id in master.subprotocols:
        name = f"{sub_id}.yaml"
        raw = _load(folder / name, SubProtocolFile)
        if raw.id != sub_id:
            raise ProtocolDataError(f"{name}: id {raw.id!r} does not match its file name")
        check_subprotocol(raw, name)
        subs.append(_resolve(master, raw, name))
    return Protocol(master=master, subprotocols=subs)


@cache
def load_protocol(name: str = DEFAULT_PROTOCOL) -> Protocol:
    """The shipped protocol data, validated once per process."""
    return load_from(resources.files("ismart") / "protocols" / name)
