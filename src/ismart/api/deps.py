"""Request plumbing: the session factory, the clock, the caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from ismart.registry import accounts
from ismart.registry.access import Principal
from ismart.registry.db import READ_ONLY
from ismart.registry.errors import Forbidden, Unauthorized
from ismart.registry.security import read_token
from ismart.registry.settings import Settings

T = TypeVar("T")
_BEARER = HTTPBearer(auto_error=False)


def utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass
class AppState:
    settings: Settings
    sessions: sessionmaker[Session]
    today: Callable[[], date] = utc_today

    def write(self, work: Callable[[Session], T]) -> T:
        """One transaction: committed before the response is built, rolled back on any error."""
        with self.sessions.begin() as session:
            return work(session)


def get_state(request: Request) -> AppState:
    state = request.app.state.registry
    assert isinstance(state, AppState)
    return state


def _caller(request: Request, credentials: HTTPAuthorizationCredentials | None) -> tuple[Principal, bool]:
    """The caller as the database says now (active, same token version), and whether the token
    came from a one-time password."""
    if credentials is None:
        raise Unauthorized("not authenticated")
    state = get_state(request)
    claims = read_token(token=credentials.credentials, secret=state.settings.signing_key())
    with state.sessions() as session:
        # one read: on SQLite a deferred transaction (no write lock), on PostgreSQL no transaction at
        # all (autocommit: no BEGIN and ROLLBACK round trips around the single SELECT)
        bind = session.get_bind()
        options: dict[str, object] = {READ_ONLY: True}
        if bind.dialect.name == "postgresql":
            options["isolation_level"] = "AUTOCOMMIT"
        session.connection(execution_options=options)
        principal = accounts.resolve(session, username=claims.username, version=claims.version)
    return principal, claims.password_change


def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]
) -> Principal:
    principal, password_change = _caller(request, credentials)
    if password_change:
        raise Forbidden("password change required: choose a new password (POST /users/me/password)")
    return principal


def get_any_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]
) -> Principal:
    """Also a token from a one-time password: only for choosing a new password."""
    return _caller(request, credentials)[0]


async def _state(request: Request) -> AppState:
    """The dependency: async, so FastAPI calls it in the event loop, not in a worker thread."""
    return get_state(request)


StateDep = Annotated[AppState, Depends(_state)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
AnyPrincipalDep = Annotated[Principal, Depends(get_any_principal)]
