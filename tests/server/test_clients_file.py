"""Issue 9 #6: the paired-clients file (vault.clients.json) is MACed under a key derived from the
vault's master key. A client appended by hand, or a scope widened by hand, is refused (401) with a
log line and a notice in `otpc clients`; genuine clients keep working; a file of the old format
(no MACs) is migrated once, and rewriting the file in the old format after that is refused too.
Real companion, real vault, the file edited on disk as another process of the user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import protoclient as pc
import pytest
from companion_harness import PASSWORD, _companion

from companion.paths import clients_path

pytestmark = pytest.mark.slow  # fresh companions, restarted per test (make test-fast leaves it out)

NOTICE = "vault.clients.json was modified outside the companion: re-pair your browsers"


def otpc(companion, *args, password: str | None = None):
    env = {k: v for k, v in os.environ.items() if k != "OTPC_PASSWORD"}
    if password is not None:
        env["OTPC_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "companion.cli.entry", "--vault", str(companion.vault), *args],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
    )


def read_file(companion) -> dict:
    return json.loads(clients_path(companion.vault).read_text())


def write_file(companion, doc: dict) -> None:
    path = clients_path(companion.vault)
    path.write_text(json.dumps(doc, indent=2))
    os.utime(path, ns=(os.stat(path).st_mtime_ns + 10**9,) * 2)  # a different stamp, surely


def forged_client(companion, **scope) -> tuple[pc.ProtoClient, dict]:
    """A client whose keys the attacker chose, as a line in the file would give it."""
    forged = pc.ProtoClient(companion.port, client_id="Zforged0000000000000000"[:22],
                            k_mac=os.urandom(32), k_enc=os.urandom(32))
    line = {"id": forged.client_id, "name": "forged", "origin": pc.OUR_CHROME_ORIGIN,
            "scope": {"write": True, "customers": None, **scope}, "created": 1, "last_used": None,
            "k_mac": pc.b64u(forged.k_mac), "k_enc": pc.b64u(forged.k_enc)}
    return forged, line


@pytest.fixture
def locked_companion(tmp_path):
    running = _companion(tmp_path)
    running.start(password=None)
    yield running
    running.stop()


@pytest.mark.parametrize("mac", [None, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
def test_a_client_appended_by_hand_gets_401(fresh_companion, mac):
    genuine = fresh_companion.paired_client()
    forged, line = forged_client(fresh_companion)
    doc = read_file(fresh_companion)
    doc["clients"].append({**line, "mac": mac} if mac else line)
    write_file(fresh_companion, doc)

    assert forged.call_raw("/v1/code", {"entry_id": fresh_companion.ids["mail"]}).status == 401
    assert forged.call_raw("/v1/status").status == 401
    assert genuine.call("/v1/code", {"entry_id": fresh_companion.ids["mail"]})[0] == 200
    assert NOTICE in fresh_companion.log()
    listed = otpc(fresh_companion, "clients", "list")
    assert listed.returncode == 0 and NOTICE in listed.stderr
    assert forged.client_id not in listed.stdout and genuine.client_id in listed.stdout
    assert [c["id"] for c in read_file(fresh_companion)["clients"]] == [genuine.client_id]


def test_a_scope_widened_by_hand_is_refused(fresh_companion):
    limited = fresh_companion.paired_client(write=False, customers=["Globex"])
    other = fresh_companion.paired_client()
    assert limited.call("/v1/code", {"entry_id": fresh_companion.ids["mail"]})[0] == 404
    doc = read_file(fresh_companion)
    for c in doc["clients"]:
        if c["id"] == limited.client_id:
            c["scope"] = {"write": True, "customers": None}
    write_file(fresh_companion, doc)

    assert limited.call_raw("/v1/code", {"entry_id": fresh_companion.ids["mail"]}).status == 401
    assert limited.call_raw("/v1/customers/create", {"name": "Mine"}).status == 401
    assert other.call("/v1/code", {"entry_id": fresh_companion.ids["mail"]})[0] == 200
    assert NOTICE in otpc(fresh_companion, "clients", "list", "--json").stderr


def test_a_client_planted_while_locked_is_dropped_at_unlock(locked_companion):
    """Before the first unlock the file cannot be checked (the key is the vault's): the planted
    client reaches only what a locked vault allows, and the unlock drops it before anything else.
    A client paired while locked is this companion's own and is sealed at the unlock."""
    genuine = locked_companion.paired_client()
    forged, line = forged_client(locked_companion)
    doc = read_file(locked_companion)
    doc["clients"].append(line)
    write_file(locked_companion, doc)
    assert forged.call("/v1/code", {"entry_id": locked_companion.ids["mail"]})[0] == 423

    assert otpc(locked_companion, "unlock", password=PASSWORD).returncode == 0
    assert forged.call_raw("/v1/code", {"entry_id": locked_companion.ids["mail"]}).status == 401
    assert genuine.call("/v1/code", {"entry_id": locked_companion.ids["mail"]})[0] == 200
    assert NOTICE in otpc(locked_companion, "clients", "list").stderr
    stored = read_file(locked_companion)
    assert stored["version"] == 2 and [c["id"] for c in stored["clients"]] == [genuine.client_id]
    assert isinstance(stored["clients"][0]["mac"], str)


def test_an_old_file_is_migrated_once_and_an_old_format_rewrite_is_refused(tmp_path):
    running = _companion(tmp_path)
    old, line = forged_client(running)  # keys as the old companion would have stored them
    line["name"] = "paired before the upgrade"
    write_file(running, {"version": 1, "clients": [line]})
    running.start()
    try:
        assert old.call("/v1/code", {"entry_id": running.ids["mail"]})[0] == 200
        stored = read_file(running)
        assert stored["version"] == 2 and isinstance(stored["clients"][0]["mac"], str)
        events = json.loads(otpc(running, "audit", "--json", password=PASSWORD).stdout)
        assert [e["action"] for e in events].count("clients-file-sealed") == 1
        assert NOTICE not in otpc(running, "clients", "list").stderr
    finally:
        running.stop()

    # The attacker rewrites the file in the old format, with a client of its own: refused.
    forged, extra = forged_client(running)
    extra["id"] = forged.client_id = "Yforged000000000000000"
    write_file(running, {"version": 1, "clients": [line, extra]})
    running.start()
    try:
        assert forged.call_raw("/v1/status").status == 401
        assert old.call_raw("/v1/status").status == 401  # its line lost its MAC: re-pair
        assert NOTICE in running.log()
        assert read_file(running)["clients"] == []
    finally:
        running.stop()


def test_offline_revoke_keeps_the_others_and_offline_scope_needs_the_vault(fresh_companion):
    keep = fresh_companion.paired_client()
    drop = fresh_companion.paired_client()
    fresh_companion.stop()
    assert otpc(fresh_companion, "clients", "revoke", drop.client_id).returncode == 0
    done = otpc(fresh_companion, "clients", "scope", keep.client_id, "--read-only")
    assert done.returncode != 0 and "password" in done.stderr and "Traceback" not in done.stderr
    done = otpc(fresh_companion, "clients", "scope", keep.client_id, "--read-only",
                password=PASSWORD)
    assert done.returncode == 0, done.stderr
    fresh_companion.start()
    assert keep.call("/v1/customers/create", {"name": "X"})[0] == 403  # read-only, accepted
    assert keep.call("/v1/code", {"entry_id": fresh_companion.ids["mail"]})[0] == 200
    assert drop.call_raw("/v1/status").status in (401, 403)
    assert NOTICE not in fresh_companion.log()


def test_a_master_key_rotation_can_reseal_the_file(tmp_path):
    """The MAC key is derived from the master key: a rotation re-seals (helper for `passwd`)."""
    from companion.server.clients import Client, ClientStore, reseal_after_key_rotation

    vault = tmp_path / "v.sqlite"
    old, new = os.urandom(32), os.urandom(32)
    store = ClientStore(vault)
    store.unlocked(old, sealed_before=lambda: True, note_sealed=lambda: None)
    store.add(Client("Agenuine0000000000000", "b", pc.OUR_CHROME_ORIGIN, b"k" * 32, b"e" * 32))
    doc = json.loads(clients_path(vault).read_text())
    doc["clients"].append({**doc["clients"][0], "id": "Bforged00000000000000", "mac": None})
    clients_path(vault).write_text(json.dumps(doc))
    reseal_after_key_rotation(vault, old, new)
    after = ClientStore(vault)
    after.unlocked(new, sealed_before=lambda: True, note_sealed=lambda: None)
    assert [c.id for c in after.all()] == ["Agenuine0000000000000"] and after.notice is None
    stale = ClientStore(vault)
    stale.unlocked(old, sealed_before=lambda: True, note_sealed=lambda: None)
    assert stale.all() == [] and stale.notice
