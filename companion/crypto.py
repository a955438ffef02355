"""Every cryptographic primitive the project uses, in one place.

AES-256-GCM for sealing (a fresh random 96-bit nonce per call, stored in front of the ciphertext),
Argon2id for passwords, HKDF-SHA256 and HMAC-SHA256 for the pairing protocol. All from `cryptography`.
"""

from __future__ import annotations

import hmac
import os
import time
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16

# OWASP's floor for Argon2id: 19 MiB and 2 passes. Slots below it are refused, whatever a file says.
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MIN_ITERATIONS = 2
# A hostile or corrupted slot must not make unlocking take minutes or gigabytes.
ARGON2_MAX_MEMORY_KIB = 1024 * 1024  # 1 GiB; we write 64 MiB
ARGON2_MAX_ITERATIONS = 64
ARGON2_LANES = 4
ARGON2_DEFAULT_MEMORY_KIB = 64 * 1024


class DecryptError(Exception):
    """A ciphertext failed authentication: wrong key, tampered bytes or a record moved elsewhere."""


def random_key() -> bytes:
    return os.urandom(KEY_BYTES)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM: nonce ‖ ciphertext ‖ tag. The AAD binds the ciphertext to where it belongs."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Reverse of seal(); raises DecryptError on any mismatch."""
    if not isinstance(blob, bytes | bytearray | memoryview) or len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptError("ciphertext too short")
    blob = bytes(blob)
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptError("authentication failed") from None


@dataclass(frozen=True)
class Argon2Params:
    salt: bytes
    memory_kib: int = ARGON2_DEFAULT_MEMORY_KIB
    iterations: int = 3
    lanes: int = ARGON2_LANES

    def to_json(self) -> dict:
        d = asdict(self)
        d["salt"] = self.salt.hex()
        return d

    @classmethod
    def from_json(cls, d: dict) -> Argon2Params:
        params = cls(
            salt=bytes.fromhex(d["salt"]),
            memory_kib=int(d["memory_kib"]),
            iterations=int(d["iterations"]),
            lanes=int(d["lanes"]),
        )
        params.check()
        return params

    def check(self) -> None:
        if not ARGON2_MIN_MEMORY_KIB <= self.memory_kib <= ARGON2_MAX_MEMORY_KIB:
            raise ValueError("Argon2id memory outside the allowed range")
        if not ARGON2_MIN_ITERATIONS <= self.iterations <= ARGON2_MAX_ITERATIONS:
            raise ValueError("Argon2id passes outside the allowed range")
        if not 1 <= self.lanes <= 16 or len(self.salt) < 16:
            raise ValueError("Argon2id lanes or salt invalid")
        if self.memory_kib < 8 * self.lanes:
            raise ValueError("Argon2id memory too small for its lanes")


def derive_password_key(password: str, params: Argon2Params) -> bytes:
    """Argon2id(password) → 256-bit key-encryption key."""
    params.check()
    kdf = Argon2id(
        salt=params.salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(password.encode("utf-8"))


def tune_argon2(target_ms: int, memory_kib: int = ARGON2_DEFAULT_MEMORY_KIB) -> Argon2Params:
    """Pick passes so that one derivation takes about `target_ms` on this machine
    (like keepassxc-cli's --decryption-time); never below OWASP's floor."""
    probe = Argon2Params(os.urandom(16), memory_kib, ARGON2_MIN_ITERATIONS)
    start = time.perf_counter()
    derive_password_key("calibration", probe)
    per_pass = max((time.perf_counter() - start) / ARGON2_MIN_ITERATIONS, 1e-4)
    passes = round(target_ms / 1000 / per_pass)
    passes = max(ARGON2_MIN_ITERATIONS, min(ARGON2_MAX_ITERATIONS, passes))
    return Argon2Params(os.urandom(16), memory_kib, passes)


def hkdf_sha256(secret: bytes, salt: bytes, info: bytes, length: int = KEY_BYTES) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, "sha256").digest()


def equal(a: bytes | str, b: bytes | str) -> bool:
    """Constant-time comparison for MACs, codes and tokens."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    return hmac.compare_digest(a, b)


# -- team mode: HPKE (RFC 9180) sealed boxes and Ed25519 signatures ------------------------------
# Base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM (docs/team-format.md). The
# `info` string binds a wrapped key to its team, unit, epoch and recipient.


def _hpke_suite():
    from cryptography.hazmat.primitives import hpke

    return hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def x25519_generate() -> tuple[bytes, bytes]:
    """(private, public) raw 32-byte X25519 keys."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    key = X25519PrivateKey.generate()
    return key.private_bytes_raw(), key.public_key().public_bytes_raw()


def hpke_seal(recipient_public: bytes, plaintext: bytes, info: bytes) -> bytes:
    """enc (32 bytes) ‖ AES-256-GCM ciphertext ‖ tag, to one X25519 public key."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    try:
        public = X25519PublicKey.from_public_bytes(bytes(recipient_public))
    except ValueError:
        raise DecryptError("not an X25519 public key") from None
    return _hpke_suite().encrypt(plaintext, public, info=info)


def hpke_open(private: bytes, blob: bytes, info: bytes) -> bytes:
    """Reverse of hpke_seal(); raises DecryptError on a wrong key, info or tampered blob."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    try:
        key = X25519PrivateKey.from_private_bytes(bytes(private))
        return _hpke_suite().decrypt(bytes(blob), key, info=info)
    except Exception:  # InvalidTag, short blob, bad enc: all the same to a caller
        raise DecryptError("sealed box does not open") from None


def ed25519_generate() -> tuple[bytes, bytes]:
    """(private, public) raw 32-byte Ed25519 keys."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    return key.private_bytes_raw(), key.public_key().public_bytes_raw()


def ed25519_public(private: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def ed25519_sign(private: bytes, message: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(private).sign(message)


def ed25519_verify(public: bytes, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(bytes(public)).verify(bytes(signature), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def sha256(data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes as _hashes

    digest = _hashes.Hash(_hashes.SHA256())
    digest.update(data)
    return digest.finalize()
