"""Paired clients: their keys, origin and scope, in a 0600 JSON file beside the vault.

The keys must authenticate requests while the vault is locked, so they live outside the vault's
encryption (docs/protocol.md). The file is re-read whenever it changes on disk, so a revocation made
by `otpc clients revoke` without a running companion still takes effect on the next request.

Each client carries a MAC under a key derived from the vault's master key (issue 9 #6): a client
appended by hand, or a scope widened by hand, fails it. The key exists only once the vault has been
unlocked in this process; from then on every read is verified and failing clients are dropped with
one log line (and a notice for `otpc clients`). Before the first unlock the file cannot be checked,
but then the vault is locked, so a client can only ask for status, lock, or unlock with the master
password; the unlock itself verifies the file before anything else uses the vault.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from companion.crypto import equal, hmac_sha256
from companion.errors import Locked, NotFound, UserError
from companion.fsutil import write_private
from companion.paths import clients_path

log = logging.getLogger("otpc.server")

UNCHANGED = object()  # ClientStore.rescope: keep the customers as they are
FILE_VERSION = 2  # 2: every client has a "mac"; 1 (before issue 9 #6): none, migrated once
LEGACY_VERSION = 1
LAST_USED_FLUSH_SECONDS = 60
KEY_PURPOSE = "paired-clients-file"  # Vault.derive_key label
SEALED_EVENT = "clients-file-sealed"  # audit action: from then on a MAC-less file is refused


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    if not isinstance(text, str) or "=" in text or not text.isascii():
        raise ValueError("not base64url without padding")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Scope:
    write: bool = True
    customers: tuple[str, ...] | None = None  # customer ids; None = all customers

    def allows_customer(self, customer_id: str) -> bool:
        return self.customers is None or customer_id in self.customers

    def public(self) -> dict:
        return {
            "write": self.write,
            "customers": None if self.customers is None else list(self.customers),
        }

    @classmethod
    def from_json(cls, d: dict) -> Scope:
        customers = d.get("customers")
        return cls(bool(d.get("write", False)), None if customers is None else tuple(customers))


@dataclass(frozen=True)
class Client:
    id: str
    name: str
    origin: str
    k_mac: bytes = field(repr=False)
    k_enc: bytes = field(repr=False)
    scope: Scope = Scope()
    created: int = 0
    last_used: int | None = None

    def public(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "origin": self.origin,
            "scope": self.scope.public(),
            "created": self.created,
            "last_used": self.last_used,
        }

    def to_json(self) -> dict:
        d = self.public()
        d["k_mac"], d["k_enc"] = b64u(self.k_mac), b64u(self.k_enc)
        return d

    def mac(self, key: bytes) -> str:
        """Everything that grants access (not last_used, which the companion updates while
        locked); the key is per vault, so a client cannot be moved to another vault's file."""
        d = self.public()
        del d["last_used"]
        d["k_mac"], d["k_enc"] = b64u(self.k_mac), b64u(self.k_enc)
        text = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return b64u(hmac_sha256(key, b"OTPC1-CLIENT\n" + text.encode()))

    @classmethod
    def from_json(cls, d: dict) -> Client:
        return cls(
            id=d["id"],
            name=d["name"],
            origin=d["origin"],
            k_mac=unb64u(d["k_mac"]),
            k_enc=unb64u(d["k_enc"]),
            scope=Scope.from_json(d.get("scope") or {}),
            created=int(d.get("created", 0)),
            last_used=d.get("last_used"),
        )


def tampered_notice(path: Path) -> str:
    return f"{path.name} was modified outside the companion: re-pair your browsers"


