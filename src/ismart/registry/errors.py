"""Registry errors, each mapped to one HTTP status by the API."""

from __future__ import annotations

from ismart.errors import IsmartError


class RegistryError(IsmartError):
    status_code = 400


class NotFound(RegistryError):
    status_code = 404


class Forbidden(RegistryError):
    status_code = 403


class Unauthorized(RegistryError):
    status_code = 401


class Conflict(RegistryError):
    status_code = 409


class Invalid(RegistryError):
    status_code = 422
