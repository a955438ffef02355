"""Proton Authenticator's password-protected export, generated here from the layout in Proton's
source (proton-pass-common: Argon2id v1.3 19 MiB / 2 passes / 1 lane over a 16-byte salt; content =
12-byte nonce ‖ AES-256-GCM ciphertext and tag with AAD "proton.authenticator.export.v1"). The
generator uses `cryptography` directly, not our reader's helpers; codes are checked against pyotp
and the Steam reference of importgen."""

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from gen_more_a import pa_entry, pa_export, pa_steam_uri
from importgen import B32_SHA1, B32_SHA512, OTHER, otpauth, ref_steam

from companion.formats import FormatError, PasswordRequired, parse
from companion.formats.ciphers import WrongFilePassword
from companion.formats.detect import detect
from companion.otp import code
from companion.vault import Vault

PW = "Proton ☃ export"
T = 1_111_111_109
OTPC = str(Path(sys.executable).with_name("otpc"))


def proton_encrypted(plain: bytes, password: str, *, salt: bytes | None = None,
                     aad: bytes = b"proton.authenticator.export.v1") -> bytes:
    salt = os.urandom(16) if salt is None else salt
    key = Argon2id(salt=salt, length=32, iterations=2, lanes=1,
                   memory_cost=19 * 1024).derive(password.encode())
    nonce = os.urandom(12)
    content = nonce + AESGCM(key).encrypt(nonce, plain, aad)
    return json.dumps({"version": 1, "salt": base64.b64encode(salt).decode(),
                       "content": base64.b64encode(content).decode()}).encode()


def sample_plain() -> bytes:
    return pa_export([
        pa_entry(otpauth("totp", "Acme:alice", B32_SHA512, issuer="Acme", algorithm="SHA512",
                         digits=8, period=60), note="admin account"),
        pa_entry(pa_steam_uri(OTHER), kind="Steam", name="gabe"),
        pa_entry(otpauth("totp", "bob", B32_SHA1)),
    ])


def test_encrypted_export_opens_with_its_password():
    data = proton_encrypted(sample_plain(), PW)
    assert detect(data) == "proton-authenticator"
    parsed = parse(data, password=lambda: PW)
    assert parsed.format == "proton-authenticator-encrypted"
    acme, steam, bob = parsed.items
    assert (acme.otp.issuer, acme.otp.account, acme.notes) == ("Acme", "alice", "admin account")
    assert code(acme.otp, T) == pyotp.TOTP(B32_SHA512, digits=8, interval=60,
                                           digest=hashlib.sha512).at(T)
    assert steam.otp.type == "steam"
    assert code(steam.otp, T) == ref_steam(OTHER, T)
    assert code(bob.otp, T) == pyotp.TOTP(B32_SHA1).at(T)


def test_wrong_missing_and_damaged():
    data = proton_encrypted(sample_plain(), PW)
    with pytest.raises(PasswordRequired):
        parse(data)
    with pytest.raises(WrongFilePassword, match="Proton Authenticator export: wrong password"):
        parse(data, password=lambda: "not it")
    doc = json.loads(data)
    content = bytearray(base64.b64decode(doc["content"]))
    content[20] ^= 1
    flipped = dict(doc, content=base64.b64encode(bytes(content)).decode())
    with pytest.raises(WrongFilePassword, match="or the file is damaged"):
        parse(json.dumps(flipped).encode(), password=lambda: PW)
    # The AAD is part of the layout: a file sealed without it does not open.
    no_aad = proton_encrypted(sample_plain(), PW, aad=b"")
    with pytest.raises(WrongFilePassword):
        parse(no_aad, password=lambda: PW)


@pytest.mark.parametrize("change,message", [
    ({"content": base64.b64encode(b"x" * 27).decode()}, "content is truncated"),
    ({"salt": base64.b64encode(b"s" * 8).decode()}, "salt must be 16 bytes"),
    ({"salt": "not base64!"}, "salt is not base64"),
    ({"content": None}, "content is missing"),
    ({"version": 2}, "unknown encrypted-export version 2"),
])
def test_malformed_envelopes_are_one_line_before_any_password(change, message):
    doc = json.loads(proton_encrypted(sample_plain(), PW, salt=b"\0" * 16))
    asked = []
    with pytest.raises(FormatError, match=message):
        parse(json.dumps(doc | change).encode(), password=lambda: asked.append(1) or PW)
    assert not asked  # refused before the slow KDF and before asking anyone


def test_decrypted_content_that_is_not_an_export_is_refused():
    data = proton_encrypted(b'{"version": 1, "vaults": {}}', PW)
    with pytest.raises(FormatError, match="decrypted export holds no entry list"):
        parse(data, password=lambda: PW)
    data = proton_encrypted(b"\xff\xfe not json", PW)
    with pytest.raises(FormatError, match="Proton Authenticator export"):
        parse(data, password=lambda: PW)


@pytest.mark.slow
def test_otpc_import_of_an_encrypted_export(tmp_path):
    vault_path = tmp_path / "vault.sqlite"
    Vault.create(vault_path, "master pw", kdf_ms=1).close()
    source = tmp_path / "proton.json"
    source.write_bytes(proton_encrypted(sample_plain(), PW))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTPC_")}
    env.update({"OTPC_VAULT": str(vault_path), "OTPC_PASSWORD": "master pw"})
    wrong = subprocess.run([OTPC, "import", str(source)], capture_output=True, timeout=120,
                           env=env | {"OTPC_IMPORT_PASSWORD": "nope"})
    assert wrong.returncode == 3, wrong.stderr
    assert len(wrong.stderr.decode().strip().splitlines()) == 1
    done = subprocess.run([OTPC, "import", str(source)], capture_output=True, timeout=120,
                          env=env | {"OTPC_IMPORT_PASSWORD": PW})
    assert done.returncode == 0, done.stderr
    v = Vault.open(vault_path)
    v.unlock("master pw")
    try:
        codes = sorted(v.code(e.id, at=T).code for e in v.entries())
    finally:
        v.close()
    assert codes == sorted([
        pyotp.TOTP(B32_SHA512, digits=8, interval=60, digest=hashlib.sha512).at(T),
        ref_steam(OTHER, T), pyotp.TOTP(B32_SHA1).at(T)])
