"""YAML reading: libyaml's C parser when PyYAML was built with it (same safe types, ~10x faster),
and the one way every versioned data file (protocol, reference tables) is parsed and validated."""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ismart.errors import ProtocolDataError

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_M = TypeVar("_M", bound=BaseModel)


def safe_load(text: str) -> Any:
    """Like ``yaml.safe_load``: plain data only (mappings, lists, scalars, dates)."""
    return yaml.load(text, Loader=_LOADER)


def read_versioned(text: str, name: str, schema_version: int) -> dict[str, Any]:
    """The top-level mapping of data file ``name``; a ProtocolDataError naming the file otherwise."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        raise ProtocolDataError(f"{name}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise ProtocolDataError(f"{name}: expected a mapping at the top level")
    version = data.get("schema_version")
    if type(version) is not int or version != schema_version:
        raise ProtocolDataError(
            f"{name}: schema_version {version!r} is not supported (expected {schema_version})"
        )
    return data


def validate(model: type[_M], data: Any, name: str) -> _M:
    """``model`` from ``data``; the first fault is a ProtocolDataError naming the file and field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in err["loc"]) or "file"
        raise ProtocolDataError(f"{name}: {where}: {' '.join(str(err['msg']).split())}") from None


def load_versioned(text: str, name: str, model: type[_M], schema_version: int) -> _M:
    """Parse, check the schema version, validate: the whole path of a shipped or site data file."""
    return validate(model, read_versioned(text, name, schema_version), name)
