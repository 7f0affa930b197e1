"""Country codes for the protocol's site countries (``reference/countries.yaml``, ISO 3166-1)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from ismart import yamlio

__all__ = ["country_codes"]

SCHEMA_VERSION = 1


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    url: str
    as_of: str


class CountryFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_version: int
    name: str
    version: str
    source: _Source
    codes: dict[str, str] = Field(min_length=1)


@cache
def country_codes() -> dict[str, str]:
    """Country name as the site lists write it -> ISO 3166-1 alpha-2 code (validated, cached)."""
    name = "countries.yaml"
    text = (resources.files("ismart") / "reference" / name).read_text(encoding="utf-8")
    return dict(yamlio.load_versioned(text, name, CountryFile, SCHEMA_VERSION).codes)