class ClientStore:
    """The clients file, cached in memory and re-read when its mtime changes."""

    def __init__(self, vault: Path):
        self.path = clients_path(vault)
        self._clients: dict[str, Client] = {}
        self._macs: dict[str, str | None] = {}  # as read; kept for clients not verifiable yet
        self._version = FILE_VERSION
        self._key: bytes | None = None  # set at the first unlock, kept while locked
        self._made_here: set[str] = set()  # paired by this process before the key was known
        self.notice: str | None = None
        self._stamp: tuple[int, int] | None = None
        self._dirty_since: float | None = None
        self.reload_if_changed()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _read(self) -> tuple[int, list[tuple[Client, str | None]]] | None:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            raise UserError(f"the paired-clients file {self.path} is unreadable") from None
        try:
            version = raw.get("version", LEGACY_VERSION)
            found = [(Client.from_json(c), c.get("mac")) for c in raw.get("clients", [])]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise UserError(f"the paired-clients file {self.path} is unreadable") from None
        return version, found

    def reload_if_changed(self) -> None:
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return
        self._stamp = stamp
        read = self._read()
        version, found = read if read is not None else (FILE_VERSION, [])
        self._version = version
        self._clients = {c.id: c for c, _ in found}
        self._macs = {c.id: mac for c, mac in found}
        if self._key is not None:
            self._verify(legacy_allowed=False)

    def _verify(self, *, legacy_allowed: bool) -> None:
        """Keep the clients whose MAC holds; MAC the ones this process paired while it had no key
        and, if `legacy_allowed`, every client of a version-1 file; drop the rest, loudly."""
        key = self._key
        assert key is not None
        legacy = legacy_allowed and self._version == LEGACY_VERSION
        kept, dropped = {}, 0
        for client in self._clients.values():
            given = self._macs.get(client.id)
            fresh = client.id in self._made_here and given is None
            if legacy or fresh or (isinstance(given, str) and equal(given, client.mac(key))):
                kept[client.id] = client
            else:
                dropped += 1
        changed = dropped or legacy or self._made_here or self._version != FILE_VERSION
        self._clients, self._made_here = kept, set()
        if dropped:
            self.notice = tampered_notice(self.path)
            log.error("%s: %d paired client(s) refused (MAC missing or wrong)", self.notice, dropped)
        if legacy:
            log.info("paired-clients file sealed (migrated %d client(s))", len(kept))
        if changed:
            self._save()

    def unlocked(self, key: bytes, *, sealed_before: Callable[[], bool],
                 note_sealed: Callable[[], None]) -> None:
        """The vault was unlocked: from now on verify (and seal) with `key`. A version-1 file
        (no MACs) is migrated once per vault: the first sealing is recorded in the vault's audit
        log (`note_sealed`), and a MAC-less file met after that (`sealed_before`) is refused,
        so a file rewritten in the old format is no way around the MACs."""
        self._key = key
        self._stamp = None  # re-read: the file may have changed while it could not be checked
        read = self._read()
        if read is None:
            note_sealed()  # from now on a MAC-less file planted here is refused
            self._version, self._clients, self._macs = FILE_VERSION, {}, {}
            self._save()
            return
        version, found = read
        self._version = version
        self._clients = {c.id: c for c, _ in found}
        self._macs = {c.id: mac for c, mac in found}
        legacy = version == LEGACY_VERSION and not sealed_before()
        self._verify(legacy_allowed=legacy)
        if legacy:
            note_sealed()
        self._stamp = self._file_stamp()

    def unlocked_with(self, vault) -> None:
        """`unlocked()` with the key and the audit marker of an unlocked companion.vault.Vault."""
        self.unlocked(
            vault.derive_key(KEY_PURPOSE),
            sealed_before=lambda: any(e.action == SEALED_EVENT for e in vault.audit()),
            note_sealed=lambda: vault.record_audit(
                SEALED_EVENT, actor="companion", detail="paired-clients file now carries MACs"),
        )

    def _save(self) -> None:
        key = self._key
        records = []
        for c in self._clients.values():
            d = c.to_json()
            d["mac"] = c.mac(key) if key is not None else self._macs.get(c.id)
            records.append(d)
        # Without the key a version-1 file stays version 1, so that its first unlock migrates it.
        version = FILE_VERSION if key is not None else self._version
        doc = {"version": version, "clients": records}
        write_private(self.path, (json.dumps(doc, indent=2) + "\n").encode(), overwrite=True)
        self._version = version
        self._macs = {d["id"]: d["mac"] for d in records}
        self._stamp = self._file_stamp()
        self._dirty_since = None

    def get(self, client_id: str) -> Client | None:
        self.reload_if_changed()
        return self._clients.get(client_id)

    def all(self) -> list[Client]:
        self.reload_if_changed()
        return sorted(self._clients.values(), key=lambda c: c.created)

    def origins(self) -> set[str]:
        self.reload_if_changed()
        return {c.origin for c in self._clients.values()}

    def add(self, client: Client) -> None:
        self.reload_if_changed()
        self._clients[client.id] = client
        if self._key is None:
            self._made_here.add(client.id)
            self._macs[client.id] = None
        self._save()

    def find(self, ref: str) -> Client:
        """A client by id, unique id prefix (4+ characters) or name."""
        self.reload_if_changed()
        if ref in self._clients:
            return self._clients[ref]
        matches = [c for c in self._clients.values() if c.id.startswith(ref) or c.name == ref]
        if len(ref) >= 4 and len(matches) == 1:
            return matches[0]
        raise NotFound(f"no paired client {ref!r}" if not matches else f"{ref!r} is ambiguous")

    def revoke(self, ref: str) -> Client:
        client = self.find(ref)
        del self._clients[client.id]
        self._made_here.discard(client.id)
        self._save()
        return client

    def set_scope(self, ref: str, scope: Scope) -> Client:
        if self._key is None:
            raise Locked("unlock the vault first: a client's scope is sealed with the vault's key")
        client = replace(self.find(ref), scope=scope)
        self._clients[client.id] = client
        self._save()
        return client

    def rescope(self, ref: str, *, write: bool | None = None, customers=UNCHANGED) -> Client:
        """Change a client's scope: write access unless None, the customer ids (None = all) unless
        UNCHANGED. The one implementation for the control socket and the CLI without a companion."""
        current = self.find(ref).scope
        scope = Scope(
            current.write if write is None else write,
            current.customers if customers is UNCHANGED else customers,
        )
        return self.set_scope(ref, scope)

    def touch(self, client_id: str) -> None:
        """Note a use in memory; written out at most once a minute (and by flush())."""
        client = self._clients.get(client_id)
        if client is None:
            return
        now = int(time.time())
        self._clients[client_id] = replace(client, last_used=now)
        if self._dirty_since is None:
            self._dirty_since = now
        elif now - self._dirty_since >= LAST_USED_FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self._dirty_since is not None:
            # do not resurrect clients revoked on disk meanwhile
            stamp = self._file_stamp()
            if stamp != self._stamp:
                self._dirty_since = None
                self.reload_if_changed()
                return
            self._save()


def reseal_after_key_rotation(vault: Path, old_key: bytes, new_key: bytes) -> None:
    """For a master-key rotation (`otpc passwd --rotate-keys`): keep the clients whose MAC holds
    under `old_key` (`Vault.derive_key(KEY_PURPOSE)` before the rotation) and seal them under
    `new_key` (the same, after), so the browsers need not pair again. Run it with no companion
    running, or the companion's in-memory key is the old one."""
    store = ClientStore(vault)
    store.unlocked(old_key, sealed_before=lambda: True, note_sealed=lambda: None)
    store._key = new_key
    store._save()
