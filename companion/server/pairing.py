"""Pairing windows and the pairing key schedule (docs/protocol.md § 4).

A window is opened by `otpc pair` over the control socket: a 12-character Crockford base32 code
(60 bits), valid 120 s, single use, closed after 5 wrong confirmations. The code never leaves this
module except in the control-socket reply to the CLI; it is never logged.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from companion.crypto import equal, hkdf_sha256, hmac_sha256
from companion.errors import UserError
from companion.server.clients import Client, Scope, b64u, unb64u

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 12
WINDOW_SECONDS = 120
MAX_WRONG_TRIES = 5
MAX_PENDING_TXNS = 64
KEY_LABELS = ("client-confirm", "server-confirm", "mac", "enc")


def new_client_id() -> str:
    """22 b64u characters (128 bits) that never start with '-' or '_', so that the id, or a prefix
    of it, can be typed after `otpc clients revoke` without looking like an option."""
    while True:
        client_id = b64u(os.urandom(16))
        if client_id[0].isalnum():
            return client_id


class PairingClosed(UserError):
    """No window open, or it expired, was used, or ran out of tries; or an unknown txn."""


class PairingFailed(UserError):
    """The client's confirmation MAC is wrong (wrong code, or a tampered exchange)."""


def draw_code() -> str:
    return "".join(secrets.choice(CROCKFORD) for _ in range(CODE_CHARS))


def display_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, CODE_CHARS, 4))


def normalise_code(raw: str) -> str | None:
    code = raw.upper().replace("-", "").replace(" ", "")
    code = code.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(code) != CODE_CHARS or any(c not in CROCKFORD for c in code):
        return None
    return code


def transcript_hash(origin, client_pub, server_pub, client_nonce, server_nonce, txn) -> bytes:
    parts = ["OTPC1-PAIR", origin, client_pub, server_pub, client_nonce, server_nonce, txn]
    return hashlib.sha256("\n".join(parts).encode()).digest()


def key_schedule(shared: bytes, th: bytes, code: str) -> dict[str, bytes]:
    return {
        label: hkdf_sha256(shared, th, f"OTPC1-PAIR-KEY\n{label}\n{code}".encode())
        for label in KEY_LABELS
    }


def client_confirm_mac(k_client_confirm: bytes, th: bytes) -> bytes:
    return hmac_sha256(k_client_confirm, ("OTPC1-CONFIRM-CLIENT\n" + b64u(th)).encode())


def server_confirm_mac(k_server_confirm: bytes, th: bytes, client_id: str) -> bytes:
    text = "OTPC1-CONFIRM-SERVER\n" + b64u(th) + "\n" + client_id
    return hmac_sha256(k_server_confirm, text.encode())


def _decode_exact(value, size: int, what: str) -> bytes:
    try:
        raw = unb64u(value)
    except (ValueError, TypeError):
        raise UserError(f"{what} is not base64url") from None
    if len(raw) != size:
        raise UserError(f"{what} must be {size} bytes")
    return raw


def parse_public_key(value) -> ec.EllipticCurvePublicKey:
    raw = _decode_exact(value, 65, "client_pub")
    if raw[0] != 4:
        raise UserError("client_pub must be an uncompressed P-256 point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise UserError("client_pub is not a point on P-256") from None


@dataclass
class Transaction:
    origin: str
    name: str
    th: bytes
    keys: dict[str, bytes] = field(repr=False)


@dataclass
class PairingWindow:
    code: str = field(repr=False)
    scope: Scope
    expires_at: float
    wrong_tries: int = 0
    used: bool = False
    txns: dict[str, Transaction] = field(default_factory=dict, repr=False)

    @property
    def is_open(self) -> bool:
        return (
            not self.used
            and self.wrong_tries < MAX_WRONG_TRIES
            and time.time() < self.expires_at
        )


class Pairing:
    """At most one open window at a time."""

    def __init__(self) -> None:
        self.window: PairingWindow | None = None

    def open(self, scope: Scope) -> PairingWindow:
        self.window = PairingWindow(draw_code(), scope, time.time() + WINDOW_SECONDS)
        return self.window

    @property
    def is_open(self) -> bool:
        return self.window is not None and self.window.is_open

    def _open_window(self) -> PairingWindow:
        w = self.window
        if w is None or not w.is_open:
            self.window = None
            raise PairingClosed("no pairing window is open: run 'otpc pair' first")
        return w

    def init(self, origin: str, body: dict) -> dict:
        w = self._open_window()
        name = body.get("client_name")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 64 or not name.isprintable():
            raise UserError("client_name must be 1 to 64 printable characters")
        client_key = parse_public_key(body.get("client_pub"))
        _decode_exact(body.get("client_nonce"), 32, "client_nonce")
        while len(w.txns) >= MAX_PENDING_TXNS:
            # Inits are unauthenticated and cheap to send: a flood of them must not close the
            # window the user just opened (only wrong confirms may). The oldest pending one goes;
            # a real client confirms right after its init, so it is never the oldest for long.
            del w.txns[next(iter(w.txns))]
        private = ec.generate_private_key(ec.SECP256R1())
        server_pub = b64u(
            private.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )
        server_nonce, txn = b64u(os.urandom(32)), b64u(os.urandom(16))
        th = transcript_hash(
            origin, body["client_pub"], server_pub, body["client_nonce"], server_nonce, txn
        )
        shared = private.exchange(ec.ECDH(), client_key)
        w.txns[txn] = Transaction(origin, name.strip(), th, key_schedule(shared, th, w.code))
        return {
            "txn": txn,
            "server_pub": server_pub,
            "server_nonce": server_nonce,
            "expires_in": max(0, int(w.expires_at - time.time())),
        }

    def confirm(self, origin: str, body: dict) -> tuple[Client, dict]:
        w = self._open_window()
        txn = body.get("txn")
        t = w.txns.pop(txn, None) if isinstance(txn, str) else None
        if t is None or t.origin != origin:
            raise PairingClosed("unknown or used pairing transaction: start again")
        given = body.get("client_mac")
        expected = client_confirm_mac(t.keys["client-confirm"], t.th)
        try:
            ok = isinstance(given, str) and equal(unb64u(given), expected)
        except ValueError:
            ok = False
        if not ok:
            w.wrong_tries += 1
            if not w.is_open:
                self.window = None
            raise PairingFailed("pairing failed: check the code and try again")
        w.used = True
        self.window = None
        client = Client(
            id=new_client_id(),
            name=t.name,
            origin=origin,
            k_mac=t.keys["mac"],
            k_enc=t.keys["enc"],
            scope=w.scope,
            created=int(time.time()),
        )
        proof = server_confirm_mac(t.keys["server-confirm"], t.th, client.id)
        return client, {"client_id": client.id, "server_mac": b64u(proof), "scope": w.scope.public()}
