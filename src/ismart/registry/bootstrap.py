"""Opening a registry: protocol data in force, schema at head, reference rows seeded."""

from __future__ import annotations

from sqlalchemy.exc import ArgumentError, OperationalError

from ismart.application.screening import protocol_in_force
from ismart.registry import db, services
from ismart.registry.settings import Settings, SettingsError


def open_registry(settings: Settings, *, prepare: bool = True) -> db.sessionmaker[db.Session]:
    """Activate the configured protocol data, migrate and seed (unless another process prepared the
    database already, as for the workers of one server); return the session factory."""
    services.activate_protocol(protocol_in_force(settings.protocol_dir) if settings.protocol_dir else None)
    try:
        engine = db.make_engine(url=settings.database_url)
        if not prepare:
            return db.make_sessionmaker(engine=engine)
        db.upgrade(engine=engine)
    except ArgumentError as exc:
        raise SettingsError(f"ISMART_DATABASE_URL: not a database URL ({exc})") from None
    except OperationalError as exc:
        raise SettingsError(f"ISMART_DATABASE_URL: cannot open the database ({exc.orig})") from None
    sessions = db.make_sessionmaker(engine=engine)
    with sessions.begin() as session:
        services.seed(session)
    return sessions
