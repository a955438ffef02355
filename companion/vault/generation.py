"""The sealed, monotonic vault generation and the sealed digest of all records (issue 9.8).

Every write transaction that changes data writes generation N+1: records it writes carry version N+1
(bound into their AAD), and the meta row `state` holds, sealed under the master key,
`{"generation": N+1, "records": <digest>}`, where the digest is the sum modulo 2^512 of
SHA-512(`<kind>|<id>|<version>|` ‖ sealed) over every row of `records` (docs/vault-format.md §6).
The sum is kept current row by row (subtract the replaced row, add the new one), so a write costs
one primary-key lookup, not a scan.

Unlocking checks both: the digest against the rows in the file (a row restored from an older copy,
changed or removed does not add up) and the generation against the last one this machine saw
(seen.py; a whole older copy of the file has an older generation). Either is a rollback: refused
with VaultCorrupt (exit 4) unless the caller accepts it, which re-stamps the file as a generation
newer than anything seen, so the copy it replaced can never come back either.
"""

from __future__ import annotations

import hashlib
import json

from companion import crypto
from companion.errors import VaultCorrupt
from companion.vault import keys
from companion.vault.seen import SeenStore
from companion.vault.store import Store

STATE_KEY = "state"
MODULUS = 1 << 512
ACCEPT_HINT = (
    "nothing was changed; if you put an older copy back on purpose, run again with --accept-rollback"
)


def row_digest(kind: str, rid: str, version: int, sealed: bytes) -> int:
    h = hashlib.sha512(f"{kind}|{rid}|{version}|".encode())
    h.update(bytes(sealed))
    return int.from_bytes(h.digest(), "big")


