"""`otpc init`, `passwd`, `keyring`: file modes, refusals, wrong passwords (real subprocesses)."""

import json
import stat

import pytest
from cli_harness import PASSWORD, one_line_error


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_private_dir_and_file(bare):
    r = bare.run("init", "--kdf-ms", "1")
    assert r.code == 0, r.err
    assert bare.vault.is_file()
    assert mode(bare.vault) == 0o600
    assert mode(bare.vault.parent) == 0o700
    assert "Created vault" in r.out


def test_init_refuses_an_existing_vault(otpc):
    before = otpc.vault.read_bytes()
    line = one_line_error(otpc.run("init", "--kdf-ms", "1"))
    assert "already exists" in line
    assert otpc.vault.read_bytes() == before


@pytest.mark.slow
def test_init_with_password_stdin(bare):
    r = bare.run(
        "--password-stdin", "init", "--kdf-ms", "1", input="from stdin\n", env={"OTPC_PASSWORD": ""}
    )
    assert r.code == 0, r.err
    assert bare.run("customer", "list", env={"OTPC_PASSWORD": "from stdin"}).code == 0
    one_line_error(bare.run("customer", "list", env={"OTPC_PASSWORD": "other"}))


def test_init_without_password_source_refuses(bare):
    env = {k: v for k, v in bare.env.items() if k != "OTPC_PASSWORD"}
    bare.env = env
    line = one_line_error(bare.run("init", "--kdf-ms", "1"))
    assert "--password-stdin" in line
    assert not bare.vault.exists()


def test_wrong_password_is_one_line(otpc):
    r = otpc.run("customer", "list", env={"OTPC_PASSWORD": "not it"})
    line = one_line_error(r)
    assert "wrong master password" in line
    assert r.code == 3
    assert "not it" not in r.err


def test_wrong_password_from_stdin(otpc):
    r = otpc.run("--password-stdin", "entry", "list", input="nope\n")
    assert "wrong master password" in one_line_error(r)


def test_missing_vault_says_init(bare):
    assert "otpc init" in one_line_error(bare.run("entry", "list"))


@pytest.mark.slow
def test_passwd_via_stdin_lines(otpc):
    r = otpc.run(
        "--password-stdin",
        "passwd",
        input=f"{PASSWORD}\nnew password 2\n",
        env={"OTPC_PASSWORD": ""},
    )
    assert r.code == 0, r.err
    one_line_error(otpc.run("customer", "list"))  # old password no longer opens it
    assert otpc.run("customer", "list", env={"OTPC_PASSWORD": "new password 2"}).code == 0


@pytest.mark.slow
def test_passwd_via_env_keeps_data(otpc):
    otpc.ok("customer", "add", "Kept")
    r = otpc.run("passwd", "--kdf-ms", "1", env={"OTPC_NEW_PASSWORD": "second pw, a longer one"})
    assert r.code == 0, r.err
    out = otpc.run("customer", "list", "--json", env={"OTPC_PASSWORD": "second pw, a longer one"})
    assert [c["name"] for c in json.loads(out.out)] == ["Kept"]
    assert mode(otpc.vault) == 0o600


def test_passwd_wrong_current_password(otpc):
    r = otpc.run("passwd", env={"OTPC_PASSWORD": "wrong", "OTPC_NEW_PASSWORD": "x" * 12})
    assert "wrong master password" in one_line_error(r)


@pytest.mark.slow
def test_keyring_without_backend_is_one_line(otpc):
    line = one_line_error(otpc.run("keyring", "enable"))
    assert "keyring" in line.lower()
    status = otpc.run("keyring", "status", "--json")
    assert json.loads(status.out) == {"keyring_enabled": False}


def test_usage_error_has_no_traceback(otpc):
    r = otpc.run("code")
    assert r.code != 0
    assert "Traceback" not in r.err
    assert "ENTRY" in r.err
