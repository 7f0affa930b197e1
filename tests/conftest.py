"""Pytest fixtures. Shared helpers live in helpers.py (a plain module: the registry tests have their
own conftest, and two modules named `conftest` cannot both be imported by name)."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import base_data


@pytest.fixture
def base() -> dict[str, Any]:
    return base_data()
