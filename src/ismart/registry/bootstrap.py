"""Opening a registry: protocol data in force, schema at head, reference rows seeded."""

from __future__ import annotations

from sqlalchemy.exc import ArgumentError, OperationalError

from ismart.registry import db, sites
from ismart.registry.context import from_settings
from ismart.registry.settings import Settings, SettingsError


def open_registry(settings: Settings, *, prepare: bool = True) -> db.sessionmaker[db.Session]:
    """Load the configured protocol data (once: the session factory carries it), migrate and seed
    (unless another process prepared the database already, as for the workers of one server);
    return the session factory."""
    context = from_settings(protocol_dir=settings.protocol_dir, efficacy_file=settings.efficacy_file)
    dialect = settings.database_url.split(":", 1)[0].split("+", 1)[0]
    if "://" in settings.database_url and dialect not in ("sqlite", "postgresql"):
        raise SettingsError(f"ISMART_DATABASE_URL: {dialect!r} is not supported; use sqlite or postgresql")
    try:
        engine = db.make_engine(url=settings.database_url)
        if not prepare:
            return db.make_sessionmaker(engine=engine, audit_keys=settings.audit_keys(), context=context)
        db.upgrade(engine=engine)
    except ArgumentError as exc:
        raise SettingsError(f"ISMART_DATABASE_URL: not a database URL ({exc})") from None
    except OperationalError as exc:
        raise SettingsError(f"ISMART_DATABASE_URL: cannot open the database ({exc.orig})") from None
    sessions = db.make_sessionmaker(engine=engine, audit_keys=settings.audit_keys(), context=context)
    with sessions.begin() as session:
        sites.seed(session)
    return sessions
