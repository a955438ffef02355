"""Encrypted variants: Aegis (scrypt + AES-GCM), 2FAS (PBKDF2-SHA256 + AES-GCM), Bitwarden
password-protected JSON (PBKDF2 / Argon2id + AES-CBC-HMAC), andOTP new and old; right password
opens them, a wrong one is a one-line error, a missing one asks for a password."""

import json
import os

import pytest
from importgen import (
    B32_OTHER,
    B32_SHA1,
    OTHER,
    RFC4226_HOTP,
    aegis_entry,
    aegis_file,
    andotp_account,
    andotp_new,
    andotp_old,
    bw_json,
    bw_login,
    bw_protected,
    otpauth,
    ref_steam,
    twofas_file,
    twofas_service,
)

from companion.formats import PasswordRequired, parse
from companion.formats.ciphers import WrongFilePassword
from companion.formats.detect import detect
from companion.otp import code

PW = "correct horse ☃"
T = 1_111_111_109


def pw(value=PW):
    return lambda: value


def test_aegis_encrypted_skips_biometric_slot():
    entries = [aegis_entry("totp", "ACME", "alice", B32_SHA1, digits=8, groups=["g"]),
               aegis_entry("hotp", "Bank", "bob", B32_SHA1, counter=1)]
    data = aegis_file(entries, [("g", "Customer A")], password=PW)
    assert detect(data) == "aegis"
    parsed = parse(data, password=pw())
    assert parsed.format == "aegis-encrypted"
    a, b = parsed.items
    assert a.customer == "Customer A" and code(a.otp, 59) == "94287082"
    assert code(b.otp) == RFC4226_HOTP[1]
    with pytest.raises(WrongFilePassword, match="wrong password"):
        parse(data, password=pw("nope"))
    with pytest.raises(PasswordRequired):
        parse(data)


def test_2fas_encrypted():
    services = [twofas_service("ACME", B32_SHA1, 4, account="alice", digits=8),
                twofas_service("Steam", B32_OTHER, 4, account="s", token_type="STEAM", digits=5)]
    data = twofas_file(services, 4, password=PW)
    assert json.loads(data)["services"] == []
    parsed = parse(data, password=pw())
    assert parsed.format == "2fas-encrypted"
    assert code(parsed.items[0].otp, 59) == "94287082"
    assert code(parsed.items[1].otp, T) == ref_steam(OTHER, T)
    with pytest.raises(WrongFilePassword):
        parse(data, password=pw("wrong"))


@pytest.mark.parametrize("kdf_type", [0, 1])
def test_bitwarden_password_protected(kdf_type):
    inner = bw_json([bw_login("ACME", username="alice", password="pw",
                              totp=otpauth("totp", "ACME:alice", B32_SHA1, digits=8))])
    data = bw_protected(inner, PW, kdf_type=kdf_type, iterations=1000 if kdf_type == 0 else 2)
    assert detect(data) == "bitwarden-json"
    parsed = parse(data, password=pw())
    assert parsed.format == "bitwarden-json-encrypted"
    item = parsed.items[0]
    assert (item.title, item.password) == ("ACME", "pw") and code(item.otp, 59) == "94287082"
    with pytest.raises(WrongFilePassword):
        parse(data, password=pw("wrong"))


def test_bitwarden_account_restricted_export_is_explained():
    data = json.dumps({"encrypted": True, "encKeyValidation_DO_NOT_EDIT": "2.x|y|z",
                       "data": "2.a|b|c", "items": []}).encode()
    with pytest.raises(Exception, match="account key"):
        parse(data)


@pytest.mark.parametrize("variant", ["new", "old"])
def test_andotp_encrypted(variant):
    accounts = [andotp_account(B32_SHA1, "ACME", "alice", digits=8),
                andotp_account(B32_SHA1, "Bank", "bob", kind="HOTP", counter=3)]
    data = andotp_new(accounts, PW) if variant == "new" else andotp_old(accounts, PW)
    assert detect(data) == "andotp"
    parsed = parse(data, password=pw())
    assert parsed.format == "andotp-encrypted"
    assert code(parsed.items[0].otp, 59) == "94287082"
    assert code(parsed.items[1].otp) == RFC4226_HOTP[3]
    with pytest.raises(WrongFilePassword):
        parse(data, password=pw("wrong"))


@pytest.mark.parametrize("iv_start", [b"[", b"\xef", b" \n["])
def test_andotp_old_format_whose_iv_starts_like_json(iv_start):
    """An old-format backup is a random IV + ciphertext: about one in 200 starts like a plain
    backup ("[", a BOM's first byte, or whitespace then "["). It must still be decrypted."""
    accounts = [andotp_account(B32_SHA1, "ACME", "alice", digits=8)]
    data = andotp_old(accounts, PW, iv=iv_start + os.urandom(12 - len(iv_start)))
    assert detect(data) == "andotp"
    parsed = parse(data, password=pw())
    assert parsed.format == "andotp-encrypted"
    assert code(parsed.items[0].otp, 59) == "94287082"
