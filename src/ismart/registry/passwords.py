"""Password policy: a minimum length and a list of common passwords shipped as data."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from ismart.registry.errors import Invalid

MIN_LENGTH = 12
MAX_LENGTH = 200
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def common_passwords() -> frozenset[str]:
    text = (resources.files("ismart.registry") / "data" / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def _repeats_one_unit(password: str) -> bool:
    """'abcabcabcabc', 'aaaaaaaaaaaa': a unit of at most four characters repeated."""
    return any(
        len(password) % size == 0 and password[:size] * (len(password) // size) == password
        for size in range(1, 5)
    )


def check_password_policy(password: str) -> None:
    """Refuse a short or common password with a one-line reason naming the field."""
    if len(password) < MIN_LENGTH:
        raise Invalid(f"password: at least {MIN_LENGTH} characters are required")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"password: at most {MAX_LENGTH} characters")
    lowered = password.lower()
    core = _EDGES.sub("", lowered)
    common = common_passwords()
    easy = _repeats_one_unit(lowered) or bool(core and _repeats_one_unit(core))
    if lowered in common or core in common or easy:
        raise Invalid("password: too common or too easy to guess; choose another")
