"""The transport middleware: the rules every request meets before anything else (protocol § 2).

Host exact, no WebSocket, Fetch-Metadata, method, Origin, Content-Type, body size, JSON object.
Also: the JSON error body every refusal uses, the security headers on every response, and CORS
for exactly the allowed origin.
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import http_exceptions, web

from companion.errors import UserError, VaultCorrupt, http_error
from companion.server.pairing import PairingClosed, PairingFailed

log = logging.getLogger("otpc.server")

MAX_BODY = 16 * 1024
BODY_READ_SECONDS = 10  # a body of at most 16 KiB from loopback: anything slower is a slowloris
PAIR_PATHS = frozenset({"/v1/pair/init", "/v1/pair/confirm"})
OPENAPI_PATH = "/v1/openapi.json"
COMPANION = web.AppKey("companion", object)
KNOWN_PATHS = web.AppKey("known_paths", frozenset)
SIGNED_HEADERS = "content-type, x-otpc-client, x-otpc-ts, x-otpc-nonce, x-otpc-sig"


class ApiError(UserError):
    """A refusal with its own status and error code (see protocol § 3)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


def error_response(status: int, code: str, message: str, headers=None) -> web.Response:
    body = json.dumps({"error": code, "message": message}).encode()
    return web.Response(
        status=status, body=body, content_type="application/json", headers=headers
    )


def response_for_error(exc: Exception) -> web.Response:
    """Map an exception a handler raised to its JSON error (never a traceback, never a secret)."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, str(exc))
    if isinstance(exc, PairingClosed):
        return error_response(409, "pairing_closed", str(exc))
    if isinstance(exc, PairingFailed):
        return error_response(403, "pairing_failed", str(exc))
    if isinstance(exc, UserError):
        if isinstance(exc, VaultCorrupt):
            log.error("vault error: %s", exc)
        return error_response(*http_error(exc))
    log.exception("internal error")
    return error_response(500, "internal", "internal error")


def forbidden() -> web.Response:
    return error_response(403, "forbidden", "request refused")


def _single(request: web.Request, name: str) -> str | None:
    values = request.headers.getall(name, [])
    return values[0] if len(values) == 1 else None


def origin_allowed(request: web.Request, origin: str | None) -> bool:
    if not origin:
        return False
    companion = request.app[COMPANION]
    path = request.path
    if path in PAIR_PATHS:
        return companion.pairing_origin_allowed(origin)
    # Signed endpoints: any origin that may pair passes here and meets authentication, so an
    # extension that is not paired gets the same 401 as one that is (protocol § 2): the status
    # never tells whether some client paired from an origin. Web origins never get this far.
    return companion.pairing_origin_allowed(origin) or companion.paired_origin(origin)


def cors_headers(origin: str, preflight: bool = False, get: bool = False) -> dict:
    headers = {
        "Access-Control-Allow-Origin": origin,
        "Vary": "Origin",
        "Access-Control-Expose-Headers": "X-OTPC-Resp-Sig",
    }
    if preflight:
        headers["Access-Control-Allow-Methods"] = "GET" if get else "POST"
        headers["Access-Control-Allow-Headers"] = SIGNED_HEADERS
        headers["Access-Control-Max-Age"] = "600"
    return headers


class ClientGone(Exception):
    """The client closed the connection before its body arrived: its business, not an error."""


async def read_body(request: web.Request) -> bytes | None:
    """The body, or None if it exceeds MAX_BODY (Content-Length or actual bytes).
    Raises ClientGone if the client leaves mid-body, ApiError 408 if it dawdles."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    try:
        async with asyncio.timeout(BODY_READ_SECONDS):
            return await _read_capped(request)
    except TimeoutError:
        raise ApiError(f"body not received within {BODY_READ_SECONDS} s", status=408,
                       code="request_timeout") from None
    except (ConnectionError, http_exceptions.PayloadEncodingError):
        raise ClientGone from None


async def _read_capped(request: web.Request) -> bytes | None:
    data = bytearray()
    while True:
        chunk = await request.content.read(MAX_BODY + 1 - len(data))
        if not chunk:
            return bytes(data)
        data += chunk
        if len(data) > MAX_BODY:
            return None


def parse_json_object(body: bytes) -> dict | None:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


async def _check(request: web.Request, handler) -> web.StreamResponse:
    companion = request.app[COMPANION]
    host = _single(request, "Host")
    if host not in (f"127.0.0.1:{companion.port}", f"localhost:{companion.port}"):
        return forbidden()
    if "Upgrade" in request.headers or "Sec-WebSocket-Key" in request.headers:
        return forbidden()
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        return forbidden()
    if request.headers.get("Sec-Fetch-Mode", "").lower() in ("navigate", "no-cors"):
        return forbidden()
    path, method = request.path, request.method
    origin = _single(request, "Origin")
    known = path in request.app[KNOWN_PATHS]
    if method == "OPTIONS":
        wanted = request.headers.get("Access-Control-Request-Method", "")
        expected = "GET" if path == OPENAPI_PATH else "POST"
        if known and wanted == expected and origin_allowed(request, origin):
            return web.Response(
                status=204, headers=cors_headers(origin, True, path == OPENAPI_PATH)
            )
        return forbidden()
    if path == OPENAPI_PATH:
        if method != "GET":
            return error_response(405, "method_not_allowed", "use GET", {"Allow": "GET"})
        if "Origin" in request.headers and not origin_allowed(request, origin):
            return forbidden()
        response = await handler(request)
        if origin:
            response.headers.update(cors_headers(origin))
        return response
    if method != "POST":
        return error_response(405, "method_not_allowed", "use POST", {"Allow": "POST"})
    if not origin_allowed(request, origin):
        return forbidden()
    if not known:
        return error_response(404, "not_found", "no such endpoint")
    if request.content_type != "application/json":
        return error_response(415, "unsupported_media_type", "send application/json")
    body = await read_body(request)
    if body is None:
        return error_response(413, "payload_too_large", f"body over {MAX_BODY} bytes")
    payload = parse_json_object(body)
    if payload is None:
        return error_response(400, "bad_request", "body must be a JSON object")
    request["body"], request["json"], request["origin"] = body, payload, origin
    response = await handler(request)
    response.headers.update(cors_headers(origin))
    return response


@web.middleware
async def guard(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await _check(request, handler)
    except web.HTTPException as exc:  # router-level 404/405 and the like: same JSON shape
        return error_response(exc.status, "not_found" if exc.status == 404 else "bad_request",
                              exc.reason)
    except ClientGone:
        log.info("client disconnected before its request body arrived (%s)", request.path)
        return error_response(400, "bad_request", "connection closed mid-body")
    except Exception as exc:  # noqa: BLE001 - never a traceback to the caller
        return response_for_error(exc)


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every response, including aiohttp's own, gets these."""
    response.headers["Server"] = "otpc"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    for name in ("Access-Control-Allow-Credentials", "Access-Control-Allow-Private-Network"):
        response.headers.pop(name, None)
