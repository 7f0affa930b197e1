"""Issue 12: each package states its public API (``__all__``), and the statement is true."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import ismart


def _packages() -> list[str]:
    found = ["ismart"]
    for info in pkgutil.walk_packages(ismart.__path__, "ismart."):
        if info.ispkg:
            found.append(info.name)
    return sorted(found)


PACKAGES = _packages()


def _defined_here(module: ModuleType) -> set[str]:
    """Public functions and classes the package's ``__init__`` itself defines."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    }


def test_every_package_is_found() -> None:
    assert {"ismart.application", "ismart.treatment.dosefinding", "ismart.cli", "ismart.protocol"} <= set(
        PACKAGES
    )


@pytest.mark.parametrize("name", PACKAGES)
def test_package_declares_a_true_and_complete_all(name: str) -> None:
    module = importlib.import_module(name)
    declared = getattr(module, "__all__", None)
    assert isinstance(declared, list), f"{name} has no __all__"
    assert len(declared) == len(set(declared))
    missing = [n for n in declared if not hasattr(module, n)]
    assert missing == []
    assert _defined_here(module) - set(declared) == set()


def test_dosefinding_package_exports_the_engines_public_functions() -> None:
    from ismart.treatment import dosefinding

    assert {"next_decision", "decision_table", "simulate", "Design", "PatientRecord"} <= set(
        dosefinding.__all__
    )


def test_country_codes_are_reference_data() -> None:
    from ismart.countries import country_codes

    codes = country_codes()
    assert codes["Sweden"] == "SE" and codes["Norway"] == "NO" and codes["United Kingdom"] == "GB"
    assert all(len(code) == 2 and code.isupper() for code in codes.values())
