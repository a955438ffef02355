"""Hostile requests: every transport, authentication and pairing rule of issue 3, against the real
companion on a real port. No code, secret, password or pairing code may leak in a refusal or a log."""

from __future__ import annotations

import json
import math
import os
import time

import protoclient as pc
import pyotp
import pytest
from companion_harness import ENTRY_PASSWORD, HOTP_SECRET, PASSWORD, SECRET

pytestmark = pytest.mark.slow  # a real companion per module, fresh ones per test

UNAUTHORIZED = b'{"error": "unauthorized", "message": "authentication failed"}'
WEB = "https://evil.example"


def send(companion, method="POST", path="/v1/status", headers=None, body=b"{}", host=True,
         origin=pc.OUR_CHROME_ORIGIN, content_type="application/json"):
    h = {}
    if host:
        h["Host"] = f"127.0.0.1:{companion.port}"
    if origin:
        h["Origin"] = origin
    if content_type:
        h["Content-Type"] = content_type
    h.update(headers or {})
    return pc.raw_request(companion.port, method, path, headers=h, body=body)


def assert_refused(reply, status, error=None):
    assert reply.status == status, (reply.status, reply.body)
    body = json.loads(reply.body)
    assert set(body) == {"error", "message"}
    if error:
        assert body["error"] == error
    assert reply.header("Access-Control-Allow-Origin") is None or status not in (403,)
    assert reply.header("X-OTPC-Resp-Sig") is None
    assert b"Traceback" not in reply.body


def test_wrong_host_is_refused_before_anything(companion, client):
    for host in [f"evil.example:{companion.port}", f"attacker.rebind.network:{companion.port}",
                 "127.0.0.1", f"127.0.0.1:{companion.port + 1}", f"localhost.:{companion.port}",
                 f"127.0.0.1.nip.io:{companion.port}", f"[::1]:{companion.port}"]:
        body = b"{}"
        headers = client.signed_headers("/v1/status", body, host=host)
        reply = pc.raw_request(companion.port, "POST", "/v1/status", headers=headers, body=body)
        assert_refused(reply, 403, "forbidden")
        assert reply.header("Access-Control-Allow-Origin") is None
    missing = send(companion, host=False)  # refused by aiohttp's HTTP parser itself
    assert missing.status == 400 and missing.header("Server") == "otpc"
    assert b"aiohttp" not in missing.body and b"Traceback" not in missing.body
    ok = send(companion, headers={"Host": f"localhost:{companion.port}"}, path="/v1/pair/init")
    assert ok.status == 409  # localhost:PORT passes the Host rule (no window open)
    both = send(companion, headers={"X-Forwarded-Host": f"127.0.0.1:{companion.port}",
                                    "Host": "evil.example"})
    assert_refused(both, 403)


@pytest.mark.parametrize("origin", [WEB, "null", None, "chrome-extension://" + "a" * 32,
                                    "moz-extension://bad_uuid", "http://127.0.0.1:8080"])
def test_bad_origins_get_403_without_cors(companion, client, origin):
    body = b"{}"
    headers = client.signed_headers("/v1/status", body)
    headers.pop("Origin")
    if origin:
        headers["Origin"] = origin
    reply = pc.raw_request(companion.port, "POST", "/v1/status", headers=headers, body=body)
    assert_refused(reply, 403, "forbidden")
    assert not any(k.startswith("access-control-") for k in reply.headers)


def test_preflights(companion, client):
    pre = {"Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "content-type,x-otpc-sig"}
    evil = send(companion, "OPTIONS", "/v1/code", headers=pre, origin=WEB, content_type=None)
    assert_refused(evil, 403)
    assert not any(k.startswith("access-control-") for k in evil.headers)
    ours = send(companion, "OPTIONS", "/v1/code", headers=pre, content_type=None)
    assert ours.status == 204
    assert ours.header("Access-Control-Allow-Origin") == pc.OUR_CHROME_ORIGIN
    assert "x-otpc-sig" in ours.header("Access-Control-Allow-Headers")
    for name in ("Access-Control-Allow-Credentials", "Access-Control-Allow-Private-Network"):
        assert ours.header(name) is None
    pna = send(companion, "OPTIONS", "/v1/code", content_type=None, origin=WEB,
               headers={**pre, "Access-Control-Request-Private-Network": "true"})
    assert_refused(pna, 403)
    assert send(companion, "OPTIONS", "/v1/nowhere", headers=pre, content_type=None).status == 403


def test_text_plain_csrf_and_fetch_metadata(companion, client):
    form = send(companion, origin=WEB, content_type="text/plain", path="/v1/lock")
    assert_refused(form, 403)
    body = b"{}"
    headers = client.signed_headers("/v1/lock", body)
    headers["Content-Type"] = "text/plain"
    assert_refused(pc.raw_request(companion.port, "POST", "/v1/lock", headers=headers, body=body),
                   415, "unsupported_media_type")
    for extra in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Mode": "navigate"},
                  {"Sec-Fetch-Mode": "no-cors"}):
        headers = {**client.signed_headers("/v1/status", body), **extra}
        reply = pc.raw_request(companion.port, "POST", "/v1/status", headers=headers, body=body)
        assert_refused(reply, 403, "forbidden")
    assert companion.control({"op": "status"})["locked"] is False


