"""What every CLI command shares: finding and unlocking the vault, printing, one-line errors."""

from __future__ import annotations

import functools
import json
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from companion.errors import Locked, UserError

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console

    from companion.cli.remote import RemoteVault
    from companion.vault import Vault
    from companion.vault.model import Entry


def console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def printable(text: object) -> str:
    """Text safe for a terminal: control characters (C0, DEL, C1, bidi overrides) shown escaped, so
    an imported issuer carrying an escape sequence (OSC 52 writes the clipboard) prints as text."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069 or code in (0x200E, 0x200F):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def esc(text: object) -> str:
    """User data printed through rich is text, never markup ('[bold]' in a title stays literal), and
    never a control sequence (see printable)."""
    from rich.markup import escape

    return escape(printable(text))


def bold(text: object) -> str:
    """User data for a one-line message (say): printable, bold on a terminal."""
    return click.style(printable(text), bold=True)


def say(line: str) -> None:
    """A one-line confirmation on stdout, without loading rich (the agent path stays quick):
    click drops the styling when stdout is not a terminal."""
    click.echo(line)


def emit_json(data: Any) -> None:
    """Machine-readable output: one JSON document on stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


class State:
    """Per-invocation state: global options and the (lazily opened) vault. (Plain classes here, not
    dataclasses: building one costs the agent path of every command about a millisecond.)"""

    def __init__(self, vault_path: str | None = None, password_stdin: bool = False,
                 accept_rollback: bool = False):
        self.vault_path = vault_path
        self.password_stdin = password_stdin
        self.accept_rollback = accept_rollback  # --accept-rollback: unlock an older copy
        self._vault: Vault | RemoteVault | None = None
        self._stdin_password: str | None = None
        self._no_companion = False  # asked once: none runs (or it is locked and a password given)

    def __repr__(self) -> str:  # never the password
        return f"State(vault_path={self.vault_path!r})"

    @property
    def path(self) -> Path:
        from companion.paths import vault_path

        return vault_path(self.vault_path)

    @property
    def file(self) -> str:
        """The vault's path as a string: the agent path does not load pathlib (issue 10)."""
        from companion.paths import vault_file

        return vault_file(self.vault_path)

    def read_password(self, prompt: str = "Master password", *, confirm: bool = False) -> str:
        """--password-stdin, then OTPC_PASSWORD, then a hidden prompt (never an argument)."""
        from companion.hardening import forbid_core_dumps

        forbid_core_dumps()  # the password is about to be in this process's memory
        if self.password_stdin:
            if self._stdin_password is None:
                line = sys.stdin.readline()
                if not line:
                    raise UserError("--password-stdin given but stdin is empty")
                self._stdin_password = line.rstrip("\r\n")
            return self._stdin_password
        env = os.environ.get("OTPC_PASSWORD")
        if env is not None:
            return env
        if not sys.stdin.isatty():
            raise UserError("no password: use --password-stdin or OTPC_PASSWORD when stdin is not a terminal")
        return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)

    def read_secret(self, prompt: str, *, confirm: bool = False) -> str:
        """A secret other than the master password (entry password, OTP secret, new password):
        a hidden prompt on a terminal, else the next line of stdin (after the --password-stdin line)."""
        if self.password_stdin and self._stdin_password is None:
            self.read_password()  # the master password is always the first line
        if sys.stdin.isatty():
            return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)
        line = sys.stdin.readline()
        if not line:
            raise UserError(f"{prompt.lower()}: expected a line on stdin, got none")
        return line.rstrip("\r\n")

    def has_password(self) -> bool:
        """Whether a master password is at hand without asking (--password-stdin, OTPC_PASSWORD)."""
        return self.password_stdin or os.environ.get("OTPC_PASSWORD") is not None

    def vault(self, *, unlock: bool = True) -> Vault | RemoteVault:
        """The vault every command uses: a running, unlocked companion's (no password, no KDF),
        else the file opened and unlocked here (docs/threat-model.md, "The agent")."""
        if self._vault is None and unlock and not self._no_companion:
            self._vault = self._companion_vault()
            self._no_companion = self._vault is None
        if self._vault is None:
            return self.local_vault(unlock=unlock)
        return self._vault

    def through_companion(self) -> bool:
        """Whether this command's vault is a running, unlocked companion's (asked once: the answer
        is the vault vault() returns). Checks the companion makes itself (entry URLs) are then
        left to it; a command opening the file still makes them before asking for its password."""
        if self._vault is None and not self._no_companion:
            self._vault = self._companion_vault()
            self._no_companion = self._vault is None
        return self._vault is not None and not hasattr(self._vault, "store")

    def _companion_vault(self) -> RemoteVault | None:
        """The companion's vault, or None when none runs (the hint is printed then) or it is locked
        and a password was given for the file (scripts keep working as before). Locked with no
        password given: on a terminal, ask and unlock the companion with it (like ssh-add); else
        exit 5, locked."""
        from companion.cli.control import call

        path = self.file
        try:
            status = call(path, {"op": "status"})
        except UserError:
            status = None
        if status is None:
            start_hint()
            return None
        served = status.get("vault")
        if isinstance(served, str) and os.path.realpath(served) != os.path.realpath(path):
            raise UserError(
                f"the companion on this control socket serves {served}, not {path} "
                "(check OTPC_SOCKET and --vault); nothing was done"
            )
        if status.get("locked"):
            if self.has_password():
                return None
            if not sys.stdin.isatty():
                raise Locked(
                    "the companion is locked: run 'otpc unlock' (or give the master password "
                    "with --password-stdin or OTPC_PASSWORD to open the vault file directly)"
                )
            password = click.prompt("Master password (unlocks the companion)", hide_input=True,
                                    err=True)
            call(path, {"op": "unlock", "password": password}, timeout=30.0)
        from companion.cli.remote import RemoteVault

        return RemoteVault(path)

    def local_vault(self, *, unlock: bool = True) -> Vault:
        """The vault file opened by this process (keyring slot first, then the password)."""
        from companion.vault import Vault

        local = self._vault if self._vault is not None and hasattr(self._vault, "store") else None
        if local is None:
            from companion.hardening import forbid_core_dumps

            forbid_core_dumps()  # before any key or password is in this process (issue 9 #7)
            path = self.path
            if not Vault.exists(path):
                raise UserError(f"no vault at {path}: run 'otpc init' first")
            local = self._vault = Vault.open(path, accept_rollback=self.accept_rollback)
        if unlock and local.is_locked:
            if not local.unlock_with_keyring():
                local.unlock(self.read_password())
            if local.rollback_accepted:
                click.echo(f"otpc: accepted: {local.rollback_accepted}", err=True)
        return local

    def entry(self, which: Which | str | None, *, exact: bool = False) -> Entry:
        """The entry the user means (companion.resolve: a unique part of the title, Customer/Title,
        an id or id prefix; --exact; --customer/--title), resolved where the vault is."""
        if not isinstance(which, Which):
            which = Which(which, exact)
        ref, exact, customer, title = which.ref, which.exact, which.customer, which.title
        if not (ref or "").strip() and customer is None and title is None:
            from companion.errors import UsageError

            raise UsageError("which entry? give ENTRY (a name, Customer/Title or an id)")
        vault = self.vault()
        if hasattr(vault, "find_entry"):
            return vault.find_entry(ref, exact=exact, customer=customer, title=title)
        from companion.resolve import find_entry

        return find_entry(vault, ref, exact=exact, customer=customer, title=title)

    def close(self) -> None:
        if self._vault is not None:
            self._vault.close()
            self._vault = None


