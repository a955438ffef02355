"""SQLite storage: schema, pragmas, transactions and secure deletion. Knows rows, not meaning.

Everything here is plaintext-agnostic: `sealed` columns hold AES-GCM blobs made by vault.py. The file
is created 0600 inside a 0700 directory; SQLite gives its -wal and -shm files the same mode.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from companion.errors import UserError, VaultCorrupt
from companion.paths import ensure_private_dir

O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

FORMAT_VERSION = 2
# Format 1 (no record versions, no sealed generation) still opens; unlocking migrates it.
OLDEST_FORMAT = 1
MAGIC = "otp-companion-vault"
BUSY_TIMEOUT_MS = 10_000
# The connection rests at NORMAL; Store.write(durable=True) raises it to FULL for its transaction.
RESTING_SYNC = "NORMAL"
# What reading a damaged file can raise: SQLite's own errors, and UnicodeDecodeError when a damaged
# TEXT value is not UTF-8 any more (the sqlite3 module decodes TEXT columns while fetching).
DB_ERRORS = (sqlite3.DatabaseError, UnicodeDecodeError)

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE key_slots (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, created INTEGER NOT NULL,
    params TEXT NOT NULL, wrapped BLOB NOT NULL) STRICT;
CREATE TABLE customer_keys (
    customer_id TEXT NOT NULL, epoch INTEGER NOT NULL, created INTEGER NOT NULL,
    wrapped BLOB NOT NULL, PRIMARY KEY (customer_id, epoch)) STRICT;
CREATE TABLE records (
    kind TEXT NOT NULL, id TEXT NOT NULL, customer_id TEXT NOT NULL, epoch INTEGER NOT NULL,
    created INTEGER NOT NULL, updated INTEGER NOT NULL, sealed BLOB NOT NULL,
    version INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (kind, id)) STRICT;
CREATE INDEX records_by_customer ON records (customer_id, kind);
CREATE TABLE audit (seq INTEGER PRIMARY KEY, ts REAL NOT NULL, sealed BLOB NOT NULL) STRICT;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
TABLES = {"meta", "key_slots", "customer_keys", "records", "audit"}


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA secure_delete = ON")  # freed cells and pages are zeroed, not left behind
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA trusted_schema = OFF")
    return conn


class Store:
    """One connection to one vault file."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.conn = conn
        self._depth = 0  # nesting of write() blocks; only the outermost one commits
        self.on_rollback: list = []  # callbacks run when a write transaction is rolled back
        self.before_commit: list = []  # run inside the outermost write, just before COMMIT
        self.after_commit: list = []  # run once it committed
        self._checkpoint_due = False  # a checkpoint asked for inside a write, run after its commit

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, meta: dict[str, str]) -> Store:
        ensure_private_dir(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW, 0o600)
        except FileExistsError:
            raise UserError(f"a vault already exists at {path}") from None
        os.close(fd)
        from companion.fsutil import warn_if_shared

        # Only once the vault exists (a failed create prints one error line, nothing else): an
        # existing folder keeps its mode, so say how to tighten it.
        warn_if_shared(path.parent)
        try:
            conn = _connect(path)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            # Schema and header in one transaction: a crash leaves no half-made vault behind.
            conn.executescript("BEGIN IMMEDIATE;\n" + SCHEMA)
            for key, value in {"magic": MAGIC, "format": str(FORMAT_VERSION), **meta}.items():
                conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
            conn.execute("COMMIT")
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        conn.execute(f"PRAGMA synchronous = {RESTING_SYNC}")
        return cls(path, conn)

    @classmethod
    def open(cls, path: Path) -> Store:
        if not path.exists():
            raise UserError(f"no vault at {path}")
        if path.is_dir():
            raise UserError(f"{path} is a directory, not a vault file")
        conn = None
        try:
            conn = _connect(path)
            _check_header(path, conn)
            conn.execute(f"PRAGMA synchronous = {RESTING_SYNC}")
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
        except VaultCorrupt:
            conn.close()
            raise
        except DB_ERRORS as exc:
            if conn is not None:
                conn.close()
            raise VaultCorrupt(
                f"{path} is damaged or not a vault ({_sqlite_reason(exc)})"
            ) from None
        return cls(path, conn)

    def meta(self) -> dict[str, str]:
        return dict(self.query("SELECT key, value FROM meta"))

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:
            pass

    # -- transactions ----------------------------------------------------------------------------

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE: writers queue, readers go on).

        durable=True (every user write, every HOTP counter): synchronous=FULL, on disk when we return.
        durable=False is only for audit records of TOTP codes: synchronous=NORMAL in WAL mode is still
        atomic and survives a killed process, but a power cut may drop the last few such records;
        it makes a code ten times cheaper (see docs/vault-format.md). NORMAL is the connection's
        resting state, so the frequent kind of write pays for no PRAGMA at all.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        if durable:
            self.conn.execute("PRAGMA synchronous = FULL")
        try:
            self._run("BEGIN IMMEDIATE")
        except BaseException:
            self._rest()
            raise
        self._depth = 1
        try:
            yield self.conn
            for hook in self.before_commit:
                hook()
        except BaseException:
            self._depth = 0
            self._abandon()
            self._rest()
            raise
        self._depth = 0
        try:
            self._run("COMMIT")
        except BaseException:
            self._abandon()
            raise
        finally:
            if durable:
                self._rest()
        for hook in self.after_commit:
            hook()
        if self._checkpoint_due:
            self._checkpoint_due = False
            self.checkpoint_truncate()

    def _rest(self) -> None:
        try:
            self.conn.execute(f"PRAGMA synchronous = {RESTING_SYNC}")
        except sqlite3.Error:
            pass

    def _abandon(self) -> None:
        """Roll back whatever is open and tell the caches that nothing of it happened."""
        self._checkpoint_due = False
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        for callback in self.on_rollback:
            callback()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot across several SELECTs."""
        if self._depth:
            yield self.conn
            return
        self._run("BEGIN")
        try:
            yield self.conn
        finally:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error:
                pass

    @property
    def in_write(self) -> bool:
        return self._depth > 0

    def _run(self, sql: str) -> None:
        try:
            self.conn.execute(sql)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise UserError(
                    "the vault is busy (another process holds a write lock); try again"
                ) from None
            raise VaultCorrupt(f"vault file error: {_sqlite_reason(exc)}") from None
        except DB_ERRORS as exc:
            raise VaultCorrupt(f"vault file error: {_sqlite_reason(exc)}") from None

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except DB_ERRORS as exc:
            raise VaultCorrupt(f"vault file error: {_sqlite_reason(exc)}") from None

    def execute(self, sql: str, args: tuple = ()) -> None:
        assert self._depth, "writes only inside Store.write()"
        try:
            self.conn.execute(sql, args)
        except DB_ERRORS as exc:
            raise VaultCorrupt(f"vault file error: {_sqlite_reason(exc)}") from None

    def execute_many(self, sql: str, rows: list[tuple]) -> None:
        """One statement for many rows (imports): SQLite prepares it once."""
        assert self._depth, "writes only inside Store.write()"
        try:
            self.conn.executemany(sql, rows)
        except DB_ERRORS as exc:
            raise VaultCorrupt(f"vault file error: {_sqlite_reason(exc)}") from None

    def insert_unique(self, sql: str, args: tuple) -> bool:
        """Run an INSERT; False (and nothing written) if it collides with a primary key."""
        assert self._depth, "writes only inside Store.write()"
        try:
            self.conn.execute(sql, args)
        except sqlite3.IntegrityError:
            return False
        except DB_ERRORS as exc:
            raise VaultCorrupt(f"vault file error: {_sqlite_reason(exc)}") from None
        return True

    def data_version(self) -> int:
        """Changes whenever another connection commits (our cue to drop cached plaintext)."""
        return self.query("PRAGMA data_version")[0][0]

    def checkpoint_in_background(self, interval: float = 1.0) -> Callable[[], None]:
        """For a long-running process (the companion): stop SQLite from checkpointing inside our
        own commits, which stalls the committing request for tens of milliseconds every 1000 WAL
        pages, and checkpoint from a thread with its own connection instead. Returns `stop`."""
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        stopped = threading.Event()

        def run() -> None:
            conn = _connect(self.path)
            try:
                while not stopped.wait(interval):
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    except sqlite3.Error:
                        pass  # busy or closing: the next round will do it
            finally:
                conn.close()

        thread = threading.Thread(target=run, name="otpc-wal-checkpoint", daemon=True)
        thread.start()

        def stop() -> None:
            stopped.set()
            thread.join(5)

        return stop

    # -- secure deletion -------------------------------------------------------------------------

    def compact(self) -> bool:
        """VACUUM (rebuild the file: no free page keeps an old ciphertext or wrapped key), then
        truncate the WAL. False if another process kept either from completing."""
        self.conn.execute("PRAGMA busy_timeout = 2000")
        try:
            self.conn.execute("VACUUM")
        except sqlite3.OperationalError:
            return False  # busy: a reader holds the file; the rotation itself is committed
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return self.checkpoint_truncate()

    def checkpoint_truncate(self, attempts: int = 20) -> bool:
        """Copy the WAL into the main file and truncate it, so deleted ciphertexts survive nowhere.

        Returns False if a reader (e.g. another process mid-read) kept it from completing. Inside a
        write transaction (a batch) it cannot run: it runs when that commits, and False is returned.
        """
        if self._depth:
            self._checkpoint_due = True
            return False
        # A TRUNCATE checkpoint calls the busy handler while a reader holds an old snapshot: with
        # our 10 s busy_timeout, 20 attempts blocked `otpc otp rm` for 200 s. We poll instead.
        self.conn.execute("PRAGMA busy_timeout = 50")
        try:
            for _ in range(attempts):
                busy, _log, _done = self.query("PRAGMA wal_checkpoint(TRUNCATE)")[0]
                if busy == 0:
                    return True
                time.sleep(0.05)
            return False
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _check_header(path: Path, conn: sqlite3.Connection) -> None:
    """A foreign, damaged or newer file fails here, before we trust anything in it."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not TABLES <= tables:
        raise VaultCorrupt(f"{path} is not an OTP Companion vault")
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    if meta.get("magic") != MAGIC:
        raise VaultCorrupt(f"{path} is not an OTP Companion vault")
    version = meta.get("format", "")
    if not version.isdigit():
        raise VaultCorrupt(f"{path}: vault header damaged (format version unreadable)")
    if int(version) > FORMAT_VERSION:
        raise VaultCorrupt(
            f"{path} uses vault format {version}, newer than this otpc understands "
            f"({FORMAT_VERSION}): upgrade otpc"
        )
    if int(version) < OLDEST_FORMAT:
        raise VaultCorrupt(f"{path}: vault format {version} is not supported")
    # integrity_check, not quick_check: only it compares every index with its table. A flipped
    # byte in an index otherwise makes a row silently vanish from `WHERE kind = ?` lookups
    # (about 15 ms more than quick_check for a vault of 10,000 entries).
    if conn.execute("PRAGMA integrity_check(1)").fetchall() != [("ok",)]:
        raise VaultCorrupt(f"{path}: the database structure is damaged (SQLite integrity_check)")


def _sqlite_reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]


def now() -> int:
    return int(time.time())
