"""HTTP middleware: request ids, security headers, CORS, rate limiting and a body size limit.

All are plain ASGI middleware (no BaseHTTPMiddleware), so streamed responses pass straight
through. Order, outermost first:

1. `RequestContextMiddleware` — gives every request an id (a sane incoming `X-Request-ID`
   of at most 64 characters of [A-Za-z0-9-] from a `PA_TRUSTED_PROXIES` peer, else a new one:
   a client could otherwise plant ids in the logs), puts it in the logging context,
   echoes it in `X-Request-ID`, and adds the security headers to every response.
2. CORS (Starlette's `CORSMiddleware`) when `PA_WIDGET_ORIGINS` is set: the allowed origins
   are the union of every company's widget origins; credentials are never allowed and
   `X-API-Key` is not an allowed header, so the staff endpoints stay same-origin only.
   Sitting outside the limits below, it also lets the widget read a 413 or 429.
3. `RateLimitMiddleware` when `PA_RATE_LIMIT_PER_MINUTE` > 0 — per-client fixed-window
   counter in the database (see `api.http.ratelimit`), on the public endpoints only; in a
   database outage each worker counts in memory, so the limit never switches off.
4. `BodyLimitMiddleware` — 413 for a body over `PA_MAX_BODY_BYTES`, by Content-Length and
   by counting the bytes actually received.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote_to_bytes

import anyio
from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware

from api.http.access_log import install_access_log_filter
from api.http.ratelimit import MemoryRateCounter, RateDecision, SqlRateCounter
from api.i18n import localize, request_language
from assistant.logctx import install_log_record_factory, request_id_var
from assistant.settings import Settings

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)
# JSON and other non-HTML responses: nothing may load from them, nobody may frame them.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# HTML pages (the pages router sends it too) and HTML without a CSP of its own: scripts and styles from files only...
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
)
# ...except /docs and /redoc (Swagger UI and ReDoc, served from this host by fastapi-offline), which
# need an inline bootstrap script and inline styles; nothing loads from any other host.
DOCS_PATHS = ("/docs", "/redoc")
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

# Public endpoints a client could hammer: (method or None for any, path prefix or exact path).
_LIMITED: tuple[tuple[str | None, str, bool], ...] = (
    ("POST", "/v1/chat", True),
    ("POST", "/v1/chat/stream", True),
    ("POST", "/v1/requests", True),
    (None, "/v1/requests/", False),
    ("DELETE", "/v1/sessions/", False),
)


def request_id_of(scope: Scope) -> str:
    """The id RequestContextMiddleware gave this request (or the logging context's)."""
    state = scope.get("state") or {}
    rid = state.get("request_id") if isinstance(state, dict) else None
    return str(rid or request_id_var.get())


def sane_request_id(value: str | None) -> str:
    """The incoming id if it is safe to echo and log, else a fresh one."""
    if value and _SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


async def send_json_error(scope: Scope, send: Send, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    """A JSON error body `{"detail", "request_id"}`, sent without the app, in the request's Accept-Language."""
    detail = localize(detail, request_language(Headers(scope=scope)))
    body = json.dumps({"detail": detail, "request_id": request_id_of(scope)}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class RequestContextMiddleware:
    """Request id (context, header, logs) and security headers on every response."""

    def __init__(self, app: ASGIApp, trusted: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        from_proxy = client is not None and str(client[0]) in self.trusted
        rid = sane_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER) if from_proxy else None)
        state = scope.setdefault("state", {})
        if isinstance(state, dict):
            state["request_id"] = rid
        token = request_id_var.set(rid)
        path = str(scope.get("path", ""))
        is_api = path.startswith("/v1/")
        is_docs = path.startswith(DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = rid
                for name, value in SECURITY_HEADERS:
                    if name not in headers:
                        headers[name] = value
                if "content-security-policy" not in headers:
                    html = headers.get("content-type", "").startswith("text/html")
                    headers["Content-Security-Policy"] = (DOCS_CSP if is_docs else PAGE_CSP) if html else API_CSP
                if is_api and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
        # Left set on an exception, so the 500 handler's log line still carries the id.
        request_id_var.reset(token)


class BodyLimitMiddleware:
    """413 for bodies over `max_bytes`: declared (Content-Length) or actually sent (chunked)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = f"request body too large: the limit is {self.max_bytes} bytes"
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await send_json_error(scope, send, 400, "invalid Content-Length header")
                return
            if int(declared) > self.max_bytes:
                await send_json_error(scope, send, 413, too_large, {"Connection": "close"})
                return
        # Read the whole (small) body first, counting; then replay it to the app.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await send_json_error(scope, send, 413, too_large, {"Connection": "close"})
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect as usual

        await self.app(scope, replay, send)


class NulByteMiddleware:
    """400 for a NUL character in the path or query: PostgreSQL cannot store or compare one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in str(scope.get("path", "")) or b"\x00" in unquote_to_bytes(scope.get("query_string", b""))
        ):
            await send_json_error(scope, send, 400, "the path or query contains a NUL character")
            return
        await self.app(scope, receive, send)


def client_address(scope: Scope, trusted: frozenset[str]) -> str:
    """The connecting address; when that is a trusted proxy, the nearest untrusted X-Forwarded-For hop."""
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if peer not in trusted:
        return peer
    forwarded = ",".join(Headers(scope=scope).getlist("x-forwarded-for"))
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    address = peer
    for hop in reversed(hops):  # the rightmost hops were added by our own proxies
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # a forged or garbled entry: trust nothing left of it
        address = hop
        if hop not in trusted:
            break
    return address


def rate_bucket(address: str) -> str:
    """What one counter covers: an IPv4 address, or an IPv6 /64 (one subscriber's usual share)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


def is_limited(method: str, path: str) -> bool:
    """Whether a request counts against the per-client limit."""
    if method == "OPTIONS":
        return False
    for want, target, exact in _LIMITED:
        if want is not None and want != method:
            continue
        if (path == target) if exact else path.startswith(target):
            return True
    return False


class RateLimitMiddleware:
    """Per-client limit on the public endpoints: 429 with Retry-After past `limit` a minute."""

    def __init__(self, app: ASGIApp, settings: Settings, counter: SqlRateCounter | MemoryRateCounter) -> None:
        self.app = app
        self.trusted = settings.trusted_proxy_set
        self._counter = counter  # in the database (memory during an outage), or memory only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_limited(str(scope.get("method", "")), str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        address = rate_bucket(client_address(scope, self.trusted))
        decision: RateDecision = await anyio.to_thread.run_sync(self._counter.hit, address)
        if not decision.allowed:
            await send_json_error(
                scope,
                send,
                429,
                f"too many requests: at most {decision.limit} a minute; retry in {decision.retry_after} seconds",
                {"Retry-After": str(decision.retry_after)},
            )
            return
        await self.app(scope, receive, send)


def install_middleware(app: FastAPI, settings: Settings, counter: SqlRateCounter | MemoryRateCounter) -> None:
    """Register the middleware on `app` (the last added runs first); `counter` counts the rate-limited requests."""
    install_log_record_factory()
    install_access_log_filter()
    app.add_middleware(NulByteMiddleware)  # type: ignore[arg-type]
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)  # type: ignore[arg-type]
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(RateLimitMiddleware, settings=settings, counter=counter)  # type: ignore[arg-type]
    origins = list(settings.widget_sites.all)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER, "Retry-After"],
            allow_credentials=False,
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware, trusted=settings.trusted_proxy_set)  # type: ignore[arg-type]
