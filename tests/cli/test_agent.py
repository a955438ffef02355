"""The agent model (issue 10 item 1): with a real `otpc serve` running and unlocked, every command goes
through it and needs no master password; locked, a command without a password exits 5 (or asks and
unlocks it on a terminal); with no companion, the vault is opened directly and a terminal is told once
how to start one."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess

import pytest
from cli_harness import one_line_error
from test_codes import ANSI, run_in_pty
from test_with_companion import NO_PASSWORD

from companion.cli.common import START_HINT
from companion.cli.control import ask

pytestmark = pytest.mark.slow  # a real companion per test and otpc subprocesses (make test-fast leaves it out)

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # the served fixture's (conftest.py)


def no_password(otpc, *args, input: str = ""):
    """Run otpc in a subprocess with no password anywhere: not in the environment, and stdin is a
    pipe (not a terminal to ask on)."""
    return otpc.run(*args, input=input, env=NO_PASSWORD)


def test_every_command_goes_through_the_companion_without_a_password(served, tmp_path):
    r = no_password(served, "customer", "add", "Beta", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["name"] == "Beta"
    r = no_password(served, "entry", "add", "--customer", "Beta", "--title", "Portal",
                    "--url", "https://portal.example", "--password-prompt",
                    input="hunter2\nhunter2\n")
    assert r.code == 0, r.err
    r = no_password(served, "otp", "set", "Portal", "--json", input=SECRET + "\n")
    assert r.code == 0, r.err
    assert json.loads(r.out)["otp"]["type"] == "totp"
    assert no_password(served, "entry", "edit", "Portal", "--notes", "via agent").code == 0
    shown = json.loads(no_password(served, "entry", "show", "Portal", "--json",
                                   "--reveal-password").out)
    assert (shown["notes"], shown["password"]) == ("via agent", "hunter2")
    assert no_password(served, "code", "beta/portal", "--at", "59").out == "287082\n"

    source = tmp_path / "in.txt"
    source.write_text(
        "otpauth://totp/Gamma:ops?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Gamma\n"
        f"otpauth://totp/Acme:tech?secret={SECRET}&digits=8\n"  # the same OTP as Acme/Mail
    )
    r = no_password(served, "import", str(source), "--customer", "Imported", "--json")
    assert r.code == 0, r.err
    result = json.loads(r.out)
    assert (result["imported"], result["duplicates"]) == (1, 1)

    target = tmp_path / "out.txt"
    r = no_password(served, "export", "--format", "otpauth", "-o", str(target))
    assert r.code == 0, r.err
    lines = target.read_text().splitlines()
    assert len(lines) == 4 and any("JBSWY3DPEHPK3PXP" in line for line in lines)

    events = json.loads(no_password(served, "audit", "--json").out)
    assert {e["actor"] for e in events if e["action"] in ("code", "export", "password")} == {"cli"}
    assert "otp_set" in [e["action"] for e in events]
    r = no_password(served, "otp", "rm", "Portal", "--yes")
    assert r.code == 0, r.err
    assert no_password(served, "entry", "rm", "Portal", "--yes").code == 0
    assert no_password(served, "customer", "rm", "Beta", "--yes").code == 0
    names = [c["name"] for c in json.loads(no_password(served, "customer", "list", "--json").out)]
    assert names == ["Acme", "Imported"]


def test_a_large_import_goes_through_in_one_request(served, tmp_path):
    """More than the old 64 KiB request limit, still one transaction in the companion."""
    source = tmp_path / "many.txt"
    lines = []
    for i in range(600):
        secret = f"{i:04d}".translate(str.maketrans("0123456789", "ABCDEFGHIJ")) * 8
        lines.append(f"otpauth://totp/Bulk:user{i}?secret={secret}&issuer=Bulk")
    source.write_text("\n".join(lines) + "\n")
    assert source.stat().st_size > 64 * 1024 // 2
    r = no_password(served, "import", str(source), "--customer", "Bulk", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["imported"] == 600
    assert len(json.loads(no_password(served, "entry", "list", "--customer", "Bulk",
                                      "--json").out)) == 600


def test_locked_companion_exits_5_without_a_password_and_asks_on_a_terminal(served):
    assert served.run("lock").code == 0
    for args in (("customer", "add", "Zed"), ("entry", "list"), ("audit",),
                 ("otp", "set", "Acme/Mail", "--yes"), ("export", "--format", "otpauth")):
        r = no_password(served, *args, input=SECRET + "\n")
        assert r.code == 5, (args, r.err)
        assert "the companion is locked" in one_line_error(r)
    # On a terminal: it asks once, unlocks the companion, and the next command needs nothing.
    env = {k: v for k, v in served.env.items() if k != "OTPC_PASSWORD"}
    served.env, saved = env, served.env
    try:
        out, code = run_in_pty(served, ["customer", "add", "Zed"],
                               expect=[("Master password", saved["OTPC_PASSWORD"].encode() + b"\n")])
    finally:
        served.env = saved
    assert code == 0, out
    assert "Added customer Zed" in ANSI.sub("", out)
    assert ask(served.vault, {"op": "status"})["locked"] is False
    assert no_password(served, "customer", "rm", "Zed", "--yes").code == 0


def test_without_a_companion_the_vault_is_opened_and_a_terminal_hears_once(otpc):
    otpc.ok("customer", "add", "Acme")
    # Not a terminal (scripts, logs): no hint.
    r = otpc.run("entry", "add", "--customer", "Acme", "--title", "Mail")
    assert r.code == 0 and r.err == "", r.err
    # No password and no companion: the vault cannot be opened, and says so.
    assert "no password" in one_line_error(no_password(otpc, "customer", "list"))
    # A terminal: the hint, once, although the command opens the vault more than once.
    out, code = run_in_pty(otpc, ["entry", "edit", "Mail", "--notes", "n"])
    assert code == 0, out
    assert ANSI.sub("", out).replace("\r", "").replace("\n", " ").count("otpc serve") == 1
    assert START_HINT.split(";")[0] in ANSI.sub("", out).replace("\r\n", " ")


def test_vault_op_allows_only_its_methods_and_argument_types(served):
    def vault_call(method, **args):
        return ask(served.vault, {"op": "vault", "method": method, "args": args})

    assert vault_call("customers")["ok"] is True
    for method in ("all_otp_params", "change_password", "_params", "lock", "batch", "__init__"):
        reply = vault_call(method)
        assert reply["ok"] is False and "no method" in reply["error"], method
    refused = [
        vault_call("code", ref="Acme/Mail", actor="client:forged"),  # the actor is always "cli"
        vault_call("add_customer", name=["not", "text"]),
        vault_call("code", ref="Acme/Mail", at=True),
        vault_call("otp_params", ref="Acme/Mail", reason="anything"),
        vault_call("set_otp", ref="Acme/Mail", params={"secret": SECRET, "evil": 1}),
        vault_call("entries", customer=None, search={"$ne": 1}),
    ]
    for reply in refused:
        assert reply["ok"] is False and reply["kind"] == "bad_request", reply
    # Audited calls record the CLI as the actor.
    assert vault_call("code", ref="Acme/Mail")["ok"]
    events = vault_call("audit", limit=1)["result"]
    assert (events[0]["action"], events[0]["actor"]) == ("code", "cli")


def _unprivileged() -> list[str]:
    """A command prefix that runs as user nobody (CI runs as root; the test needs a second uid)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("switching to another uid needs root and setpriv (CI has both)")
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


