"""Issue 10 items 5 and 13: one error model, one exit-code table, never a traceback."""

import subprocess

import pytest
from cli_harness import OTPC, PASSWORD, Result, one_line_error

from companion.errors import (
    EXIT_USAGE,
    KINDS,
    Forbidden,
    Locked,
    NotFound,
    UserError,
    VaultCorrupt,
    WrongPassword,
    from_reply,
    http_error,
    to_reply,
)
from companion.formats.ciphers import WrongFilePassword


@pytest.mark.parametrize("cls", [UserError, NotFound, WrongPassword, VaultCorrupt, Locked,
                                 Forbidden])
def test_control_reply_round_trips_every_kind(cls):
    back = from_reply(to_reply(cls("why")))
    assert type(back) is cls and str(back) == "why" and back.exit_code == cls.exit_code


def test_exit_codes_are_distinct_and_kinds_known():
    classes = [UserError, NotFound, WrongPassword, VaultCorrupt, Locked, Forbidden]
    assert len({c.exit_code for c in classes} | {EXIT_USAGE}) == len(classes) + 1
    assert all(KINDS[c.kind] is c for c in classes)


def test_unknown_or_internal_replies_are_plain_errors_without_details():
    assert type(from_reply({"ok": False, "kind": "something-new", "error": "x"})) is UserError
    reply = to_reply(RuntimeError("/secret/path and a code 123456"))
    assert "123456" not in reply["error"] and reply["kind"] == UserError.kind


def test_file_password_and_master_password_are_one_kind():
    exc = WrongFilePassword("export.json: wrong password")
    assert isinstance(exc, WrongPassword) and exc.exit_code == 3 and exc.kind == "wrong_password"
    assert http_error(WrongPassword("x")) == (403, "wrong_password", "wrong master password")
    status, kind, message = http_error(VaultCorrupt("/home/u/vault rolled back: generation 3"))
    assert (status, kind) == (409, "vault_damaged") and "rolled back or damaged" in message
    assert "/home/u" not in message and "generation" not in message  # the details stay local
    assert http_error(NotFound("no entry 'a'"))[:2] == (404, "not_found")
    assert http_error(Forbidden("your team role may not"))[:2] == (403, "forbidden")


def test_usage_error_has_its_own_exit_code(otpc):
    r = otpc("code")
    assert r.code == EXIT_USAGE
    one_line_error(r)
    assert otpc("code", "nope").code == NotFound.exit_code


def test_wrong_password_exits_3(otpc):
    r = otpc("entry", "list", env={"OTPC_PASSWORD": "not the password"})
    assert r.code == 3
    one_line_error(r)


@pytest.mark.slow
def test_closed_pipe_is_not_a_traceback(otpc):
    otpc.ok("customer", "add", "Acme")
    otpc.ok("entry", "add", "--customer", "Acme", "--title", "mail")
    env = {k: v for k, v in otpc.env.items() if v is not None}
    proc = subprocess.Popen(
        [str(OTPC), "--vault", str(otpc.vault), "entry", "list", "--json"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    proc.stdout.close()  # the reader is gone before otpc writes a byte (`| head -0`)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) in (1, 141)  # click's own EPIPE exit, or ours (the fast path)
    assert err == ""


@pytest.mark.parametrize("where", ["/proc/otpc-test/vault.sqlite", "/proc/self/vault.sqlite"])
def test_vault_in_an_impossible_place_is_one_line(bare, where):
    r = bare("--vault", where, "init", "--kdf-ms", "1")
    line = one_line_error(r)
    assert "/proc/" in line


def test_unwritable_home_is_one_line():
    """Run as an unprivileged user (nobody when we are root, as CI is: root ignores the mode)."""
    import os
    import shutil

    from harness.unprivileged import open_dir, read_only_for_them, unprivileged

    place = open_dir("otpc-home-")
    try:
        home = read_only_for_them(place / "home")
        # no --vault, no XDG_*: the vault goes under HOME, which this user cannot write
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTPC_", "XDG_"))}
        env.update(HOME=str(home), OTPC_PASSWORD=PASSWORD,
                   PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
        done = subprocess.run(unprivileged([str(OTPC), "init", "--kdf-ms", "1"]), env=env,
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        line = one_line_error(Result(done.returncode, done.stdout, done.stderr))
        assert done.returncode == 1 and str(home) in line
        assert not (home / ".local").exists()
    finally:
        os.chmod(place / "home", 0o755)
        shutil.rmtree(place, ignore_errors=True)
