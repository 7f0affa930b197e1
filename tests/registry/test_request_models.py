"""Every request model of the API bounds what a client sends (issue 11): each text field has a
maximum length (or a closed set of values or a pattern), each date a plausible range. A new
request model or field without bounds fails here."""

from __future__ import annotations

import typing
from datetime import UTC, date, datetime
from enum import Enum

import pytest
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ismart.api import reads, routes, routes_conduct, routes_exchange, routes_response


def _request_models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}

    def collect(annotation: object) -> None:
        if typing.get_origin(annotation) is not None:
            for arg in typing.get_args(annotation):
                collect(arg)
        elif (
            isinstance(annotation, type)
            and issubclass(annotation, BaseModel)
            and annotation.__qualname__ not in found
        ):
            found[annotation.__qualname__] = annotation
            for field in annotation.model_fields.values():
                collect(field.annotation)

    for module in (routes, routes_conduct, routes_response, routes_exchange, reads):
        for route in module.router.routes:
            for param in route.dependant.body_params:  # type: ignore[attr-defined]
                collect(param.field_info.annotation)
    return sorted(found.values(), key=lambda m: m.__qualname__)


MODELS = _request_models()


def _bounded_text(metadata: list[object]) -> bool:
    return any(getattr(m, "max_length", None) or getattr(m, "pattern", None) for m in metadata)


def _unbounded(annotation: object, metadata: list[object], where: str) -> list[str]:
    """Texts without a bound inside this annotation (a list's items, a dict's keys and values)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        inner = [m for e in extra for m in (e.metadata if isinstance(e, FieldInfo) else [e])]
        return _unbounded(base, metadata + inner, where)
    if origin is typing.Literal or (isinstance(annotation, type) and issubclass(annotation, Enum)):
        return []
    if origin is not None:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and origin in (typing.Union, type(int | None)):
            return _unbounded(args[0], metadata, where)
        return [p for a in args for p in _unbounded(a, [], f"{where}[]")]
    if annotation is str and not _bounded_text(metadata):
        return [where]
    return []


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__qualname__)
def test_every_text_field_is_length_limited(model: type[BaseModel]) -> None:
    problems = [
        p
        for name, field in model.model_fields.items()
        if name != "data"  # a dossier: checked by its own models, and by the 1 MB body limit
        for p in _unbounded(field.annotation, list(field.metadata), f"{model.__qualname__}.{name}")
    ]
    assert problems == []


def _leaves(annotation: object) -> set[object]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        return _leaves(args[0])
    return {annotation} if not args else {leaf for a in args for leaf in _leaves(a)}


def _date_fields() -> list[tuple[type[BaseModel], str, type]]:
    out: list[tuple[type[BaseModel], str, type]] = []
    for model in MODELS:
        for name, field in model.model_fields.items():
            kinds = [k for k in (date, datetime) if k in _leaves(field.annotation)]
            out.extend((model, name, kind) for kind in kinds)
    return out


DATES = _date_fields()


def test_the_date_fields_are_found() -> None:
    assert len(DATES) >= 10  # onset, start_date, assessed_on, declared_on, the outcome dates...


@pytest.mark.parametrize(("model", "name", "kind"), DATES, ids=lambda v: getattr(v, "__qualname__", str(v)))
def test_every_date_is_bounded_to_a_plausible_range(model: type[BaseModel], name: str, kind: type) -> None:
    for year in (1899, 2101, 9999):
        value = date(year, 12, 31) if kind is date else datetime(year, 12, 31, tzinfo=UTC)
        adapter = model.__pydantic_validator__
        with pytest.raises(ValidationError) as caught:
            adapter.validate_assignment(model.model_construct(), name, value)
        assert "outside 1900-2100" in str(caught.value)
