"""Reads of patient records, noted in the access log (one entry per request) and listed for the
trial office and monitors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ismart.api.deps import PrincipalDep, StateDep
from ismart.registry import access_log
from ismart.registry.access import Principal

router = APIRouter()


def action_of(request: Request) -> str:
    """The route's template ("GET /subjects/{code}"), not the filled-in path: the codes are listed."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


def log_read(db: Session, who: Principal, request: Request, subjects: Iterable[str]) -> None:
    access_log.record(db, actor=who, action=action_of(request), subjects=subjects)


class AccessPublic(BaseModel):
    id: int
    at: str
    actor: str
    role: str
    action: str
    subjects: list[str]
    count: int


@router.get("/access-log", tags=["audit"])
def list_access_log(
    state: StateDep,
    who: PrincipalDep,
    subject: Annotated[
        str | None, Query(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,5}-[0-9]{4,6}$", max_length=32)
    ] = None,
    user: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.@-]+$", max_length=64)] = None,
    after_id: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AccessPublic]:
    """Who saw which subject's records, when (trial office and monitors); reading it is not logged."""
    with state.sessions() as db:
        entries = access_log.list_entries(
            db, actor=who, subject=subject, user=user, after_id=after_id, limit=limit
        )
    return [AccessPublic(**vars(e)) for e in entries]
