"""The sealed-record layer: customer keys, records and audit rows, opened with the master key.

Records are JSON sealed with their customer's data key (AES-256-GCM, AAD keys.record_aad); customer
keys are wrapped by the master key; audit rows are sealed with the master key. Decrypted customers
and entries are cached while unlocked and dropped on lock, on our own writes, and whenever another
process commits (PRAGMA data_version changes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from companion import crypto
from companion.errors import Locked, NotFound, VaultCorrupt
from companion.vault import keys
from companion.vault.generation import Generation
from companion.vault.model import AuditEvent, Customer, Entry, entry_from_content
from companion.vault.snapshot import Snapshot
from companion.vault.store import Store, now

CUSTOMER, ENTRY, OTP = "customer", "entry", "otp"


class Records:
    def __init__(self, store: Store, vault_id: str, generation: Generation):
        self.store = store
        self.vault_id = vault_id
        self.gen = generation  # every put and delete moves it (generation.py)
        self.master: bytes | None = None
        self._ckeys: dict[tuple[str, int], bytes] = {}
        self.epoch: dict[str, int] = {}
        self._cache: Snapshot | None = None
        self._cache_version: int | None = None
        self._next_seq: int | None = None  # the audit row we expect to append next
        # Inside Vault.batch() (one write transaction, so no other process can rotate a key
        # meanwhile): customer id -> key epoch already checked in this transaction.
        self._batch_epochs: dict[str, int] | None = None
        # A write that rolls back must not leave its changes in the cache.
        store.on_rollback.append(self.drop_cache)

    def drop_cache(self) -> None:
        self._cache = None
        self._next_seq = None

    # -- keys --------------------------------------------------------------------------------------

    def unlock(self, master: bytes) -> None:
        self.master = master
        self.load_customer_keys()

    def lock(self) -> None:
        self.master = None
        self._ckeys.clear()
        self.epoch.clear()
        self._cache = None

    def need(self) -> bytes:
        if self.master is None:
            raise Locked("the vault is locked")
        return self.master

    def load_customer_keys(self) -> None:
        master = self.need()
        loaded: dict[tuple[str, int], bytes] = {}
        epochs: dict[str, int] = {}
        rows = self.store.query("SELECT customer_id, epoch, wrapped FROM customer_keys")
        for cid, epoch, wrapped in rows:
            try:
                loaded[(cid, epoch)] = keys.unwrap_customer_key(
                    self.vault_id, master, cid, epoch, wrapped
                )
            except crypto.DecryptError:
                self.lock()
                raise VaultCorrupt(
                    f"{self.store.path}: a customer key is damaged or was tampered with"
                ) from None
            epochs[cid] = max(epoch, epochs.get(cid, 0))
        self._ckeys, self.epoch = loaded, epochs
        self._cache = None

    def new_customer_key(self, cid: str, epoch: int) -> None:
        key = crypto.random_key()
        wrapped = keys.wrap_customer_key(self.vault_id, self.need(), cid, epoch, key)
        self.store.execute(
            "INSERT INTO customer_keys (customer_id, epoch, created, wrapped) VALUES (?, ?, ?, ?)",
            (cid, epoch, now(), wrapped),
        )
        self._ckeys[(cid, epoch)] = key
        self.epoch[cid] = epoch
        if self._batch_epochs is not None:
            self._batch_epochs[cid] = epoch

    def _current_epoch(self, cid: str) -> int:
        """The customer's newest key epoch in the file (inside a write, so current). Another
        process may have rotated or removed the key since we loaded ours: sealing under a stale
        key would write a record nobody can open again. Within a batch the answer holds until
        the batch ends: it is asked once per customer, not once per record."""
        if self._batch_epochs is not None:
            known = self._batch_epochs.get(cid)
            if known is not None and (cid, known) in self._ckeys:
                return known
        rows = self.store.query(
            "SELECT MAX(epoch) FROM customer_keys WHERE customer_id = ?", (cid,)
        )
        epoch = rows[0][0]
        if epoch is None:
            raise NotFound("no such customer")
        if self.epoch.get(cid) != epoch or (cid, epoch) not in self._ckeys:
            self.load_customer_keys()
        if self._batch_epochs is not None:
            self._batch_epochs[cid] = epoch
        return epoch

    def begin_batch(self) -> None:
        self._batch_epochs = {}

    def end_batch(self) -> None:
        self._batch_epochs = None

    def key_state(self) -> tuple[dict, dict]:
        return dict(self._ckeys), dict(self.epoch)

    def restore_key_state(self, state: tuple[dict, dict]) -> None:
        """After a rolled-back batch: forget keys made inside it."""
        self._ckeys, self.epoch = dict(state[0]), dict(state[1])
        self._cache = None

    # -- records -----------------------------------------------------------------------------------

    def put(
        self, kind: str, rid: str, cid: str, content: dict, *, created: int | None = None
    ) -> None:
        """Seal `content` under the customer's current key and write it (inside Store.write())."""
        epoch = self._current_epoch(cid)
        updated = now()
        created = updated if created is None else created
        old = self.store.query(
            "SELECT version, sealed FROM records WHERE kind = ? AND id = ?", (kind, rid)
        )
        version = self.gen.begin()
        aad = keys.record_aad(self.vault_id, kind, rid, cid, epoch, created, updated, version)
        blob = crypto.seal(self._ckeys[(cid, epoch)], json.dumps(content).encode(), aad)
        self.store.execute(
            "INSERT OR REPLACE INTO records (kind, id, customer_id, epoch, created, updated,"
            " sealed, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, rid, cid, epoch, created, updated, blob, version),
        )
        self.gen.replaced((kind, rid, *old[0]) if old else None, (kind, rid, version, blob))
        self._track(kind, rid, cid, content, created, updated)

    def put_new(self, records: list[tuple[str, str, str, dict]]) -> None:
        """put() for many new records [(kind, id, customer id, content)] at once (imports): each
        sealed under its customer's current key with its own AAD and nonce, all inserted with one
        statement. Their ids are fresh, so no row is replaced (a collision fails the write)."""
        if not records:
            return
        version = self.gen.begin()
        stamp = now()
        sealers: dict[tuple[str, int], Callable[[bytes, bytes], bytes]] = {}
        rows = []
        for kind, rid, cid, content in records:
            epoch = self._current_epoch(cid)
            seal = sealers.get((cid, epoch))
            if seal is None:
                seal = sealers[(cid, epoch)] = crypto.sealer(self._ckeys[(cid, epoch)])
            aad = keys.record_aad(self.vault_id, kind, rid, cid, epoch, stamp, stamp, version)
            blob = seal(json.dumps(content).encode(), aad)
            rows.append((kind, rid, cid, epoch, stamp, stamp, blob, version))
            self.gen.replaced(None, (kind, rid, version, blob))
        self.store.execute_many(
            "INSERT INTO records (kind, id, customer_id, epoch, created, updated, sealed, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        for kind, rid, cid, content in records:
            self._track(kind, rid, cid, content, stamp, stamp)

    def _track(
        self, kind: str, rid: str, cid: str, content: dict, created: int, updated: int
    ) -> None:
        """Keep the decrypted snapshot current rather than decrypting everything again."""
        if self._cache is None or kind == OTP:  # OTP records are never cached
            return
        if kind == CUSTOMER:
            self._cache.put_customer(
                Customer(rid, content["name"], content.get("notes", ""), created, updated)
            )
        elif cid in self._cache.customers:
            name = self._cache.customers[cid].name
            self._cache.put_entry(entry_from_content(rid, cid, name, content, created, updated))
        else:
            self._cache = None

    def delete(self, sql_where: str, args: tuple) -> None:
        rows = self.store.query(
            f"SELECT kind, id, version, sealed FROM records WHERE {sql_where}", args
        )
        if rows:
            self.gen.removed(rows)
        self.store.execute(f"DELETE FROM records WHERE {sql_where}", args)
        self._cache = None

    def _open(
        self,
        kind: str,
        rid: str,
        cid: str,
        epoch: int,
        created: int,
        updated: int,
        version: int | None,
        blob: bytes,
    ) -> dict:
        """Unseal one row (version None: a format-1 row, only while migrating)."""
        key = self._ckeys.get((cid, epoch))
        if key is None and self.master is not None:
            self.load_customer_keys()  # another process rotated this key or added the customer
            key = self._ckeys.get((cid, epoch))
        try:
            if key is None:
                raise crypto.DecryptError("no key for this epoch")
            aad = keys.record_aad(self.vault_id, kind, rid, cid, epoch, created, updated, version)
            content = json.loads(crypto.unseal(key, blob, aad))
            if not isinstance(content, dict):
                raise ValueError("not an object")
            return content
        except (crypto.DecryptError, ValueError):
            raise VaultCorrupt(
                f"{self.store.path}: {kind} record {rid[:8]} is damaged or was tampered with"
            ) from None

    def get(self, kind: str, rid: str) -> tuple[str, int, dict] | None:
        """(customer id, created, content) of one record, or None."""
        rows = self.store.query(
            "SELECT customer_id, epoch, created, updated, version, sealed FROM records"
            " WHERE kind = ? AND id = ?",
            (kind, rid),
        )
        if not rows:
            return None
        cid, epoch, created, updated, version, blob = rows[0]
        return cid, created, self._open(kind, rid, cid, epoch, created, updated, version, blob)

    def of_kind(
        self, kind: str, customer_id: str | None = None
    ) -> list[tuple[str, str, int, int, dict]]:
        """[(id, customer id, created, updated, content)] of a kind's records (optionally one customer's)."""
        sql = (
            "SELECT id, customer_id, epoch, created, updated, version, sealed FROM records"
            " WHERE kind = ?"
        )
        args: tuple = (kind,)
        if customer_id is not None:
            sql += " AND customer_id = ?"
            args += (customer_id,)
        return [
            (rid, cid, cr, up, self._open(kind, rid, cid, ep, cr, up, v, b))
            for rid, cid, ep, cr, up, v, b in self.store.query(sql, args)
        ]

    def snapshot(self) -> Snapshot:
        """All customers and entries, decrypted; rebuilt when another process has committed."""
        self.need()
        version = self.store.data_version()
        if self._cache is not None and self._cache_version == version:
            return self._cache
        with self.store.read():
            present = set(self.store.query("SELECT customer_id, epoch FROM customer_keys"))
            if present != set(self._ckeys):
                self.load_customer_keys()  # another process added, rotated or removed a customer
            customers = {
                rid: Customer(rid, c["name"], c.get("notes", ""), created, updated)
                for rid, _cid, created, updated, c in self.of_kind(CUSTOMER)
            }
            entries = {}
            for rid, cid, created, updated, content in self.of_kind(ENTRY):
                if cid not in customers:
                    raise VaultCorrupt(f"{self.store.path}: entry {rid[:8]} has no customer")
                entries[rid] = entry_from_content(
                    rid, cid, customers[cid].name, content, created, updated
                )
        self._cache, self._cache_version = Snapshot(customers, entries), version
        return self._cache

    # -- audit -------------------------------------------------------------------------------------

    def append_audit(self, action: str, entry: Entry | None, actor: str, detail: str = "") -> None:
        """Append one sealed audit row (inside Store.write()). The next sequence number is
        remembered rather than asked for; if another process appended meanwhile, the primary key
        refuses our row and we ask SQLite and seal again."""
        master = self.need()
        ts = time.time()
        content = _audit_content(action, entry, actor, detail)
        seq = self._next_seq
        for _ in range(2):
            if seq is None:
                seq = self._first_free_seq()
            blob = crypto.seal(master, content, keys.audit_aad(self.vault_id, seq, ts))
            sql = "INSERT INTO audit (seq, ts, sealed) VALUES (?, ?, ?)"
            if self.store.insert_unique(sql, (seq, ts, blob)):
                self._next_seq = seq + 1
                return
            seq = None
        raise VaultCorrupt(f"{self.store.path}: the audit log's sequence is inconsistent")

    def append_audit_many(self, events: list[tuple[str, Entry | None, str, str]]) -> None:
        """append_audit for many events [(action, entry, actor, detail)] with one statement
        (imports). Inside the write transaction no other process appends: the first sequence
        number is asked once, then they follow on."""
        if not events:
            return
        seal = crypto.sealer(self.need())
        ts = time.time()
        first = self._first_free_seq()
        rows = []
        for seq, (action, entry, actor, detail) in enumerate(events, start=first):
            content = _audit_content(action, entry, actor, detail)
            rows.append((seq, ts, seal(content, keys.audit_aad(self.vault_id, seq, ts))))
        self.store.execute_many("INSERT INTO audit (seq, ts, sealed) VALUES (?, ?, ?)", rows)
        self._next_seq = first + len(rows)

    def _first_free_seq(self) -> int:
        return self.store.query("SELECT COALESCE(MAX(seq), 0) + 1 FROM audit")[0][0]

    def read_audit(self) -> list[AuditEvent]:
        master = self.need()
        events = []
        rows = self.store.query("SELECT seq, ts, sealed FROM audit ORDER BY seq")
        for expected, (seq, ts, blob) in enumerate(rows, start=1):
            if seq != expected:  # rows are numbered 1, 2, 3… with no gap; only deletion makes one
                raise VaultCorrupt(
                    f"{self.store.path}: the audit log is missing record {expected}"
                )
            try:
                aad = keys.audit_aad(self.vault_id, seq, ts)
                c = json.loads(crypto.unseal(master, blob, aad))
            except (crypto.DecryptError, ValueError):
                raise VaultCorrupt(
                    f"{self.store.path}: audit record {seq} is damaged or was tampered with"
                ) from None
            extra = {"entry": c["entry"]} if c.get("entry") else {}
            events.append(
                AuditEvent(
                    seq, ts, c["action"], c["actor"], c.get("entry_id"), c.get("detail", ""), extra
                )
            )
        return events


def _audit_content(action: str, entry: Entry | None, actor: str, detail: str) -> bytes:
    return json.dumps({"action": action, "actor": actor, "detail": detail,
                       "entry_id": entry.id if entry else None,
                       "entry": entry.ref if entry else None}).encode()
