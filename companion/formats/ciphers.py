"""The encrypted formats' shared plumbing: the capped KDFs and AES-GCM of companion.crypto with
errors that name the file, and hex/base64 fields read from untrusted JSON.

No cryptography is implemented here: it all lives in companion/crypto.py.
"""

from __future__ import annotations

from companion import crypto
from companion.errors import WrongPassword
from companion.formats.records import FormatError


class WrongFilePassword(FormatError, WrongPassword):
    """One kind with a wrong master password (companion.errors): exit 3, wire 'wrong_password'."""


def scrypt_key(password: str, salt: bytes, n: object, r: object, p: object, what: str) -> bytes:
    try:
        return crypto.scrypt_capped(password, salt, n, r, p)
    except crypto.KdfLimitError as exc:
        raise FormatError(f"{what}: {exc}") from None


def pbkdf2_key(password: str, salt: bytes, iterations: object, hash_name: str, what: str) -> bytes:
    try:
        return crypto.pbkdf2_capped(password, salt, iterations, hash_name)
    except crypto.KdfLimitError as exc:
        raise FormatError(f"{what}: {exc}") from None


def argon2id_key(
    password: str, salt: bytes, iterations: object, memory_mib: object, lanes: object, what: str
) -> bytes:
    try:
        return crypto.argon2id_capped(password, salt, iterations, memory_mib, lanes)
    except crypto.KdfLimitError as exc:
        raise FormatError(f"{what}: {exc}") from None


def sodium_argon2id_key(
    password: str, salt: bytes, opslimit: object, memlimit: object, what: str
) -> bytes:
    try:
        return crypto.sodium_argon2id_capped(password, salt, opslimit, memlimit)
    except crypto.KdfLimitError as exc:
        raise FormatError(f"{what}: {exc}") from None


def gcm_open(
    key: bytes, nonce: bytes, ciphertext_and_tag: bytes, what: str, aad: bytes | None = None
) -> bytes | None:
    """None when authentication fails (wrong password); FormatError for impossible lengths."""
    if len(nonce) < 8 or len(nonce) > 64:
        raise FormatError(f"{what}: bad AES-GCM nonce length")
    if len(ciphertext_and_tag) < 16:
        raise FormatError(f"{what}: encrypted data is truncated")
    return crypto.gcm_open(key, nonce, ciphertext_and_tag, aad)


gcm_seal = crypto.gcm_seal


def wrong_password(what: str) -> WrongFilePassword:
    return WrongFilePassword(f"{what}: wrong password (or the file is damaged)")


def hex_bytes(value: object, what: str, field: str, length: int | None = None) -> bytes:
    if not isinstance(value, str) or len(value) > 4096:
        raise FormatError(f"{what}: {field} is missing")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise FormatError(f"{what}: {field} is not hex") from None
    if length is not None and len(raw) != length:
        raise FormatError(f"{what}: {field} must be {length} bytes")
    return raw


def b64_bytes(value: object, what: str, field: str) -> bytes:
    import base64
    import binascii

    if not isinstance(value, str):
        raise FormatError(f"{what}: {field} is missing")
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"{what}: {field} is not base64") from None
