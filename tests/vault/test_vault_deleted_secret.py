"""Deleting an OTP is irreversible: afterwards no ciphertext that ever held the secret (nor the
secret itself) occurs anywhere in the vault file or its WAL, so not even the master key brings it
back. Also with a second connection (the companion) open but idle, and inside a batch."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pyotp
import pytest
from vault_helpers import PASSWORD, hotp, totp

from companion.vault import Vault


def otp_blob(path: Path, entry_id: str) -> bytes:
    conn = sqlite3.connect(path)  # sees committed data, WAL included
    try:
        rows = conn.execute(
            "SELECT sealed FROM records WHERE kind = 'otp' AND id = ?", (entry_id,)
        ).fetchall()
    finally:
        conn.close()
    assert len(rows) == 1
    return rows[0][0]


def files_of(path: Path) -> dict[str, bytes]:
    found = {}
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(path) + suffix)
        if p.exists():
            found[p.name] = p.read_bytes()
    return found


def assert_gone(path: Path, needles: list[bytes]) -> None:
    files = files_of(path)
    assert files[path.name]  # the vault file itself is there and was searched
    for name, data in files.items():
        for i, needle in enumerate(needles):
            assert needle not in data, f"needle {i} still in {name}"
    # Still nothing after the vault was read again by another process (nothing resurrected).


def make_versions(v: Vault, entry_id: str, codes: int) -> list[bytes]:
    """Take HOTP codes: each one re-seals the OTP record, leaving another ciphertext version."""
    versions = [otp_blob(v.path, entry_id)]
    for _ in range(codes):
        v.code(entry_id)
        versions.append(otp_blob(v.path, entry_id))
    assert len(set(versions)) == len(versions)  # a fresh nonce, a new ciphertext each time
    return versions


@pytest.mark.parametrize("companion_open", [False, True], ids=["alone", "companion-idle"])
@pytest.mark.parametrize("how", ["remove_otp", "remove_entry", "replace_otp", "remove_customer"])
def test_deleted_secret_leaves_no_ciphertext_behind(vault, how, companion_open):
    secret = pyotp.random_base32(32)
    vault.add_customer("Acme")
    e = vault.add_entry("Acme", "Token", password="pw")
    keep = vault.add_entry("Acme", "Keep")
    vault.set_otp(keep.id, totp())
    vault.set_otp(e.id, hotp(secret=secret))
    companion = None
    if companion_open:
        companion = Vault.open(vault.path)
        companion.unlock(PASSWORD)
        assert companion.entry(e.id).has_otp  # it has read the vault, and is now idle
    versions = make_versions(vault, e.id, 5)
    wal = Path(str(vault.path) + "-wal")
    assert any(v in wal.read_bytes() for v in versions)  # the old versions really are in the WAL
    needles = [*versions, secret.encode(), base64.b32decode(secret)]

    if how == "remove_otp":
        assert vault.remove_otp(e.id) is True
    elif how == "remove_entry":
        vault.remove_entry(e.id)
    elif how == "replace_otp":
        vault.set_otp(e.id, totp(secret=pyotp.random_base32(32)))
    else:
        vault.remove_customer("Acme", force=True)
    assert_gone(vault.path, needles)
    assert not wal.exists() or wal.stat().st_size == 0

    if companion is not None:  # the companion sees the removal and goes on working
        if how in ("remove_otp", "replace_otp"):
            assert companion.entry(e.id).has_otp == (how == "replace_otp")
        else:
            assert [x.title for x in companion.entries()] == ([] if "customer" in how else ["Keep"])
        companion.close()
    path = vault.path
    vault.close()
    assert_gone(path, needles)
    again = Vault.open(path)
    again.unlock(PASSWORD)
    assert all(x.id != e.id or not x.has_otp or how == "replace_otp" for x in again.entries())
    again.close()
    assert_gone(path, needles)


def test_remove_otp_inside_a_batch_erases_when_the_batch_commits(vault):
    secret = pyotp.random_base32(32)
    vault.add_customer("Acme")
    e = vault.add_entry("Acme", "Token")
    vault.set_otp(e.id, hotp(secret=secret))
    versions = make_versions(vault, e.id, 3)
    with vault.batch():
        vault.remove_otp(e.id)
        vault.add_entry("Acme", "Other")
    assert_gone(vault.path, [*versions, secret.encode(), base64.b32decode(secret)])
    assert not vault.entry(e.id).has_otp and vault.entry("Acme/Other")


@pytest.mark.slow
def test_remove_otp_reports_when_a_reader_blocks_the_truncation(vault):
    """A reader in the middle of a read transaction keeps old WAL frames alive: remove_otp says so
    (returns False) instead of claiming the secret is gone."""
    vault.add_customer("Acme")
    e = vault.add_entry("Acme", "Token")
    vault.set_otp(e.id, hotp())
    vault.code(e.id)
    reader = sqlite3.connect(vault.path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM records").fetchall()  # holds a WAL snapshot
        assert vault.remove_otp(e.id) is False
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert not vault.entry(e.id).has_otp
