"""Password hashing (argon2) and bearer tokens (JWT) carrying the user's token version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ismart.registry.access import Principal
from ismart.registry.errors import Unauthorized

_HASHER = PasswordHasher()
_ALGORITHM = "HS256"
_DUMMY: dict[int, str] = {}


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_password_check(password: str) -> None:
    """Verify against a dummy hash made with the same parameters, so that refusing an unknown or
    locked user costs what checking a known one does (no user enumeration by timing)."""
    key = id(_HASHER)
    if key not in _DUMMY:
        _DUMMY.clear()
        _DUMMY[key] = _HASHER.hash("dummy password that no account has")
    check_password(_DUMMY[key], password)


@dataclass(frozen=True)
class TokenClaims:
    username: str
    version: int
    password_change: bool  # a token from a one-time password: good only to set a new one


def issue_token(
    *, principal: Principal, secret: str, minutes: int, version: int = 0, password_change: bool = False
) -> str:
    expires = datetime.now(UTC) + timedelta(minutes=minutes)
    claims = {
        "sub": principal.username,
        "role": principal.role.value,
        "site": principal.site_code,
        "ver": version,
        "pwc": password_change,
        "exp": expires,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_token(*, token: str, secret: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "ver"]}
        )
        version = claims["ver"]
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("ver")
        return TokenClaims(str(claims["sub"]), version, bool(claims.get("pwc", False)))
    except (jwt.PyJWTError, KeyError, ValueError):
        raise Unauthorized("invalid or expired token") from None
