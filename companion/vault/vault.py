"""The Vault API everyone else calls: create/open/unlock/lock, CRUD, search, codes, audit.

Sealing and caching live in records.py, key slots in keys.py and slots.py, SQLite in store.py,
rollback detection in generation.py, key rotation in rotate.py, the OTP methods in otps.py, entry
creation (add_entry, add_entries) in entries.py; this module decides what may happen (names unique per
customer, every reveal audited).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from companion import crypto
from companion.errors import NotFound, UserError, VaultCorrupt
from companion.vault import keys, migrate, rotate, sites
from companion.vault.entries import EntryCreation, EntryRefused  # noqa: F401 (a public name here)
from companion.vault.generation import Generation
from companion.vault.model import AuditEvent, Customer, Entry
from companion.vault.otps import OtpMethods
from companion.vault.records import CUSTOMER, ENTRY, OTP, Records
from companion.vault.slots import Slots, check_password, kdf_for
from companion.vault.store import FORMAT_VERSION, Store, now
from companion.vault.validate import clean_name, clean_text, clean_urls, haystack, shown

ENTRY_FIELDS = {"title", "username", "password", "urls", "notes", "tags"}


class Vault(EntryCreation, OtpMethods):
    def __init__(self, store: Store):
        self.store = store
        self.path = store.path
        self.vault_id = store.meta().get("vault_id", "")
        if len(self.vault_id) != 32 or not self.vault_id.isalnum():
            raise VaultCorrupt(f"{self.path}: vault header damaged (vault id)")
        self._gen = Generation(store, self.vault_id)
        self._r = Records(store, self.vault_id, self._gen)
        self._slots = Slots(store, self.vault_id, self._gen)
        # Unlocking an older copy of the file (a rollback) is refused unless this is set.
        self.accept_rollback = False

    # -- lifecycle -------------------------------------------------------------------------------

    @staticmethod
    def exists(path: str | Path) -> bool:
        return Path(path).is_file()

    @classmethod
    def create(cls, path: str | Path, password: str, *, kdf_ms: int = 500) -> Vault:
        check_password(password)
        path = Path(path).expanduser().resolve()
        if path.exists():
            raise UserError(f"a vault already exists at {path}")
        vault_id = uuid.uuid4().hex
        master = crypto.random_key()
        # The slot (the slow, fallible part) is made before the file: a failure leaves no vault
        # without a password slot behind.
        slot = keys.make_password_slot(vault_id, master, password, kdf_for(kdf_ms))
        store = Store.create(path, {"vault_id": vault_id, "created": str(now())})
        try:
            vault = cls(store)
            vault._gen.master = master
            with store.write():
                vault._slots.insert(slot)
                vault._gen.start(1, 0)
        except BaseException:
            store.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            raise
        vault._r.unlock(master)
        return vault

    @classmethod
    def open(cls, path: str | Path, *, accept_rollback: bool = False) -> Vault:
        store = Store.open(Path(path).expanduser().resolve())
        from companion.vault.team_store import has_team

        if cls is Vault and has_team(store):  # a team member's: its entries join ours (team.md)
            from companion.team.teamvault import TeamVault

            vault = TeamVault(store)
        else:
            vault = cls(store)
        vault.accept_rollback = accept_rollback
        return vault

    @property
    def is_locked(self) -> bool:
        return self._r.master is None

    def unlock(self, password: str) -> None:
        self._unlock(self._slots.open_with_password(password))

    def unlock_with_keyring(self) -> bool:
        """Unlock through the OS-keyring slot; False when there is none or it does not open."""
        master = self._slots.open_with_keyring()
        if master is not None:
            self._unlock(master)
        return master is not None

    def _unlock(self, master: bytes) -> None:
        """Load the keys, upgrade an older format, then refuse a rolled-back file (exit 4)
        unless accept_rollback (generation.py)."""
        self._r.unlock(master)
        try:
            self._gen.master = master
            if migrate.format_of(self._r) < FORMAT_VERSION:
                self._gen.refuse_if_older_than_seen(0, self.accept_rollback)
                migrate.upgrade(self._r, self._gen)
            self._gen.unlock(master, accept_rollback=self.accept_rollback)
        except BaseException:
            self.lock()
            raise

    @property
    def rollback_accepted(self) -> str | None:
        """What the last unlock accepted (e.g. "vault rolled back: generation 3, last seen 5")."""
        return self._gen.accepted

    @property
    def generation(self) -> int:
        """The highest vault generation this process has seen (0 while locked and unseen)."""
        return self._gen.known

    def lock(self) -> None:
        """Drop every key and every decrypted record from memory."""
        self._r.lock()
        self._gen.lock()

    def close(self) -> None:
        self.lock()
        self.store.close()

    # -- keys ----------------------------------------------------------------------------------------

    def change_password(self, new_password: str, *, kdf_ms: int | None = None) -> None:
        """Rewrap the master key under a new password slot; records are not touched."""
        self._slots.replace_password(self._r.need(), new_password, kdf_ms)

    def describe(self) -> dict:
        """What `otpc status` shows; needs no key: the header, the password slot's Argon2id
        parameters (plaintext by design: they are needed to unlock) and this machine's memory."""
        meta = self.store.meta()
        kdf = keys.password_slot_kdf(self._slots.rows(keys.SLOT_PASSWORD)[0][1])
        self._gen.seen.use_keyring = self.keyring_enabled
        return {
            "path": str(self.path),
            "vault_id": self.vault_id,
            "format": int(meta.get("format", "0")),
            "created": int(meta.get("created", "0")),
            "kdf": {"algorithm": "argon2id", "memory_kib": kdf.memory_kib,
                    "iterations": kdf.iterations, "lanes": kdf.lanes},
            "keyring_enabled": self.keyring_enabled,
            "generation_last_seen": max(self._gen.seen.load().generation, self._gen.known),
            "state_file": str(self._gen.seen.path),
        }

    def derive_key(self, purpose: str) -> bytes:
        """A 32-byte key for `purpose` (HKDF-SHA256 of the master key, salt the vault id, a label
        per purpose), so the companion can authenticate its side files (the paired-clients file)
        under a key only the unlocked vault has, without holding the master key. Locked raises.
        It changes with the master key: whoever rotates that re-seals what it protects."""
        info = b"OTPC1-VAULT-DERIVED\n" + purpose.encode()
        return crypto.hkdf_sha256(self._r.need(), self.vault_id.encode(), info)

    @property
    def keyring_enabled(self) -> bool:
        return bool(self._slots.rows(keys.SLOT_KEYRING))

    def enable_keyring(self) -> None:
        self._slots.add_keyring(self._r.need())

    def disable_keyring(self) -> None:
        self._slots.remove_keyring()

    def rotate_customer_key(self, ref: str) -> int:
        """Give a customer a fresh data key (the next epoch) and re-seal its records under it."""
        return rotate.rotate_customer_key(self, ref)

    def rotate_keys(self, new_password: str, *, kdf_ms: int | None = None) -> bool:
        """New master key, customer keys and slots; everything re-sealed; old keys erased
        (rotate.py). False if another process kept the file from being compacted."""
        return rotate.rotate_all_keys(self, new_password, kdf_ms)

    # -- customers -------------------------------------------------------------------------------

    def customers(self) -> list[Customer]:
        return sorted(
            self._r.snapshot().customers.values(), key=lambda c: (c.name.casefold(), c.id)
        )

    def customer(self, ref: str) -> Customer:
        found = self._r.snapshot().find_customer(ref)
        if found is None:
            raise NotFound(f"no customer {shown(ref)}")
        return found

    def _name_taken(self, name: str, but: str | None = None) -> bool:
        found = self._r.snapshot().customer_named(name)
        return found is not None and found.id != but

    def add_customer(self, name: str, notes: str = "") -> Customer:
        name = clean_name(name, "customer name")
        if self._name_taken(name):
            raise UserError(f"a customer named {shown(name)} already exists")
        cid = uuid.uuid4().hex
        with self.store.write():
            self._r.new_customer_key(cid, 1)
            self._r.put(CUSTOMER, cid, cid, {"name": name, "notes": clean_text(notes, "notes")})
        return self.customer(cid)

    def update_customer(
        self, ref: str, *, name: str | None = None, notes: str | None = None
    ) -> Customer:
        cust = self.customer(ref)
        new_name = cust.name if name is None else clean_name(name, "customer name")
        if self._name_taken(new_name, but=cust.id):
            raise UserError(f"a customer named {shown(new_name)} already exists")
        new_notes = cust.notes if notes is None else clean_text(notes, "notes")
        with self.store.write():
            self._r.put(
                CUSTOMER,
                cust.id,
                cust.id,
                {"name": new_name, "notes": new_notes},
                created=cust.created,
            )
        return self.customer(cust.id)

    def remove_customer(self, ref: str, *, force: bool = False, actor: str = "cli") -> None:
        cust = self.customer(ref)
        owned = [e for e in self._r.snapshot().entries.values() if e.customer_id == cust.id]
        if owned and not force:
            raise UserError(
                f"customer {shown(cust.name)} has {len(owned)} entries: "
                "remove them first, or use --force to remove them too"
            )
        with self.store.write():
            for e in owned:
                if e.has_otp:
                    self._r.append_audit("otp_remove", e, actor, "customer removed")
                    self._gen.hotp_reset(e.id, None)
            self._r.delete("customer_id = ?", (cust.id,))
            self.store.execute("DELETE FROM customer_keys WHERE customer_id = ?", (cust.id,))
        self._r.load_customer_keys()
        self.store.checkpoint_truncate()

    # -- entries ---------------------------------------------------------------------------------

    def entries(
        self,
        *,
        customer: str | None = None,
        search: str | None = None,
        customer_ids: Collection[str] | None = None,
    ) -> list[Entry]:
        found = list(self._r.snapshot().entries.values())
        if customer is not None:
            cid = self.customer(customer).id
            found = [e for e in found if e.customer_id == cid]
        if customer_ids is not None:
            allowed = set(customer_ids)
            found = [e for e in found if e.customer_id in allowed]
        if search:
            needle = search.casefold()
            found = [e for e in found if needle in haystack(e)]
        return sorted(found, key=lambda e: (e.customer.casefold(), e.title.casefold(), e.id))

    def entry(self, ref: str) -> Entry:
        found = self._r.snapshot().find_entry(ref)
        if found is None:
            raise NotFound(
                f"no entry {shown(ref)} (give an id, a unique id prefix or Customer/Title)"
            )
        return found

    def entries_for_site(
        self, url_or_host: str, *, customer_ids: Collection[str] | None = None
    ) -> list[Entry]:
        key = sites.site_key(url_or_host)
        if not key:
            return []
        found = self._r.snapshot().entries_at_site(key)
        if customer_ids is not None:
            allowed = set(customer_ids)
            found = [e for e in found if e.customer_id in allowed]
        return sorted(found, key=lambda e: (e.customer.casefold(), e.title.casefold(), e.id))

    def _title_taken(self, cid: str, title: str, but: str | None = None) -> bool:
        found = self._r.snapshot().entry_titled(cid, title)
        return found is not None and found.id != but

    def update_entry(self, ref: str, **fields) -> Entry:
        entry = self.entry(ref)
        unknown = set(fields) - ENTRY_FIELDS - {"customer"}
        if unknown:
            raise UserError(f"unknown entry field(s): {', '.join(sorted(unknown))}")
        changes = {k: v for k, v in fields.items() if v is not None}
        target = self.customer(changes.pop("customer")) if "customer" in changes else None
        if "title" in changes:
            changes["title"] = clean_name(changes["title"], "title")
        for k in ("username", "password", "notes"):
            if k in changes:
                changes[k] = clean_text(changes[k], k)
        if "urls" in changes:
            changes["urls"] = clean_urls(changes["urls"])
        if "tags" in changes:
            changes["tags"] = tuple(clean_text(t, "tag") for t in changes["tags"])
        updated = replace(entry, **changes)
        cid = target.id if target else entry.customer_id
        if self._title_taken(cid, updated.title, but=entry.id):
            raise UserError(f"that customer already has an entry {shown(updated.title)}")
        with self.store.write():
            otp_row = self._r.get(OTP, entry.id) if cid != entry.customer_id else None
            self._r.put(ENTRY, entry.id, cid, updated.content(), created=entry.created)
            if otp_row is not None:  # moving to another customer: re-seal under its key
                self._r.put(OTP, entry.id, cid, otp_row[2], created=otp_row[1])
        if cid != entry.customer_id:
            self.store.checkpoint_truncate()
        return self.entry(entry.id)

    def remove_entry(self, ref: str, *, actor: str = "cli") -> None:
        entry = self.entry(ref)
        with self.store.write():
            self._r.delete("kind IN (?, ?) AND id = ?", (ENTRY, OTP, entry.id))
            if entry.has_otp:
                self._r.append_audit("otp_remove", entry, actor, "entry removed")
                self._gen.hotp_reset(entry.id, None)
        self.store.checkpoint_truncate()

    @contextmanager
    def batch(self) -> Iterator[Vault]:
        """Many writes in one transaction: all of them land, or none (imports)."""
        self._r.need()
        saved = self._r.key_state()
        try:
            with self.store.write():
                self._r.begin_batch()
                try:
                    yield self
                finally:
                    self._r.end_batch()
        except BaseException:
            self._r.restore_key_state(saved)
            raise

    # -- audit -------------------------------------------------------------------------------------

    def record_audit(
        self, action: str, *, entry: str | None = None, actor: str = "cli", detail: str = ""
    ) -> None:
        """Record something a client did with a code (e.g. the extension's "fill" or "copy")."""
        found = self.entry(entry) if entry else None
        action = clean_text(action, "action")[:40]
        with self.store.write(durable=False):
            self._r.append_audit(action, found, actor, clean_text(detail, "detail")[:200])

    def audit(
        self, *, entry: str | None = None, entry_id: str | None = None, limit: int | None = None
    ) -> list[AuditEvent]:
        """The audit log, oldest first; optionally one entry's events (by ref, or by id, which also
        finds the history of a removed entry), optionally only the last N."""
        if entry:
            entry_id = self.entry(entry).id
        events = [e for e in self._r.read_audit() if entry_id is None or e.entry_id == entry_id]
        return events[-limit:] if limit else events

