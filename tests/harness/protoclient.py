"""A client of the companion written only from docs/protocol.md. Imports nothing from companion/.

Pure protocol functions (encodings, key schedule, canonical strings, sealing) plus `ProtoClient`,
which pairs and makes signed requests over http.client (so tests can also send hostile requests
with any Host, Origin or method they like).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

OUR_CHROME_ORIGIN = "chrome-extension://cnkaadljlgmmkjmloicginhokmgbpjom"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KEY_LABELS = ("client-confirm", "server-confirm", "mac", "enc")


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url without padding")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), "sha256").digest()


def normalise_code(raw: str) -> str | None:
    code = raw.upper().replace("-", "").replace(" ", "")
    code = code.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(code) != 12 or any(c not in CROCKFORD for c in code):
        return None
    return code


def public_raw(private: ec.EllipticCurvePrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def transcript(origin, client_pub, server_pub, client_nonce, server_nonce, txn) -> str:
    parts = ["OTPC1-PAIR", origin, client_pub, server_pub, client_nonce, server_nonce, txn]
    return "\n".join(parts)


def key_schedule(shared: bytes, th: bytes, code: str) -> dict[str, bytes]:
    keys = {}
    for label in KEY_LABELS:
        info = f"OTPC1-PAIR-KEY\n{label}\n{code}".encode()
        keys[label] = HKDF(hashes.SHA256(), 32, salt=th, info=info).derive(shared)
    return keys


def client_confirm_input(th: bytes) -> str:
    return "OTPC1-CONFIRM-CLIENT\n" + b64u(th)


def server_confirm_input(th: bytes, client_id: str) -> str:
    return "OTPC1-CONFIRM-SERVER\n" + b64u(th) + "\n" + client_id


def canonical_request(method, target, host, client_id, ts, nonce, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join(["OTPC1-HMAC-SHA256", method, target, host, client_id, str(ts), nonce, digest])


def canonical_response(request_nonce: str, status: int, body: bytes) -> str:
    return "\n".join(["OTPC1-RESP", request_nonce, str(status), hashlib.sha256(body).hexdigest()])


def seal_aad(client_id: str, purpose: str) -> bytes:
    return f"OTPC1-SEAL\n{client_id}\n{purpose}".encode()


def seal(k_enc: bytes, client_id: str, purpose: str, plaintext: str, nonce: bytes | None = None):
    nonce = nonce if nonce is not None else os.urandom(12)
    ct = AESGCM(k_enc).encrypt(nonce, plaintext.encode(), seal_aad(client_id, purpose))
    return b64u(nonce + ct)


def unseal(k_enc: bytes, client_id: str, purpose: str, blob: str) -> str:
    raw = unb64u(blob)
    return AESGCM(k_enc).decrypt(raw[:12], raw[12:], seal_aad(client_id, purpose)).decode()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def raw_request(port, method, path, *, headers=None, body=b"", timeout=10.0) -> Reply:
    """Send exactly these headers (Host included only if given: skip_host)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body or method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


class ProtocolError(Exception):
    pass


@dataclass
class ProtoClient:
    port: int
    origin: str = OUR_CHROME_ORIGIN
    name: str = "protoclient"
    client_id: str | None = None
    k_mac: bytes | None = None
    k_enc: bytes | None = None
    replies: list[Reply] = field(default_factory=list)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _post_json(self, path, obj, extra=None) -> Reply:
        headers = {"Host": self.host, "Origin": self.origin, "Content-Type": "application/json"}
        headers.update(extra or {})
        reply = raw_request(self.port, "POST", path, headers=headers, body=json.dumps(obj).encode())
        self.replies.append(reply)
        return reply

    def pair(self, code_text: str) -> dict:
        code = normalise_code(code_text)
        if code is None:
            raise ProtocolError("mistyped code")
        private = ec.generate_private_key(ec.SECP256R1())
        client_pub, client_nonce = b64u(public_raw(private)), b64u(os.urandom(32))
        init = self._post_json(
            "/v1/pair/init",
            {"client_pub": client_pub, "client_nonce": client_nonce, "client_name": self.name},
        )
        if init.status != 200:
            raise ProtocolError(f"init: {init.status} {init.body!r}")
        r = init.json()
        server_key = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), unb64u(r["server_pub"])
        )
        shared = private.exchange(ec.ECDH(), server_key)
        text = transcript(
            self.origin, client_pub, r["server_pub"], client_nonce, r["server_nonce"], r["txn"]
        )
        th = sha256(text.encode())
        keys = key_schedule(shared, th, code)
        client_mac = b64u(mac(keys["client-confirm"], client_confirm_input(th)))
        conf = self._post_json("/v1/pair/confirm", {"txn": r["txn"], "client_mac": client_mac})
        if conf.status != 200:
            raise ProtocolError(f"confirm: {conf.status} {conf.body!r}")
        c = conf.json()
        expected = mac(keys["server-confirm"], server_confirm_input(th, c["client_id"]))
        if not hmac.compare_digest(expected, unb64u(c["server_mac"])):
            raise ProtocolError("server proof does not verify: impostor")
        self.client_id, self.k_mac, self.k_enc = c["client_id"], keys["mac"], keys["enc"]
        return c

    def signed_headers(self, path, body: bytes, *, ts=None, nonce=None, host=None) -> dict:
        ts = int(time.time()) if ts is None else ts
        nonce = nonce or b64u(os.urandom(16))
        host = self.host if host is None else host
        text = canonical_request("POST", path, host, self.client_id, ts, nonce, body)
        return {
            "Host": host,
            "Origin": self.origin,
            "Content-Type": "application/json",
            "X-OTPC-Client": self.client_id,
            "X-OTPC-Ts": str(ts),
            "X-OTPC-Nonce": nonce,
            "X-OTPC-Sig": b64u(mac(self.k_mac, text)),
        }

    def call_raw(self, path, obj=None, **sign) -> Reply:
        body = json.dumps(obj if obj is not None else {}).encode()
        headers = self.signed_headers(path, body, **sign)
        reply = raw_request(self.port, "POST", path, headers=headers, body=body)
        reply.headers["x-request-nonce"] = headers["X-OTPC-Nonce"]
        self.replies.append(reply)
        return reply

    def verify(self, reply: Reply) -> bool:
        sig = reply.header("X-OTPC-Resp-Sig")
        if not sig:
            return False
        text = canonical_response(reply.headers["x-request-nonce"], reply.status, reply.body)
        return hmac.compare_digest(mac(self.k_mac, text), unb64u(sig))

    def call(self, path, obj=None) -> tuple[int, dict]:
        reply = self.call_raw(path, obj)
        if not self.verify(reply):
            raise ProtocolError(f"unsigned or badly signed response: {reply.status}")
        return reply.status, reply.json()

    def seal(self, purpose: str, value: str) -> str:
        return seal(self.k_enc, self.client_id, purpose, value)

    def unseal(self, purpose: str, blob: str) -> str:
        return unseal(self.k_enc, self.client_id, purpose, blob)
