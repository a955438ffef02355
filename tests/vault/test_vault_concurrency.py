"""Two users of one vault file at once (the CLI and a running companion): writes serialise, each
sees the other's commits on its next read, HOTP counters are never handed out twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from vault_helpers import AT, PASSWORD, hotp, totp

from companion.errors import NotFound
from companion.otp import hotp_code
from companion.vault import Vault

CHILD = Path(__file__).with_name("vault_child.py")


@pytest.fixture
def pair(vault):
    other = Vault.open(vault.path)
    other.unlock(PASSWORD)
    yield vault, other
    other.close()


def test_each_sees_the_others_writes_on_next_read(pair):
    cli, companion = pair
    assert companion.entries() == []  # the companion has a (cached) snapshot now
    cli.add_customer("Acme")
    e = cli.add_entry("Acme", "Mail", username="bob")
    assert [x.title for x in companion.entries()] == ["Mail"]
    companion.update_entry(e.id, username="alice", urls=["https://acme.com"])
    assert cli.entry(e.id).username == "alice"
    assert [x.id for x in cli.entries_for_site("login.acme.com")] == [e.id]
    cli.set_otp(e.id, totp())
    assert companion.entry(e.id).has_otp
    assert companion.code(e.id, at=AT).code == cli.code(e.id, at=AT).code
    cli.update_customer("Acme", name="Acme Corp")
    assert companion.entry(e.id).customer == "Acme Corp"
    assert companion.entry("acme corp/mail").id == e.id
    companion.remove_otp(e.id)
    assert not cli.entry(e.id).has_otp
    cli.remove_entry(e.id)
    with pytest.raises(NotFound):
        companion.entry(e.id)
    assert [a.action for a in companion.audit()] == [
        "otp_set",
        "code",
        "code",
        "otp_remove",
    ]


def test_key_rotation_by_one_is_followed_by_the_other(pair):
    cli, companion = pair
    cli.add_customer("Acme")
    e = cli.add_entry("Acme", "Token", password="pw")
    cli.set_otp(e.id, hotp())
    assert companion.code(e.id).counter == 0
    cli.rotate_customer_key("Acme")  # the companion still holds the epoch-1 key in memory
    assert companion.entry(e.id).password == "pw"
    r = companion.code(e.id)  # re-seals the advanced counter: it must use the epoch-2 key
    assert r.counter == 1
    companion.update_entry(e.id, notes="written by the companion after the rotation")
    assert cli.code(e.id).counter == 2
    again = Vault.open(cli.path)
    again.unlock(PASSWORD)
    assert again.entry(e.id).notes.startswith("written by the companion")
    assert again.code(e.id).counter == 3
    again.close()


def test_customer_replaced_by_another_process_is_followed(pair):
    """One customer removed and another added elsewhere: as many customer keys as before."""
    cli, companion = pair
    cli.add_customer("Old")
    assert [c.name for c in companion.customers()] == ["Old"]
    cli.remove_customer("Old")
    cli.add_customer("New")
    cli.add_entry("New", "E", password="pw")
    assert [c.name for c in companion.customers()] == ["New"]
    assert companion.entry("New/E").password == "pw"
    companion.add_entry("New", "F")
    assert [x.title for x in cli.entries()] == ["E", "F"]


@pytest.mark.slow
def test_two_processes_taking_hotp_codes_never_share_a_counter(vault):
    vault.add_customer("Acme")
    token = vault.add_entry("Acme", "Token")
    vault.set_otp(token.id, hotp())
    path = vault.path
    takers = [
        subprocess.Popen(
            [sys.executable, str(CHILD), "hotp", str(path), "50"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for p in takers:
        p.stdin.write(PASSWORD + "\n")
        p.stdin.flush()
    for p in takers:
        assert p.stdout.readline() == "ready\n", p.stderr.read()
    for p in takers:  # go: both start taking codes at the same moment
        p.stdin.write("go\n")
        p.stdin.flush()
    seen: dict[int, str] = {}
    per_taker = []
    for p in takers:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        lines = [line.split() for line in out.splitlines()]
        counters = [int(c) for _, c, _ in lines]
        assert counters == sorted(counters)  # each process sees its counters go up
        per_taker.append(counters)
        for _, c, code in lines:
            assert int(c) not in seen, f"counter {c} handed out twice"
            seen[int(c)] = code
    assert sorted(seen) == list(range(100))
    assert all(code == hotp_code(hotp().secret, c) for c, code in seen.items())
    # The parent (a third user of the file) goes on from where they stopped.
    assert vault.code(token.id).counter == 100
    events = [a for a in vault.audit() if a.action == "code"]
    assert sum(a.actor == "client:child" for a in events) == 100
