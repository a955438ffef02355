"""Shared by the companion benches: a temp vault with N entries and a real `otpc serve` subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PASSWORD = "bench master password"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_vault(path: Path, entries: int) -> list[str]:
    from companion.otp import OtpParams
    from companion.vault import Vault

    vault = Vault.create(path, PASSWORD, kdf_ms=1)
    ids = []
    with vault.batch():
        customers = [vault.add_customer(f"Customer {i:03d}").id for i in range(100)]
        for i in range(entries):
            e = vault.add_entry(customers[i % 100], f"Entry {i:05d}", urls=[f"https://site{i}.example"])
            vault.set_otp(e.id, OtpParams(secret=SECRET))
            ids.append(e.id)
    vault.close()
    return ids


def start(vault: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "OTPC_PASSWORD": PASSWORD}
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli.entry", "--vault", str(vault), "serve", "--port",
         str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env=env)
    from companion.cli.control import ask

    deadline = time.time() + 60
    while time.time() < deadline:
        reply = ask(vault, {"op": "status"})
        if reply and reply.get("ok"):
            return proc
        if proc.poll() is not None:
            raise SystemExit("the companion did not start")
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("the companion did not start in time")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
