"""Hostile input at the door: a body size limit enforced before anything is parsed or anyone is
authenticated, and JSON refused when it holds what the registry cannot store faithfully (NaN,
Infinity, numbers out of range, lone surrogates, dates outside a plausible range, a key given twice
in one object, which the JSON parser would otherwise settle silently by keeping the last)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ismart.jsonkeys import DuplicateKeyError, unique_keys

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY = 1_000_000  # bytes: sign-in, JSON API calls and anything unauthenticated
MAX_INT = 2**53  # the largest integer every JSON client represents exactly
_DATE = re.compile(r"^(\d{4})-\d{2}-\d{2}")
MIN_YEAR, MAX_YEAR = 1900, 2100


class BadJson(ValueError):
    pass


def _constant(name: str) -> Any:
    raise BadJson(f"{name} is not a number JSON allows")


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise BadJson(f"number {text[:20]} is out of range")
    return value


def _int(text: str) -> int | float:
    if len(text) > 20 or abs(int(text)) > MAX_INT:
        raise BadJson(f"number {text[:20]}... is out of range")
    return int(text)


def _walk(value: Any, where: str) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadJson(f"{where or 'body'}: text holds a lone surrogate") from None
        match = _DATE.match(value)
        if match and not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR:
            raise BadJson(f"{where or 'body'}: date {value[:10]} is outside {MIN_YEAR}-{MAX_YEAR}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(key, where)
            _walk(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{where}[{index}]")


def check_json(body: bytes) -> None:
    """Raise BadJson naming the problem; plain syntax errors are left to the framework."""
    try:
        value = json.loads(
            body, parse_constant=_constant, parse_float=_float, parse_int=_int, object_pairs_hook=unique_keys
        )
    except BadJson:
        raise
    except DuplicateKeyError as exc:
        raise BadJson(f"body: duplicate key {exc.key!r}: each key may appear once in a JSON object") from None
    except ValueError:
        return
    _walk(value, "")


async def _answer(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class BodyLimit:
    """ASGI middleware: 413 for a body over the limit (by Content-Length or while it streams in),
    422 for JSON the registry refuses, before routing, authentication or the database."""

    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        too_big = f"request body larger than {self.max_body} bytes"
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await _answer(send, 413, too_big)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _answer(send, 413, too_big)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and b"json" in headers.get(b"content-type", b"application/json"):
            try:
                check_json(body)
            except BadJson as exc:
                await _answer(send, 422, str(exc))
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
]
_DOCS = ("/docs", "/redoc")  # FastAPI's own pages load their scripts from a CDN


class SecurityHeaders:
    """ASGI middleware: security headers on every answer; no caching of anything but the API docs
    (every other answer may carry patient data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope.get("path", "")).startswith(_DOCS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS:
                    if name not in names and not (docs and name == b"content-security-policy"):
                        headers.append((name, value))
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
