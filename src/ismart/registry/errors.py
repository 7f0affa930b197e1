"""Registry errors; the API maps each class to one HTTP status (ismart.api.app.STATUS)."""

from __future__ import annotations

from ismart.errors import IsmartError


class RegistryError(IsmartError):
    pass


class NotFound(RegistryError):
    pass


class Forbidden(RegistryError):
    pass


class Unauthorized(RegistryError):
    pass


class Conflict(RegistryError):
    pass


class Invalid(RegistryError):
    pass
