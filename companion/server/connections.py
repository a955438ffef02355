"""Connection hygiene against local processes that open connections and never finish them
(issue 9 #12): a cap that sheds the idlest connection, a deadline per request, a raised fd limit.

Every accepted connection is wrapped in a TrackedConnection, which forwards everything to
aiohttp's own protocol and only notes when bytes arrived and when a response went out.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

log = logging.getLogger("otpc.server")

MAX_CONNECTIONS = 256  # browsers keep a handful; the listen backlog (512) queues the rest
REQUEST_SECONDS = 10  # from connect (or the first byte of a request) to the response
KEEPALIVE_SECONDS = 15  # aiohttp's default (an hour) let idle sockets pile up
SWEEP_SECONDS = 1.0


def raise_open_file_limit() -> None:
    """Raise the soft RLIMIT_NOFILE to the hard limit (a 1024 default is easy to exhaust)."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


class _WriteNotingTransport:
    """The real transport, except that a write marks the current request as answered."""

    def __init__(self, transport: asyncio.Transport, conn: TrackedConnection):
        self._transport, self._conn = transport, conn

    def write(self, data) -> None:
        self._conn.answered()
        self._transport.write(data)

    def writelines(self, data) -> None:
        self._conn.answered()
        self._transport.writelines(data)

    def __getattr__(self, name):
        return getattr(self._transport, name)


class TrackedConnection(asyncio.Protocol):
    def __init__(self, inner: asyncio.Protocol, registry: ConnectionRegistry):
        self.inner, self.registry = inner, registry
        self.transport: asyncio.Transport | None = None
        now = time.monotonic()
        self.last_activity = now
        self.waiting_since: float | None = now  # a connection that sends nothing also times out

    def answered(self) -> None:
        self.last_activity = time.monotonic()
        self.waiting_since = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.registry.added(self)
        self.inner.connection_made(_WriteNotingTransport(transport, self))

    def data_received(self, data: bytes) -> None:
        self.last_activity = time.monotonic()
        if self.waiting_since is None:
            self.waiting_since = self.last_activity
        self.inner.data_received(data)

    def eof_received(self):
        return self.inner.eof_received()

    def connection_lost(self, exc) -> None:
        self.registry.removed(self)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def drop(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()


class ConnectionRegistry:
    def __init__(self, limit: int = MAX_CONNECTIONS):
        self.limit = limit
        self.live: set[TrackedConnection] = set()
        self.shed = 0

    def added(self, conn: TrackedConnection) -> None:
        while len(self.live) >= self.limit:
            idlest = min(self.live, key=lambda c: c.last_activity)
            self.live.discard(idlest)
            idlest.drop()
            self.shed += 1
            if self.shed in (1, 100, 10_000):
                log.warning("connection limit (%d) reached: dropped %d idle connection(s) so far",
                            self.limit, self.shed)
        self.live.add(conn)

    def removed(self, conn: TrackedConnection) -> None:
        self.live.discard(conn)

    def sweep(self) -> None:
        """Drop connections whose request has not been answered within REQUEST_SECONDS."""
        cutoff = time.monotonic() - REQUEST_SECONDS
        for conn in [c for c in self.live if c.waiting_since is not None
                     and c.waiting_since < cutoff]:
            self.live.discard(conn)
            conn.drop()

    async def sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            self.sweep()


class TrackedSockSite(web.SockSite):
    """A SockSite whose connections go through a ConnectionRegistry."""

    def __init__(self, runner: web.BaseRunner, sock, registry: ConnectionRegistry, **kwargs):
        super().__init__(runner, sock, **kwargs)
        self.registry = registry

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: TrackedConnection(server(), self.registry), sock=self._sock,
            backlog=self._backlog,
        )
