"""Fixtures of the CLI tests: `otpc` run in-process with a temporary vault.
The helpers live in cli_harness.py, which tests import (never `conftest`)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest
from cli_harness import Otpc

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC seed "12345678901234567890"


@pytest.fixture
def otpc(tmp_path, monkeypatch, capsys) -> Otpc:
    """A fresh vault (created by `otpc init --kdf-ms 1`) and a way to run otpc against it."""
    o = Otpc(tmp_path, monkeypatch, capsys)
    o.ok("init", "--kdf-ms", "1")
    return o


@pytest.fixture
def bare(tmp_path, monkeypatch, capsys) -> Otpc:
    """Like `otpc`, but no vault has been created yet."""
    return Otpc(tmp_path, monkeypatch, capsys)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(otpc, tmp_path):
    otpc.env["OTPC_SOCKET"] = str(tmp_path / "c.sock")
    otpc.ok("customer", "add", "Acme")
    otpc.ok("entry", "add", "--customer", "Acme", "--title", "Mail", "--username", "tech")
    otpc.ok("otp", "set", "Acme/Mail", "--digits", "8", input=SECRET + "\n")
    otpc.ok("entry", "add", "--customer", "Acme", "--title", "VPN")
    otpc.ok("otp", "set", "Acme/VPN", "--type", "hotp", input=SECRET + "\n")
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "companion.cli.entry",
            "--vault",
            str(otpc.vault),
            "serve",
            "--port",
            str(free_port()),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=open(log, "ab"),
        env=otpc.env,
    )
    from companion.cli.control import ask

    deadline = time.time() + 30
    while not (ask(otpc.vault, {"op": "status"}) or {}).get("ok"):
        assert proc.poll() is None, log.read_text()
        assert time.time() < deadline, log.read_text()
        time.sleep(0.05)
    yield otpc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
