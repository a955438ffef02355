"""The aiohttp application: routes, the signature middleware, pairing endpoints, start and stop.

Middlewares, outermost first: guard (transport rules, protocol § 2) → signed (authentication before
anything else, including the lock state; response signing, § 5-6) → the handler (api.py).
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import signal
import socket

from aiohttp import web

from companion.errors import UserError
from companion.server import api
from companion.server.auth import AuthFailed, RateLimited, sign_response
from companion.server.guard import (
    COMPANION,
    KNOWN_PATHS,
    OPENAPI_PATH,
    PAIR_PATHS,
    error_response,
    guard,
    response_for_error,
    secure_headers,
)

log = logging.getLogger("otpc.server")

UNAUTHORIZED_BODY = json.dumps({"error": "unauthorized", "message": "authentication failed"})
IDLE_CHECK_SECONDS = 5
TEAM_STOP_SECONDS = 3.0


def unauthorized() -> web.Response:
    return web.Response(status=401, text=UNAUTHORIZED_BODY, content_type="application/json")


@web.middleware
async def signed(request: web.Request, handler) -> web.StreamResponse:
    if request.path in PAIR_PATHS or request.path == OPENAPI_PATH:
        return await handler(request)
    companion = request.app[COMPANION]
    try:
        client = companion.auth.authenticate(
            request.headers, request.method, request.raw_path, request["origin"], request["body"]
        )
    except AuthFailed:
        return unauthorized()
    except RateLimited as exc:
        return error_response(
            429, "rate_limited", "too many failed attempts", {"Retry-After": str(exc.retry_after)}
        )
    request["client"] = client  # idle timer: only requests that use the vault count (state.py)
    try:
        response = await handler(request)
    except RateLimited as exc:
        response = error_response(
            429, "rate_limited", "too many failed attempts", {"Retry-After": str(exc.retry_after)}
        )
    except Exception as exc:  # noqa: BLE001 - every failure becomes a signed JSON error
        response = response_for_error(exc)
    nonce = request.headers["X-OTPC-Nonce"]
    response.headers["X-OTPC-Resp-Sig"] = sign_response(
        client.k_mac, nonce, response.status, response.body or b""
    )
    return response


async def pair_init(request: web.Request) -> web.Response:
    companion = request.app[COMPANION]
    return api.respond(companion.pairing.init(request["origin"], request["json"]))


async def pair_confirm(request: web.Request) -> web.Response:
    companion = request.app[COMPANION]
    client, answer = companion.pairing.confirm(request["origin"], request["json"])
    companion.add_client(client)
    return api.respond(answer)


async def openapi(request: web.Request) -> web.Response:
    return api.respond(openapi_document(request.app[COMPANION].port))


def openapi_document(port: int) -> dict:
    error = {"$ref": "#/components/schemas/Error"}
    paths = {}
    every = {**api.ROUTES, "/v1/pair/init": (None, False, "Start pairing (unsigned)"),
             "/v1/pair/confirm": (None, False, "Finish pairing (unsigned)")}
    for path, (_handler, write, summary) in every.items():
        paths[path] = {
            "post": {
                "summary": summary + (" (read-write clients only)" if write else ""),
                "description": "See docs/protocol.md for fields, signing and sealing.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"type": "object"}}}},
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": {
                        "schema": {"type": "object"}}}},
                    "default": {"description": "Error", "content": {"application/json": {
                        "schema": error}}},
                },
            }
        }
    paths[OPENAPI_PATH] = {"get": {"summary": "This document",
                                   "responses": {"200": {"description": "OpenAPI 3.1"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "OTP Companion", "version": str(api.API_VERSION)},
        "servers": [{"url": f"http://127.0.0.1:{port}"}],
        "paths": paths,
        "components": {"schemas": {"Error": {
            "type": "object", "required": ["error", "message"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}}},
    }


def _generic_server_header() -> None:
    """aiohttp's own low-level replies (malformed HTTP, missing Host) bypass on_response_prepare and
    name the Python and aiohttp versions; make its default Server header generic for this process."""
    from aiohttp import web_response

    web_response.SERVER_SOFTWARE = "otpc"


def make_app(companion) -> web.Application:
    _generic_server_header()
    app = web.Application(middlewares=[guard, signed], client_max_size=64 * 1024)
    app[COMPANION] = companion
    for path, (handler, _write, _summary) in api.ROUTES.items():
        app.router.add_post(path, handler)
    app.router.add_post("/v1/pair/init", pair_init)
    app.router.add_post("/v1/pair/confirm", pair_confirm)
    app.router.add_get(OPENAPI_PATH, openapi, allow_head=False)
    app[KNOWN_PATHS] = frozenset([*api.ROUTES, *PAIR_PATHS, OPENAPI_PATH])
    app.on_response_prepare.append(secure_headers)
    return app


def bind_loopback(port: int) -> socket.socket:
    """Bind 127.0.0.1:port or raise UserError; never another port or address."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(512)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UserError(
                f"port {port} on 127.0.0.1 is already in use (another companion?): "
                "stop it, or choose another with --port or the config's \"port\""
            ) from None
        raise UserError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


async def serve(companion, on_ready=None) -> None:
    """Run until SIGINT/SIGTERM: the HTTP API, the control socket and the idle-lock timer.
    `on_ready()` is called once both listen (the CLI prints what to do next)."""
    from companion.hardening import forbid_core_dumps
    from companion.server.connections import (
        KEEPALIVE_SECONDS,
        ConnectionRegistry,
        TrackedSockSite,
        raise_open_file_limit,
    )
    from companion.server.control import start_control_server, stop_control_server

    raise_open_file_limit()
    forbid_core_dumps()
    sock = bind_loopback(companion.port)
    control = await start_control_server(companion)
    app = make_app(companion)
    runner = web.AppRunner(app, access_log=None, handle_signals=False,
                           keepalive_timeout=KEEPALIVE_SECONDS)
    await runner.setup()
    registry = ConnectionRegistry()
    site = TrackedSockSite(runner, sock, registry)
    await site.start()
    sweeper = asyncio.create_task(registry.sweep_forever())
    from companion.server.team_ops import sync_forever  # team mode: keep the replica current

    team_sync = asyncio.create_task(sync_forever(companion))
    log.info("listening on http://127.0.0.1:%d (locked: %s)", companion.port, companion.locked)
    if on_ready is not None:
        on_ready()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), IDLE_CHECK_SECONDS)
            except TimeoutError:
                companion.idle_check()
    finally:
        log.info("shutting down")
        sweeper.cancel()
        team_sync.cancel()
        # a round that already pushed takes that in before the vault closes (else its edits
        # would go again after a restart, as conflict copies); a round stuck on a hung
        # database is left behind (its thread is a daemon)
        await asyncio.wait([team_sync], timeout=TEAM_STOP_SECONDS)
        await stop_control_server(control, companion)
        await runner.cleanup()
        companion.shutdown()
