"""Request authentication, replay cache, rate limits, response signing and sealing (protocol § 5-7)."""

from __future__ import annotations

import hashlib
import re
import time
from collections import deque

from companion.crypto import DecryptError, equal, hmac_sha256, seal, unseal
from companion.errors import UserError
from companion.server.clients import Client, ClientStore, b64u, unb64u

CLOCK_SKEW_SECONDS = 30
NONCE_WINDOW_SECONDS = 2 * CLOCK_SKEW_SECONDS + 1
FAILS_PER_CLIENT = 10
FAILS_UNKNOWN = 50
UNKNOWN = "?"  # the one bucket for ids that name no paired client
FAIL_WINDOW_SECONDS = 60
PENALTY_SECONDS = 60
MAX_NONCES = 100_000
B64U_16 = re.compile(r"[A-Za-z0-9_-]{22}")
B64U_32 = re.compile(r"[A-Za-z0-9_-]{43}")
B64U_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class AuthFailed(Exception):
    """Any authentication failure; callers answer the one identical 401."""


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__("rate limited")
        self.retry_after = retry_after


def canonical_request(method, target, host, client_id, ts, nonce, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join(["OTPC1-HMAC-SHA256", method, target, host, client_id, str(ts), nonce, digest])


def canonical_response(request_nonce: str, status: int, body: bytes) -> str:
    return "\n".join(["OTPC1-RESP", request_nonce, str(status), hashlib.sha256(body).hexdigest()])


def sign_response(k_mac: bytes, request_nonce: str, status: int, body: bytes) -> str:
    return b64u(hmac_sha256(k_mac, canonical_response(request_nonce, status, body).encode()))


def seal_aad(client_id: str, purpose: str) -> bytes:
    return f"OTPC1-SEAL\n{client_id}\n{purpose}".encode()


def seal_for(client: Client, purpose: str, value: str) -> str:
    return b64u(seal(client.k_enc, value.encode(), seal_aad(client.id, purpose)))


def unseal_from(client: Client, purpose: str, blob) -> str:
    try:
        raw = unb64u(blob)
        return unseal(client.k_enc, raw, seal_aad(client.id, purpose)).decode("utf-8")
    except (ValueError, TypeError, DecryptError, UnicodeDecodeError):
        raise UserError("sealed value does not open") from None


class FailureCounter:
    """Failed authentications per paired client, and one shared bucket for every unknown id.

    Keys are paired client ids or UNKNOWN, never an attacker-chosen string, so the table is
    bounded by the number of paired clients. Junk under made-up ids only blocks further junk
    (UNKNOWN): a paired client is throttled by failures under its own id, never by others'."""

    def __init__(self) -> None:
        self._fails: dict[str, deque] = {}
        self._blocked_until: dict[str, float] = {}

    def check(self, key: str) -> None:
        now = time.monotonic()
        until = self._blocked_until.get(key, 0.0)
        if until > now:
            raise RateLimited(int(until - now) + 1)

    def fail(self, key: str) -> None:
        now = time.monotonic()
        q = self._fails.setdefault(key, deque())
        q.append(now)
        while q and q[0] < now - FAIL_WINDOW_SECONDS:
            q.popleft()
        if len(q) >= (FAILS_UNKNOWN if key == UNKNOWN else FAILS_PER_CLIENT):
            q.clear()
            self._blocked_until[key] = now + PENALTY_SECONDS


class ReplayCache:
    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._order: deque = deque()

    def seen_before(self, client_id: str, nonce: str) -> bool:
        """True if (client, nonce) was used within the window; otherwise remember it.

        Only expired nonces are forgotten: forgetting a live one to make room would let its
        request be replayed. When MAX_NONCES live ones fill the cache (over 1,600 requests a
        second for a minute, from clients with valid keys), new requests wait (429) instead."""
        now = time.monotonic()
        while self._order and self._order[0][0] < now:
            _, key = self._order.popleft()
            self._seen.pop(key, None)
        key = (client_id, nonce)
        if key in self._seen:
            return True
        if len(self._order) >= MAX_NONCES:
            raise RateLimited(int(self._order[0][0] - now) + 1)
        expiry = now + NONCE_WINDOW_SECONDS
        self._seen[key] = expiry
        self._order.append((expiry, key))
        return False


class Authenticator:
    def __init__(self, clients: ClientStore):
        self.clients = clients
        self.failures = FailureCounter()
        self.replays = ReplayCache()

    def authenticate(self, headers, method: str, target: str, origin: str, body: bytes) -> Client:
        """Return the client, or raise AuthFailed / RateLimited. Everything checked, MAC last."""
        claimed = headers.get("X-OTPC-Client", "")
        known = B64U_ID.fullmatch(claimed) and self.clients.get(claimed) is not None
        key = claimed if known else UNKNOWN
        self.failures.check(key)
        try:
            client = self._check(headers, method, target, origin, body, claimed)
        except AuthFailed:
            self.failures.fail(key)
            raise
        self.clients.touch(client.id)
        return client

    def _check(self, headers, method, target, origin, body, claimed) -> Client:
        ts_text = headers.get("X-OTPC-Ts", "")
        nonce = headers.get("X-OTPC-Nonce", "")
        sig = headers.get("X-OTPC-Sig", "")
        host = headers.get("Host", "")
        if not (ts_text.isascii() and ts_text.isdigit() and len(ts_text) <= 12):
            raise AuthFailed
        if not B64U_16.fullmatch(nonce) or not B64U_32.fullmatch(sig):
            raise AuthFailed
        client = self.clients.get(claimed) if B64U_ID.fullmatch(claimed) else None
        if client is None or client.origin != origin:
            raise AuthFailed
        if abs(time.time() - int(ts_text)) > CLOCK_SKEW_SECONDS:
            raise AuthFailed
        text = canonical_request(method, target, host, client.id, ts_text, nonce, body)
        if not equal(hmac_sha256(client.k_mac, text.encode()), unb64u(sig)):
            raise AuthFailed
        if self.replays.seen_before(client.id, nonce):
            raise AuthFailed
        return client
