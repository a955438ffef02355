"""`otpc import` of 1Password, Proton Pass, Proton Authenticator and LastPass files, through the real
console script into a real vault file: entries land under the right customers with codes equal to
pyotp's, and a damaged or hostile file is one line on stderr with the vault unchanged."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from gen_more_a import (
    lp_csv,
    onepux,
    op_export_data,
    op_item,
    op_vault,
    pa_entry,
    pa_export,
    pp_export,
    pp_item,
    pp_zip,
)
from importgen import B32_OTHER, B32_SHA1, B32_SHA256, otpauth

from companion.otp import OtpParams
from companion.vault import Vault

OTPC = str(Path(sys.executable).with_name("otpc"))
MASTER = "master pw"
T = 1_111_111_109


@pytest.fixture
def vault_path(tmp_path):
    path = tmp_path / "vault.sqlite"
    Vault.create(path, MASTER, kdf_ms=1).close()
    return path


def otpc(vault_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_")}
    env.update({"OTPC_VAULT": str(vault_path), "OTPC_PASSWORD": MASTER})
    return subprocess.run([OTPC, *args], capture_output=True, env=env, timeout=120)


def vault_contents(path) -> dict:
    """{(customer, title): (username, password, code at T or None)} of the vault file."""
    v = Vault.open(path)
    v.unlock(MASTER)
    try:
        return {(e.customer, e.title): (e.username, e.password,
                                        v.code(e.id, at=T).code if e.has_otp else None)
                for e in v.entries()}
    finally:
        v.close()


def totp(b32, digits=6, digest=hashlib.sha1):
    return pyotp.TOTP(b32, digits=digits, digest=digest).at(T)


@pytest.mark.slow
def test_import_each_format_into_a_real_vault(vault_path, tmp_path):
    files = {
        "export.1pux": onepux(op_export_data([op_vault("Acme", [
            op_item("Portal", username="alice", password="pw1",
                    totps=[otpauth("totp", "Portal:alice", B32_SHA256, algorithm="SHA256",
                                   digits=8)]),
            op_item("Card", category="002"),
        ])])),
        "Proton Pass_export.zip": pp_zip(pp_export({"Beta": [
            pp_item("Mail", email="bob@beta.example", password="pw2", totp=B32_SHA1)]})),
        "authenticator.json": pa_export([pa_entry(otpauth("totp", "Gamma:carol", B32_OTHER,
                                                          issuer="Gamma"))]),
        "lastpass.csv": lp_csv([["https://d.example", "dave", "pw4", B32_OTHER.lower(), "",
                                 "Delta VPN", "Customers\\Delta", "0"]]),
    }
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = otpc(vault_path, "import", str(path))
        assert result.returncode == 0, (name, result.stderr.decode())
    got = vault_contents(vault_path)
    assert got[("Acme", "Portal")] == ("alice", "pw1",
                                       totp(B32_SHA256, 8, hashlib.sha256))
    assert got[("Beta", "Mail")] == ("bob@beta.example", "pw2", totp(B32_SHA1))
    # Proton Authenticator holds no customers: the import's default customer.
    assert [v[2] for k, v in got.items() if k[1] == "Gamma"] == [totp(B32_OTHER)]
    assert got[("Customers - Delta", "Delta VPN")] == ("dave", "pw4", totp(B32_OTHER))
    assert len(got) == 4  # the credit card was refused, not imported


@pytest.mark.slow
def test_damaged_or_hostile_files_are_one_line_and_change_nothing(vault_path, tmp_path):
    v = Vault.open(vault_path)
    v.unlock(MASTER)
    v.add_customer("Keep")
    e = v.add_entry("Keep", "Me", password="p")
    v.set_otp(e.id, OtpParams(secret=B32_SHA1, account="me"))
    v.close()
    before = vault_contents(vault_path)
    good = onepux(op_export_data([op_vault("V", [op_item("A", totps=[B32_OTHER])])]))
    cases = {
        "cut.1pux": (good[: len(good) // 2], "damaged or truncated"),
        "bomb.1pux": (_bomb(), "larger than the 10 MiB"),
        "other.zip": (_zip({"photo.bin": bytes(range(256))}), "none of the files in it"),
        "pp.json": (json.dumps(pp_export({"V": [pp_item("A", totp=B32_SHA1)]})).encode()[:-5],
                    "invalid JSON"),
        "proton.pgp": (b"-----BEGIN PGP MESSAGE-----\n\nxx\n", "gpg --decrypt"),
    }
    for name, (data, says) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = otpc(vault_path, "import", str(path))
        err = result.stderr.decode()
        assert result.returncode == 1, (name, err)
        assert err.count("\n") == 1 and err.startswith("otpc: error: "), (name, err)
        assert says in err and "Traceback" not in err, (name, err)
    assert vault_contents(vault_path) == before


def _zip(members):
    from gen_more_a import zipped

    return zipped(members)


def _bomb():
    from companion.formats.records import MAX_FILE_BYTES

    return _zip({"export.data": b" " * (MAX_FILE_BYTES + 1)})


def test_import_format_choices_name_the_new_formats(vault_path):
    result = otpc(vault_path, "import", "--help")
    out = result.stdout.decode()
    for name in ("1password-1pux", "1password-csv", "protonpass-json", "protonpass-csv",
                 "proton-authenticator", "lastpass-csv"):
        assert name in out
