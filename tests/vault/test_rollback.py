"""Rollback (issue 9.8): an older copy of the vault, or an older row, put back is refused; accepting
it is remembered; HOTP codes never repeat. Real vault files, real sqlite3 edits, no mocks.

The CLI and `otpc serve` attacks are in test_rollback_cli.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from vault_helpers import PASSWORD, hotp, totp

from companion.errors import VaultCorrupt, WrongPassword
from companion.vault import Vault
from companion.vault.store import FORMAT_VERSION

ROLLED_BACK = re.compile(r"vault rolled back: generation (\d+), last seen (\d+)")
# RFC 4226 appendix D, secret "12345678901234567890": the codes of counters 0, 1, 2, 3, 4.
RFC4226 = ["755224", "287082", "359152", "969429", "338314"]
FORMAT1 = Path(__file__).parent / "data" / "format1.sqlite"


def sql(path, statement, args=()):
    conn = sqlite3.connect(path)
    try:
        with conn:
            return conn.execute(statement, args).fetchall()
    finally:
        conn.close()


def snapshot(path: Path, to: Path) -> Path:
    """A whole-file copy, as a backup tool would take it (the vault is closed: no WAL)."""
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    shutil.copy(path, to)
    return to


def raw_bytes(path: Path) -> bytes:
    """The vault file and its WAL, as bytes on disk."""
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def put_back(copy: Path, path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(copy, path)


def unlocked(path, *, accept=False) -> Vault:
    v = Vault.open(path, accept_rollback=accept)
    v.unlock(PASSWORD)
    return v


@pytest.fixture
def hotp_vault(vault):
    vault.add_customer("Acme")
    e = vault.add_entry("Acme", "Token")
    vault.set_otp(e.id, hotp(counter=0))
    vault.add_entry("Acme", "Mail", password="pw-1")
    return vault


def test_an_older_copy_put_back_is_refused_naming_the_generations(hotp_vault, tmp_path):
    path = hotp_vault.path
    old_generation = hotp_vault.generation
    hotp_vault.close()
    old = snapshot(path, tmp_path / "old.sqlite")
    v = unlocked(path)
    v.update_entry("Acme/Mail", password="pw-2")
    v.remove_entry("Acme/Token")  # a removed OTP must not come back
    new_generation = v.generation
    v.close()
    assert new_generation > old_generation

    put_back(old, path)
    v = Vault.open(path)
    with pytest.raises(VaultCorrupt) as info:
        v.unlock(PASSWORD)
    message = str(info.value)
    assert ROLLED_BACK.search(message).groups() == (str(old_generation), str(new_generation))
    assert "--accept-rollback" in message and "\n" not in message
    assert VaultCorrupt.exit_code == 4
    assert v.is_locked  # nothing readable from a refused file
    with pytest.raises(VaultCorrupt):  # the keyring-less password path is not the only way in
        v.unlock(PASSWORD)
    v.close()


def test_accepting_a_rollback_is_remembered_and_makes_every_older_copy_stale(
    hotp_vault, tmp_path
):
    path = hotp_vault.path
    hotp_vault.close()
    old = snapshot(path, tmp_path / "old.sqlite")
    v = unlocked(path)
    v.update_entry("Acme/Mail", password="pw-2")
    v.close()
    newer = snapshot(path, tmp_path / "newer.sqlite")

    put_back(old, path)
    v = unlocked(path, accept=True)
    assert ROLLED_BACK.search(v.rollback_accepted)
    assert v.entry("Acme/Mail").password == "pw-1"  # the restored content, as asked
    v.close()
    v = unlocked(path)  # remembered: no flag needed any more
    assert v.rollback_accepted is None
    v.close()
    # The accepted file was re-stamped newer than anything seen, so the copy it replaced is
    # now the older one.
    put_back(newer, path)
    with pytest.raises(VaultCorrupt, match=ROLLED_BACK.pattern):
        unlocked(path)


@pytest.mark.parametrize("what", ["entry", "otp"])
def test_one_older_row_restored_with_sqlite_is_detected(hotp_vault, tmp_path, what):
    path = hotp_vault.path
    mail = hotp_vault.entry("Acme/Mail")
    token = hotp_vault.entry("Acme/Token")
    hotp_vault.close()
    old = snapshot(path, tmp_path / "old.sqlite")
    v = unlocked(path)
    v.update_entry(mail.id, password="pw-2")
    v.code(token.id)
    v.close()
    rid = mail.id if what == "entry" else token.id
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("ATTACH DATABASE ? AS old", (str(old),))
        conn.execute(
            "INSERT OR REPLACE INTO records SELECT * FROM old.records WHERE kind = ? AND id = ?",
            (what, rid),
        )
    conn.execute("DETACH DATABASE old")
    conn.close()
    with pytest.raises(VaultCorrupt, match="rolled back or tampered with"):
        unlocked(path)


def test_a_row_deleted_with_sqlite_is_detected(hotp_vault):
    path = hotp_vault.path
    mail = hotp_vault.entry("Acme/Mail")
    hotp_vault.close()
    sql(path, "DELETE FROM records WHERE kind = 'entry' AND id = ?", (mail.id,))
    with pytest.raises(VaultCorrupt, match="rolled back or tampered with"):
        unlocked(path)


def test_hotp_never_repeats_after_an_accepted_rollback(hotp_vault, tmp_path):
    path = hotp_vault.path
    assert hotp_vault.code("Acme/Token").code == RFC4226[0]
    hotp_vault.close()
    old = snapshot(path, tmp_path / "old.sqlite")  # its next counter is 1
    v = unlocked(path)
    assert [v.code("Acme/Token").code for _ in range(2)] == RFC4226[1:3]
    v.close()
    put_back(old, path)
    v = unlocked(path, accept=True)
    result = v.code("Acme/Token")
    assert (result.counter, result.code) == (3, RFC4226[3])  # not counter 1's code again
    v.close()


def test_hotp_counter_of_a_restored_row_is_raised_not_reused(hotp_vault, tmp_path):
    path = hotp_vault.path
    token = hotp_vault.entry("Acme/Token")
    hotp_vault.close()
    old = snapshot(path, tmp_path / "old.sqlite")  # counter 0
    v = unlocked(path)
    handed_out = [v.code(token.id).code for _ in range(3)]  # counters 0, 1, 2
    v.close()
    # Only the OTP row goes back (its counter is 0 again), and the user accepts the vault.
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("ATTACH DATABASE ? AS old", (str(old),))
        conn.execute("INSERT OR REPLACE INTO records SELECT * FROM old.records WHERE kind = 'otp'")
    conn.close()
    v = unlocked(path, accept=True)
    nxt = v.code(token.id)
    assert nxt.code not in handed_out and (nxt.counter, nxt.code) == (3, RFC4226[3])
    # Export (otp_params) shows the raised counter too, never the restored one.
    assert v.otp_params(token.id).counter == 4
    v.close()


def test_setting_an_otp_anew_takes_its_own_counter(hotp_vault):
    """The remembered HOTP counter belongs to the secret it was used with: a new `otp set`
    (a resync, or another token) starts where the user says."""
    for _ in range(3):
        hotp_vault.code("Acme/Token")
    hotp_vault.set_otp("Acme/Token", hotp(counter=1))
    assert hotp_vault.code("Acme/Token").counter == 1


def test_a_password_change_moves_the_generation(hotp_vault, tmp_path):
    """An old copy must not bring back an old (perhaps leaked) password."""
    path = hotp_vault.path
    hotp_vault.close()
    old = snapshot(path, tmp_path / "old.sqlite")
    v = unlocked(path)
    v.change_password("a new password")
    v.close()
    put_back(old, path)
    v = Vault.open(path)
    with pytest.raises(VaultCorrupt, match=ROLLED_BACK.pattern):
        v.unlock(PASSWORD)


def test_an_old_password_slot_put_back_alone_is_detected(hotp_vault, tmp_path):
    """After a password change (the old one leaked), the old slot row put back with SQL would let
    the old password in: the sealed slots digest does not match it."""
    path = hotp_vault.path
    old_slot = sql(path, "SELECT * FROM key_slots")
    hotp_vault.change_password("a new password")
    hotp_vault.close()
    sql(path, "DELETE FROM key_slots")
    for row in old_slot:
        sql(path, "INSERT INTO key_slots VALUES (?, ?, ?, ?, ?)", row)
    v = Vault.open(path)
    with pytest.raises(VaultCorrupt, match="its key slots do not match"):
        v.unlock(PASSWORD)


def test_the_sealed_generation_cannot_be_edited_or_swapped(hotp_vault, tmp_path):
    path = hotp_vault.path
    hotp_vault.close()
    old = snapshot(path, tmp_path / "old.sqlite")
    v = unlocked(path)
    v.update_entry("Acme/Mail", password="pw-2")
    v.close()
    # A forged state: flip one hex digit of the sealed blob.
    state = sql(path, "SELECT value FROM meta WHERE key = 'state'")[0][0]
    forged = state[:-1] + ("0" if state[-1] != "0" else "1")
    sql(path, "UPDATE meta SET value = ? WHERE key = 'state'", (forged,))
    with pytest.raises(VaultCorrupt, match="sealed generation is damaged or was tampered with"):
        unlocked(path)
    # The newer state planted into the older copy: its records no longer add up.
    put_back(old, path)
    sql(path, "UPDATE meta SET value = ? WHERE key = 'state'", (state,))
    with pytest.raises(VaultCorrupt, match="rolled back or tampered with"):
        unlocked(path)
    sql(path, "DELETE FROM meta WHERE key = 'state'")
    with pytest.raises(VaultCorrupt, match="sealed generation is missing"):
        unlocked(path, accept=True)  # no accepting a missing state: it is damage


def test_the_memory_outside_the_file_is_private_and_holds_no_secret(hotp_vault, state_dir):
    hotp_vault.code("Acme/Token")
    files = list(state_dir.glob("vault-*.seen.json"))
    assert len(files) == 1
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
    data = json.loads(files[0].read_text())
    assert data == {
        "vault_id": hotp_vault.vault_id,
        "generation": hotp_vault.generation,
        "hotp": {hotp_vault.entry("Acme/Token").id: 1},
    }


def test_the_keyring_remembers_too_when_the_vault_uses_it(hotp_vault, memory_keyring, state_dir,
                                                          tmp_path):
    path = hotp_vault.path
    hotp_vault.enable_keyring()
    hotp_vault.close()
    old = snapshot(path, tmp_path / "old.sqlite")
    v = Vault.open(path)
    assert v.unlock_with_keyring()
    v.update_entry("Acme/Mail", password="pw-2")
    v.close()
    shutil.rmtree(state_dir)  # the state directory is lost (or wiped by the attacker)
    put_back(old, path)
    v = Vault.open(path)
    with pytest.raises(VaultCorrupt, match=ROLLED_BACK.pattern):
        v.unlock_with_keyring()


def test_a_format_1_vault_opens_and_is_upgraded_at_unlock(tmp_path):
    path = tmp_path / "v1" / "vault.sqlite"
    path.parent.mkdir(mode=0o700)
    shutil.copy(FORMAT1, path)
    original = tmp_path / "format1-copy.sqlite"
    shutil.copy(FORMAT1, original)
    v = Vault.open(path)
    assert v.describe()["format"] == 1  # opening alone changes nothing: the key is needed
    with pytest.raises(WrongPassword):
        v.unlock(PASSWORD)
    v.unlock("format one password")
    assert [(e.customer, e.title) for e in v.entries()] == [
        ("Acme", "Mail"), ("Acme", "Token"), ("Globex", "VPN")
    ]
    assert v.entry("Acme/Mail").password == "pw-mail"
    assert v.code("Acme/Token").code == RFC4226[2]  # the old file handed out counters 0 and 1
    v.close()
    assert sql(path, "SELECT value FROM meta WHERE key = 'format'") == [(str(FORMAT_VERSION),)]
    assert {r[0] for r in sql(path, "SELECT version FROM records")} >= {1}
    assert 0 not in {r[0] for r in sql(path, "SELECT version FROM records")}
    # No format-1 ciphertext is left in the file: a v1 blob (AAD without a version) would be a
    # row without rollback protection.
    data = raw_bytes(path)
    for (blob,) in sql(original, "SELECT sealed FROM records"):
        assert blob not in data
    # The format-1 copy put back now is an older vault.
    put_back(original, path)
    v = Vault.open(path)
    with pytest.raises(VaultCorrupt, match=r"vault rolled back: generation 0, last seen \d+"):
        v.unlock("format one password")
    assert sql(path, "SELECT value FROM meta WHERE key = 'format'") == [("1",)]  # untouched


def test_a_vault_older_than_a_running_process_has_seen_is_refused_on_write(
    hotp_vault, state_dir
):
    """A process that keeps the vault open (the companion) notices an older sealed generation at
    its next write, even when this machine's memory was wiped."""
    path = hotp_vault.path
    other = unlocked(path)
    # The sealed state as it is now: readable with SQL by anyone who can read the file.
    state_old = sql(path, "SELECT value FROM meta WHERE key = 'state'")[0][0]
    hotp_vault.code("Acme/Token")
    other.code("Acme/Token")  # other has now seen the newest generation
    generation = other.generation
    shutil.rmtree(state_dir)
    sql(path, "UPDATE meta SET value = ? WHERE key = 'state'", (state_old,))
    with pytest.raises(VaultCorrupt, match=ROLLED_BACK.pattern):
        other.code("Acme/Token")
    assert other.generation == generation
    other.close()


def test_totp_codes_do_not_move_the_generation(vault):
    vault.add_customer("Acme")
    e = vault.add_entry("Acme", "Mail")
    vault.set_otp(e.id, totp())
    before = vault.generation
    for _ in range(5):
        vault.code(e.id)
    assert vault.generation == before  # audit rows only: the hot path stays one cheap commit