def test_methods_sizes_and_bodies(companion, client):
    for method in ("GET", "PUT", "DELETE", "PATCH", "HEAD"):
        reply = send(companion, method, "/v1/code", body=b"")
        assert reply.status == 405
        if method != "HEAD":
            assert json.loads(reply.body)["error"] == "method_not_allowed"
    assert send(companion, "GET", "/", body=b"").status == 405
    assert send(companion, "POST", "/v1/openapi.json").status == 405
    assert_refused(send(companion, path="/v1/nowhere"), 404, "not_found")
    big = json.dumps({"entry_id": "x" * 17000}).encode()
    assert_refused(send(companion, path="/v1/code", body=big), 413, "payload_too_large")
    for bad in (b"{", b"[1,2]", b"\xff\xfe", b"", b"null", b"[" * 5000 + b"]" * 5000):
        assert_refused(send(companion, path="/v1/pair/init", body=bad), 400, "bad_request")
    signed = client.call_raw("/v1/code", {"entry_id": ["not", "a", "string"]})
    assert signed.status == 400 and client.verify(signed)


def test_oversized_chunked_body(companion):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", companion.port, timeout=10)
    conn.putrequest("POST", "/v1/pair/init", skip_host=True, skip_accept_encoding=True)
    for k, v in {"Host": f"127.0.0.1:{companion.port}", "Origin": pc.OUR_CHROME_ORIGIN,
                 "Content-Type": "application/json", "Transfer-Encoding": "chunked"}.items():
        conn.putheader(k, v)
    conn.endheaders()
    chunk = b"a" * 8192
    try:
        for _ in range(3):
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
    except OSError:
        pass
    reply = conn.getresponse()
    assert reply.status == 413
    conn.close()