class Generation:
    def __init__(self, store: Store, vault_id: str):
        self.store = store
        self.vault_id = vault_id
        self.seen = SeenStore(vault_id)
        self.master: bytes | None = None
        self.known = 0  # the highest generation this process has read or written
        self.hotp_floor: dict[str, int] = {}  # entry id -> lowest counter that may still be used
        self.accepted: str | None = None  # the rollback accepted at unlock, to tell the user
        self._pending: int | None = None  # the generation the open transaction writes
        self._digest = 0
        self._hotp_used: dict[str, int] = {}
        self._hotp_reset: dict[str, int | None] = {}
        store.before_commit.append(self._seal)
        store.after_commit.append(self._remember)
        store.on_rollback.append(self._forget)

    # -- the sealed state --------------------------------------------------------------------------

    def _aad(self) -> bytes:
        return keys.aad(self.vault_id, STATE_KEY)

    def read_state(self) -> tuple[int, int, str]:
        """(generation, records digest, key slots digest) as sealed in the file."""
        rows = self.store.query("SELECT value FROM meta WHERE key = ?", (STATE_KEY,))
        if not rows:
            raise VaultCorrupt(f"{self.store.path}: the vault's sealed generation is missing")
        try:
            data = json.loads(crypto.unseal(self._need(), bytes.fromhex(rows[0][0]), self._aad()))
            return int(data["generation"]), int(data["records"], 16), str(data["slots"])
        except (ValueError, KeyError, TypeError, crypto.DecryptError):
            raise VaultCorrupt(
                f"{self.store.path}: the vault's sealed generation is damaged or was tampered with"
            ) from None

    def write_state(self, generation: int, digest: int) -> None:
        plain = json.dumps(
            {"generation": generation, "records": f"{digest:0128x}", "slots": self.slots_digest()}
        ).encode()
        blob = crypto.seal(self._need(), plain, self._aad())
        self.store.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (STATE_KEY, blob.hex())
        )

    def slots_digest(self) -> str:
        """SHA-256 over the key slots (few rows, hashed whole): an old slot put back, say the slot
        of a password since changed, does not match."""
        h = hashlib.sha256()
        for row in self.store.query("SELECT id, kind, params, wrapped FROM key_slots ORDER BY id"):
            for part in row:
                data = part if isinstance(part, bytes) else str(part).encode()
                h.update(len(data).to_bytes(4, "big") + data)
        return h.hexdigest()

    def digest_of_file(self) -> int:
        rows = self.store.query("SELECT kind, id, version, sealed FROM records")
        return sum(row_digest(*row) for row in rows) % MODULUS

    def _need(self) -> bytes:
        if self.master is None:
            raise VaultCorrupt("the vault generation was used while locked")
        return self.master

    # -- unlocking ---------------------------------------------------------------------------------

    def unlock(self, master: bytes, *, accept_rollback: bool) -> None:
        """Check the file against its sealed state and this machine's memory; refuse a rollback
        (VaultCorrupt) unless accepted. Called with the master key, before anything is read."""
        self.master = master
        self.accepted = None
        self.seen.use_keyring = bool(
            self.store.query("SELECT 1 FROM key_slots WHERE kind = ? LIMIT 1", (keys.SLOT_KEYRING,))
        )
        # The memory first: it is written only after a commit, so a file read after it holds at
        # least that generation unless it was really rolled back (another process may be writing).
        seen = self.seen.load()
        last = max(seen.generation, self.known)
        with self.store.read():  # one snapshot of state and rows
            generation, sealed_digest, sealed_slots = self.read_state()
            actual, slots = self.digest_of_file(), self.slots_digest()
        problem = None
        if generation < last:
            problem = f"vault rolled back: generation {generation}, last seen {last}"
        elif actual != sealed_digest or sealed_slots != slots:
            what = "records" if actual != sealed_digest else "key slots"
            problem = (
                f"vault rolled back or tampered with: its {what} do not match its sealed "
                f"generation {generation} (a row restored from an older copy, changed or removed)"
            )
        self.hotp_floor = dict(seen.hotp)
        if problem is None:
            self.known = generation
            if generation > seen.generation:
                self.seen.update(generation, {}, {})
            return
        if not accept_rollback:
            self.lock()
            raise VaultCorrupt(f"{self.store.path}: {problem}; {ACCEPT_HINT}")
        with self.store.write():
            # Re-stamp what is in the file as newer than anything seen: the copy it replaced, and
            # any older one, stays refused.
            generation = max(self.read_state()[0], last)
            self._pending, self._digest = generation + 1, self.digest_of_file()
        self.accepted = f"{problem}; the vault is now generation {self.known}"

    def refuse_if_older_than_seen(self, generation: int, accept_rollback: bool) -> None:
        """Before migrating a format-1 file (generation 0): if this machine saw the vault at any
        generation, the file is an older copy; refuse before changing anything in it."""
        last = max(self.seen.load().generation, self.known)
        if generation < last and not accept_rollback:
            raise VaultCorrupt(
                f"{self.store.path}: vault rolled back: generation {generation}, last seen {last}; "
                f"{ACCEPT_HINT}"
            )

    def start(self, generation: int, digest: int) -> None:
        """Inside the write that creates (or upgrades) a vault: its first sealed state."""
        assert self.store.in_write and self.master is not None
        self._pending, self._digest = generation, digest

    def lock(self) -> None:
        self.master = None
        self.hotp_floor = {}

    # -- write transactions ------------------------------------------------------------------------

    def begin(self) -> int:
        """The generation the open write transaction writes (read under the write lock, so two
        processes never write the same one). A file older than one we saw is refused."""
        assert self.store.in_write, "generations change only inside Store.write()"
        if self._pending is None:
            generation, digest, _slots = self.read_state()
            if generation < self.known:
                raise VaultCorrupt(
                    f"{self.store.path}: vault rolled back: generation {generation}, "
                    f"last seen {self.known}; {ACCEPT_HINT}"
                )
            self._pending, self._digest = generation + 1, digest
        return self._pending

    def replaced(self, old: tuple | None, new: tuple) -> None:
        """A records row (kind, id, version, sealed) written over `old` (or added, old None)."""
        self.begin()
        if old is not None:
            self._digest -= row_digest(*old)
        self._digest = (self._digest + row_digest(*new)) % MODULUS

    def removed(self, rows: list[tuple]) -> None:
        self.begin()
        for row in rows:
            self._digest -= row_digest(*row)
        self._digest %= MODULUS

    def hotp_used(self, entry_id: str, next_counter: int) -> None:
        """A code of counter next_counter-1 is being handed out: never use a lower one again."""
        self.begin()
        self._hotp_used[entry_id] = next_counter

    def hotp_reset(self, entry_id: str, counter: int | None) -> None:
        """An OTP set anew (its own counter) or removed (None): forget what was remembered."""
        self.begin()
        self._hotp_reset[entry_id] = counter
        self._hotp_used.pop(entry_id, None)

    def _seal(self) -> None:
        if self._pending is not None:
            self.write_state(self._pending, self._digest)

    def _remember(self) -> None:
        if self._pending is None:
            return
        self.known = max(self.known, self._pending)
        for eid, counter in self._hotp_reset.items():
            if counter is None:
                self.hotp_floor.pop(eid, None)
            else:
                self.hotp_floor[eid] = counter
        for eid, counter in self._hotp_used.items():
            self.hotp_floor[eid] = max(counter, self.hotp_floor.get(eid, 0))
        self.seen.update(self.known, self._hotp_used, self._hotp_reset)
        self._forget()

    def _forget(self) -> None:
        self._pending = None
        self._digest = 0
        self._hotp_used = {}
        self._hotp_reset = {}