pass_state = click.make_pass_decorator(State)


class Which:
    """What the user typed to name one entry (see companion/resolve.py)."""

    __slots__ = ("ref", "exact", "customer", "title")

    def __init__(self, ref: str | None = None, exact: bool = False, customer: str | None = None,
                 title: str | None = None):
        self.ref, self.exact, self.customer, self.title = ref, exact, customer, title

    def __repr__(self) -> str:
        return (f"Which(ref={self.ref!r}, exact={self.exact!r}, customer={self.customer!r}, "
                f"title={self.title!r})")


def entry_argument(*, select: bool = True):
    """ENTRY plus --exact (and, with select, --customer C --title T for names holding '/'), passed
    to the command as one `which` argument for State.entry."""

    def decorate(command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            which = Which(kwargs.pop("ref"), kwargs.pop("exact"), kwargs.pop("sel_customer", None),
                          kwargs.pop("sel_title", None))
            return command(*args, which=which, **kwargs)

        params = [
            click.argument("ref", metavar="[ENTRY]", required=False),
            click.option("--exact", is_flag=True,
                         help="ENTRY is an id or Customer/Title exactly: no search (scripts)."),
        ]
        if select:
            params += [
                click.option("--customer", "sel_customer", default=None, metavar="NAME",
                             help="The entry's customer (with --title, or to narrow ENTRY)."),
                click.option("--title", "sel_title", default=None, metavar="TITLE",
                             help="The entry's exact title (names may contain '/')."),
            ]
        for param in reversed(params):
            run = param(run)
        return run

    return decorate


def confirm(question: str, *, yes: bool) -> None:
    """Go on only if --yes was given or the user says yes on a terminal; otherwise a UserError."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UserError("refusing without --yes: stdin is not a terminal to confirm on")
    if not click.confirm(question, default=False, err=True):
        raise UserError("cancelled; nothing changed")


def ask_companion(path: Path, request: dict) -> dict | None:
    """The running companion's ok reply, or None when none answers (or it is locked): then the
    caller opens the vault itself. Its other refusals become UserErrors."""
    from companion.cli.control import call

    try:
        return call(path, request)
    except Locked:
        return None


_hinted = False
START_HINT = ("otpc: no companion is running, so this command opens the vault itself; "
              "'otpc serve' (or 'otpc service install') keeps it unlocked for every command")


def start_hint() -> None:
    """Say once per process, and only to a person at a terminal (not in scripts' logs), that a
    companion would spare the password and the KDF."""
    global _hinted
    if not _hinted and sys.stderr.isatty():
        _hinted = True
        click.echo(START_HINT, err=True)
