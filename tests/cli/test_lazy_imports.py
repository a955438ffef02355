"""Issue 10: `otpc entry add` and `otpc otp set` through a running companion load only the CLI's thin
layer (click, the control-socket client, the wire decoding), never the stacks the companion already
holds. Not a timing test: the real console script runs against a real `otpc serve` (the `served`
fixture) and the modules it had loaded when it exited are checked."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from cli_harness import OTPC
from test_with_companion import NO_PASSWORD

pytestmark = pytest.mark.slow  # each test starts a real companion

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
# What the companion holds so that the CLI does not load it (the vault and its keys, the crypto and
# HTTP stacks, the OTP maths, the password judge, the rich renderer).
FORBIDDEN = ("rich", "cryptography", "argon2", "nacl", "aiohttp", "sqlite3", "keyring", "pyotp",
             "zxcvbn", "companion.vault", "companion.crypto", "companion.server", "companion.resolve")


# Runs the console script as `otpc` would run, and writes the names in sys.modules at exit (after
# the command ran) to the file named first. (`-X importtime` would miss what importlib.import_module
# loads, e.g. the lazily loaded command modules.)
HARNESS = """
import atexit, runpy, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def imported(served, tmp_path, *args: str, input: str = "") -> tuple[set[str], str]:
    """(modules the real `otpc` had loaded when it exited, its stdout) for one command with no
    password anywhere, so that it can only have succeeded through the companion."""
    env = {**served.env, **NO_PASSWORD}
    listing = tmp_path / "modules.txt"
    proc = subprocess.run(
        [sys.executable, "-c", HARNESS, str(listing), str(OTPC), "--vault", str(served.vault),
         *args],
        input=input, capture_output=True, text=True, timeout=60,
        env={k: v for k, v in env.items() if v is not None},
    )
    assert proc.returncode == 0, proc.stderr
    modules = set(listing.read_text().split())
    # The listing is real: the command's own modules are in it (so an empty one cannot pass).
    assert {"click", "companion.cli.main", "companion.cli.control"} <= modules
    return modules, proc.stdout


def loaded_forbidden(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in FORBIDDEN or m.startswith(
        tuple(name + "." for name in FORBIDDEN)) or m in FORBIDDEN)


def test_entry_add_and_otp_set_through_the_companion_stay_lean(served, tmp_path):
    modules, out = imported(served, tmp_path, "entry", "add", "--customer", "Acme", "--title", "Portal",
                            "--url", "https://portal.example", "--json")
    assert json.loads(out)["title"] == "Portal"
    assert "companion.cli.entries" in modules
    assert loaded_forbidden(modules) == []
    assert "pathlib" not in modules  # the fast path's rule: the socket path is a string
    assert "companion.cli.completion" not in modules  # completers: only when the shell completes

    modules, out = imported(served, tmp_path, "otp", "set", "Acme/Portal", "--exact", "--json",
                            input=SECRET + "\n")
    assert json.loads(out)["otp"]["type"] == "totp"
    assert "companion.cli.otps" in modules
    assert loaded_forbidden(modules) == []
    # The companion builds the OTP (vault_ops.set_otp_from_text): no OTP code is loaded here.
    assert not {"companion.otp", "companion.otp_input", "companion.normalize"} & modules


def test_the_listing_does_show_what_a_command_loads(served, tmp_path):
    """The guard above can fail: `entry list` prints a rich table, and the listing says so."""
    modules, out = imported(served, tmp_path, "entry", "list")
    assert "Acme" in out
    assert "rich" in loaded_forbidden(modules)


