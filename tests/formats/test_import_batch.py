"""The import's batched write (Vault.add_entries: one statement per table, issue 12's 10,000 URIs
under 2 s) keeps every rule of add_entry: entries and OTPs readable with their codes after the
file is reopened (which checks the sealed records digest and generation), one audited `otp_set`
per OTP with no gap in the audit sequence, titles unique within the batch as well as against the
vault, and all or nothing when one entry is refused."""

from __future__ import annotations

import base64
import hashlib
import sqlite3

import pyotp
import pytest
from importgen import B32_SHA1, B32_SHA256

from companion.errors import UserError
from companion.formats import parse
from companion.formats.plan import plan
from companion.imports import CHUNK, write_rows
from companion.otp import OtpParams
from companion.vault import Vault
from companion.vault.vault import EntryRefused

PW = "batch master pw"
T = 1_111_111_109


@pytest.fixture
def vault(tmp_path):
    v = Vault.create(tmp_path / "v.sqlite", PW, kdf_ms=1)
    v.add_customer("Acme")
    v.add_entry("Acme", "Existing")
    yield v
    v.close()


def reopened(vault) -> Vault:
    path = vault.path
    vault.close()
    again = Vault.open(path)
    again.unlock(PW)  # checks the records digest and the generation (rollback detection)
    return again


def otp(secret: str, account: str, **kw) -> OtpParams:
    return OtpParams(secret=secret, issuer="Acme", account=account, **kw)


def test_many_entries_land_with_their_codes_and_audit(vault):
    acme = vault.customer("Acme").id
    new = [{"customer": acme, "title": f"T{i}", "username": f"u{i}",
            "otp": otp(B32_SHA256 if i % 2 else B32_SHA1, f"u{i}", algorithm="SHA256" if i % 2
                       else "SHA1", digits=8)} for i in range(40)]
    new.append({"customer": acme, "title": "No OTP", "password": "pw", "urls": ["https://a.test"],
                "tags": ["x"], "notes": "n"})
    before = len(vault.audit())
    with vault.batch():
        assert vault.add_entries(new, actor="import") == 41
    v = reopened(vault)
    try:
        by_title = {e.title: e for e in v.entries()}
        assert len(by_title) == 42
        for i in range(40):
            secret, digest = (B32_SHA256, hashlib.sha256) if i % 2 else (B32_SHA1, hashlib.sha1)
            assert v.code(by_title[f"T{i}"].id, at=T).code == pyotp.TOTP(
                secret, digits=8, digest=digest).at(T)
        plain = by_title["No OTP"]
        assert (plain.password, plain.urls, plain.tags, plain.notes, plain.has_otp) == (
            "pw", ("https://a.test",), ("x",), "n", False)
        events = v.audit()  # read_audit refuses a gap in the sequence
        sets = [e for e in events[before:] if e.action == "otp_set"]
        assert len(sets) == 40 and {e.actor for e in sets} == {"import"}
        assert {e.entry_id for e in sets} == {by_title[f"T{i}"].id for i in range(40)}
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
    finally:
        v.close()


@pytest.mark.parametrize("bad,reason", [
    ({"title": "Existing"}, "already has an entry 'Existing'"),
    ({"title": "T1"}, "already has an entry 'T1'"),  # a title earlier in the same batch
    ({"title": "bad\x07title"}, "control characters"),
    ({"title": "T9", "otp": OtpParams(secret=B32_SHA1, digits=3)}, "digits must be 4 to 10"),
    ({"title": "T9", "customer": "nobody"}, "no customer 'nobody'"),
])
def test_one_refused_entry_writes_nothing(vault, bad, reason):
    acme = vault.customer("Acme").id
    new = [{"customer": acme, "title": f"T{i}", "otp": otp(B32_SHA1, f"u{i}")} for i in range(3)]
    new.insert(2, {"customer": acme, **bad})
    with pytest.raises(EntryRefused, match=reason) as info:
        with vault.batch():
            vault.add_entries(new)
    assert info.value.index == 2
    v = reopened(vault)
    try:
        assert [e.title for e in v.entries()] == ["Existing"]
    finally:
        v.close()


def test_write_rows_chunks_and_names_the_refused_row(vault, tmp_path):
    """More rows than one chunk; a row the vault refuses (here: the file is changed under the
    plan) is named by its number in the file, and nothing at all was imported."""
    count = CHUNK + 7
    secrets = [base64.b32encode(hashlib.sha1(bytes([i % 256, i // 256])).digest()).decode()
               for i in range(count)]
    lines = [f"otpauth://totp/Svc{i}:user{i}?secret={secret}" for i, secret in enumerate(secrets)]
    rows = plan(parse("\n".join(lines).encode()).items, existing_otps=(),
                existing_titles={}, customer="Acme")
    assert len(rows) == count
    vault.add_entry("Acme", rows[CHUNK + 3].title)  # taken after planning: the vault refuses it
    with pytest.raises(UserError, match=rf"entry {CHUNK + 4} .*already has an entry.*nothing was "
                                        "imported"):
        write_rows(vault, rows)
    assert len(vault.entries()) == 2
    vault.remove_entry(f"Acme/{rows[CHUNK + 3].title}")
    ticks = []
    assert write_rows(vault, rows, advance=ticks.append) == count
    assert ticks == [CHUNK, 7]  # told once per chunk written
    v = reopened(vault)
    try:
        assert len(v.entries()) == count + 1
        db = sqlite3.connect(v.path)
        assert db.execute("SELECT COUNT(*) FROM records WHERE kind = 'otp'").fetchone()[0] == count
        db.close()
    finally:
        v.close()
