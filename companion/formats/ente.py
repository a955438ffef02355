"""Ente Auth's encrypted export (its plain export is an otpauth:// URI list, read by otpauth_list).

`{"version": 1, "kdfParams": {"memLimit", "opsLimit", "salt"}, "encryptedData", "encryptionNonce"}`
(base64 throughout). Key = libsodium crypto_pwhash Argon2id (memLimit in bytes, opsLimit passes,
one lane) of the password; the data is one message of crypto_secretstream_xchacha20poly1305 whose
24-byte header is `encryptionNonce`. The plaintext is the URI list, one a line.
"""

from __future__ import annotations

from companion import crypto
from companion.formats import otpauth_list
from companion.formats.ciphers import b64_bytes, sodium_argon2id_key, wrong_password
from companion.formats.records import (
    FormatError,
    Parsed,
    PasswordSource,
    load_json,
    no_password,
)

WHAT = "Ente Auth encrypted export"


def looks_like(doc: object) -> bool:
    return isinstance(doc, dict) and "kdfParams" in doc and "encryptedData" in doc


def decrypt(doc: dict, password: PasswordSource) -> bytes:
    if doc.get("version") != 1:
        raise FormatError(f"{WHAT}: version {doc.get('version')!r} is not one we know (1)")
    kdf = doc.get("kdfParams")
    if not isinstance(kdf, dict):
        raise FormatError(f"{WHAT}: kdfParams is missing")
    salt = b64_bytes(kdf.get("salt"), WHAT, "salt")
    header = b64_bytes(doc.get("encryptionNonce"), WHAT, "encryptionNonce")
    data = b64_bytes(doc.get("encryptedData"), WHAT, "encryptedData")
    if len(header) != 24:
        raise FormatError(f"{WHAT}: encryptionNonce must be 24 bytes")
    if len(data) < 17:
        raise FormatError(f"{WHAT}: encrypted data is truncated")
    secret = password()
    key = sodium_argon2id_key(secret, salt, kdf.get("opsLimit"), kdf.get("memLimit"), WHAT)
    plain = crypto.secretstream_open(key, header, data)
    if plain is None:
        raise wrong_password(WHAT)
    return plain


def parse(data: bytes, password: PasswordSource = no_password) -> Parsed:
    doc = load_json(data, WHAT)
    if not looks_like(doc):
        raise FormatError(f"{WHAT}: expected kdfParams and encryptedData")
    assert isinstance(doc, dict)
    plain = decrypt(doc, password)
    if not plain.strip():
        return Parsed("ente-encrypted", notes=["the export holds no codes"])
    parsed = otpauth_list.parse(plain)
    parsed.format = "ente-encrypted"
    return parsed
