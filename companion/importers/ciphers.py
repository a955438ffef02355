"""Key derivation and decryption for encrypted exports, with caps on every cost a file can set.

A hostile file must not make us spend minutes or gigabytes: each KDF parameter is checked against
a ceiling well above what the source apps write, before any work is done.
"""

from __future__ import annotations

import hashlib

from companion.errors import WrongPassword
from companion.importers.records import FormatError

# Aegis writes N=2^15, r=8, p=1 (32 MiB). Allow up to 256 MiB of scrypt memory and 2^24 total work.
SCRYPT_MAX_MEMORY = 256 * 1024 * 1024
SCRYPT_MAX_WORK = 2**24  # N * r * p
SCRYPT_MAX_P = 16
# andOTP writes 140k–160k PBKDF2-SHA1 iterations; Bitwarden up to 2M PBKDF2-SHA256.
PBKDF2_MAX_ITERATIONS = 5_000_000
# Bitwarden allows Argon2id up to 1 GiB, 10 iterations, 16 threads.
ARGON2_MAX_MEMORY_MIB = 1024
ARGON2_MAX_ITERATIONS = 10
ARGON2_MAX_LANES = 16


class WrongFilePassword(FormatError, WrongPassword):
    """One kind with a wrong master password (companion.errors): exit 3, wire 'wrong_password'."""


def scrypt_key(password: str, salt: bytes, n: object, r: object, p: object, what: str) -> bytes:
    for name, value in (("n", n), ("r", r), ("p", p)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise FormatError(f"{what}: scrypt parameter {name} is not a positive whole number")
    assert isinstance(n, int) and isinstance(r, int) and isinstance(p, int)
    if n < 2 or n & (n - 1):
        raise FormatError(f"{what}: scrypt N must be a power of two")
    memory = 128 * n * r
    if memory > SCRYPT_MAX_MEMORY or n * r * p > SCRYPT_MAX_WORK or p > SCRYPT_MAX_P:
        raise FormatError(
            f"{what}: scrypt parameters (N={n}, r={r}, p={p}) exceed our limits "
            "(256 MiB, N·r·p ≤ 2^24); refusing to spend that much"
        )
    if not salt or len(salt) > 1024:
        raise FormatError(f"{what}: scrypt salt is missing or too long")
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=memory + 2**20, dklen=32
    )


def pbkdf2_key(password: str, salt: bytes, iterations: object, hash_name: str, what: str) -> bytes:
    if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 1:
        raise FormatError(f"{what}: PBKDF2 iteration count is not a positive whole number")
    if iterations > PBKDF2_MAX_ITERATIONS:
        raise FormatError(
            f"{what}: {iterations} PBKDF2 iterations exceed our limit of {PBKDF2_MAX_ITERATIONS}"
        )
    return hashlib.pbkdf2_hmac(hash_name, password.encode("utf-8"), salt, iterations, 32)


def argon2id_key(
    password: str, salt: bytes, iterations: object, memory_mib: object, lanes: object, what: str
) -> bytes:
    values = {"iterations": iterations, "memory": memory_mib, "parallelism": lanes}
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise FormatError(f"{what}: Argon2id {name} is not a positive whole number")
    assert isinstance(iterations, int) and isinstance(memory_mib, int) and isinstance(lanes, int)
    if (
        iterations > ARGON2_MAX_ITERATIONS
        or memory_mib > ARGON2_MAX_MEMORY_MIB
        or lanes > ARGON2_MAX_LANES
    ):
        raise FormatError(
            f"{what}: Argon2id parameters exceed our limits "
            f"({ARGON2_MAX_MEMORY_MIB} MiB, {ARGON2_MAX_ITERATIONS} passes, {ARGON2_MAX_LANES} lanes)"
        )
    if memory_mib * 1024 < 8 * lanes:
        raise FormatError(f"{what}: Argon2id memory too small for its parallelism")
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    kdf = Argon2id(
        salt=salt, length=32, iterations=iterations, lanes=lanes, memory_cost=memory_mib * 1024
    )
    return kdf.derive(password.encode("utf-8"))


def gcm_open(
    key: bytes, nonce: bytes, ciphertext_and_tag: bytes, what: str, aad: bytes | None = None
) -> bytes | None:
    """AES-256-GCM decryption (the other apps use no AAD; our own export does); None when
    authentication fails (wrong password)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(nonce) < 8 or len(nonce) > 64:
        raise FormatError(f"{what}: bad AES-GCM nonce length")
    if len(ciphertext_and_tag) < 16:
        raise FormatError(f"{what}: encrypted data is truncated")
    try:
        return AESGCM(key).decrypt(nonce, ciphertext_and_tag, aad)
    except InvalidTag:
        return None


def gcm_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes | None = None) -> bytes:
    """AES-256-GCM encryption (no AAD for Aegis-compatible exports): ciphertext ‖ tag."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key).encrypt(nonce, plaintext, aad)


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
