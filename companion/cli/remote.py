"""The vault of a running, unlocked companion, used by the CLI like a local Vault (the agent model).

Like ssh-agent: while the companion is unlocked, every command goes through its control socket and
never asks for the master password nor runs the KDF. Each method below is one request
`{"op": "vault", "method": M, "args": {...}}` (server side: companion/server/vault_ops.py, which holds
the allowlist); results come back as the same dataclasses a local Vault returns. Entries arrive
without their password: `password` is then PASSWORD_HIDDEN when there is one (so `if entry.password`
still means "has one"); `reveal_password` reads it, audited.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from companion.cli.control import call
from companion.errors import UserError
from companion.otp import OtpParams
from companion.vault.model import AuditEvent, CodeResult, Customer, Entry, OtpSummary

PASSWORD_HIDDEN = "\0(held by the companion: reveal_password)"
TIMEOUT = 30.0
IMPORT_TIMEOUT = 600.0  # a 100,000-row import is written in one request


def customer_of(data: dict) -> Customer:
    fields = Customer.__dataclass_fields__  # a team customer's also says "team" and "can"
    return Customer(**{k: v for k, v in data.items() if k in fields})


def entry_of(data: dict) -> Entry:
    otp = data.get("otp")
    return Entry(
        id=data["id"],
        customer_id=data["customer_id"],
        customer=data["customer"],
        title=data["title"],
        username=data.get("username", ""),
        password=PASSWORD_HIDDEN if data.get("has_password") else "",
        urls=tuple(data.get("urls") or ()),
        notes=data.get("notes", ""),
        tags=tuple(data.get("tags") or ()),
        otp=OtpSummary(**otp) if otp else None,
        created=data.get("created", 0),
        updated=data.get("updated", 0),
    )


def code_of(data: dict) -> CodeResult:
    fields = CodeResult.__dataclass_fields__
    return CodeResult(**{k: v for k, v in data.items() if k in fields})


class NotThroughCompanion(UserError, AttributeError):
    """A Vault feature the companion does not offer (an AttributeError too, so hasattr() is False)."""


class RemoteVault:
    """The subset of companion.vault.Vault the CLI uses, answered by the companion."""

    is_locked = False

    def __getattr__(self, name: str):
        # A command calling a Vault method the allowlist lacks gets one line, not a traceback;
        # such commands should open the file with State.local_vault().
        raise NotThroughCompanion(
            f"this command needs the vault file itself ({name}), not the running companion: "
            "run 'otpc lock', then run it again with --password-stdin or OTPC_PASSWORD"
        )

    def __init__(self, vault_path: Path):
        self.path = Path(vault_path)

    def _call(self, method: str, timeout: float = TIMEOUT, **args) -> object:
        request = {"op": "vault", "vault": str(self.path), "method": method,
                   "args": {k: v for k, v in args.items() if v is not None}}
        reply = call(self.path, request, timeout=timeout)
        if reply is None:
            raise UserError("the companion stopped answering; nothing more was sent to it")
        return reply.get("result")

    @staticmethod
    def _ref(ref: str | Entry) -> str:
        return ref.id if isinstance(ref, Entry) else ref

    # -- customers ---------------------------------------------------------------------------------
    def customers(self) -> list[Customer]:
        return [customer_of(c) for c in self._call("customers")]

    def customer(self, ref: str) -> Customer:
        return customer_of(self._call("customer", ref=ref))

    def add_customer(self, name: str, notes: str = "") -> Customer:
        return customer_of(self._call("add_customer", name=name, notes=notes))

    def update_customer(self, ref: str, *, name: str | None = None,
                        notes: str | None = None) -> Customer:
        return customer_of(self._call("update_customer", ref=ref, name=name, notes=notes))

    def remove_customer(self, ref: str, *, force: bool = False, actor: str = "cli") -> None:
        self._call("remove_customer", ref=ref, force=force)

    # -- entries -----------------------------------------------------------------------------------
    def entries(self, *, customer: str | None = None, search: str | None = None) -> list[Entry]:
        return [entry_of(e) for e in self._call("entries", customer=customer, search=search)]

    def entry(self, ref: str) -> Entry:
        return entry_of(self._call("entry", ref=ref))

    def find_entry(self, ref: str | None = None, *, exact: bool = False,
                   customer: str | None = None, title: str | None = None) -> Entry:
        """companion.resolve.resolve_entry, run in the companion (no listing travels)."""
        return entry_of(self._call("find_entry", ref=ref, exact=exact or None,
                                   customer=customer, title=title))

    def add_entry(self, customer: str, title: str, *, username: str = "", password: str = "",
                  urls: Collection[str] = (), notes: str = "",
                  tags: Collection[str] = ()) -> Entry:
        return entry_of(self._call("add_entry", customer=customer, title=title, username=username,
                                   password=password, urls=list(urls), notes=notes,
                                   tags=list(tags)))

    def update_entry(self, ref: str, **fields) -> Entry:
        for name in ("urls", "tags"):
            if fields.get(name) is not None:
                fields[name] = list(fields[name])
        return entry_of(self._call("update_entry", ref=self._ref(ref), **fields))

    def remove_entry(self, ref: str, *, actor: str = "cli") -> None:
        self._call("remove_entry", ref=self._ref(ref))

    # -- OTP and codes -----------------------------------------------------------------------------
    def set_otp(self, ref: str, params: OtpParams, *, actor: str = "cli") -> Entry:
        return entry_of(self._call("set_otp", ref=self._ref(ref), params=asdict(params)))

    def remove_otp(self, ref: str, *, actor: str = "cli") -> bool:
        return bool(self._call("remove_otp", ref=self._ref(ref)))

    def code(self, ref: str | Entry, *, at: float | None = None, actor: str = "cli") -> CodeResult:
        return code_of(self._call("code", ref=self._ref(ref), at=at))

    def reveal_password(self, ref: str, *, actor: str = "cli") -> str:
        return str(self._call("reveal_password", ref=self._ref(ref)))

    def otp_params(self, ref: str, *, actor: str = "cli", reason: str = "export") -> OtpParams:
        return OtpParams(**self._call("otp_params", ref=self._ref(ref), reason=reason))

    # -- imports and audit -------------------------------------------------------------------------
    def known_otps(self, keys: list[str]) -> list[str]:
        """See companion.imports.existing_duplicates."""
        return list(self._call("known_otps", keys=keys))

    def import_rows(self, rows) -> int:
        """companion.imports.write_rows in the companion: one request, one transaction."""
        from companion.imports import rows_to_wire

        return int(self._call("import_rows", timeout=IMPORT_TIMEOUT, rows=rows_to_wire(rows)))

    @contextmanager
    def batch(self) -> Iterator[RemoteVault]:
        raise UserError("a batch of vault writes cannot span control-socket requests")
        yield self  # pragma: no cover

    def audit(self, *, entry: str | None = None, entry_id: str | None = None,
              limit: int | None = None) -> list[AuditEvent]:
        if entry:
            entry_id = self.find_entry(entry, exact=True).id
        return [AuditEvent(**ev) for ev in self._call("audit", entry_id=entry_id, limit=limit)]

    def lock(self) -> None:
        """Nothing to drop here: the keys stay in the companion (`otpc lock` locks it)."""

    def close(self) -> None:
        pass
