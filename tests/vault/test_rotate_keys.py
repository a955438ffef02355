"""`otpc passwd --rotate-keys` (issue 9.9): after rotation the old master key (captured before, as
an attacker who read the unlocked process's memory would hold it) opens nothing in the file, no old
wrapped key or ciphertext is left in the file or its WAL, and every code is unchanged."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from vault_helpers import AT, PASSWORD, hotp, totp

from companion import crypto
from companion.errors import WrongPassword
from companion.vault import Vault, keys

NEW_PASSWORD = "a brand new master password"
OTPC = Path(sys.executable).with_name("otpc")


def rows(path, statement):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(statement).fetchall()
    finally:
        conn.close()


def raw_bytes(path: Path) -> bytes:
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def every_blob(path) -> list[bytes]:
    """Every ciphertext and wrapped key the file holds."""
    return [
        bytes(b)
        for statement in (
            "SELECT wrapped FROM key_slots",
            "SELECT wrapped FROM customer_keys",
            "SELECT sealed FROM records",
            "SELECT sealed FROM audit",
        )
        for (b,) in rows(path, statement)
    ] + [bytes.fromhex(v) for (v,) in rows(path, "SELECT value FROM meta WHERE key = 'state'")]


def opens_anything(path, vault_id: str, key: bytes) -> list[str]:
    """Which blobs of the file `key` opens, trying each with the AAD of its place."""
    opened = []
    for cid, epoch, wrapped in rows(path, "SELECT customer_id, epoch, wrapped FROM customer_keys"):
        if _opens(key, wrapped, keys.aad(vault_id, "customer-key", cid, epoch)):
            opened.append(f"customer key {cid[:8]}")
    for seq, ts, sealed in rows(path, "SELECT seq, ts, sealed FROM audit"):
        if _opens(key, sealed, keys.audit_aad(vault_id, seq, ts)):
            opened.append(f"audit {seq}")
    for (value,) in rows(path, "SELECT value FROM meta WHERE key = 'state'"):
        if _opens(key, bytes.fromhex(value), keys.aad(vault_id, "state")):
            opened.append("state")
    for kind, rid, cid, epoch, created, updated, version, sealed in rows(
        path, "SELECT kind, id, customer_id, epoch, created, updated, version, sealed FROM records"
    ):
        aad = keys.record_aad(vault_id, kind, rid, cid, epoch, created, updated, version)
        if _opens(key, sealed, aad):
            opened.append(f"{kind} {rid[:8]}")
    return opened


def _opens(key: bytes, blob: bytes, aad: bytes) -> bool:
    try:
        crypto.unseal(key, blob, aad)
        return True
    except crypto.DecryptError:
        return False


@pytest.fixture
def filled(vault, memory_keyring):
    vault.add_customer("Acme")
    vault.add_customer("Globex")
    mail = vault.add_entry("Acme", "Mail", username="bob", password="pw-mail")
    vpn = vault.add_entry("Globex", "VPN", password="pw-vpn")
    vault.set_otp(mail.id, totp())
    vault.set_otp(vpn.id, hotp(counter=7))
    vault.code(mail.id, at=AT)
    vault.code(vpn.id)  # counter 7 handed out
    vault.enable_keyring()
    return vault


def test_after_rotation_the_old_keys_open_nothing_and_are_gone_from_the_file(filled):
    v, path = filled, filled.path
    old_master = v._r.master  # what an attacker who read the unlocked process's memory holds
    old_customer_keys = dict(v._r._ckeys)
    old_blobs = every_blob(path)
    assert opens_anything(path, v.vault_id, old_master)  # the check can see what a key opens
    codes_before = {e.id: v.code(e.id, at=AT).code for e in v.entries() if e.otp.type == "totp"}
    entries_before = [(e.customer, e.title, e.username, e.password) for e in v.entries()]

    assert v.rotate_keys(NEW_PASSWORD) is True
    v.close()

    assert opens_anything(path, v.vault_id, old_master) == []
    for key in old_customer_keys.values():
        assert opens_anything(path, v.vault_id, key) == []
    data = raw_bytes(path)
    leftovers = [blob[:8].hex() for blob in old_blobs if blob in data]
    assert leftovers == []
    # Nor a recognisable piece of one (the 12-byte nonce + first 8 bytes of each old ciphertext).
    assert [b[:20].hex() for b in old_blobs if b[:20] in data] == []

    with pytest.raises(WrongPassword):
        Vault.open(path).unlock(PASSWORD)
    v = Vault.open(path)
    v.unlock(NEW_PASSWORD)
    assert [(e.customer, e.title, e.username, e.password) for e in v.entries()] == entries_before
    assert {eid: v.code(eid, at=AT).code for eid in codes_before} == codes_before
    assert v.code("Globex/VPN").counter == 8  # HOTP goes on where it was
    assert [a.action for a in v.audit()][:3] == ["otp_set", "otp_set", "code"]  # re-sealed, kept
    v.close()


def test_the_keyring_slot_is_replaced_and_the_old_keyring_item_forgotten(filled, memory_keyring):
    path = filled.path
    before = {k for k in memory_keyring.items if "-slot-" in k[1]}
    filled.rotate_keys(NEW_PASSWORD)
    filled.close()
    after = {k for k in memory_keyring.items if "-slot-" in k[1]}
    assert len(before) == len(after) == 1 and before != after
    v = Vault.open(path)
    assert v.unlock_with_keyring() is True
    v.close()


def test_an_old_copy_from_before_the_rotation_is_refused_as_a_rollback(filled, tmp_path):
    """The old file still opens with the old password (a copy is a copy), but not here: it is an
    older generation than this machine has seen."""
    import shutil

    from companion.errors import VaultCorrupt

    path = filled.path
    filled.close()
    old = tmp_path / "old.sqlite"
    shutil.copy(path, old)
    v = Vault.open(path)
    v.unlock(PASSWORD)
    v.rotate_keys(NEW_PASSWORD)
    v.close()
    shutil.copy(old, path)
    with pytest.raises(VaultCorrupt, match="vault rolled back"):
        Vault.open(path).unlock(PASSWORD)


@pytest.mark.slow
def test_otpc_passwd_rotate_keys(tmp_path, state_dir):
    vault = tmp_path / "cli" / "vault.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_")}
    env.update(OTPC_PASSWORD=PASSWORD, OTPC_STATE_DIR=str(state_dir),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")

    def otpc(*args, **kw):
        return subprocess.run([str(OTPC), "--vault", str(vault), *args], capture_output=True,
                              text=True, env={**env, **kw}, stdin=subprocess.DEVNULL, timeout=60)

    assert otpc("init", "--kdf-ms", "1").returncode == 0
    assert otpc("customer", "add", "Acme").returncode == 0
    old_slot = rows(vault, "SELECT wrapped FROM key_slots")[0][0]
    r = otpc("passwd", "--rotate-keys", OTPC_NEW_PASSWORD=NEW_PASSWORD)
    assert r.returncode == 0, r.stderr
    assert "every key rotated" in r.stdout
    assert old_slot not in raw_bytes(vault)
    assert otpc("customer", "list").returncode == 3  # the old password: exit 3
    r = otpc("customer", "list", "--json", OTPC_PASSWORD=NEW_PASSWORD)
    assert r.returncode == 0 and "Acme" in r.stdout


@pytest.mark.slow
def test_paired_browsers_survive_otpc_passwd_rotate_keys(tmp_path, state_dir, monkeypatch):
    """The paired-clients file is MACed under a key derived from the master key (issue 9 #6): the
    rotation re-seals it, so a genuine client still verifies under the new key and is not dropped
    as tampered (without the re-seal every browser would have to pair again)."""
    from companion.server.clients import Client, ClientStore

    monkeypatch.setenv("OTPC_STATE_DIR", str(state_dir))
    vault = tmp_path / "paired" / "vault.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_")}
    env.update(OTPC_PASSWORD=PASSWORD, OTPC_STATE_DIR=str(state_dir),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")

    def otpc(*args, **kw):
        return subprocess.run([str(OTPC), "--vault", str(vault), *args], capture_output=True,
                              text=True, env={**env, **kw}, stdin=subprocess.DEVNULL, timeout=60)

    assert otpc("init", "--kdf-ms", "1").returncode == 0
    v = Vault.open(vault)
    v.unlock(PASSWORD)
    store = ClientStore(vault)
    store.unlocked_with(v)
    store.add(Client("Pgenuine0000000000000", "laptop", "chrome-extension://x", b"k" * 32,
                     b"e" * 32))
    v.close()

    r = otpc("passwd", "--rotate-keys", OTPC_NEW_PASSWORD=NEW_PASSWORD)
    assert r.returncode == 0, r.stderr

    v = Vault.open(vault)
    v.unlock(NEW_PASSWORD)
    after = ClientStore(vault)
    after.unlocked_with(v)
    assert [c.id for c in after.all()] == ["Pgenuine0000000000000"]
    assert after.notice is None
    v.close()
