"""The FastAPI application: routes, error handlers, no traceback ever reaches a client."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ismart.api.deps import AppState, utc_today
from ismart.api.limits import BodyLimit, SecurityHeaders
from ismart.api.routes import router
from ismart.api.routes_conduct import router as conduct_router
from ismart.api.routes_exchange import router as exchange_router
from ismart.api.routes_response import router as response_router
from ismart.application.screening import ScreeningRequest, run_screening
from ismart.errors import InputError, _one_line
from ismart.http_status import status_for
from ismart.registry import access, screenings
from ismart.registry.bootstrap import open_registry
from ismart.registry.context import in_force
from ismart.registry.errors import RegistryError
from ismart.registry.settings import Settings, load_settings

_LOG = logging.getLogger("ismart.api")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": _one_line(message)}, status_code=status, headers=headers)


async def _registry_error(_r: Request, exc: Exception) -> JSONResponse:
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return _error(status, str(exc), headers)


async def _integrity_error(_r: Request, _exc: Exception) -> JSONResponse:
    """A unique key or lock lost to a concurrent request: the loser is told to retry, never a 500."""
    return _error(409, "a concurrent change to the same record won; reload and try again")


async def _dossier_error(_r: Request, exc: Exception) -> JSONResponse:
    return _error(status_for(exc), str(exc))


async def _validation_error(_r: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return _error(422, f"{where}: {first.get('msg', 'invalid')}")


async def _http_error(_r: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, StarletteHTTPException):
        return _error(exc.status_code, str(exc.detail))
    return _error(500, "internal error")


async def _data_error(_r: Request, _exc: Exception) -> JSONResponse:
    return _error(422, "a value is not acceptable to the database")


async def _internal_error(_r: Request, exc: Exception) -> JSONResponse:
    _LOG.exception("unhandled error", exc_info=exc)
    return _error(500, "internal error")


def warm_up(state: AppState) -> None:
    """Load the lazily cached reference data now, not in the first requests' threads at once."""
    run_screening(ScreeningRequest(dossier={}, as_of=utc_today()), protocol=in_force(state.sessions).protocol)


def prepare_registry(settings: Settings) -> AppState:
    """Migrate, seed and re-run screenings made under other protocol data: once, before serving."""
    settings.signing_key()  # refuse to start without a real secret
    state = AppState(settings=settings, sessions=open_registry(settings))
    report = state.write(lambda session: screenings.rescreen_outdated(session, actor=access.SYSTEM))
    if report.rescreened:
        _LOG.warning(
            "protocol data %s: %d stored screenings re-run, %d verdict changes await review",
            report.protocol_version,
            report.rescreened,
            len(report.changes),
        )
    return state


def worker_app() -> FastAPI:
    """The app of one server worker process; the parent prepared the database (uvicorn factory)."""
    settings = load_settings()
    settings.signing_key()
    state = AppState(settings=settings, sessions=open_registry(settings, prepare=False))
    warm_up(state)
    return create_app(state=state)


def create_app(*, settings: Settings | None = None, state: AppState | None = None) -> FastAPI:
    if state is None:
        state = prepare_registry(settings or load_settings())
        warm_up(state)
    app = FastAPI(title="ismart registry", version="0.1.0")
    app.state.registry = state
    app.include_router(router)
    app.include_router(response_router)  # efficacy stage (issue 15)
    app.include_router(conduct_router)  # trial conduct (issue 14)
    app.include_router(exchange_router)
    app.add_exception_handler(RegistryError, _registry_error)
    app.add_exception_handler(InputError, _dossier_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _internal_error)
    from ismart.web import mount as mount_web  # the web pages (issue 13): after the API's handlers

    mount_web(app)
    app.add_middleware(BodyLimit, max_body=state.settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)  # outermost: also on the limit's own refusals
    return app
