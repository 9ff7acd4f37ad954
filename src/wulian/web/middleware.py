"""ASGI middleware: request id and JSON request log; body size limits and CSRF checks."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wulian.core.auth.cookies import (
    CSRF_FIELD,
    CSRF_HEADER,
    PRE_COOKIE,
    SESSION_COOKIE,
    csrf_binding,
    csrf_valid,
    is_secure,
)
from wulian.core.errors import CSRFFailed, RequestTooLarge, WulianError
from wulian.core.settings import Settings
from wulian.web.templating import size_text

log = logging.getLogger("wulian.request")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Pages load only what the package serves; the API docs page needs Swagger UI's inline script.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
CSP_API_DOCS = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

ErrorRenderer = Callable[[Request, WulianError], Awaitable[Response]]


class _BodyTooLargeError(Exception):
    pass


def _cookies(headers: Headers) -> dict[str, str]:
    return cookie_parser(headers.get("cookie", ""))


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLargeError
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


DRAIN_LIMIT = 512 * 1024 * 1024  # past this, the connection is dropped rather than read


async def _drain(receive: Receive, limit: int) -> None:
    """Read and discard the rest of a request body (at most limit bytes)."""
    size = 0
    while size <= limit:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return
        size += len(message.get("body", b""))


def _same_origin_page(scope: Scope) -> str | None:
    """The path (and query) of the page of this site a browser's form was sent from, or None."""
    headers = Headers(scope=scope)
    referer = headers.get("referer", "")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc != headers.get("host", "") or not parts.path.startswith("/"):
        return None
    query = "&".join(f"{k}={quote(v)}" for k, v in parse_qsl(parts.query) if k != "too_large")
    return parts.path + (f"?{query}" if query else "")


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class GuardMiddleware:
    """Request ids, size limits, CSRF on unsafe methods, and the pre-session cookie."""

    def __init__(self, app: ASGIApp, settings: Settings, render_error: ErrorRenderer) -> None:
        self.app = app
        self.settings = settings
        self.render_error = render_error

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: WulianError) -> None:
        response = await self.render_error(Request(scope, receive), error)
        await response(scope, receive, send)

    async def _too_large(
        self, scope: Scope, receive: Receive, send: Send, error: WulianError, kind: str
    ) -> None:
        """An oversize body: a browser's form goes back to the page it was sent from, which says
        why (`?too_large=upload|form`); the API and a form without a referring page get the
        error itself (problem+json, or the Chinese error page)."""
        back = None if scope["path"].startswith("/api/") else _same_origin_page(scope)
        if back is None:
            await self._refuse(scope, receive, send, error)
            return
        await _drain(receive, DRAIN_LIMIT)  # a browser shows nothing while it is still sending
        separator = "&" if urlsplit(back).query else "?"
        await RedirectResponse(f"{back}{separator}too_large={kind}", 303)(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        state = scope.setdefault("state", {})
        incoming_id = headers.get("x-request-id", "")
        state["request_id"] = incoming_id if _REQUEST_ID.match(incoming_id) else uuid.uuid4().hex
        cookies = _cookies(headers)
        fresh_pre = None
        if SESSION_COOKIE not in cookies and PRE_COOKIE not in cookies:
            fresh_pre = state["pre_token"] = secrets.token_urlsafe(24)

        content_type = headers.get("content-type", "")
        is_upload = content_type.startswith("multipart/form-data")
        limit = self.settings.max_upload_bytes if is_upload else self.settings.max_request_bytes
        too_large = RequestTooLarge(
            f"{'上传的文件' if is_upload else '提交的内容'}超过 {size_text(limit)} 的上限，"
            "未保存任何内容",
            limit_bytes=limit,
        )
        kind = "upload" if is_upload else "form"
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send, too_large, kind)
            return

        if scope["method"] not in SAFE_METHODS:
            try:
                body = await _read_body(receive, limit)
            except _BodyTooLargeError:
                await self._too_large(scope, receive, send, too_large, kind)
                return
            receive = _replay(body, receive)
            # A bearer token authenticates only under /api/ (and there the cookie is ignored);
            # elsewhere the cookie does, so the form must carry its CSRF token whatever else
            # the request says.
            uses_token = scope["path"].startswith("/api/") and headers.get(
                "authorization", ""
            ).lower().startswith("bearer ")
            if not uses_token:
                provided = headers.get(CSRF_HEADER)
                if not provided and content_type.startswith("application/x-www-form-urlencoded"):
                    fields = parse_qs(body.decode("latin-1"), keep_blank_values=True)
                    provided = next(iter(fields.get(CSRF_FIELD, [])), None)
                elif not provided and is_upload:
                    async with Request(scope, _replay(body, receive)).form() as form:
                        value = form.get(CSRF_FIELD)
                        provided = value if isinstance(value, str) else None
                binding = csrf_binding(cookies)
                if not csrf_valid(self.settings.session_secret, binding, provided):
                    await self._refuse(scope, receive, send, CSRFFailed())
                    return

        secure = is_secure(Request(scope), self.settings)
        csp = CSP_API_DOCS if scope["path"] == "/api/docs" else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-request-id", state["request_id"].encode()),
                    (b"content-security-policy", csp.encode()),
                    *SECURITY_HEADERS,
                ]
                if fresh_pre:
                    cookie = f"{PRE_COOKIE}={fresh_pre}; Path=/; HttpOnly; SameSite=Lax"
                    extra.append(
                        (b"set-cookie", (cookie + ("; Secure" if secure else "")).encode())
                    )
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AdmissionMiddleware:
    """At most `limit` requests inside the application at once (static files aside); the rest
    wait here, in the event loop, holding neither a thread nor a database connection.

    Without it, requests past the thread pool's size hold a connection while they wait for a
    thread to finish their session (FastAPI runs a dependency's clean-up in the pool), while the
    threads wait for a connection: nothing moves until the pool's 30-second timeout. With it,
    every admitted request is sure of its connection (the pool is sized to the limit).

    A worker with a long queue answers with `Connection: close`: its keep-alive clients connect
    again, and the less busy worker process, quicker to accept, takes them. (Otherwise the
    worker that came up first after a restart keeps every client that reconnected at once.)"""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(limit)
        self.waiting = 0
        self.shed_above = 4 * limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        try:
            await self.app(scope, receive, self._shedding(send))
        finally:
            self.slots.release()

    def _shedding(self, send: Send) -> Send:
        async def send_shedding(message: Message) -> None:
            if message["type"] == "http.response.start" and self.waiting > self.shed_above:
                headers = [*message.get("headers", []), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        return send_shedding


class RequestLogMiddleware:
    """One JSON line per request: method, path, status, duration, user and request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            state: dict[str, Any] = scope.get("state", {})
            actor = state.get("actor")
            client = scope.get("client")
            record = {
                "event": "request",
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": getattr(actor, "id", None)
                if getattr(actor, "kind", "") == "user"
                else None,
                "actor": getattr(actor, "label", None),
                "request_id": state.get("request_id"),
                "ip": client[0] if client else None,
            }
            log.info(json.dumps(record, ensure_ascii=False))
