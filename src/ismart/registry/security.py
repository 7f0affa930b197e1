"""Password hashing (argon2) and bearer tokens (JWT)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ismart.registry.access import Principal, Role
from ismart.registry.errors import Unauthorized

_HASHER = PasswordHasher()
_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def issue_token(*, principal: Principal, secret: str, minutes: int) -> str:
    expires = datetime.now(UTC) + timedelta(minutes=minutes)
    claims = {
        "sub": principal.username,
        "role": principal.role.value,
        "site": principal.site_code,
        "exp": expires,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_token(*, token: str, secret: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]})
        return Principal(str(claims["sub"]), Role(claims["role"]), claims.get("site"))
    except (jwt.PyJWTError, KeyError, ValueError):
        raise Unauthorized("invalid or expired token") from None
