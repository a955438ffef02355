"""Rollback through the real `otpc` and `otpc serve` (issue 9.8): copy the vault file, make changes,
put the old copy back → exit 4 naming the rollback; `--accept-rollback` works and is remembered.
And `otpc status` shows the stored Argon2id parameters (issue 9.10). Real subprocesses."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # otpc and companion subprocesses per test (make test-fast leaves it out)

OTPC = Path(sys.executable).with_name("otpc")
PASSWORD = "rollback cli password"
ROLLED_BACK = re.compile(r"vault rolled back: generation (\d+), last seen (\d+)")


@pytest.fixture
def env(tmp_path, state_dir):
    e = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_")}
    e.update(
        OTPC_PASSWORD=PASSWORD,
        OTPC_STATE_DIR=str(state_dir),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return e


@pytest.fixture
def vault(tmp_path):
    return tmp_path / "vaultdir" / "vault.sqlite"


def otpc(env, vault, *args, timeout=60):
    return subprocess.run(
        [str(OTPC), "--vault", str(vault), *args],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=timeout,
    )


def ok(env, vault, *args):
    r = otpc(env, vault, *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def one_line(r) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


@pytest.fixture
def rolled_back(env, vault, tmp_path):
    """A vault whose older copy (customer Acme only) was put back after Globex was added."""
    ok(env, vault, "init", "--kdf-ms", "1")
    ok(env, vault, "customer", "add", "Acme")
    old = tmp_path / "old.sqlite"
    shutil.copy(vault, old)
    ok(env, vault, "customer", "add", "Globex")
    for suffix in ("-wal", "-shm"):
        Path(f"{vault}{suffix}").unlink(missing_ok=True)
    shutil.copy(old, vault)
    return vault


def test_cli_refuses_an_older_copy_with_exit_4_and_accepting_is_remembered(env, rolled_back):
    r = otpc(env, rolled_back, "customer", "list")
    assert r.returncode == 4 and r.stdout == ""
    line = one_line(r)
    assert ROLLED_BACK.search(line) and "--accept-rollback" in line
    old, last = map(int, ROLLED_BACK.search(line).groups())
    assert old < last

    r = otpc(env, rolled_back, "--accept-rollback", "customer", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert [c["name"] for c in json.loads(r.stdout)] == ["Acme"]
    assert "accepted: vault rolled back" in r.stderr
    # Remembered: the next command needs no flag, and says nothing.
    r = otpc(env, rolled_back, "customer", "list", "--json")
    assert r.returncode == 0 and r.stderr == ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env, vault, *extra, password=True):
    e = dict(env)
    if not password:
        e.pop("OTPC_PASSWORD")
    return subprocess.Popen(
        [str(OTPC), "--vault", str(vault), "serve", "--port", str(free_port()), *extra],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e,
    )


def wait_running(env, vault, proc) -> dict:
    deadline = time.time() + 30
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        status = json.loads(ok(env, vault, "status", "--json"))
        if status["companion"]["running"]:
            return status
        time.sleep(0.2)
    raise AssertionError("the companion did not start")


def stop(proc) -> str:
    proc.terminate()
    _out, err = proc.communicate(timeout=20)
    return err


def test_serve_refuses_to_unlock_an_older_copy(env, rolled_back):
    proc = serve(env, rolled_back)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 4
    assert ROLLED_BACK.search(err) and "Traceback" not in err


def test_a_locked_companion_refuses_the_unlock_of_an_older_copy(env, rolled_back):
    proc = serve(env, rolled_back, password=False)
    try:
        assert wait_running(env, rolled_back, proc)["companion"]["locked"] is True
        r = otpc(env, rolled_back, "unlock")
        assert r.returncode == 4 and ROLLED_BACK.search(one_line(r))
        status = json.loads(ok(env, rolled_back, "status", "--json"))
        assert status["companion"] == {"running": True, "locked": True}
    finally:
        stop(proc)


def test_serve_accept_rollback_unlocks_and_is_remembered(env, rolled_back):
    proc = serve(env, rolled_back, "--accept-rollback")
    try:
        status = wait_running(env, rolled_back, proc)
        assert status["companion"] == {"running": True, "locked": False}
    finally:
        err = stop(proc)
    assert "accepted: vault rolled back" in err
    r = otpc(env, rolled_back, "customer", "list", "--json")
    assert r.returncode == 0 and r.stderr == ""


def test_status_shows_the_stored_argon2id_parameters(env, vault):
    ok(env, vault, "init", "--kdf-ms", "1")
    import sqlite3

    conn = sqlite3.connect(vault)
    params = json.loads(
        conn.execute("SELECT params FROM key_slots WHERE kind = 'password'").fetchone()[0]
    )
    conn.close()
    status = json.loads(ok(env, vault, "status", "--json"))
    assert status["kdf"] == {
        "algorithm": "argon2id",
        "memory_kib": params["memory_kib"],
        "iterations": params["iterations"],
        "lanes": params["lanes"],
    }
    assert status["format"] == 2 and status["generation_last_seen"] >= 1
    text = ok(env, vault, "status")
    mib = params["memory_kib"] // 1024
    assert f"Argon2id, {mib} MiB, {params['iterations']} passes, {params['lanes']} lanes" in text
    assert "OTPC_PASSWORD" not in text and PASSWORD not in text
