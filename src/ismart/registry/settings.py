"""One validated settings object, read from the environment."""

from __future__ import annotations

import os

from pydantic import BaseModel, Field, ValidationError

from ismart.errors import IsmartError
from ismart.registry.accounts import LoginPolicy
from ismart.registry.audit import AuditKeys

_ENV = {
    "database_url": "ISMART_DATABASE_URL",
    "secret_key": "ISMART_SECRET_KEY",
    "token_minutes": "ISMART_TOKEN_MINUTES",
    "protocol_dir": "ISMART_PROTOCOL_DIR",
    "efficacy_file": "ISMART_EFFICACY_FILE",
    "audit_key": "ISMART_AUDIT_KEY",
    "audit_old_keys": "ISMART_AUDIT_OLD_KEYS",
    "audit_checkpoint_dir": "ISMART_AUDIT_CHECKPOINT_DIR",
    "audit_checkpoint_minutes": "ISMART_AUDIT_CHECKPOINT_MINUTES",
    "max_body_bytes": "ISMART_MAX_BODY_BYTES",
    "login_max_failures": "ISMART_LOGIN_MAX_FAILURES",
    "login_max_failures_per_address": "ISMART_LOGIN_MAX_FAILURES_PER_ADDRESS",
    "login_lockout_minutes": "ISMART_LOGIN_LOCKOUT_MINUTES",
}


class SettingsError(IsmartError):
    """A setting read from the environment is missing or invalid."""


class Settings(BaseModel):
    database_url: str = "sqlite:///ismart.db"
    secret_key: str | None = Field(default=None, min_length=16)  # signs tokens: needed to serve
    token_minutes: int = Field(default=30, gt=0, le=24 * 60)
    protocol_dir: str | None = None  # a protocol data folder to use instead of the shipped one
    efficacy_file: str | None = None  # the sponsor's efficacy designs (default: the protocol folder's)
    audit_key: str | None = Field(default=None, min_length=16)  # default: derived from secret_key
    audit_old_keys: str | None = None  # comma-separated keys of before a rotation, still verified
    audit_checkpoint_dir: str | None = None  # where signed checkpoints go (outside the database)
    audit_checkpoint_minutes: int = Field(default=60, ge=1, le=24 * 60)
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, le=1_000_000_000)  # per request, before parsing
    login_max_failures: int = Field(default=5, ge=1, le=1000)  # per username, known or not
    login_max_failures_per_address: int = Field(default=50, ge=1, le=100000)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)

    def audit_keys(self) -> AuditKeys:
        old = [k.strip() for k in (self.audit_old_keys or "").split(",") if k.strip()]
        return AuditKeys.from_secrets(audit_key=self.audit_key, secret_key=self.secret_key, old=old)

    def login_policy(self) -> LoginPolicy:
        return LoginPolicy(
            max_failures_per_user=self.login_max_failures,
            max_failures_per_address=self.login_max_failures_per_address,
            lockout_minutes=self.login_lockout_minutes,
        )

    def signing_key(self) -> str:
        if self.secret_key is None:
            raise SettingsError("ISMART_SECRET_KEY: set a secret of at least 16 characters to serve the API")
        return self.secret_key


def load_settings() -> Settings:
    """Settings from ISMART_* variables; a bad value is a one-line SettingsError naming the variable."""
    values = {field: os.environ[name] for field, name in _ENV.items() if os.environ.get(name)}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        raise SettingsError(f"{_ENV.get(field, field)}: {first['msg']}") from None
