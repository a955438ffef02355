"""Generate tests/vectors/protocol.json: the docs/protocol.md test vectors from fixed inputs.

Uses the independent test client (tests/server/protoclient.py, written from the document only).
tests/server/test_vectors.py checks the file against both that client and the companion itself.
Run: .venv/bin/python tests/vectors/make_protocol_vectors.py [--check]
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "server"))

import protoclient as pc  # noqa: E402

OUT = HERE / "protocol.json"


def fixed_key(seed: str) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    return ec.derive_private_key(scalar % (2**255), ec.SECP256R1())


def jwk(private: ec.EllipticCurvePrivateKey) -> dict:
    nums = private.private_numbers()
    pub = nums.public_numbers
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": pc.b64u(pub.x.to_bytes(32, "big")),
        "y": pc.b64u(pub.y.to_bytes(32, "big")),
        "d": pc.b64u(nums.private_value.to_bytes(32, "big")),
    }


def build() -> dict:
    origin = "chrome-extension://cnkaadljlgmmkjmloicginhokmgbpjom"
    code_display = "7K3M-Q9ZD-W2HX"
    code = pc.normalise_code(code_display)
    client, server = fixed_key("otpc vector client"), fixed_key("otpc vector server")
    client_pub, server_pub = pc.b64u(pc.public_raw(client)), pc.b64u(pc.public_raw(server))
    client_nonce = pc.b64u(bytes(range(32)))
    server_nonce = pc.b64u(bytes(range(32, 64)))
    txn = pc.b64u(bytes(range(100, 116)))
    text = pc.transcript(origin, client_pub, server_pub, client_nonce, server_nonce, txn)
    th = pc.sha256(text.encode())
    shared = client.exchange(ec.ECDH(), server.public_key())
    assert shared == server.exchange(ec.ECDH(), client.public_key())
    keys = pc.key_schedule(shared, th, code)
    client_id = pc.b64u(bytes(range(200, 216)))
    cci, sci = pc.client_confirm_input(th), pc.server_confirm_input(th, client_id)
    pairing = {
        "origin": origin,
        "code_display": code_display,
        "code": code,
        "client_jwk": jwk(client),
        "server_jwk": jwk(server),
        "client_pub": client_pub,
        "server_pub": server_pub,
        "client_nonce": client_nonce,
        "server_nonce": server_nonce,
        "txn": txn,
        "transcript": text,
        "th": pc.b64u(th),
        "shared": pc.b64u(shared),
        "k_client_confirm": pc.b64u(keys["client-confirm"]),
        "k_server_confirm": pc.b64u(keys["server-confirm"]),
        "k_mac": pc.b64u(keys["mac"]),
        "k_enc": pc.b64u(keys["enc"]),
        "client_confirm_input": cci,
        "client_mac": pc.b64u(pc.mac(keys["client-confirm"], cci)),
        "client_id": client_id,
        "server_confirm_input": sci,
        "server_mac": pc.b64u(pc.mac(keys["server-confirm"], sci)),
    }
    body = json.dumps({"entry_id": "e5c1a9d0"}, separators=(",", ":"))
    req_nonce = pc.b64u(bytes(range(16)))
    canon = pc.canonical_request(
        "POST", "/v1/code", "127.0.0.1:17655", client_id, 1767225600, req_nonce, body.encode()
    )
    request = {
        "k_mac": pairing["k_mac"],
        "method": "POST",
        "target": "/v1/code",
        "host": "127.0.0.1:17655",
        "client_id": client_id,
        "ts": 1767225600,
        "nonce": req_nonce,
        "body": body,
        "body_sha256_hex": hashlib.sha256(body.encode()).hexdigest(),
        "canonical": canon,
        "sig": pc.b64u(pc.mac(keys["mac"], canon)),
    }
    resp_body = json.dumps({"code": "123456", "period": 30}, separators=(",", ":"))
    resp_canon = pc.canonical_response(req_nonce, 200, resp_body.encode())
    response = {
        "k_mac": pairing["k_mac"],
        "request_nonce": req_nonce,
        "status": 200,
        "body": resp_body,
        "body_sha256_hex": hashlib.sha256(resp_body.encode()).hexdigest(),
        "canonical": resp_canon,
        "sig": pc.b64u(pc.mac(keys["mac"], resp_canon)),
    }
    seal_nonce = bytes(range(50, 62))
    seal = {
        "k_enc": pairing["k_enc"],
        "client_id": client_id,
        "purpose": "unlock",
        "aad": pc.seal_aad(client_id, "unlock").decode(),
        "nonce": pc.b64u(seal_nonce),
        "plaintext": "correct horse battery staple",
        "blob": pc.seal(keys["enc"], client_id, "unlock", "correct horse battery staple", seal_nonce),
    }
    samples = ["7k3m-q9zd-w2hx", "7K3M Q9ZD W2HX", "OIL0-0000-0000", "7K3M-Q9ZD-W2H", "7K3M-Q9ZD-W2HU"]
    return {
        "pairing": pairing,
        "request": request,
        "response": response,
        "seal": seal,
        "code_normalisation": [[s, pc.normalise_code(s)] for s in samples],
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text() == text else 1)
    OUT.write_text(text)
    print(f"wrote {OUT}")
