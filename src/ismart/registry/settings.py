"""One validated settings object, read from the environment."""

from __future__ import annotations

import os

from pydantic import BaseModel, Field, field_validator

_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "placeholder", "dev", "test"}


class Settings(BaseModel):
    database_url: str = "sqlite:///ismart.db"
    secret_key: str = Field(min_length=16)
    token_minutes: int = Field(default=30, gt=0, le=24 * 60)

    @field_validator("secret_key")
    @classmethod
    def _not_placeholder(cls, value: str) -> str:
        if value.strip().lower() in _PLACEHOLDERS:
            raise ValueError("ISMART_SECRET_KEY is a placeholder; set a real secret")
        return value


def load_settings() -> Settings:
    return Settings(
        database_url=os.environ.get("ISMART_DATABASE_URL", "sqlite:///ismart.db"),
        secret_key=os.environ.get("ISMART_SECRET_KEY", ""),
        token_minutes=int(os.environ.get("ISMART_TOKEN_MINUTES", "30")),
    )
