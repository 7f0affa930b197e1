"""Checks of a protocol folder against the rest of ismart, made when it is loaded.

The typed models (``model.py``) check each file on its own. These checks look outside the file:
a flag rule's dotted field must name a field of the dossier model, a protein change must parse as
HGVS, a gene or domain must be in the reference tables. A folder failing one is refused at load
with one line naming the file, the criterion and the field, rather than failing with a raw error
while a patient is screened, at server start or during a re-screen.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from ismart.dossier import Dossier
from ismart.errors import HgvsError, ProtocolDataError
from ismart.molecular import reference
from ismart.molecular.protein import parse_protein_change
from ismart.protocol.model import (
    AlterationRule,
    Criterion,
    CriterionKey,
    DrugResponseMatch,
    FlagRule,
    FusionMatch,
    Master,
    ResistanceRule,
    Rule,
    SubProtocolFile,
    VariantMatch,
)

__all__ = ["CONTRACT_KEYS", "check_keys", "check_master", "check_subprotocol"]

# The criterion keys of the screening-output contract (spec/screening-output.schema.json): a closed
# list, so a misspelt key in a protocol file is refused rather than reported under a new name.
CONTRACT_KEYS: frozenset[str] = frozenset(get_args(CriterionKey))


def check_keys(data: dict[str, Any], name: str) -> None:
    """Refuse a criterion or template of a parsed file whose key is not a contract key."""
    entries: list[tuple[str, Any]] = []
    criteria = data.get("criteria")
    if isinstance(criteria, list):
        entries += [(str(i), item) for i, item in enumerate(criteria)]
    templates = data.get("templates")
    if isinstance(templates, dict):
        entries += list(templates.items())
    for where, item in entries:
        if not isinstance(item, dict) or "key" not in item:
            continue
        key = item["key"]
        if not isinstance(key, str) or key not in CONTRACT_KEYS:
            label = item.get("number") or where
            raise ProtocolDataError(
                f"{name}: criterion {label}: key: {key!r} is not a criterion key of the "
                "screening-output contract"
            )


def check_master(master: Master, name: str) -> None:
    """Raise ProtocolDataError for the first shared template that refers to nothing real."""
    for template_id, template in master.templates.items():
        _check_rule(template.rule, f"{name}: template {template_id}")


def check_subprotocol(sub: SubProtocolFile, name: str) -> None:
    """Raise ProtocolDataError for the first criterion of ``sub`` that refers to nothing real."""
    for criterion in sub.criteria:
        if isinstance(criterion, Criterion):
            _check_rule(criterion.rule, f"{name}: criterion {_label(criterion)}")


def _check_rule(rule: Rule, where: str) -> None:
    for leaf in _leaves(rule):
        problem = _problem(leaf)
        if problem is not None:
            field, why = problem
            raise ProtocolDataError(f"{where}: {field}: {why}")


def _label(criterion: Criterion) -> str:
    return f"{criterion.number} ({criterion.key})" if criterion.number else criterion.key


def _leaves(rule: Rule) -> Iterator[Rule]:
    yield rule
    for child in getattr(rule, "rules", []):
        yield from _leaves(child)
    inner = getattr(rule, "rule", None)
    if inner is not None:
        yield from _leaves(inner)


def _problem(rule: Rule) -> tuple[str, str] | None:
    if isinstance(rule, FlagRule):
        return _dossier_field(rule.field)
    if isinstance(rule, AlterationRule):
        for i, match in enumerate(rule.matches):
            found = _match(match, f"matches.{i}")
            if found is not None:
                return found
    if isinstance(rule, ResistanceRule):
        for i, mutation in enumerate(rule.mutations):
            found = _gene(mutation.gene, f"mutations.{i}.gene") or _changes(
                mutation.changes, f"mutations.{i}.changes"
            )
            if found is not None:
                return found
    return None


def _match(match: Any, where: str) -> tuple[str, str] | None:
    if isinstance(match, DrugResponseMatch):
        return None
    found = _gene(match.gene, f"{where}.gene")
    if found is None and isinstance(match, VariantMatch):
        found = _changes(match.changes, f"{where}.changes") or _domains(match.gene, match.domains, where)
    if found is None and isinstance(match, FusionMatch):
        partners = [match.partner] if match.partner else []
        for partner in [*partners, *match.named_partners]:
            found = found or _gene(partner, f"{where}.partner")
    return found


def _gene(symbol: str, where: str) -> tuple[str, str] | None:
    if reference.gene_key(symbol) in reference.load_genes().lookup():
        return None
    return where, f"gene {symbol!r} is not in reference/genes.yaml"


def _changes(changes: list[str], where: str) -> tuple[str, str] | None:
    for change in changes:
        try:
            parse_protein_change(change)
        except HgvsError as exc:
            return where, str(exc)
    return None


def _domains(gene: str, names: list[str], where: str) -> tuple[str, str] | None:
    known = {(d.gene, d.name) for d in reference.load_domains().domains}
    symbol = reference.load_genes().lookup().get(reference.gene_key(gene), gene.strip().upper())
    for name in names:
        if (symbol, name) not in known:
            return f"{where}.domains", f"no region {name!r} for {symbol} in reference/domains.yaml"
    return None


def _dossier_field(dotted: str) -> tuple[str, str] | None:
    """None when ``dotted`` names a field of the dossier model, reached through sections only."""
    model: type[BaseModel] | None = Dossier
    for depth, part in enumerate(dotted.split(".")):
        if model is None or part not in model.model_fields:
            known = ".".join(dotted.split(".")[:depth]) or "the dossier"
            return "field", f"{dotted!r} is not a field of the dossier ({part!r} is not in {known})"
        model = _section(model.model_fields[part].annotation)
    return None


def _section(annotation: Any) -> type[BaseModel] | None:
    """The model class a field holds (through Optional and Annotated), or None for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = get_origin(annotation)
    if origin is Annotated or origin is Union or origin is types.UnionType:
        for arg in get_args(annotation):
            found = _section(arg)
            if found is not None:
                return found
    return None
