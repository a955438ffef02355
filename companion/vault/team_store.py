"""A team member's local state, sealed inside the vault file (docs/team.md, "What each laptop keeps").

One table of sealed rows, `team_rows(kind, id, sealed)`: the session (member keys, database login,
team id and fingerprint, cursor, last sync), one row per team record of the replica (so a sync that
changes ten records writes ten rows, not a blob of 10,000), the unit keys, the statement chain, the
outbox and the queue of signed audit rows. Every row is AES-256-GCM under a key derived from the
master key, its AAD naming the vault, the kind and the id, so a row moved or swapped does not open.

The table is created on first use (a vault that never joins a team never has it), which keeps the
vault format unchanged: an older otpc ignores a table it does not know.
"""

from __future__ import annotations

import json

from companion import crypto
from companion.errors import VaultCorrupt

TABLE = "team_rows"
CREATE_SQL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (kind TEXT NOT NULL, id TEXT NOT NULL,"
    " sealed BLOB NOT NULL, PRIMARY KEY (kind, id)) STRICT"
)
SESSION, RECORD, UNIT_KEY, STATEMENT, OUTBOX, AUDIT_QUEUE = (
    "session", "record", "unit_key", "statement", "outbox", "audit_queue")


def has_team(store) -> bool:
    """True when the vault holds a team session (cheap: no key needed)."""
    rows = store.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,))
    if not rows:
        return False
    return bool(store.query(f"SELECT 1 FROM {TABLE} WHERE kind = ? LIMIT 1", (SESSION,)))


class TeamStore:
    """Sealed rows in one vault; writes run inside the vault's own transactions."""

    def __init__(self, store, vault_id: str, master: bytes):
        self.store = store
        self.vault_id = vault_id
        self._key = crypto.hkdf_sha256(master, vault_id.encode(), b"otpc team rows v1")

    def _aad(self, kind: str, rid: str) -> bytes:
        return f"otpc-team-rows|{self.vault_id}|{kind}|{rid}".encode()

    def _open(self, kind: str, rid: str, blob: bytes) -> dict:
        try:
            value = json.loads(crypto.unseal(self._key, blob, self._aad(kind, rid)))
            if not isinstance(value, dict):
                raise ValueError("not an object")
            return value
        except (crypto.DecryptError, ValueError):
            raise VaultCorrupt(
                f"{self.store.path}: team {kind} row {rid[:12]} is damaged or was tampered with"
            ) from None

    def _exists(self) -> bool:
        return bool(self.store.query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)))

    def load(self, kind: str) -> dict[str, dict]:
        """id -> value of every row of a kind."""
        if not self._exists():
            return {}
        rows = self.store.query(f"SELECT id, sealed FROM {TABLE} WHERE kind = ?", (kind,))
        return {rid: self._open(kind, rid, blob) for rid, blob in rows}

    def get(self, kind: str, rid: str = "") -> dict | None:
        if not self._exists():
            return None
        rows = self.store.query(f"SELECT sealed FROM {TABLE} WHERE kind = ? AND id = ?",
                                (kind, rid))
        return self._open(kind, rid, rows[0][0]) if rows else None

    def put(self, kind: str, items: dict[str, dict], *, durable: bool = True) -> None:
        """Write (insert or replace) rows, all in one transaction."""
        if not items:
            return
        sealed = [(kind, rid, crypto.seal(self._key, json.dumps(v).encode(), self._aad(kind, rid)))
                  for rid, v in items.items()]
        with self.store.write(durable=durable) as conn:
            conn.execute(CREATE_SQL)
            conn.executemany(
                f"INSERT OR REPLACE INTO {TABLE} (kind, id, sealed) VALUES (?, ?, ?)", sealed)

    def delete(self, kind: str, ids: list[str] | None = None) -> None:
        """Delete some rows of a kind (all of them when `ids` is None)."""
        if not self._exists():
            return
        with self.store.write() as conn:
            if ids is None:
                conn.execute(f"DELETE FROM {TABLE} WHERE kind = ?", (kind,))
            else:
                conn.executemany(f"DELETE FROM {TABLE} WHERE kind = ? AND id = ?",
                                 [(kind, rid) for rid in ids])

    def clear(self) -> None:
        """Forget the team (leaving it, or a join that failed half-way)."""
        if self._exists():
            with self.store.write() as conn:
                conn.execute(f"DELETE FROM {TABLE}")
            self.store.checkpoint_truncate()
