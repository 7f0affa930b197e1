"""Browser sessions: a signed cookie, an idle timeout, a CSRF token, and one check against the registry.

The cookie holds the username, the account's token version at sign-in, a CSRF token and the time of
the last request, signed with the service's secret (HS256). Every request re-reads the account: a
deactivated account, or one whose token version moved on (role change, password reset, revocation),
ends the session at the next click. ``check_account`` is the one place that decides this.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from ismart.registry import accounts
from ismart.registry.access import Principal, Role
from ismart.registry.models import User
from ismart.registry.settings import Settings

COOKIE = "ismart_session"
_ALGORITHM = "HS256"
_PURPOSE = "ismart-web-session"
REFUSED = "Sign-in refused: check the username and password, or ask the trial office."
EXPIRED = "Your session has ended (idle too long or the account changed). Please sign in again."


class SessionEnded(Exception):
    """No valid session: the page sends the browser back to sign-in with a message."""

    def __init__(self, message: str = EXPIRED) -> None:
        super().__init__(message)
        self.message = message


class PasswordChangeRequired(Exception):
    """A one-time password's session: only the password page opens until a new one is chosen."""

    message = "Choose a new password first: you signed in with a one-time password."


@dataclass(frozen=True)
class WebSession:
    principal: Principal
    version: int
    csrf: str
    last: float


def check_account(db: Session, *, username: str, version: int, password_page: bool = False) -> Principal:
    """The account as the database says now: it exists, is active, and its token version is the
    session's. Anything else ends the session. An account signed in with a one-time password
    reaches only the password page (as its API token reaches only /users/me/password)."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.active or user.token_version != version:
        raise SessionEnded()
    if user.must_change_password and not password_page:
        raise PasswordChangeRequired()
    return Principal(user.username, Role(user.role), user.site_code)


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    version: int
    must_change_password: bool = False


def sign_in(
    db: Session, *, username: str, password: str, address: str, settings: Settings
) -> SignedIn | None:
    """The signed-in account, or None for every refusal (unknown user, wrong password, deactivated,
    locked out: the page cannot tell them apart). The caller commits, so failures are counted."""
    outcome = accounts.sign_in(
        db, username=username, password=password, address=address, policy=settings.login_policy()
    )
    if outcome is None:
        return None
    return SignedIn(outcome.principal, outcome.token_version, outcome.must_change_password)


def change_own_password(db: Session, *, username: str, current: str, new: str) -> None:
    """The registry's own-password change (it moves the token version on, ending this session)."""
    accounts.change_own_password(db, username=username, current=current, new=new)


def new_session(principal: Principal, version: int) -> WebSession:
    return WebSession(principal, version, secrets.token_urlsafe(24), time.time())


def _key(secret: str) -> str:
    """A key for sessions only, derived from the service secret (never the bearer tokens' key)."""
    return hmac.new(secret.encode(), _PURPOSE.encode(), hashlib.sha256).hexdigest()


def encode(session: WebSession, *, secret: str) -> str:
    claims = {
        "aud": _PURPOSE,
        "sub": session.principal.username,
        "ver": session.version,
        "csrf": session.csrf,
        "last": session.last,
    }
    return jwt.encode(claims, _key(secret), algorithm=_ALGORITHM)


def decode(
    value: str | None, *, secret: str, idle_minutes: int, now: float | None = None
) -> tuple[str, int, str]:
    """Username, token version and CSRF token of a valid, not idle session cookie."""
    if not value:
        raise SessionEnded("Please sign in.")
    try:
        claims = jwt.decode(value, _key(secret), algorithms=[_ALGORITHM], audience=_PURPOSE)
        last = float(claims["last"])
        username, version, csrf = str(claims["sub"]), int(claims["ver"]), str(claims["csrf"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        raise SessionEnded() from None
    if (now if now is not None else time.time()) - last > idle_minutes * 60:
        raise SessionEnded()
    return username, version, csrf


def same_token(given: str | None, expected: str) -> bool:
    return given is not None and secrets.compare_digest(given, expected)
