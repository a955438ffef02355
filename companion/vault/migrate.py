"""Upgrading an older vault file in place, at its first unlock (the master key is needed).

Format 1 → 2 (issue 9.8): `records` gains a `version` column, every record is re-sealed with its
version (1) in the AAD, and the sealed generation state is written (generation 1). One transaction:
a crash leaves a format-1 vault that the next unlock upgrades. Then the WAL is truncated, so no
format-1 ciphertext (whose AAD binds no version) is left to be put back.
"""

from __future__ import annotations

import json

from companion import crypto
from companion.vault import keys
from companion.vault.generation import MODULUS, Generation, row_digest
from companion.vault.records import Records
from companion.vault.store import FORMAT_VERSION


def format_of(records: Records) -> int:
    rows = records.store.query("SELECT value FROM meta WHERE key = 'format'")
    return int(rows[0][0])


def upgrade(records: Records, gen: Generation) -> None:
    """Bring an unlocked vault to FORMAT_VERSION (nothing to do when another process did)."""
    store = records.store
    with store.write():
        if format_of(records) != 1:
            return
        columns = {row[1] for row in store.query("PRAGMA table_info(records)")}
        if "version" not in columns:
            store.execute("ALTER TABLE records ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
        rows = store.query(
            "SELECT kind, id, customer_id, epoch, created, updated, sealed FROM records"
        )
        digest = 0
        for kind, rid, cid, epoch, created, updated, blob in rows:
            content = records._open(kind, rid, cid, epoch, created, updated, None, blob)
            aad = keys.record_aad(records.vault_id, kind, rid, cid, epoch, created, updated, 1)
            sealed = crypto.seal(records._ckeys[(cid, epoch)], json.dumps(content).encode(), aad)
            store.execute(
                "UPDATE records SET sealed = ?, version = 1 WHERE kind = ? AND id = ?",
                (sealed, kind, rid),
            )
            digest += row_digest(kind, rid, 1, sealed)
        gen.start(1, digest % MODULUS)
        store.execute("UPDATE meta SET value = ? WHERE key = 'format'", (str(FORMAT_VERSION),))
    records.drop_cache()
    store.checkpoint_truncate()
