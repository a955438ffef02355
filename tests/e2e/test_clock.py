"""Issue 9.14 as an attack: a process squatting the companion's port answers every signed request 401
with a Date header a day ahead. The extension must not sign a request dated in the future beyond the
allowed skew (such a request could be replayed tomorrow against the real companion), and must not keep
the squatter's clock once the real companion is back."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from tests.e2e.conftest import free_port

pytestmark = pytest.mark.e2e

DAY = 86_400


class _Squatter(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[float, int]] = []  # (our clock when received, X-OTPC-Ts sent)

    def date_time_string(self, timestamp=None):  # the Date header the squatter lies with
        return super().date_time_string(time.time() + DAY)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ts = self.headers.get("X-OTPC-Ts")
        if ts:
            type(self).seen.append((time.time(), int(ts)))
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST

    def log_message(self, *args):
        pass


@pytest.fixture
def squatter():
    _Squatter.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Squatter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], _Squatter.seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_squatters_date_never_dates_requests_into_the_future(paired, companion, squatter):
    port, seen = squatter
    paired.set_port(port)
    try:
        page = paired.open_popup()
        page.wait_for_selector("body[data-state=not_paired]", timeout=10_000)  # "no longer accepts"
        page.close()
        assert len(seen) >= 2, seen  # the first try, and the retry the Date header invited
        for received, ts in seen:
            assert ts <= received + 30, f"signed {ts - received:.0f} s into the future"
    finally:
        paired.set_port(companion.port)
    page = paired.open_popup()  # the real companion again: nothing of the squatter's clock stuck
    page.wait_for_selector("body[data-state=ready]", timeout=10_000)
    page.close()
