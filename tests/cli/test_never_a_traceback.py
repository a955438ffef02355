"""Issue 10 item 5: never a traceback. An unwritable HOME, a vault or an export in an unwritable
folder or in /proc, a reader that leaves the pipe: each is one clear line (run as an unprivileged
user: root would ignore the modes). And the exit codes of the README's table, command by command."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from cli_harness import OTPC, PASSWORD, Result, one_line_error
from harness.companion_process import PASSWORD as PASSWORD_OF_SEEDED
from harness.unprivileged import open_dir, read_only_for_them, unprivileged, writable_by_them

pytestmark = pytest.mark.slow  # dozens of otpc subprocesses as another user

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(scope="module")
def place():
    root = open_dir("otpc-unprivileged-")
    yield root
    for dirpath, dirnames, _ in os.walk(root):  # let rmtree into the read-only folders
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
    shutil.rmtree(root, ignore_errors=True)


def run_unprivileged(*args: str, home, extra: dict | None = None, stdin: str = "") -> Result:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OTPC_", "XDG_")) and k != "PYTHONPATH"}
    env.update({"HOME": str(home), "OTPC_PASSWORD": PASSWORD,
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", **(extra or {})})
    done = subprocess.run(unprivileged([str(OTPC), *args]), input=stdin, capture_output=True,
                          text=True, timeout=120, env=env, cwd=home.parent if home.exists() else "/")
    return Result(done.returncode, done.stdout, done.stderr)


def test_otpc_runs_unprivileged(place):
    r = run_unprivileged("--version", home=place)
    assert r.code == 0, f"the unprivileged user cannot run {OTPC}: {r.err}"


def test_unwritable_home_is_one_line(place):
    home = read_only_for_them(place / "ro-home")
    r = run_unprivileged("init", "--kdf-ms", "1", home=home)  # the default vault lives under HOME
    line = one_line_error(r)
    assert r.code == 1 and str(home) in line and "ermission denied" in line
    assert "no vault at" in one_line_error(run_unprivileged("entry", "list", home=home))
    r = run_unprivileged("service", "install", "--no-start", home=home)
    assert str(home) in one_line_error(r)


def test_missing_home_is_one_line(place):
    r = run_unprivileged("init", "--kdf-ms", "1", home=place / "no-such-home")
    assert "no-such-home" in one_line_error(r)


@pytest.mark.parametrize("where", ["ro-vault/vault.sqlite", "ro-vault/sub/vault.sqlite"])
def test_vault_in_an_unwritable_folder_is_one_line(place, where):
    read_only_for_them(place / "ro-vault")
    home = writable_by_them(place / "home")
    r = run_unprivileged("--vault", str(place / where), "init", "--kdf-ms", "1", home=home)
    assert str(place / "ro-vault") in one_line_error(r)
    assert not (place / where).exists()


@pytest.fixture(scope="module")
def their_vault(place):
    """A vault of the unprivileged user's own, with one OTP entry."""
    home = writable_by_them(place / "home")
    vault = home / "vault.sqlite"

    def otpc(*args: str, stdin: str = "", env: dict | None = None) -> Result:
        extra = {"OTPC_SOCKET": str(home / "none.sock"),
                 "OTPC_EXPORT_PASSWORD": "an export pass phrase 7", **(env or {})}
        return run_unprivileged("--vault", str(vault), *args, home=home, extra=extra, stdin=stdin)

    for args, stdin in ((("init", "--kdf-ms", "1"), ""), (("customer", "add", "Acme"), ""),
                        (("entry", "add", "--customer", "Acme", "--title", "Mail"), ""),
                        (("otp", "set", "Acme/Mail"), SECRET + "\n")):
        r = otpc(*args, stdin=stdin)
        assert r.code == 0, r.err
    return otpc


def test_export_to_an_unwritable_place_is_one_line(place, their_vault):
    read_only_for_them(place / "ro-export")
    for target in ("ro-export/x.json", "ro-export/sub/x.json", "/proc/x.json", "/proc/self/x.json"):
        path = target if target.startswith("/") else str(place / target)
        for fmt in ("json", "otpauth"):
            r = their_vault("export", "--format", fmt, "-o", path)
            assert "cannot write" in one_line_error(r) and path in r.err, (fmt, target)


def test_a_reader_leaving_the_pipe_is_no_traceback(their_vault, place):
    """`otpc code X --json | head -0` without a companion (the slow path, through click)."""
    home = place / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTPC_", "XDG_"))}
    env.update(HOME=str(home), OTPC_PASSWORD=PASSWORD, OTPC_SOCKET=str(home / "none.sock"),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    for args in (["code", "Acme/Mail", "--json"], ["entry", "list", "--json"], ["audit"],
                 ["help", "code"]):
        proc = subprocess.Popen(unprivileged([str(OTPC), "--vault", str(home / "vault.sqlite"), *args]),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        proc.stdout.close()  # the reader is gone before otpc writes a byte
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) in (1, 141), args
        assert err == "", (args, err)


def test_wrong_password_exits_3_from_every_command(their_vault):
    wrong = {"OTPC_PASSWORD": "not the master password"}
    for args in (["entry", "list"], ["code", "Acme/Mail"], ["customer", "add", "B"], ["audit"],
                 ["otp", "rm", "Acme/Mail", "--yes"], ["export", "--format", "json"], ["passwd"]):
        r = their_vault(*args, env=wrong)
        assert r.code == 3 and "wrong master password" in one_line_error(r), (args, r.err)


def test_unlock_with_a_wrong_password_exits_3(tmp_path):
    from harness.companion_process import seeded

    companion = seeded(tmp_path)
    companion.start(password=None)  # starts locked
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_")}
        for password, code in (("nope nope nope", 3), (PASSWORD_OF_SEEDED, 0)):
            done = subprocess.run([str(OTPC), "--vault", str(companion.vault), "unlock"],
                                  env={**env, "OTPC_PASSWORD": password}, capture_output=True,
                                  text=True, timeout=60, stdin=subprocess.DEVNULL)
            assert done.returncode == code, done.stderr
            if code:
                assert "wrong master password" in one_line_error(Result(code, "", done.stderr))
    finally:
        companion.stop()
