"""The CLI side of the companion: pair/unlock/lock/clients over the control socket, the fast path of
`otpc code`, file modes, and the generated systemd unit."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pyotp
import pytest
from companion_harness import PASSWORD, SECRET

pytestmark = pytest.mark.slow  # real companions and otpc subprocesses


def otpc(companion, *args, env=None, stdin=subprocess.DEVNULL):
    full_env = {k: v for k, v in os.environ.items() if k != "OTPC_PASSWORD"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "companion.cli.entry", "--vault", str(companion.vault), *args],
        capture_output=True, text=True, timeout=60, env=full_env, stdin=stdin,
    )


def test_fast_path_code_needs_no_password(companion):
    done = otpc(companion, "code", "Acme/Mail", "--at", "59")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == pyotp.TOTP(SECRET).at(59)
    done = otpc(companion, "code", "Acme/Mail", "--json", "--at=89")
    data = json.loads(done.stdout)
    assert data["code"] == pyotp.TOTP(SECRET).at(89) and data["period"] == 30
    assert data["valid_until"] == 90 and "remaining" in data
    missing = otpc(companion, "code", "Acme/Nothing")
    assert missing.returncode == 2 and missing.stderr.startswith("otpc: error: ")


def test_fast_path_parser():
    from companion.cli.fast import parse

    assert parse(["code", "A/B"]) == (None, "A/B", False, None)
    assert parse(["--vault", "v", "code", "A/B", "--json", "--at", "5"]) == ("v", "A/B", True, 5.0)
    for args in (["code", "A/B", "--watch"], ["code"], ["entry", "list"], ["code", "A", "B"],
                 ["--password-stdin", "code", "A"], ["code", "A", "--at", "nan"], []):
        assert parse(args) is None


def test_pair_lock_unlock_clients(fresh_companion):
    done = otpc(fresh_companion, "pair", "--read-only")
    assert done.returncode == 0, done.stderr
    code = done.stdout.split()[2]
    assert len(code) == 14 and code.count("-") == 2
    assert code not in fresh_companion.log()
    assert otpc(fresh_companion, "lock").returncode == 0
    assert fresh_companion.control({"op": "status"})["locked"] is True
    wrong = otpc(fresh_companion, "unlock", env={"OTPC_PASSWORD": "nope nope nope"})
    assert wrong.returncode != 0 and "Traceback" not in wrong.stderr
    done = otpc(fresh_companion, "unlock", env={"OTPC_PASSWORD": PASSWORD})
    assert done.returncode == 0, done.stderr
    assert fresh_companion.control({"op": "status"})["locked"] is False
    c = fresh_companion.paired_client()
    listed = json.loads(otpc(fresh_companion, "clients", "list", "--json").stdout)
    assert [x["id"] for x in listed] == [c.client_id]
    done = otpc(fresh_companion, "clients", "scope", c.client_id[:6], "--read-only",
                "--customers", "Globex")
    assert done.returncode == 0, done.stderr
    assert c.call("/v1/customers/create", {"name": "X"})[0] == 403
    assert c.call("/v1/code", {"entry_id": fresh_companion.ids["mail"]})[0] == 404
    assert otpc(fresh_companion, "clients", "revoke", c.client_id).returncode == 0
    assert c.call_raw("/v1/status").status in (401, 403)


def test_private_file_modes(fresh_companion):
    from companion.paths import clients_path, control_socket_path

    fresh_companion.paired_client()
    assert stat.S_IMODE(os.stat(clients_path(fresh_companion.vault)).st_mode) == 0o600
    sock = control_socket_path(fresh_companion.vault)
    assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(sock.parent).st_mode) == 0o700


def test_idle_lock_drops_the_keys(tmp_path):
    import time

    from companion_harness import make_vault

    from companion.server.config import ServerConfig, save_config
    from companion.server.state import Companion

    vault = tmp_path / "v.sqlite"
    make_vault(vault)
    save_config(vault, ServerConfig(idle_lock_minutes=1))
    c = Companion.start(vault, password=PASSWORD)
    assert not c.locked and c.config.idle_lock_minutes == 1
    c.idle_check()
    assert not c.locked
    c.last_activity = time.monotonic() - 61
    c.idle_check()
    assert c.locked and c.vault.is_locked
    c.shutdown()
    assert Companion.start(vault).locked  # no password, no keyring slot: starts locked


def test_service_install_writes_a_systemd_unit(tmp_path, companion):
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    done = otpc(companion, "service", "install", "--no-start", env=env)
    assert done.returncode == 0, done.stderr
    unit = tmp_path / "systemd" / "user" / "otpc.service"
    text = unit.read_text()
    assert "[Service]" in text and "WantedBy=default.target" in text
    assert f"--vault {companion.vault} serve" in text and "-m companion.cli.entry" in text
    assert PASSWORD not in text and "OTPC_PASSWORD" not in text
    assert "systemctl --user enable --now otpc.service" in done.stdout
    status = otpc(companion, "service", "status", env=env)
    assert "installed" in status.stdout and "running" in status.stdout
    done = otpc(companion, "service", "uninstall", "--no-stop", env=env)
    assert done.returncode == 0 and not unit.exists()


def test_serve_creates_the_vault_on_first_run_and_says_what_next(tmp_path, monkeypatch):
    """The README's run command on a fresh machine: no vault yet → `otpc serve` makes one."""
    import time

    from companion_harness import free_port

    from companion.cli.control import ask

    vault = tmp_path / "fresh" / "vault.sqlite"
    port = free_port()
    monkeypatch.setenv("OTPC_SOCKET", str(tmp_path / "control.sock"))
    env = {**os.environ, "OTPC_PASSWORD": "first run password"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli.entry", "--vault", str(vault), "serve", "--port",
         str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.time() + 30
        status = None
        while time.time() < deadline and status is None:
            status = ask(vault, {"op": "status"})
            time.sleep(0.1)
        assert status and status["ok"] and status["locked"] is False and status["port"] == port
        assert stat.S_IMODE(vault.stat().st_mode) == 0o600
        assert stat.S_IMODE(vault.parent.stat().st_mode) == 0o700
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert f"No vault yet at {vault}" in err
    assert f"listening on http://127.0.0.1:{port}" in err
    assert "Load unpacked" in err and "otpc pair" in err
    assert "first run password" not in err


def test_control_socket_only_in_a_private_directory(tmp_path, monkeypatch):
    """`otpc unlock` sends the master password over the control socket, so neither side may use
    a directory that another user could have made (e.g. in a shared /tmp)."""
    import socket as socketlib

    from companion_harness import free_port

    from companion.cli.control import ask

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    sock_path = shared / "control.sock"
    monkeypatch.setenv("OTPC_SOCKET", str(sock_path))
    listener = socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(1)
    listener.settimeout(0.5)
    try:
        assert ask(tmp_path / "vault.sqlite", {"op": "unlock", "password": "secret"}) is None
        try:
            conn, _ = listener.accept()
            conn.close()
            raise AssertionError("the client connected to a socket in a non-private directory")
        except TimeoutError:
            pass
    finally:
        listener.close()
    # The companion tightens a directory of its own to 0700, but refuses one another user owns:
    # as root we hand one to nobody; as an ordinary user, /tmp-like sticky folders are root's.
    if os.getuid() == 0:
        foreign = tmp_path / "foreign"
        foreign.mkdir(mode=0o777)
        os.chown(foreign, 65534, 65534)
    else:
        foreign = Path(tempfile.gettempdir())
        assert os.stat(foreign).st_uid != os.getuid(), "needs a folder owned by another user"
    done = subprocess.run(
        [sys.executable, "-m", "companion.cli.entry", "--vault", str(tmp_path / "v.sqlite"),
         "serve", "--port", str(free_port())],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "OTPC_PASSWORD": "first run password", "OTPC_SOCKET": str(foreign / "control.sock")},
    )
    assert done.returncode != 0
    assert "not a private directory" in done.stderr and "Traceback" not in done.stderr
