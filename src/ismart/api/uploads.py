"""Authenticated large uploads (laboratory files, EHR exports, FHIR bundles): streamed to a
temporary file while they arrive, counted against their own, larger limit, never held whole in
memory by the server; every other request keeps the small limit of the JSON API.

Which requests may upload is decided before anything is parsed: the route is an upload route and
the request carries a credential whose signature and expiry check out (a bearer token or a web
session cookie; a cheap HMAC check, no database). Whether that account is still active is checked
later, by the route, as for every request. A request without such a credential gets the small
limit, so an anonymous client can never make the server take in more than that.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from typing import IO, Any

from fastapi import Request

__all__ = ["UPLOAD_ROUTES", "Spooled", "body_file", "is_upload", "spool"]

UPLOAD_ROUTES = (
    re.compile(r"^/fhir/import$"),  # FHIR R4 resources, bundles, bulk-export zips
    re.compile(r"^/web/subjects/[^/]{1,40}/upload$"),  # a dossier with its laboratory files
)
IN_MEMORY = 256 * 1024  # bytes kept in memory before the temporary file goes to disk
CHUNK = 64 * 1024
SCOPE_KEY = "ismart.upload"
Message = MutableMapping[str, Any]  # as in ismart.api.limits (which imports this module)
Receive = Callable[[], Awaitable[Message]]

Credentials = Callable[[dict[bytes, bytes]], bool]


def is_upload(path: str) -> bool:
    return any(route.match(path) for route in UPLOAD_ROUTES)


class TooLarge(Exception):
    pass


class Spooled:
    """The request body in a temporary file (memory up to IN_MEMORY bytes, then disk)."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115
        self.size = 0

    @property
    def on_disk(self) -> bool:
        return bool(getattr(self.file, "_rolled", True))

    def close(self) -> None:
        self.file.close()


async def spool(receive: Receive, limit: int) -> Spooled | None:
    """The whole body spooled, or None if the client went away; TooLarge past the limit."""
    body = Spooled()
    try:
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                return None
            chunk = message.get("body", b"")
            body.size += len(chunk)
            if body.size > limit:
                raise TooLarge
            body.file.write(chunk)
            more = message.get("more_body", False)
    except BaseException:
        body.close()
        raise
    body.file.seek(0)
    return body


def replay(body: Spooled, receive: Receive) -> Receive:
    """The spooled body handed to the app again in chunks, then the client's own messages."""
    finished = False

    async def next_message() -> Message:
        nonlocal finished
        if finished:
            return await receive()
        chunk = body.file.read(CHUNK)
        if body.file.tell() >= body.size:
            finished = True
            body.file.seek(0)  # the route may also read the file itself (body_file)
        return {"type": "http.request", "body": chunk, "more_body": not finished}

    return next_message


def body_file(request: Request) -> IO[bytes] | None:
    """The upload's temporary file (positioned at the start), for routes that read it directly."""
    spooled: Any = request.scope.get(SCOPE_KEY)
    if not isinstance(spooled, Spooled):
        return None
    spooled.file.seek(0)
    return spooled.file
