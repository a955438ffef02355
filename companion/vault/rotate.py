"""Key rotation: one customer's data key, or every key of the vault (`otpc passwd --rotate-keys`).

Rotating everything (issue 9.9) is for when a key may have leaked: a laptop that held the vault
unlocked was compromised (its memory held the master key), a keyring item or a copy of the file
and the password leaked. A new password alone would not help: it only rewraps the same master key.
Here a new master key and a new epoch of every customer key are made, every record, audit row and
the sealed generation are re-sealed, the old key slots are overwritten then deleted, all in one
transaction; then VACUUM and a WAL truncate leave no old page, ciphertext or wrapped key in the
file or its WAL (docs/vault-format.md §3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from companion import crypto
from companion.errors import VaultCorrupt
from companion.vault import keys
from companion.vault.records import CUSTOMER, ENTRY, OTP
from companion.vault.slots import check_password

if TYPE_CHECKING:
    from companion.vault.vault import Vault

AUDIT_NO_UPDATE = (  # as in store.SCHEMA
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
)


def rotate_customer_key(vault: Vault, ref: str) -> int:
    """Give a customer a fresh data key (the next epoch) and re-seal its records under it."""
    r, store = vault._r, vault.store
    cust = vault.customer(ref)
    old = r.epoch[cust.id]
    with store.write():
        rows = [(kind, r.of_kind(kind, cust.id)) for kind in (CUSTOMER, ENTRY, OTP)]
        r.new_customer_key(cust.id, old + 1)
        for kind, records in rows:
            for rid, cid, created, _updated, content in records:
                r.put(kind, rid, cid, content, created=created)
        _erase_customer_keys("customer_id = ? AND epoch <= ?", (cust.id, old), store)
    r.load_customer_keys()
    store.checkpoint_truncate()
    return old + 1


def rotate_all_keys(vault: Vault, new_password: str, kdf_ms: int | None) -> bool:
    """New master key, customer keys, password slot (and keyring slot); everything re-sealed; the
    old keys erased. Returns False if another process kept the file from being compacted (the
    old keys are then unusable but old pages may remain until the next VACUUM)."""
    check_password(new_password)
    r, gen, slots, store = vault._r, vault._gen, vault._slots, vault.store
    old_master = r.need()
    new_master = crypto.random_key()
    # The slow and fallible parts (Argon2id, the OS keyring) before the transaction.
    password_slot = keys.make_password_slot(
        vault.vault_id, new_master, new_password, slots.next_kdf(kdf_ms)
    )
    old_keyring = slots.rows(keys.SLOT_KEYRING)
    keyring_slot = keys.make_keyring_slot(vault.vault_id, new_master) if old_keyring else None
    saved = r.key_state()
    try:
        with store.write():
            gen.begin()  # reads the sealed state with the old key; sealed with the new at commit
            records = [(kind, r.of_kind(kind)) for kind in (CUSTOMER, ENTRY, OTP)]
            audit = _read_audit(vault, old_master)
            epochs = dict(r.epoch)
            r.master = gen.master = new_master
            for cid, epoch in epochs.items():
                r.new_customer_key(cid, epoch + 1)
            for kind, rows in records:
                for rid, cid, created, _updated, content in rows:
                    r.put(kind, rid, cid, content, created=created)
            _reseal_audit(vault, new_master, audit)
            for cid, epoch in epochs.items():
                _erase_customer_keys("customer_id = ? AND epoch <= ?", (cid, epoch), store)
            store.execute("UPDATE key_slots SET wrapped = zeroblob(length(wrapped)), params = ''")
            store.execute("DELETE FROM key_slots")
            slots.insert(password_slot)
            if keyring_slot is not None:
                slots.insert(keyring_slot)
    except BaseException:
        r.master = gen.master = old_master
        r.restore_key_state(saved)
        if keyring_slot is not None:
            keys.forget_keyring_slot(vault.vault_id, keyring_slot[0])
        raise
    for slot_id, _params, _wrapped in old_keyring:
        keys.forget_keyring_slot(vault.vault_id, slot_id)
    r.load_customer_keys()
    return store.compact()


def _erase_customer_keys(where: str, args: tuple, store) -> None:
    """Overwrite, then delete (secure_delete zeroes the freed cells as well)."""
    store.execute(
        f"UPDATE customer_keys SET wrapped = zeroblob(length(wrapped)) WHERE {where}", args
    )
    store.execute(f"DELETE FROM customer_keys WHERE {where}", args)


def _read_audit(vault: Vault, master: bytes) -> list[tuple[int, float, bytes]]:
    rows = vault.store.query("SELECT seq, ts, sealed FROM audit ORDER BY seq")
    out = []
    for seq, ts, blob in rows:
        try:
            out.append((seq, ts, crypto.unseal(master, blob, keys.audit_aad(vault.vault_id, seq, ts))))
        except crypto.DecryptError:
            raise VaultCorrupt(
                f"{vault.path}: audit record {seq} is damaged or was tampered with"
            ) from None
    return out


def _reseal_audit(vault: Vault, master: bytes, rows: list[tuple[int, float, bytes]]) -> None:
    """The audit log is append-only by trigger; a rotation is the one rewrite it gets, inside the
    same transaction that drops and recreates the triggers."""
    store = vault.store
    store.execute("DROP TRIGGER audit_no_update")
    for seq, ts, plain in rows:
        blob = crypto.seal(master, plain, keys.audit_aad(vault.vault_id, seq, ts))
        store.execute("UPDATE audit SET sealed = ? WHERE seq = ?", (blob, seq))
    store.execute(AUDIT_NO_UPDATE)