def test_a_remote_entry_reads_like_the_vaults_entry():
    """RemoteEntry (the agent path's light entry) against companion.vault.model.Entry, over the real
    wire encoding of the companion (vault_ops.entry_json, JSON): same attributes, same public()."""
    from companion.cli.remote import PASSWORD_HIDDEN, entry_of
    from companion.server.vault_ops import entry_json
    from companion.vault.model import Entry, OtpSummary

    with_otp = Entry(id="e1", customer_id="c1", customer="Acme", title="Mail", username="tech",
                     password="hunter2", urls=("https://mail.example",), notes="n", tags=("t",),
                     otp=OtpSummary("hotp", "Acme", "tech", "SHA256", 8, 30), created=5, updated=7)
    bare = Entry(id="e2", customer_id="c1", customer="Acme", title="VPN")
    for local in (with_otp, bare):
        remote = entry_of(json.loads(json.dumps(entry_json(local))))
        assert remote.public() == local.public()
        assert (remote.ref, remote.has_otp, bool(remote.password)) == (
            local.ref, local.has_otp, bool(local.password))
        for name in Entry.__dataclass_fields__:
            if name == "otp":
                assert (remote.otp.as_dict() if remote.otp else None) == (
                    vars(local.otp) if local.otp else None)
            elif name == "password":
                assert remote.password == (PASSWORD_HIDDEN if local.password else "")
            else:
                assert getattr(remote, name) == getattr(local, name), name


def test_otp_set_through_the_companion_builds_the_otp_there(served):
    """The companion builds the OTP (vault_ops.set_otp_from_text): defaults from the entry, a URI's
    fields with the options on top (and the note saying so), the HOTP counter in the confirmation,
    and a bad secret refused in one line with nothing changed."""
    from cli_harness import one_line_error

    def run(*args, input=""):
        return served.run(*args, input=input, env=NO_PASSWORD)

    assert run("entry", "add", "--customer", "Acme", "--title", "Router", "--username",
               "admin").code == 0
    r = run("otp", "set", "Acme/Router", "--type", "hotp", "--counter", "7", input=SECRET + "\n")
    assert r.code == 0 and "HOTP, SHA1, 6 digits, next counter 7" in r.out, r.err

    def otp():
        return json.loads(run("entry", "show", "Acme/Router", "--json").out)["otp"]

    assert (otp()["issuer"], otp()["account"], otp()["type"]) == ("Router", "admin", "hotp")
    uri = f"otpauth://totp/Other:bob?secret={SECRET}&issuer=Other"
    r = run("otp", "set", "Acme/Router", "--yes", "--digits", "8", input=uri + "\n")
    assert r.code == 0, r.err
    assert "note: options override the URI's digits" in r.err
    assert (otp()["issuer"], otp()["account"], otp()["digits"]) == ("Other", "bob", 8)
    r = run("otp", "set", "Acme/Router", "--yes", input="not base32 at all!\n")
    assert "secret" in one_line_error(r).lower()
    assert otp()["digits"] == 8  # unchanged


def test_entry_urls_are_checked_by_the_companion(served, tmp_path):
    """Through a companion the CLI leaves the URL check to it (vault_ops): a bad URL is still one
    line and adds nothing, and a control-socket client cannot store a javascript: URL either."""
    from cli_harness import one_line_error

    from companion.cli.control import ask

    modules, _ = imported(served, tmp_path, "entry", "add", "--customer", "Acme", "--title", "Ok",
                          "--url", "https://ok.example")
    assert "companion.normalize" not in modules
    r = served.run("entry", "add", "--customer", "Acme", "--title", "Bad", "--url",
                   "javascript:alert(1)", env=NO_PASSWORD)
    assert "not an http(s) URL" in one_line_error(r)
    r = served.run("entry", "edit", "Acme/Ok", "--url", "portal.example", env=NO_PASSWORD)
    assert "did you mean https://portal.example" in one_line_error(r)
    for method, args in (("add_entry", {"customer": "Acme", "title": "Raw",
                                        "urls": ["javascript:alert(1)"]}),
                         ("update_entry", {"ref": "Acme/Ok", "urls": ["file:///etc/passwd"]})):
        reply = ask(served.vault, {"op": "vault", "vault": str(served.vault), "method": method,
                                   "args": args})
        assert reply["ok"] is False and "not an http(s) URL" in reply["error"], reply
    listed = json.loads(served.run("entry", "list", "--json", env=NO_PASSWORD).out)
    assert sorted(e["title"] for e in listed if e["customer"] == "Acme") == ["Mail", "Ok", "VPN"]
    assert [e["urls"] for e in listed if e["title"] == "Ok"] == [["https://ok.example"]]
