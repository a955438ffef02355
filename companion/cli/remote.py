"""The vault of a running, unlocked companion, used by the CLI like a local Vault (the agent model).

Like ssh-agent: while the companion is unlocked, every command goes through its control socket and
never asks for the master password nor runs the KDF. Each method below is one request
`{"op": "vault", "method": M, "args": {...}}` (server side: companion/server/vault_ops.py, which holds
the allowlist). Entries come back as RemoteEntry: the attributes, `ref`, `has_otp` and `public()`
of the vault's Entry without loading the vault package (the agent path of `entry add` and `otp set`
loads neither it nor pathlib: tests/cli/test_lazy_imports.py); customers, codes and audit events as
the dataclasses a local Vault returns. Entries arrive without their password: `password` is then
PASSWORD_HIDDEN when there is one (so `if entry.password` still means "has one");
`reveal_password` reads it, audited.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from companion.cli.control import call
from companion.errors import UserError

TYPE_CHECKING = False  # not typing's: this module is on the agent path of every write (issue 10)

if TYPE_CHECKING:
    from pathlib import Path

    from companion.otp import OtpParams
    from companion.vault.model import AuditEvent, CodeResult, Customer

PASSWORD_HIDDEN = "\0(held by the companion: reveal_password)"
TIMEOUT = 30.0
IMPORT_TIMEOUT = 600.0  # a 100,000-row import is written in one request
OTP_FIELDS = ("type", "issuer", "account", "algorithm", "digits", "period")
ENTRY_FIELDS = ("id", "customer_id", "customer", "title", "username", "password", "urls", "notes",
                "tags", "otp", "created", "updated")


class RemoteOtp:
    """companion.vault.model.OtpSummary as the companion sent it (no secret, no counter)."""

    __slots__ = OTP_FIELDS

    def __init__(self, data: dict):
        for name, default in zip(OTP_FIELDS, ("totp", "", "", "SHA1", 6, 30), strict=True):
            object.__setattr__(self, name, data.get(name, default))

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only")

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in OTP_FIELDS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemoteOtp) and self.as_dict() == other.as_dict()

    __hash__ = None


class RemoteEntry:
    """An entry as a running companion returns it: the attributes, `ref`, `has_otp` and `public()` of
    companion.vault.model.Entry (tests/cli/test_lazy_imports.py compares the two), without loading
    the vault package and its dataclasses on the agent path of `entry add` / `otp set` (issue 10)."""

    __slots__ = ENTRY_FIELDS

    def __init__(self, data: dict):
        otp = data.get("otp")
        values = {
            "id": data["id"], "customer_id": data["customer_id"], "customer": data["customer"],
            "title": data["title"], "username": data.get("username", ""),
            "password": PASSWORD_HIDDEN if data.get("has_password") else "",
            "urls": tuple(data.get("urls") or ()), "notes": data.get("notes", ""),
            "tags": tuple(data.get("tags") or ()), "otp": RemoteOtp(otp) if otp else None,
            "created": data.get("created", 0), "updated": data.get("updated", 0),
        }
        for name in ENTRY_FIELDS:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only")

    @property
    def has_otp(self) -> bool:
        return self.otp is not None

    @property
    def ref(self) -> str:
        return f"{self.customer}/{self.title}"

    def public(self) -> dict:
        """As Entry.public(): metadata, never the password nor a secret."""
        return {
            "id": self.id, "customer_id": self.customer_id, "customer": self.customer,
            "title": self.title, "username": self.username, "urls": list(self.urls),
            "notes": self.notes, "tags": list(self.tags), "has_otp": self.has_otp,
            "has_password": bool(self.password),
            "otp": self.otp.as_dict() if self.otp else None,
            "created": self.created, "updated": self.updated,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemoteEntry) and all(
            getattr(self, name) == getattr(other, name) for name in ENTRY_FIELDS)

    __hash__ = None

    def __repr__(self) -> str:
        return f"RemoteEntry(id={self.id!r}, ref={self.ref!r})"


def customer_of(data: dict) -> Customer:
    from companion.vault.model import Customer

    fields = Customer.__dataclass_fields__  # a team customer's also says "team" and "can"
    return Customer(**{k: v for k, v in data.items() if k in fields})


def entry_of(data: dict) -> RemoteEntry:
    return RemoteEntry(data)


def code_of(data: dict) -> CodeResult:
    from companion.vault.model import CodeResult

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

    def __init__(self, vault_path: str | Path):
        self.file = os.fspath(vault_path)  # a string: pathlib is not loaded on the agent path

    @property
    def path(self) -> Path:
        from pathlib import Path

        return Path(self.file)

    def _call(self, method: str, timeout: float = TIMEOUT, **args) -> object:
        request = {"op": "vault", "vault": self.file, "method": method,
                   "args": {k: v for k, v in args.items() if v is not None}}
        reply = call(self.file, request, timeout=timeout)
        if reply is None:
            raise UserError("the companion stopped answering; nothing more was sent to it")
        return reply.get("result")

    @staticmethod
    def _ref(ref: str | RemoteEntry) -> str:
        return ref if isinstance(ref, str) else ref.id

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
    def entries(self, *, customer: str | None = None, search: str | None = None) -> list[RemoteEntry]:
        return [entry_of(e) for e in self._call("entries", customer=customer, search=search)]

    def entry(self, ref: str) -> RemoteEntry:
        return entry_of(self._call("entry", ref=ref))

    def find_entry(self, ref: str | None = None, *, exact: bool = False,
                   customer: str | None = None, title: str | None = None) -> RemoteEntry:
        """companion.resolve.resolve_entry, run in the companion (no listing travels)."""
        return entry_of(self._call("find_entry", ref=ref, exact=exact or None,
                                   customer=customer, title=title))

    def add_entry(self, customer: str, title: str, *, username: str = "", password: str = "",
                  urls: Collection[str] = (), notes: str = "",
                  tags: Collection[str] = ()) -> RemoteEntry:
        return entry_of(self._call("add_entry", customer=customer, title=title, username=username,
                                   password=password, urls=list(urls), notes=notes,
                                   tags=list(tags)))

    def update_entry(self, ref: str, **fields) -> RemoteEntry:
        for name in ("urls", "tags"):
            if fields.get(name) is not None:
                fields[name] = list(fields[name])
        return entry_of(self._call("update_entry", ref=self._ref(ref), **fields))

    def remove_entry(self, ref: str, *, actor: str = "cli") -> None:
        self._call("remove_entry", ref=self._ref(ref))

    # -- OTP and codes -----------------------------------------------------------------------------
    def set_otp(self, ref: str, params: OtpParams, *, actor: str = "cli") -> RemoteEntry:
        return entry_of(self._call("set_otp", ref=self._ref(ref), params=dict(vars(params))))

    def set_otp_from_text(self, ref: str | RemoteEntry, text: str, *, force: bool = False,
                          **given) -> tuple[RemoteEntry, int, list[str], list[str]]:
        """companion.server.vault_ops.set_otp_from_text in the companion (it builds the OTP)."""
        done = self._call("set_otp_from_text", ref=self._ref(ref), text=text, force=force or None,
                          **given)
        return entry_of(done["entry"]), done["counter"], done["notes"], done["warnings"]

    def remove_otp(self, ref: str, *, actor: str = "cli") -> bool:
        return bool(self._call("remove_otp", ref=self._ref(ref)))

    def code(self, ref: str | RemoteEntry, *, at: float | None = None, actor: str = "cli") -> CodeResult:
        return code_of(self._call("code", ref=self._ref(ref), at=at))

    def reveal_password(self, ref: str, *, actor: str = "cli") -> str:
        return str(self._call("reveal_password", ref=self._ref(ref)))

    def otp_params(self, ref: str, *, actor: str = "cli", reason: str = "export") -> OtpParams:
        from companion.otp import OtpParams

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
        from companion.vault.model import AuditEvent

        return [AuditEvent(**ev) for ev in self._call("audit", entry_id=entry_id, limit=limit)]

    def lock(self) -> None:
        """Nothing to drop here: the keys stay in the companion (`otpc lock` locks it)."""

    def close(self) -> None:
        pass
