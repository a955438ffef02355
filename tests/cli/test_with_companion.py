"""With a real `otpc serve` running and unlocked, `entry list` and `code --watch` ask it over the
control socket (no password needed); once it is locked, they open the vault themselves."""

import json

import pytest
from cli_harness import one_line_error
from test_codes import ANSI, run_in_pty

pytestmark = pytest.mark.slow  # a real companion per test
NO_PASSWORD = {"OTPC_PASSWORD": None}


def test_entry_list_through_companion_then_vault_when_locked(served):
    r = served("entry", "list", "--json", env=NO_PASSWORD)
    assert r.code == 0, r.err
    assert [(e["customer"], e["title"], e["has_otp"]) for e in json.loads(r.out)] == [
        ("Acme", "Mail", True),
        ("Acme", "VPN", True),
    ]
    assert [
        e["title"]
        for e in json.loads(
            served.ok("entry", "list", "--json", "--search", "vpn", env=NO_PASSWORD)
        )
    ] == ["VPN"]
    assert "no customer" in one_line_error(
        served("entry", "list", "--customer", "Nope", env=NO_PASSWORD)
    )
    assert served.run("lock").code == 0
    # Locked companion, no password at hand and no terminal to ask on: exit 5, locked.
    locked = served("entry", "list", "--json", env=NO_PASSWORD)
    assert locked.code == 5
    assert "the companion is locked" in one_line_error(locked)
    # With the password given (OTPC_PASSWORD), the CLI opens the vault file itself.
    assert len(json.loads(served.ok("entry", "list", "--json"))) == 2


def test_watch_through_companion_needs_no_password(served):
    env = {k: v for k, v in served.env.items() if k != "OTPC_PASSWORD"}
    served.env, saved = env, served.env
    try:
        out, code = run_in_pty(
            served, ["code", "Acme/Mail", "--watch", "--at", "59", "--count", "2"]
        )
    finally:
        served.env = saved
    assert code == 0, out
    assert "9428 7082" in ANSI.sub("", out)


def test_hotp_counter_shared_between_companion_and_cli(served):
    via_companion = served.run("code", "Acme/VPN", env=NO_PASSWORD)
    assert via_companion.out == "755224\n", via_companion.err
    assert served.run("lock").code == 0
    assert served.run("code", "Acme/VPN").out == "287082\n"  # straight from the vault file
    events = json.loads(served.ok("audit", "--entry", "Acme/VPN", "--json"))
    assert [e["action"] for e in events][-2:] == ["code", "code"]
