"""Paired clients: their keys, origin and scope, in a 0600 JSON file beside the vault.

The keys must authenticate requests while the vault is locked, so they live outside the vault's
encryption (docs/protocol.md). The file is re-read whenever it changes on disk, so a revocation made
by `otpc clients revoke` without a running companion still takes effect on the next request.
"""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from companion.errors import NotFound, UserError
from companion.paths import clients_path, write_private_file

FILE_VERSION = 1
UNCHANGED = object()  # ClientStore.rescope: keep the customers as they are
LAST_USED_FLUSH_SECONDS = 60


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


class ClientStore:
    """The clients file, cached in memory and re-read when its mtime changes."""

    def __init__(self, vault: Path):
        self.path = clients_path(vault)
        self._clients: dict[str, Client] = {}
        self._stamp: tuple[int, int] | None = None
        self._dirty_since: float | None = None
        self.reload_if_changed()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def reload_if_changed(self) -> None:
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return
        self._stamp = stamp
        if stamp is None:
            self._clients = {}
            return
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            clients = [Client.from_json(c) for c in raw.get("clients", [])]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise UserError(f"the paired-clients file {self.path} is unreadable") from None
        self._clients = {c.id: c for c in clients}

    def _save(self) -> None:
        doc = {"version": FILE_VERSION, "clients": [c.to_json() for c in self._clients.values()]}
        write_private_file(self.path, (json.dumps(doc, indent=2) + "\n").encode())
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
        self._save()
        return client

    def set_scope(self, ref: str, scope: Scope) -> Client:
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
