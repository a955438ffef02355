"""Issue 9 #17: each rule docs/protocol.md states for the gaps a doc-only client found, exercised
against a real companion with the doc-only client (protoclient.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import protoclient as pc
import pytest
from companion_harness import PASSWORD

pytestmark = pytest.mark.slow  # a fresh companion per test (make test-fast leaves it out)

UNAUTHORIZED = b'{"error": "unauthorized", "message": "authentication failed"}'
OTHER_EXTENSION = "moz-extension://0b6f6d4e-8f0c-4a8e-9e36-2f1c1d1e1f10"


def _otpc(companion, *args):
    env = {k: v for k, v in os.environ.items() if k != "OTPC_PASSWORD"}
    return subprocess.run(
        [sys.executable, "-m", "companion.cli.entry", "--vault", str(companion.vault), *args],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)


# ---- § 4: pairing init and confirm come from the same Origin ------------------------------------
def test_pairing_confirm_from_another_origin_than_init_is_refused(companion):
    code = companion.open_pairing()
    split = pc.ProtoClient(companion.port, origin=pc.OUR_CHROME_ORIGIN)
    post = split._post_json

    def confirm_from_elsewhere(path, obj, extra=None):
        if path == "/v1/pair/confirm":
            split.origin = OTHER_EXTENSION
        return post(path, obj, extra)

    split._post_json = confirm_from_elsewhere
    with pytest.raises(pc.ProtocolError, match="confirm: 409.*pairing_closed"):
        split.pair(code)
    # the transaction is used up, but it was no wrong guess: the window is still open
    assert pc.ProtoClient(companion.port).pair(code)["client_id"]


# ---- § 8: /v1/unlock when already unlocked ------------------------------------------------------
def test_unlock_while_unlocked_checks_the_password(fresh_companion):
    c = fresh_companion.paired_client()
    assert c.call("/v1/status")[1]["locked"] is False
    status, body = c.call("/v1/unlock", {"password": c.seal("unlock", "not the password")})
    assert (status, body["error"]) == (403, "wrong_password")
    assert c.call("/v1/status")[1]["locked"] is False  # a wrong password locks nothing either
    assert c.call("/v1/unlock", {"password": c.seal("unlock", PASSWORD)}) == (200, {"locked": False})


# ---- § 5: exactly which requests a 429 applies to -----------------------------------------------
def test_wrong_unlock_passwords_throttle_that_client_only_and_never_pairing(fresh_companion):
    c, other = fresh_companion.paired_client(), fresh_companion.paired_client()
    for _ in range(10):
        status, _ = c.call("/v1/unlock", {"password": c.seal("unlock", "guess guess guess")})
        assert status == 403
    limited = c.call_raw("/v1/status")  # correctly signed, under the throttled id
    assert limited.status == 429 and int(limited.header("Retry-After")) > 0
    assert limited.header("X-OTPC-Resp-Sig") is None  # a 429 is never signed
    assert other.call("/v1/status")[0] == 200
    # pairing, the OpenAPI document and the control socket are never throttled
    assert fresh_companion.paired_client().call("/v1/status")[0] == 200
    openapi = pc.raw_request(fresh_companion.port, "GET", "/v1/openapi.json",
                             headers={"Host": f"127.0.0.1:{fresh_companion.port}"})
    assert openapi.status == 200
    assert fresh_companion.control({"op": "status"})["ok"]


# ---- § 2: 401 versus 403 for an origin --------------------------------------------------------
def test_an_extension_origin_gets_401_whether_or_not_it_is_paired(companion, client):
    body = b"{}"

    def status_from(origin: str, sig: bytes | None = None) -> pc.Reply:
        headers = {**client.signed_headers("/v1/status", body), "Origin": origin}
        if sig is not None:
            headers["X-OTPC-Sig"] = pc.b64u(sig)
        return pc.raw_request(companion.port, "POST", "/v1/status", headers=headers, body=body)

    paired_bad_sig = status_from(pc.OUR_CHROME_ORIGIN, b"\1" * 32)
    unpaired = status_from(OTHER_EXTENSION)  # no client ever paired from this Firefox origin
    for reply in (paired_bad_sig, unpaired):
        assert (reply.status, reply.body) == (401, UNAUTHORIZED)
        assert reply.header("X-OTPC-Resp-Sig") is None
    assert paired_bad_sig.headers.keys() == unpaired.headers.keys()
    for origin in ("https://mail.acme.com", "null", "chrome-extension://" + "a" * 32):
        reply = status_from(origin)
        assert reply.status == 403 and json.loads(reply.body)["error"] == "forbidden"


# ---- § 2: the 204 preflight has no body ---------------------------------------------------------
def test_a_preflight_is_204_without_a_body(companion, client):
    reply = pc.raw_request(companion.port, "OPTIONS", "/v1/code", headers={
        "Host": client.host, "Origin": pc.OUR_CHROME_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-otpc-sig"})
    assert reply.status == 204 and reply.body == b""
    assert reply.header("Content-Length") in (None, "0") and reply.header("Content-Type") is None
    assert reply.header("Access-Control-Allow-Origin") == pc.OUR_CHROME_ORIGIN
    assert reply.header("Cache-Control") == "no-store"


# ---- § 4 and § 8: names count characters (code points), not bytes ------------------------------
def test_names_count_unicode_characters_not_bytes(companion, client):
    code = companion.open_pairing()
    for name, ok in (("é" * 64, True), ("😀" * 64, True), ("é" * 65, False)):
        named = pc.ProtoClient(companion.port, name=name)
        if ok:
            assert named.pair(code)["client_id"]
            assert named.call("/v1/status")[1]["client_name"] == name
            code = companion.open_pairing()
        else:
            with pytest.raises(pc.ProtocolError, match="init: 400"):
                named.pair(code)
    status, body = client.call("/v1/customers/create", {"name": "Ü" * 200})
    assert status == 200 and body["customer"]["name"] == "Ü" * 200
    status, body = client.call("/v1/customers/create", {"name": "Ü" * 201})
    assert status == 400 and "200 characters" in body["message"]


# ---- otpc pair --json ---------------------------------------------------------------------------
def test_pair_json(companion):
    before = time.time()
    done = _otpc(companion, "pair", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert sorted(data) == ["code", "expires_at", "expires_in", "port"]
    assert data["port"] == companion.port and 100 <= data["expires_in"] <= 120
    assert before + 100 <= data["expires_at"] <= time.time() + 121
    assert pc.normalise_code(data["code"]) is not None
    assert pc.ProtoClient(companion.port).pair(data["code"])["client_id"]  # the code works
    assert data["code"] not in companion.log()
