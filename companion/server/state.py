"""The running companion's state: the vault, its lock, idle auto-lock, clients and pairing.

Shared by the HTTP handlers and the control socket; everything runs on one event loop, and the Vault
API is synchronous and fast, so handlers call it directly.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from companion.errors import Locked, NotFound, UserError, VaultCorrupt
from companion.server.auth import Authenticator
from companion.server.clients import Client, ClientStore, Scope
from companion.server.config import ServerConfig, load_config
from companion.server.pairing import Pairing, PairingWindow

log = logging.getLogger("otpc.server")

OUR_CHROME_EXTENSION_ID = "cnkaadljlgmmkjmloicginhokmgbpjom"


@dataclass
class Companion:
    vault_path: Path
    vault: object  # companion.vault.Vault (imported lazily by the caller)
    config: ServerConfig
    port: int
    clients: ClientStore = field(init=False)
    auth: Authenticator = field(init=False)
    pairing: Pairing = field(default_factory=Pairing)
    last_activity: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.clients = ClientStore(self.vault_path)
        self.auth = Authenticator(self.clients)

    @classmethod
    def start(
        cls,
        vault_path: Path,
        *,
        port: int | None = None,
        password: str | None = None,
        accept_rollback: bool = False,
    ):
        """Open the vault; unlock it from the keyring slot or the given password, else stay locked.
        A rolled-back vault (an older copy put back) is refused at every unlock, from here, the
        control socket or the extension, unless accept_rollback (issue 9.8)."""
        from companion.vault import Vault

        config = load_config(vault_path)
        if not Vault.exists(vault_path):
            raise UserError(f"no vault at {vault_path}: run 'otpc init' first")
        vault = Vault.open(vault_path, accept_rollback=accept_rollback)
        state = cls(vault_path, vault, config, port if port is not None else config.port)
        state._stop_checkpoints = vault.store.checkpoint_in_background()
        if vault.is_locked:
            try:
                if vault.unlock_with_keyring():
                    log.info("vault unlocked from the keyring slot")
            except VaultCorrupt:
                raise  # a rolled-back or damaged vault: refuse to start, one line, exit 4
            except UserError:
                pass
        if vault.is_locked and password is not None:
            vault.unlock(password)
            log.info("vault unlocked with the supplied password")
        if vault.is_locked:
            log.info("vault is locked: run 'otpc unlock'")
        else:
            state.clients.unlocked_with(vault)
        state.log_accepted_rollback()
        return state

    def log_accepted_rollback(self) -> None:
        if not self.vault.is_locked and self.vault.rollback_accepted:
            log.warning("accepted: %s", self.vault.rollback_accepted)

    # ---- origins --------------------------------------------------------------------------
    def pairing_origin_allowed(self, origin: str) -> bool:
        if origin.startswith("moz-extension://"):
            rest = origin[len("moz-extension://") :]
            return 0 < len(rest) <= 64 and all(c.isalnum() or c == "-" for c in rest)
        ids = {OUR_CHROME_EXTENSION_ID, *self.config.dev_extension_ids}
        return origin in {f"chrome-extension://{i}" for i in ids}

    def paired_origin(self, origin: str) -> bool:
        return origin in self.clients.origins()

    # ---- locking --------------------------------------------------------------------------
    def touch(self) -> None:
        self.last_activity = time.monotonic()

    @property
    def locked(self) -> bool:
        return self.vault.is_locked

    def unlocked_vault(self, *, activity: bool = True):
        """The vault for a request; `activity=False` for refreshes nobody asked for (issue 9 #3:
        a ticker polling `"passive": true` must not keep the vault open). A request that arrives
        after the idle deadline finds it locked, whether or not the periodic check has run."""
        self.idle_check()
        if self.vault.is_locked:
            raise Locked("the vault is locked: run 'otpc unlock'")
        if activity:
            self.touch()
        return self.vault

    def unlock(self, password: str) -> None:
        """Unlock, or, when already unlocked, check the password all the same (protocol § 8): a
        wrong one is WrongPassword (and counts towards 429) whatever the lock state, so the answer
        is never "200 for any password"."""
        was_locked = self.vault.is_locked
        self.vault.unlock(password)  # unlocked already: the same master key, loaded again
        if was_locked:
            log.info("vault unlocked")
            self.clients.unlocked_with(self.vault)  # verify the clients file before anything else
            self.log_accepted_rollback()
        self.touch()

    def lock(self, reason: str = "on request") -> None:
        if not self.vault.is_locked:
            self.vault.lock()
            log.info("vault locked (%s)", reason)

    def idle_check(self) -> None:
        minutes = self.config.idle_lock_minutes
        if minutes and not self.locked and time.monotonic() - self.last_activity > minutes * 60:
            self.lock(f"idle for {minutes} min")

    # ---- pairing and clients --------------------------------------------------------------
    def open_pairing(self, write: bool, customer_refs: list[str] | None) -> PairingWindow:
        scope = Scope(write, self.resolve_customers(customer_refs))
        window = self.pairing.open(scope)
        log.info("pairing window opened for %d s", int(window.expires_at - time.time()))
        return window

    def add_client(self, client: Client) -> None:
        self.clients.add(client)
        log.info("paired client %s (%s) from %s", client.id[:8], client.name, client.origin)

    def resolve_customers(self, refs: list[str] | None) -> tuple[str, ...] | None:
        if refs is None:
            return None
        vault = self.unlocked_vault()
        ids = []
        for ref in refs:
            try:
                ids.append(vault.customer(ref).id)
            except NotFound:
                raise NotFound(f"no customer {ref!r}") from None
        return tuple(dict.fromkeys(ids))

    def status(self) -> dict:
        return {
            "locked": self.locked,
            "port": self.port,
            "pid": os.getpid(),
            "clients": len(self.clients.all()),
            "pairing_open": self.pairing.is_open,
            "idle_lock_minutes": self.config.idle_lock_minutes,
        }

    def shutdown(self) -> None:
        stop_checkpoints = getattr(self, "_stop_checkpoints", None)
        if stop_checkpoints is not None:
            stop_checkpoints()
        try:
            self.clients.flush()
        except (OSError, UserError):
            pass
        try:
            self.vault.lock()
            self.vault.close()
        except Exception:  # noqa: BLE001 - shutting down anyway
            pass