def test_websocket_upgrade_refused(companion):
    reply = send(companion, "GET", "/v1/openapi.json", content_type=None, body=b"", headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert reply.status == 403


def test_signature_failures_all_look_the_same(companion, client):
    path, body = "/v1/code", json.dumps({"entry_id": companion.ids["mail"]}).encode()
    # Each case is built just before it is sent: a timestamp taken once at the start could drift
    # into the 30 s window on a loaded machine. The past one is outside whatever the delay; the
    # future one is 3 s past the window's edge, so a request that takes up to 3 s still tests it.
    cases = [
        lambda: {"Host": client.host, "Origin": client.origin, "Content-Type": "application/json"},
        lambda: {**client.signed_headers(path, body), "X-OTPC-Sig": pc.b64u(b"\0" * 32)},
        lambda: {**client.signed_headers(path, body), "X-OTPC-Client": "AAAAAAAAAAAAAAAAAAAAAA"},
        lambda: client.signed_headers(path, body, ts=math.floor(time.time()) - 31),
        lambda: client.signed_headers(path, body, ts=math.ceil(time.time()) + 33),
        lambda: {**client.signed_headers(path, body), "X-OTPC-Ts": str(int(time.time()) - 1)},
        lambda: {**client.signed_headers(path, body), "X-OTPC-Nonce": "short"},
        lambda: client.signed_headers("/v1/status", body),  # signed for another path
    ]
    for make in cases:
        reply = pc.raw_request(companion.port, "POST", path, headers=make(), body=body)
        assert reply.status == 401 and reply.body == UNAUTHORIZED
        assert reply.header("X-OTPC-Resp-Sig") is None
    tampered = client.signed_headers(path, body)
    reply = pc.raw_request(companion.port, "POST", path, headers=tampered,
                           body=json.dumps({"entry_id": companion.ids["vpn"]}).encode())
    assert reply.status == 401 and reply.body == UNAUTHORIZED
    good = pc.raw_request(companion.port, "POST", path, headers=client.signed_headers(path, body),
                          body=body)
    assert good.status == 200  # the same request, rightly signed, is answered


def test_replayed_request_is_refused(companion, client):
    body = json.dumps({"entry_id": companion.ids["mail"]}).encode()
    headers = client.signed_headers("/v1/code", body)
    first = pc.raw_request(companion.port, "POST", "/v1/code", headers=headers, body=body)
    again = pc.raw_request(companion.port, "POST", "/v1/code", headers=headers, body=body)
    assert first.status == 200 and again.status == 401 and again.body == UNAUTHORIZED


def test_keys_of_one_client_with_another_origin_fail(companion, client):
    firefox = companion.paired_client(origin="moz-extension://0a1b2c3d-4e5f-6789-abcd-ef0123456789")
    assert firefox.call("/v1/status")[0] == 200
    body = b"{}"
    headers = client.signed_headers("/v1/status", body)
    headers["Origin"] = firefox.origin
    reply = pc.raw_request(companion.port, "POST", "/v1/status", headers=headers, body=body)
    assert reply.status == 401 and reply.body == UNAUTHORIZED


def test_authentication_comes_before_the_lock_state(fresh_companion):
    c = fresh_companion.paired_client()
    assert fresh_companion.control({"op": "lock"})["ok"]
    unsigned = send(fresh_companion, path="/v1/code",
                    body=json.dumps({"entry_id": fresh_companion.ids["mail"]}).encode())
    assert unsigned.status == 401 and unsigned.body == UNAUTHORIZED
    assert c.call("/v1/code", {"entry_id": fresh_companion.ids["mail"]})[0] == 423


def test_revoked_client_is_refused_at_once(fresh_companion):
    c, other = fresh_companion.paired_client(), fresh_companion.paired_client()
    assert c.call("/v1/status")[0] == 200
    assert fresh_companion.control({"op": "revoke", "client": c.client_id})["ok"]
    reply = c.call_raw("/v1/status")
    assert reply.status == 401 and reply.body == UNAUTHORIZED
    assert other.call("/v1/status")[0] == 200
    assert fresh_companion.control({"op": "revoke", "client": other.client_id})["ok"]
    # no client paired from this origin any more: still the same 401 (protocol § 2: the status
    # never tells whether an extension origin is paired)
    reply = other.call_raw("/v1/status")
    assert reply.status == 401 and reply.body == UNAUTHORIZED
    assert fresh_companion.control({"op": "clients"})["clients"] == []


def test_revocation_in_the_file_without_the_socket(fresh_companion):
    """`otpc clients revoke` with no companion edits the file; a running one notices at once."""
    from companion.server.clients import ClientStore

    c, other = fresh_companion.paired_client(), fresh_companion.paired_client()
    ClientStore(fresh_companion.vault).revoke(c.client_id)
    assert c.call_raw("/v1/status").status == 401
    assert other.call("/v1/status")[0] == 200


def test_rate_limits_after_failed_authentication(fresh_companion):
    c = fresh_companion.paired_client()
    body = b"{}"
    for _ in range(10):
        headers = {**c.signed_headers("/v1/status", body), "X-OTPC-Sig": pc.b64u(b"\1" * 32)}
        reply = pc.raw_request(fresh_companion.port, "POST", "/v1/status", headers=headers, body=body)
        assert reply.status == 401
    limited = c.call_raw("/v1/status")
    assert limited.status == 429 and json.loads(limited.body)["error"] == "rate_limited"
    assert int(limited.header("Retry-After")) > 0
    # made-up client ids share one bucket: it throttles them, never a paired client (issue 9 #11)
    for i in range(50):
        headers = {**c.signed_headers("/v1/status", body), "X-OTPC-Client": f"fake{i:04d}"}
        pc.raw_request(fresh_companion.port, "POST", "/v1/status", headers=headers, body=body)
    headers = {**c.signed_headers("/v1/status", body), "X-OTPC-Client": "fake9999"}
    junk = pc.raw_request(fresh_companion.port, "POST", "/v1/status", headers=headers, body=body)
    assert junk.status == 429
    other = fresh_companion.paired_client()
    assert other.call_raw("/v1/status").status == 200


def test_pairing_needs_an_open_window_and_an_extension_origin(companion):
    fresh = pc.ProtoClient(companion.port)
    with pytest.raises(pc.ProtocolError, match="409"):
        fresh.pair("0000-0000-0000")
    code = companion.open_pairing()
    web = pc.ProtoClient(companion.port, origin=WEB)
    with pytest.raises(pc.ProtocolError, match="403"):
        web.pair(code)
    dev = pc.ProtoClient(companion.port, origin="chrome-extension://" + "b" * 32)
    with pytest.raises(pc.ProtocolError, match="403"):
        dev.pair(code)
    pc.ProtoClient(companion.port).pair(code)  # the window is still good after refused origins
    with pytest.raises(pc.ProtocolError, match="409"):
        pc.ProtoClient(companion.port).pair(code)  # single use


def test_pairing_brute_force_closes_the_window(companion):
    code = companion.open_pairing()
    wrong = "ZZZZ-ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ-ZZZZ" else "YYYY-YYYY-YYYY"
    for _ in range(5):
        with pytest.raises(pc.ProtocolError, match="403"):
            pc.ProtoClient(companion.port).pair(wrong)
    with pytest.raises(pc.ProtocolError, match="409"):
        pc.ProtoClient(companion.port).pair(code)


def test_pairing_transaction_is_single_use(companion):
    code = companion.open_pairing()
    c = pc.ProtoClient(companion.port)
    c.pair(code)
    confirm = [r for r in c.replies if b"server_mac" in r.body]
    assert confirm
    txn_reply = pc.raw_request(companion.port, "POST", "/v1/pair/confirm", headers={
        "Host": c.host, "Origin": c.origin, "Content-Type": "application/json"},
        body=json.dumps({"txn": "AAAAAAAAAAAAAAAAAAAAAA", "client_mac": "AAAA"}).encode())
    assert txn_reply.status == 409


def test_pairing_window_expires():
    from companion.server.clients import Scope
    from companion.server.pairing import Pairing, PairingClosed

    pairing = Pairing()
    window = pairing.open(Scope())
    window.expires_at = time.time() - 1
    with pytest.raises(PairingClosed):
        pairing.init(pc.OUR_CHROME_ORIGIN, {})


def test_listens_on_loopback_only(companion):
    pid = companion.proc.pid
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and cols[9] in inodes:
                    listening.append(cols[1])
    assert listening == [f"0100007F:{companion.port:04X}"]


def test_taken_port_exits_with_one_clear_line(companion, tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "companion.cli.entry", "--vault", str(companion.vault), "serve",
         "--port", str(companion.port)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env={**os.environ, "OTPC_PASSWORD": PASSWORD},
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "already in use" in lines[0] and str(companion.port) in lines[0]
    assert "Traceback" not in done.stderr


def test_every_response_has_the_security_headers(companion, client):
    replies = [send(companion, origin=WEB), send(companion, "GET", "/x", body=b""),
               send(companion, path="/v1/nowhere"), client.call_raw("/v1/status"),
               send(companion, "GET", "/v1/openapi.json", body=b"", content_type=None)]
    for reply in replies:
        assert reply.header("Cache-Control") == "no-store"
        assert reply.header("X-Content-Type-Options") == "nosniff"
        assert reply.header("Server") == "otpc"


def test_nothing_secret_in_refusals_or_logs(companion, client):
    """Runs last in this module: looks through every reply the clients saw and the whole log."""
    codes = set()
    for t in range(int(time.time()) - 600, int(time.time()) + 60, 30):
        codes.add(pyotp.TOTP(SECRET).at(t))
    codes |= {pyotp.HOTP(HOTP_SECRET).at(i) for i in range(0, 40)}
    secrets_ = [SECRET, HOTP_SECRET, PASSWORD, ENTRY_PASSWORD, *companion.pairing_codes,
                *(c.replace("-", "") for c in companion.pairing_codes)]
    log = companion.log()
    for s in secrets_:
        assert s not in log
    for code in codes:
        assert code not in log
    for reply in client.replies:
        if reply.status >= 400:
            text = reply.body.decode(errors="replace")
            assert not any(s in text for s in secrets_)
            assert not any(code in text for code in codes)
    assert "Traceback" not in log


def test_replay_cache_never_forgets_a_live_nonce(monkeypatch):
    """A full cache must not make room by forgetting unexpired nonces (their requests could then
    be replayed): it answers 'wait' instead."""
    from companion.server import auth

    monkeypatch.setattr(auth, "MAX_NONCES", 3)
    cache = auth.ReplayCache()
    for nonce in ("n1", "n2", "n3"):
        assert cache.seen_before("client", nonce) is False
    with pytest.raises(auth.RateLimited):
        cache.seen_before("client", "n4")
    assert cache.seen_before("client", "n1") is True  # still remembered: a replay is refused
