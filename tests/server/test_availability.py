"""Issue 9, items 11-13 and 15: a local process must not be able to silence the companion for
the paired clients. Each test performs the attack against a real companion on a real port."""

from __future__ import annotations

import json
import os
import socket
import time

import protoclient as pc
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

pytestmark = pytest.mark.slow  # floods and slow clients against real companions


def _junk(companion, client, client_id: str) -> pc.Reply:
    body = b"{}"
    headers = {**client.signed_headers("/v1/status", body), "X-OTPC-Client": client_id}
    return pc.raw_request(companion.port, "POST", "/v1/status", headers=headers, body=body)


def test_junk_under_made_up_ids_never_throttles_a_paired_client(fresh_companion):
    """Item 11: 60 junk requests with random client ids used to put every client on 429."""
    c = fresh_companion.paired_client()
    replies = [_junk(fresh_companion, c, pc.b64u(os.urandom(16))) for _ in range(60)]
    assert replies[0].status == 401 and replies[-1].status == 429  # the junk itself is throttled
    status, _ = c.call("/v1/status")
    assert status == 200
    late = fresh_companion.paired_client()  # pairing and a new client are unaffected too
    assert late.call("/v1/status")[0] == 200


def test_failures_of_one_client_do_not_throttle_another(fresh_companion):
    victim, other = fresh_companion.paired_client(), fresh_companion.paired_client()
    body = b"{}"
    for _ in range(12):
        headers = {**other.signed_headers("/v1/status", body), "X-OTPC-Sig": pc.b64u(b"\1" * 32)}
        pc.raw_request(fresh_companion.port, "POST", "/v1/status", headers=headers, body=body)
    assert other.call_raw("/v1/status").status == 429  # its own failures still count
    assert victim.call("/v1/status")[0] == 200


def _init(companion, name="squatter") -> pc.Reply:
    private = ec.generate_private_key(ec.SECP256R1())
    body = {"client_pub": pc.b64u(pc.public_raw(private)),
            "client_nonce": pc.b64u(os.urandom(32)), "client_name": name}
    return pc.raw_request(companion.port, "POST", "/v1/pair/init", headers={
        "Host": f"127.0.0.1:{companion.port}", "Origin": pc.OUR_CHROME_ORIGIN,
        "Content-Type": "application/json"}, body=json.dumps(body).encode())


def test_a_flood_of_pair_inits_does_not_close_the_window(companion):
    """Item 13: 16 pair/init calls used to close the window the user had just opened."""
    code = companion.open_pairing()
    assert all(_init(companion).status == 200 for _ in range(100))
    client = pc.ProtoClient(companion.port)
    client.pair(code)
    assert client.call("/v1/status")[0] == 200


def _wait_for(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_client_leaving_mid_body_is_one_quiet_line(fresh_companion, ):
    """Item 15: a disconnect mid-body was logged as an internal error with a traceback."""
    c = fresh_companion.paired_client()
    body = b'{"padding": "' + b"x" * 200 + b'"}'
    headers = c.signed_headers("/v1/status", body)
    with socket.create_connection(("127.0.0.1", fresh_companion.port)) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST /v1/status HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n"
                     .encode() + body[:20])
        time.sleep(0.2)
    assert _wait_for(lambda: "disconnected" in fresh_companion.log())
    log = fresh_companion.log()
    assert "Traceback" not in log and "internal error" not in log
    assert len([line for line in log.splitlines() if "disconnected" in line]) == 1
    assert c.call("/v1/status")[0] == 200


def _half_sent(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=2)
    sock.sendall(b"POST /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def test_a_thousand_idle_half_sent_connections_do_not_lock_clients_out(tmp_path):
    """Item 12: 1,100 idle half-sent connections made the companion unreachable. The companion
    starts with the common 1,024 soft fd limit; it must raise it, cap its connections and shed
    the idlest, so that a paired client still gets through while the attack is going on."""
    import resource

    from companion_harness import _companion

    running = _companion(tmp_path)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    try:
        running.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    idle: list[socket.socket] = []
    try:
        c = running.paired_client()
        for _ in range(1100):
            try:
                idle.append(_half_sent(running.port))
            except OSError:
                break
        status, body = c.call("/v1/status")
        assert status == 200 and body["locked"] is False
        assert "Traceback" not in running.log()
    finally:
        for sock in idle:
            sock.close()
        running.stop()


def test_a_request_that_never_completes_is_dropped(companion):
    """Item 12: the header/body deadline. A drip-fed request is cut off, not kept for ever."""
    with _half_sent(companion.port) as sock:
        sock.settimeout(1)
        for _ in range(40):  # about a byte a second: never idle, never finished
            try:
                sock.sendall(b"x")
                data = sock.recv(1024)
            except TimeoutError:
                continue
            except OSError:
                return  # reset by the companion: dropped
            if data == b"" or data.startswith(b"HTTP/1.1 4"):
                return  # closed (or refused) by the companion
        raise AssertionError("the companion kept a drip-fed request for 40 s")


def test_the_companion_never_writes_a_core_file(companion):
    """Item 7: a crash of the process holding the unlocked keys must not leave a core file."""
    limits = open(f"/proc/{companion.proc.pid}/limits").read()
    core = [line for line in limits.splitlines() if line.startswith("Max core file size")]
    assert core and core[0].split()[4:6] == ["0", "0"]
