"""Request plumbing: the session factory, the clock, the caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from ismart.registry.access import Principal
from ismart.registry.errors import Unauthorized
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


def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]
) -> Principal:
    if credentials is None:
        raise Unauthorized("not authenticated")
    return read_token(token=credentials.credentials, secret=get_state(request).settings.signing_key())


StateDep = Annotated[AppState, Depends(get_state)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
