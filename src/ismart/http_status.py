"""The one table from ismart's exceptions to HTTP status codes, read by the API and the web pages.

It sits outside both shells so that the pages (mounted by the API) need not import the API."""

from __future__ import annotations

from ismart.errors import DossierError, InputError
from ismart.registry.errors import Conflict, Forbidden, Invalid, NotFound, RegistryError, Unauthorized

__all__ = ["STATUS", "status_for"]

# The most specific class listed wins; anything not listed is a bug (500).
STATUS: dict[type[Exception], int] = {
    NotFound: 404,
    Forbidden: 403,
    Unauthorized: 401,
    Conflict: 409,
    Invalid: 422,
    RegistryError: 400,
    DossierError: 422,
    InputError: 400,
}


def status_for(exc: Exception) -> int:
    """The HTTP status for an exception, by the first of its classes in the table."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500
