"""SIGKILL a process that writes to the vault in a loop, many times: after each kill the vault
opens, unlocks, passes SQLite's integrity check, and every acknowledged write is there; the HOTP
counter never goes back behind a code that was shown."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from vault_helpers import PASSWORD, hotp

from companion.otp import hotp_code
from companion.vault import Vault

pytestmark = pytest.mark.slow  # 25 writer processes killed

CHILD = Path(__file__).with_name("vault_child.py")
KILLS = 25


def run_until_killed(path: Path, start: int, rng: random.Random) -> list[str]:
    """Start a writer, let it write for a random moment, SIGKILL it; return its complete lines."""
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), "writer", str(path), str(start)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdin.write(PASSWORD.encode() + b"\n")
    proc.stdin.flush()
    buf = b""
    deadline = None
    while True:
        timeout = 10.0 if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        if not ready:
            break
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break  # the child died by itself: its stderr says why (checked below)
        buf += chunk
        if deadline is None and b"ready\n" in buf:
            deadline = time.monotonic() + rng.uniform(0.0, 0.3)
    assert deadline is not None, proc.stderr.read().decode()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    buf += proc.stdout.read()  # lines written before the kill are acknowledgements too
    err = proc.stderr.read().decode()
    proc.stdin.close()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, err[-2000:]
    complete = buf.split(b"\n")[:-1]  # a torn last line acknowledges nothing
    return [line.decode() for line in complete if line.startswith(b"ack ")]


def test_sigkill_during_writes_loses_no_acknowledged_write(vault, capsys):
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    vault.add_customer("Acme")
    token = vault.add_entry("Acme", "Token")
    vault.set_otp(token.id, hotp())
    path = vault.path
    vault.close()

    added: set[int] = set()
    with_otp: set[int] = set()
    shown: dict[int, str] = {}  # HOTP counter -> code, for every acknowledged code
    start, total_acks, started = 0, 0, time.perf_counter()
    for _ in range(KILLS):
        acks = run_until_killed(path, start, rng)
        total_acks += len(acks)
        for line in acks:
            parts = line.split()
            i = int(parts[1])
            if parts[3] == "add":
                added.add(i)
            elif parts[3] == "otp":
                with_otp.add(i)
            else:
                counter, code = int(parts[4]), parts[5]
                assert counter not in shown, f"HOTP counter {counter} was used twice"
                shown[counter] = code

        v = Vault.open(path)  # integrity_check runs here
        v.unlock(PASSWORD)
        by_title = {e.title: e for e in v.entries()}
        for i in added:
            e = by_title.get(f"E{i}")
            assert e is not None, f"acknowledged entry E{i} lost"
            assert e.password == f"pw{i}"
        for i in with_otp:
            assert by_title[f"E{i}"].has_otp and by_title[f"E{i}"].otp.account == f"a{i}"
        stored = v.otp_params("Acme/Token", reason="test-check").counter
        if shown:
            assert stored >= max(shown) + 1, "the HOTP counter went back behind a shown code"
        present = [int(t[1:]) for t in by_title if t.startswith("E")]
        start = max(present, default=-1) + 1
        v.close()

    for counter, code in shown.items():
        assert code == hotp_code(hotp().secret, counter)
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(
            f"\nsigkill: {KILLS} kills in {elapsed:.1f} s, {total_acks} acknowledged writes "
            f"({len(added)} entries, {len(with_otp)} OTPs, {len(shown)} HOTP codes), none lost"
        )
    assert len(added) > KILLS  # the kills did land among writes
