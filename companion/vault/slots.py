"""The key slots on disk: which slots a vault has, opening one, and replacing or adding one.

keys.py holds the cryptography of a slot; this module holds its rows in `key_slots` and the rules
for master passwords (non-empty, valid UTF-8, at most 4096 characters).
"""

from __future__ import annotations

from dataclasses import replace

from companion import crypto
from companion.errors import UserError, VaultCorrupt, WrongPassword
from companion.vault import keys
from companion.vault.generation import Generation
from companion.vault.store import Store, now


class Slots:
    def __init__(self, store: Store, vault_id: str, generation: Generation):
        self.store = store
        self.vault_id = vault_id
        # Slot changes move the generation too: an older copy must not bring an old password back.
        self.gen = generation

    def rows(self, kind: str) -> list[tuple[str, str, bytes]]:
        """(slot id, params, wrapped master key) of every slot of a kind, oldest first."""
        rows = self.store.query(
            "SELECT id, params, wrapped FROM key_slots WHERE kind = ? ORDER BY created, id", (kind,)
        )
        if kind == keys.SLOT_PASSWORD and not rows:
            raise VaultCorrupt(f"{self.store.path}: the vault has no password slot")
        return rows

    def insert(self, slot: tuple[str, str, str, bytes]) -> None:
        """Write a slot made by keys.make_*_slot (inside Store.write())."""
        slot_id, kind, params, wrapped = slot
        self.store.execute(
            "INSERT INTO key_slots (id, kind, created, params, wrapped) VALUES (?, ?, ?, ?, ?)",
            (slot_id, kind, now(), params, wrapped),
        )

    def open_with_password(self, password: str) -> bytes:
        """The master key, or WrongPassword."""
        check_encodable(password)
        for slot_id, params, wrapped in self.rows(keys.SLOT_PASSWORD):
            master = keys.open_password_slot(self.vault_id, slot_id, params, wrapped, password)
            if master is not None:
                return master
        raise WrongPassword("wrong master password")

    def open_with_keyring(self) -> bytes | None:
        for slot_id, params, wrapped in self.rows(keys.SLOT_KEYRING):
            master = keys.open_keyring_slot(self.vault_id, slot_id, params, wrapped)
            if master is not None:
                return master
        return None

    def replace_password(self, master: bytes, new_password: str, kdf_ms: int | None) -> None:
        """A new password slot for the same master key; records are not touched."""
        check_password(new_password)
        slot = keys.make_password_slot(self.vault_id, master, new_password, self.next_kdf(kdf_ms))
        with self.store.write():
            self.store.execute("DELETE FROM key_slots WHERE kind = ?", (keys.SLOT_PASSWORD,))
            self.insert(slot)
            self.gen.begin()
        self.store.checkpoint_truncate()  # the old slot must not stay openable from the WAL

    def next_kdf(self, kdf_ms: int | None) -> crypto.Argon2Params:
        """Argon2id for a new password slot: tuned anew to `kdf_ms`, or (None) the current cost
        with a fresh salt."""
        if kdf_ms is not None:
            return kdf_for(kdf_ms)
        old = keys.password_slot_kdf(self.rows(keys.SLOT_PASSWORD)[0][1])
        return replace(old, salt=crypto.random_key()[:16])

    def add_keyring(self, master: bytes) -> None:
        if not self.rows(keys.SLOT_KEYRING):
            slot = keys.make_keyring_slot(self.vault_id, master)
            self.gen.seen.use_keyring = True  # from this write on, remembered there too
            with self.store.write():
                self.insert(slot)
                self.gen.begin()

    def remove_keyring(self) -> None:
        for slot_id, _params, _wrapped in self.rows(keys.SLOT_KEYRING):
            keys.forget_keyring_slot(self.vault_id, slot_id)
        with self.store.write():
            self.store.execute("DELETE FROM key_slots WHERE kind = ?", (keys.SLOT_KEYRING,))
            self.gen.begin()
        self.gen.seen.use_keyring = False
        self.gen.seen.forget_keyring()
        self.store.checkpoint_truncate()


def kdf_for(kdf_ms: int) -> crypto.Argon2Params:
    """Argon2id tuned to about `kdf_ms` here. Small budgets (tests, slow machines) use OWASP's
    floor of 19 MiB; real ones 64 MiB."""
    memory = crypto.ARGON2_MIN_MEMORY_KIB if kdf_ms < 200 else crypto.ARGON2_DEFAULT_MEMORY_KIB
    return crypto.tune_argon2(kdf_ms, memory)


def check_password(password: str) -> None:
    if not isinstance(password, str) or not password:
        raise UserError("the master password must not be empty")
    if len(password) > 4096:
        raise UserError("the master password is too long (4096 characters at most)")
    check_encodable(password)


def check_encodable(password: object) -> None:
    """A password read from a non-UTF-8 terminal or environment arrives with lone surrogates,
    which Argon2id's UTF-8 encoding would refuse with a traceback."""
    if not isinstance(password, str):
        raise UserError("the master password must be text")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(
            "the master password is not valid UTF-8 text (check the terminal's locale)"
        ) from None
