"""Issue 10 item 7: a new master password (init, passwd, serve's first run) is judged by zxcvbn; a weak
one is refused with the estimator's feedback unless --force; an empty one is refused and says why."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cli_harness import PASSWORD, one_line_error

pytestmark = pytest.mark.slow  # otpc subprocesses

WEAK = "password1"  # zxcvbn: score 0, "This is a top-10 common password."


def test_weak_password_at_init_is_refused_with_feedback(bare):
    r = bare.run("init", "--kdf-ms", "1", env={"OTPC_PASSWORD": WEAK})
    line = one_line_error(r)
    assert r.code == 1
    assert "too weak" in line and "common password" in line and "--force" in line
    assert WEAK not in line
    assert not bare.vault.exists()


def test_force_accepts_a_weak_password(bare):
    r = bare.run("init", "--kdf-ms", "1", "--force", env={"OTPC_PASSWORD": WEAK})
    assert r.code == 0, r.err
    assert bare.run("customer", "list", env={"OTPC_PASSWORD": WEAK}).code == 0


def test_empty_password_says_why_even_with_force(bare):
    for extra in ([], ["--force"]):
        r = bare.run("init", "--kdf-ms", "1", *extra, env={"OTPC_PASSWORD": ""})
        assert "empty master password" in one_line_error(r) and "copies the vault" in r.err
    assert not bare.vault.exists()


def test_passwd_refuses_a_weak_new_password_and_keeps_the_old(otpc):
    r = otpc.run("passwd", env={"OTPC_NEW_PASSWORD": "qwerty123"})
    assert "too weak" in one_line_error(r)
    assert otpc.run("customer", "list").code == 0  # the old password still opens it
    r = otpc.run("passwd", "--force", env={"OTPC_NEW_PASSWORD": "qwerty123"})
    assert r.code == 0, r.err
    assert otpc.run("customer", "list", env={"OTPC_PASSWORD": "qwerty123"}).code == 0
    assert otpc.run("customer", "list", env={"OTPC_PASSWORD": PASSWORD}).code == 3


def test_serve_first_run_refuses_a_weak_password(tmp_path):
    from harness.ports import free_port

    vault = tmp_path / "new" / "vault.sqlite"
    env = {**os.environ, "OTPC_PASSWORD": "aaaaaaaaaaaa", "OTPC_SOCKET": str(tmp_path / "s.sock")}
    done = subprocess.run(
        [sys.executable, "-m", "companion.cli.entry", "--vault", str(vault), "serve",
         "--port", str(free_port())],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert "too weak" in done.stderr and "Repeats" in done.stderr and "otpc init --force" in done.stderr
    assert "Traceback" not in done.stderr and not vault.exists()