CONNECT = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except OSError as exc:
    print(type(exc).__name__)
    sys.exit(0)
s.sendall(b'{"op": "vault", "method": "customers", "args": {}}\\n')
print("CONNECTED", s.recv(65536)[:200])
"""


def test_another_local_user_cannot_use_the_socket(served, tmp_path):
    """The socket is 0600 in a 0700 directory: another uid is refused at both layers, even when
    the directory is opened up by mistake."""
    prefix = _unprivileged()
    sock = served.env["OTPC_SOCKET"]
    run_dir = os.path.dirname(sock)
    assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(run_dir).st_mode) == 0o700
    # Let nobody walk down to the directory (pytest's temporary tree is private to root).
    parents = [p for p in tmp_path.parents if str(p) not in ("/", "/tmp")]
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (*parents, tmp_path)}

    def connect_as_nobody() -> str:
        done = subprocess.run([*prefix, "/usr/bin/python3", "-c", CONNECT, sock],
                              capture_output=True, text=True, timeout=30)
        return done.stdout.strip() or done.stderr.strip()

    try:
        for p in parents:
            p.chmod(modes[p] | stat.S_IXOTH)
        assert connect_as_nobody() == "PermissionError"
        os.chmod(run_dir, 0o711)  # a mistake: the directory opened up; the socket's 0600 holds
        assert connect_as_nobody() == "PermissionError"
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
    assert ask(served.vault, {"op": "status"})["ok"] is True  # the owner still gets through


def test_password_and_keyring_commands_use_the_file_even_with_a_companion(served):
    """passwd and keyring re-key the file itself: they never go through the companion (no method
    for them exists there) and ask for the current password as before."""
    assert "Keyring unlock is disabled" in served.run("keyring", "status").out
    r = no_password(served, "passwd")
    assert r.code == 1 and "no password" in one_line_error(r)
    r = served.run("passwd", env={"OTPC_NEW_PASSWORD": "a new and long master password"})
    assert r.code == 0, r.err
    # The companion keeps serving (the master key is the same; only its wrapping changed).
    assert no_password(served, "code", "Acme/Mail", "--at", "59").out == "94287082\n"


def test_a_companion_of_another_vault_is_never_used(served, tmp_path):
    """OTPC_SOCKET pointing at the companion of another vault: refused, nothing done to either."""
    other = tmp_path / "other" / "vault.sqlite"
    r = served.run("--vault", str(other), "customer", "add", "Intruder",
                   env={"OTPC_PASSWORD": None})
    # (--vault given twice: the last one wins, as click does)
    assert r.code == 1 and "serves" in one_line_error(r) and "not " in one_line_error(r)
    names = [c["name"] for c in json.loads(no_password(served, "customer", "list", "--json").out)]
    assert "Intruder" not in names
    r = served.run("--vault", str(other), "code", "Acme/Mail", env={"OTPC_PASSWORD": None})
    assert r.code == 1 and "serves" in one_line_error(r)  # the stdlib fast path checks it too
