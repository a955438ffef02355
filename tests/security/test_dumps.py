"""Issue 9 #7: neither the companion nor a CLI process holding the unlocked vault can be dumped.

RLIMIT_CORE 0 is read from /proc/PID/limits. PR_SET_DUMPABLE 0 has no /proc field of its own, but
the kernel makes the /proc/PID files of a non-dumpable process root's (task_dump_owner), so the
processes run as a non-root test user (dropped with setpriv when the tests run as root, as in CI)
and their /proc/PID owner tells; another process of that user then cannot read their
/proc/PID/environ. A plain process of that user is the control: owned by it, readable by it.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # processes run as another user, checked through /proc (make test-fast leaves it out)

PASSWORD = "test master password 1"
NOBODY = 65534


def _test_user() -> tuple[int, list[str]]:
    """(uid, command prefix) of a non-root user to run the processes as."""
    if os.getuid() != 0:
        return os.getuid(), []
    return NOBODY, ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]


@pytest.fixture
def home():
    """A vault in a directory the test user owns (pytest's tmp_path is 0700 root's)."""
    uid, _ = _test_user()
    folder = Path(tempfile.mkdtemp(prefix="otpc-dumps-", dir="/tmp"))
    from companion.otp import OtpParams
    from companion.vault import Vault

    vault = Vault.create(folder / "vault.sqlite", PASSWORD, kdf_ms=1)
    vault.add_customer("Acme")
    entry = vault.add_entry("Acme", "Mail")
    vault.set_otp(entry.id, OtpParams(secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"))
    vault.close()
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, uid, uid)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _env(folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTPC_", "XDG_"))}
    env.update(HOME=str(folder), XDG_RUNTIME_DIR=str(folder / "run"), XDG_CONFIG_HOME=str(folder),
               XDG_DATA_HOME=str(folder), OTPC_PASSWORD=PASSWORD, PYTHONDONTWRITEBYTECODE="1")
    return env


def _otpc(folder: Path, *args: str) -> list[str]:
    return [*_test_user()[1], sys.executable, "-m", "companion.cli.entry",
            "--vault", str(folder / "vault.sqlite"), *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_owner(pid: int) -> int:
    return os.stat(f"/proc/{pid}/status").st_uid


def _user_can_read_memory_files(pid: int) -> bool:
    """Whether another process of the same (non-root) user may read /proc/PID/environ (the
    password sits there when OTPC_PASSWORD is used); the kernel refuses it for a non-dumpable one."""
    probe = [*_test_user()[1], sys.executable, "-c",
             f"open('/proc/{pid}/environ', 'rb').read(); print('read')"]
    done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    return done.stdout.strip() == "read"


def _core_limit(pid: int) -> list[str]:
    lines = Path(f"/proc/{pid}/limits").read_text().splitlines()
    return [line for line in lines if line.startswith("Max core file size")][0].split()[4:6]


def _read_until(fd: int, wanted: bytes, seconds: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return seen


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


def test_the_control_process_of_the_test_user_is_dumpable(home):
    """Without PR_SET_DUMPABLE 0 the /proc owner is the user: the check below can fail."""
    uid, prefix = _test_user()
    proc = subprocess.Popen([*prefix, sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.5)
        assert _proc_owner(proc.pid) == uid
        assert _user_can_read_memory_files(proc.pid)
    finally:
        _stop(proc)


def test_a_cli_process_holding_the_unlocked_vault_cannot_be_dumped(home):
    """`otpc otp set` unlocks the vault, then waits at the hidden secret prompt on a terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(_otpc(home, "otp", "set", "Acme/Mail", "--yes"), stdin=slave,
                            stdout=slave, stderr=slave, env=_env(home), start_new_session=True)
    os.close(slave)
    try:
        shown = _read_until(master, b"secret", 60)
        assert b"secret" in shown.lower(), shown
        assert proc.poll() is None
        assert _core_limit(proc.pid) == ["0", "0"]
        assert _proc_owner(proc.pid) == 0, "the CLI holding the vault is dumpable/ptraceable"
        assert not _user_can_read_memory_files(proc.pid)
    finally:
        _stop(proc)
        os.close(master)


def test_the_companion_cannot_be_dumped(home):
    log = home / "serve.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(_otpc(home, "serve", "--port", str(free_port())), env=_env(home),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while "listening on" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        assert "listening on" in log.read_text()
        assert _core_limit(proc.pid) == ["0", "0"]
        assert _proc_owner(proc.pid) == 0, "the companion is dumpable/ptraceable"
        assert not _user_can_read_memory_files(proc.pid)
    finally:
        _stop(proc)
