"""The key hierarchy: master key ← key slots (password, OS keyring); customer keys ← master key.

Every wrap is AES-256-GCM with an AAD naming the vault, the kind of key and its place, so a wrapped
key copied into another slot, another customer or another vault fails to open (docs/vault-format.md).
"""

from __future__ import annotations

import json
import uuid

from companion import crypto
from companion.errors import UserError

FORMAT_TAG = "otpc-v1"
SLOT_PASSWORD = "password"
SLOT_KEYRING = "keyring"
KEYRING_SERVICE = "otp-companion"


def aad(vault_id: str, *parts: object) -> bytes:
    """`otpc-v1|<vault id>|<part>|<part>...` — what a ciphertext is bound to."""
    return "|".join([FORMAT_TAG, vault_id, *(str(p) for p in parts)]).encode()


def _slot_aad(vault_id: str, slot_id: str, kind: str, params: str) -> bytes:
    return aad(vault_id, "slot", slot_id, kind, params)


# -- password slot ----------------------------------------------------------------------------


def make_password_slot(
    vault_id: str, master_key: bytes, password: str, kdf: crypto.Argon2Params
) -> tuple[str, str, str, bytes]:
    """Return (slot id, kind, params JSON, wrapped master key)."""
    slot_id = uuid.uuid4().hex
    params = json.dumps({"kdf": "argon2id", **kdf.to_json()}, sort_keys=True)
    kek = crypto.derive_password_key(password, kdf)
    wrapped = crypto.seal(kek, master_key, _slot_aad(vault_id, slot_id, SLOT_PASSWORD, params))
    return slot_id, SLOT_PASSWORD, params, wrapped


def password_slot_kdf(params: str) -> crypto.Argon2Params:
    try:
        data = json.loads(params)
        if data.get("kdf") != "argon2id":
            raise ValueError("unknown KDF")
        return crypto.Argon2Params.from_json(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"the vault's password slot is damaged ({exc})") from None


def open_password_slot(
    vault_id: str, slot_id: str, params: str, wrapped: bytes, password: str
) -> bytes | None:
    """The master key, or None if the password does not open this slot."""
    kek = crypto.derive_password_key(password, password_slot_kdf(params))
    try:
        return crypto.unseal(kek, wrapped, _slot_aad(vault_id, slot_id, SLOT_PASSWORD, params))
    except crypto.DecryptError:
        return None


# -- OS keyring slot --------------------------------------------------------------------------


def _keyring_module():
    try:
        import keyring
        import keyring.errors
    except Exception as exc:  # an unusable keyring install must not become a traceback
        raise UserError(f"the OS keyring is not available ({type(exc).__name__})") from None
    return keyring


def _keyring_account(vault_id: str, slot_id: str) -> str:
    return f"vault-{vault_id}-slot-{slot_id}"


def make_keyring_slot(vault_id: str, master_key: bytes) -> tuple[str, str, str, bytes]:
    """Store a random slot key in the OS keyring; wrap the master key under it."""
    keyring = _keyring_module()
    slot_id = uuid.uuid4().hex
    slot_key = crypto.random_key()
    params = json.dumps(
        {"service": KEYRING_SERVICE, "account": _keyring_account(vault_id, slot_id)}
    )
    try:
        keyring.set_password(KEYRING_SERVICE, _keyring_account(vault_id, slot_id), slot_key.hex())
    except Exception as exc:
        raise UserError(
            "no usable OS keyring on this machine (e.g. no Secret Service or KWallet running); "
            f"the vault stays password-only ({type(exc).__name__})"
        ) from None
    wrapped = crypto.seal(slot_key, master_key, _slot_aad(vault_id, slot_id, SLOT_KEYRING, params))
    return slot_id, SLOT_KEYRING, params, wrapped


def open_keyring_slot(vault_id: str, slot_id: str, params: str, wrapped: bytes) -> bytes | None:
    """The master key, or None if the keyring has no (or a wrong) slot key."""
    try:
        keyring = _keyring_module()
        stored = keyring.get_password(KEYRING_SERVICE, _keyring_account(vault_id, slot_id))
    except Exception:
        return None
    if not stored:
        return None
    try:
        slot_key = bytes.fromhex(stored)
        return crypto.unseal(slot_key, wrapped, _slot_aad(vault_id, slot_id, SLOT_KEYRING, params))
    except (ValueError, crypto.DecryptError):
        return None


def forget_keyring_slot(vault_id: str, slot_id: str) -> None:
    try:
        keyring = _keyring_module()
        keyring.delete_password(KEYRING_SERVICE, _keyring_account(vault_id, slot_id))
    except Exception:  # already gone, or no backend: nothing left to forget
        pass


# -- customer keys ----------------------------------------------------------------------------


def wrap_customer_key(
    vault_id: str, master_key: bytes, customer_id: str, epoch: int, key: bytes
) -> bytes:
    return crypto.seal(master_key, key, aad(vault_id, "customer-key", customer_id, epoch))


def unwrap_customer_key(
    vault_id: str, master_key: bytes, customer_id: str, epoch: int, wrapped: bytes
) -> bytes:
    return crypto.unseal(master_key, wrapped, aad(vault_id, "customer-key", customer_id, epoch))


def record_aad(
    vault_id: str,
    kind: str,
    record_id: str,
    customer_id: str,
    epoch: int,
    created: int,
    updated: int,
    version: int | None,
) -> bytes:
    """Format 2 binds the record's version (the vault generation that wrote it); format 1 had
    none (version None: read only while migrating a format-1 vault)."""
    # aad(vault_id, "record", kind, record_id, ...) spelled out: every record sealed or opened
    # comes through here (10,000 per large import, as many per unlock).
    text = f"{FORMAT_TAG}|{vault_id}|record|{kind}|{record_id}|{customer_id}|{epoch}|{created}|{updated}"
    return (text if version is None else f"{text}|{version}").encode()


def audit_aad(vault_id: str, seq: int, ts: float) -> bytes:
    return aad(vault_id, "audit", seq, repr(float(ts)))
