"""The registry stores pseudonyms, never names: a stored dossier's patient.id must match the
pattern in settings (ISMART_PSEUDONYM_PATTERN; by default a subject code such as SE-STO-0001).
The CLI's screening of a local file does not go through here and accepts any id."""

from __future__ import annotations

import re
from functools import lru_cache

from ismart.registry.errors import Invalid

__all__ = ["DEFAULT_PATTERN", "check_patient_id"]

DEFAULT_PATTERN = r"^[A-Z]{2}-[A-Z0-9]{1,5}-[0-9]{4,6}$"


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def check_patient_id(value: object, *, subject: str, pattern: str = DEFAULT_PATTERN) -> None:
    """Invalid (422) naming the field; the value itself is not echoed, as it may be a name."""
    if value is None:
        return
    if not isinstance(value, str) or not _compiled(pattern).fullmatch(value):
        raise Invalid(
            f"patient.id: not a pseudonym of the form {pattern} (the registry never stores names "
            f"or hospital numbers; leave it out to file the dossier under {subject})"
        )
