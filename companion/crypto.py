"""Every cryptographic primitive the project uses, in one place.

AES-256-GCM for sealing (a fresh random 96-bit nonce per call, stored in front of the ciphertext),
Argon2id for passwords, HKDF-SHA256 and HMAC-SHA256 for the pairing protocol. All from `cryptography`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Callable
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


def sealer(key: bytes) -> Callable[[bytes, bytes], bytes]:
    """seal() with `key` fixed, for sealing many records in a row (imports): the cipher is set up
    once, and every call still draws its own random nonce."""
    aead = AESGCM(key)

    def seal_one(plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + aead.encrypt(nonce, plaintext, aad)

    return seal_one


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


def time_derivation(params: Argon2Params) -> float:
    """Seconds one Argon2id derivation with `params` takes here (one sample)."""
    start = time.perf_counter()
    derive_password_key("calibration", params)
    return time.perf_counter() - start


def tune_argon2(
    target_ms: int,
    memory_kib: int = ARGON2_DEFAULT_MEMORY_KIB,
    *,
    samples: int = 5,
    timer=time_derivation,
) -> Argon2Params:
    """Pick passes so that one derivation takes about `target_ms` on this machine (like
    keepassxc-cli's --decryption-time); never below OWASP's floor.

    One sample was not enough: a busy moment during it gave a vault ~0.15 s instead of ~0.5 s.
    So each probe is the median of `samples` runs, and the cost is fitted as a + b·passes from
    probes at 2 and 4 passes: allocating the memory is a fixed cost (a third of a 2-pass run at
    64 MiB here) that scaling from one probe through the origin counted as per-pass time.
    `timer(params)` returns the seconds of one derivation (tests inject a noisy one)."""
    import statistics

    target = target_ms / 1000
    floor = ARGON2_MIN_ITERATIONS
    probe_lo = Argon2Params(os.urandom(16), memory_kib, floor)
    probe_hi = Argon2Params(os.urandom(16), memory_kib, floor * 2)
    lows: list[float] = []
    for _ in range(samples):
        lows.append(timer(probe_lo))
        # Once most samples are over the target the median is too: the floor it is, and tests
        # (which ask for 1 ms) do not pay for the remaining runs.
        if sum(t >= target for t in lows) > samples // 2:
            return Argon2Params(os.urandom(16), memory_kib, floor)
    t_lo = statistics.median(lows)
    t_hi = statistics.median(timer(probe_hi) for _ in range(samples))
    per_pass = (t_hi - t_lo) / floor
    fixed = t_lo - floor * per_pass
    if per_pass <= 0 or fixed < 0:  # noise bigger than the signal: scale through the origin
        per_pass, fixed = max(t_lo / floor, 1e-4), 0.0
    passes = round((target - fixed) / per_pass)
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


def ed25519_signer(private: bytes):
    """A loaded signing key (its `.sign(message)` gives the 64-byte signature): for signing
    thousands of records in a row (a rotation) without loading the key each time."""
    return _Ed25519Signer(private)


class _Ed25519Signer:
    # libsodium (PyNaCl, the `team` extra, the only user of Ed25519): 1.5x OpenSSL's signing speed
    # on this project's machines; signatures are the same bytes (Ed25519 is deterministic)
    def __init__(self, private: bytes) -> None:
        from nacl.bindings import crypto_sign_seed_keypair

        self._secret = crypto_sign_seed_keypair(bytes(private))[1]

    def sign(self, message: bytes) -> bytes:
        from nacl.bindings import crypto_sign

        return crypto_sign(message, self._secret)[:64]


def ed25519_sign(private: bytes, message: bytes) -> bytes:
    return ed25519_signer(private).sign(message)


def ed25519_verify(public: bytes, signature: bytes, message: bytes) -> bool:
    """libsodium's verification (PyNaCl, the `team` extra): twice OpenSSL's speed here, and a
    member's first team sync verifies one signature per record. libsodium is the stricter of the
    two (it refuses small-order keys and non-canonical signatures), never the laxer."""
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import CryptoError

    signature = bytes(signature)
    if len(signature) != 64:
        return False
    try:
        crypto_sign_open(signature + bytes(message), bytes(public))
    except (CryptoError, ValueError, TypeError):
        return False
    return True


def ed25519_verify_many(items: list[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """ed25519_verify over many (public, signature, message), in order, on every core this process
    may use: libsodium releases the GIL while it verifies (a first team sync checks thousands)."""
    affinity = getattr(os, "sched_getaffinity", None)  # Linux; elsewhere every core counts
    workers = min(len(affinity(0)) if affinity else (os.cpu_count() or 1), 8)
    if workers < 2 or len(items) < 256:
        return [ed25519_verify(*item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    size = -(-len(items) // workers)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with ThreadPoolExecutor(workers) as pool:
        parts = pool.map(lambda chunk: [ed25519_verify(*item) for item in chunk], chunks)
        return [ok for part in parts for ok in part]


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()

# --- Other apps' files: key derivation with caps, and AES-GCM with the caller's nonce --------------
# A hostile export must not make us spend minutes or gigabytes: each KDF parameter a file sets is
# checked against a ceiling well above what the source apps write, before any work is done.

# Aegis writes N=2^15, r=8, p=1 (32 MiB). Allow up to 256 MiB of scrypt memory and 2^24 total work.
SCRYPT_MAX_MEMORY = 256 * 1024 * 1024
SCRYPT_MAX_WORK = 2**24  # N * r * p
SCRYPT_MAX_P = 16
# andOTP writes 140k–160k PBKDF2-SHA1 iterations; Bitwarden up to 2M PBKDF2-SHA256.
PBKDF2_MAX_ITERATIONS = 5_000_000
# Bitwarden allows Argon2id up to 1 GiB, 10 iterations, 16 threads.
FILE_ARGON2_MAX_MEMORY_MIB = 1024
FILE_ARGON2_MAX_ITERATIONS = 10
FILE_ARGON2_MAX_LANES = 16


class KdfLimitError(Exception):
    """A file asks for key derivation beyond our caps, or with nonsensical parameters.
    The message says which limit; callers prefix it with the kind of file."""


def _positive(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise KdfLimitError(f"{name} is not a positive whole number")
    return value


def scrypt_capped(password: str, salt: bytes, n: object, r: object, p: object) -> bytes:
    n, r, p = _positive(n, "scrypt N"), _positive(r, "scrypt r"), _positive(p, "scrypt p")
    if n < 2 or n & (n - 1):
        raise KdfLimitError("scrypt N must be a power of two")
    memory = 128 * n * r
    if memory > SCRYPT_MAX_MEMORY or n * r * p > SCRYPT_MAX_WORK or p > SCRYPT_MAX_P:
        raise KdfLimitError(
            f"scrypt parameters (N={n}, r={r}, p={p}) exceed our limits "
            "(256 MiB, N·r·p ≤ 2^24); refusing to spend that much"
        )
    if not salt or len(salt) > 1024:
        raise KdfLimitError("scrypt salt is missing or too long")
    import hashlib

    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=memory + 2**20, dklen=32
    )


def pbkdf2_capped(password: str, salt: bytes, iterations: object, hash_name: str) -> bytes:
    iterations = _positive(iterations, "PBKDF2 iteration count")
    if iterations > PBKDF2_MAX_ITERATIONS:
        raise KdfLimitError(
            f"{iterations} PBKDF2 iterations exceed our limit of {PBKDF2_MAX_ITERATIONS:,}"
        )
    import hashlib

    return hashlib.pbkdf2_hmac(hash_name, password.encode("utf-8"), salt, iterations, 32)


def argon2id_capped(
    password: str, salt: bytes, iterations: object, memory_mib: object, lanes: object
) -> bytes:
    iterations = _positive(iterations, "Argon2id iterations")
    memory_mib = _positive(memory_mib, "Argon2id memory")
    lanes = _positive(lanes, "Argon2id parallelism")
    if (
        iterations > FILE_ARGON2_MAX_ITERATIONS
        or memory_mib > FILE_ARGON2_MAX_MEMORY_MIB
        or lanes > FILE_ARGON2_MAX_LANES
    ):
        raise KdfLimitError(
            f"Argon2id parameters exceed our limits ({FILE_ARGON2_MAX_MEMORY_MIB} MiB, "
            f"{FILE_ARGON2_MAX_ITERATIONS} passes, {FILE_ARGON2_MAX_LANES} lanes)"
        )
    if memory_mib * 1024 < 8 * lanes:
        raise KdfLimitError("Argon2id memory too small for its parallelism")
    kdf = Argon2id(
        salt=salt, length=32, iterations=iterations, lanes=lanes, memory_cost=memory_mib * 1024
    )
    return kdf.derive(password.encode("utf-8"))


def gcm_open(key: bytes, nonce: bytes, ciphertext_and_tag: bytes, aad: bytes | None = None):
    """AES-256-GCM with the file's own nonce (other apps use no AAD); None when authentication
    fails, which for a password-derived key means a wrong password or a damaged file."""
    if not 8 <= len(nonce) <= 64 or len(ciphertext_and_tag) < TAG_BYTES:
        return None
    try:
        return AESGCM(key).decrypt(nonce, ciphertext_and_tag, aad)
    except InvalidTag:
        return None


def gcm_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes | None = None) -> bytes:
    """AES-256-GCM with a caller-chosen (fresh random) nonce: ciphertext ‖ tag."""
    return AESGCM(key).encrypt(nonce, plaintext, aad)


# libsodium's crypto_pwhash (Argon2id v1.3, one lane, memlimit in bytes), as Ente Auth writes it.
# Ente starts at libsodium's "sensitive" cost (1 GiB, 4 passes) and on smaller phones halves the
# memory while doubling the passes, keeping memory × passes constant: cap both the memory and
# that product, not the pass count alone.
SODIUM_MAX_MEMLIMIT = 1024 * 1024 * 1024
SODIUM_MAX_WORK = SODIUM_MAX_MEMLIMIT * 4  # bytes × passes
SODIUM_MIN_MEMLIMIT = 8 * 1024


def sodium_argon2id_capped(password: str, salt: bytes, opslimit: object, memlimit: object) -> bytes:
    ops = _positive(opslimit, "Argon2id opsLimit")
    mem = _positive(memlimit, "Argon2id memLimit")
    if mem > SODIUM_MAX_MEMLIMIT or mem * ops > SODIUM_MAX_WORK:
        raise KdfLimitError(
            f"Argon2id parameters (memLimit {mem:,} bytes, opsLimit {ops}) exceed our limits "
            "(1 GiB, and memory × passes at most 1 GiB × 4, what Ente writes)"
        )
    if mem < SODIUM_MIN_MEMLIMIT or len(salt) != 16:
        raise KdfLimitError("Argon2id memLimit below libsodium's minimum, or a salt that is not 16 bytes")
    kdf = Argon2id(salt=salt, length=32, iterations=ops, lanes=1, memory_cost=mem // 1024)
    return kdf.derive(password.encode("utf-8"))


def secretstream_open(key: bytes, header: bytes, ciphertext: bytes) -> bytes | None:
    """One message of libsodium's crypto_secretstream_xchacha20poly1305 (what Ente Auth seals its
    export with; the message may carry the MESSAGE or the FINAL tag). None when authentication
    fails. PyNaCl wraps libsodium itself: the construction is not re-implemented here."""
    from nacl import bindings
    from nacl.exceptions import CryptoError
    from nacl.exceptions import ValueError as NaclValueError

    if len(header) != bindings.crypto_secretstream_xchacha20poly1305_HEADERBYTES:
        return None
    if len(ciphertext) < bindings.crypto_secretstream_xchacha20poly1305_ABYTES:
        return None
    state = bindings.crypto_secretstream_xchacha20poly1305_state()
    try:
        bindings.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
        plain, _tag = bindings.crypto_secretstream_xchacha20poly1305_pull(state, ciphertext)
    except (CryptoError, NaclValueError):
        return None
    return plain


def cbc_pkcs7_open(key: bytes, iv: bytes, ciphertext: bytes) -> bytes | None:
    """AES-CBC with PKCS#7 padding and no MAC (legacy formats only). None for a wrong length or
    bad padding, which is all a wrong key can be told by."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if len(iv) != 16 or not ciphertext or len(ciphertext) % 16:
        return None
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        return None
