"""What every CLI command shares: finding and unlocking the vault, printing, one-line errors."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from companion.errors import Locked, UserError, from_reply

if TYPE_CHECKING:
    from rich.console import Console

    from companion.vault import Vault


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


def emit_json(data: Any) -> None:
    """Machine-readable output: one JSON document on stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@dataclass
class State:
    """Per-invocation state: global options and the (lazily opened) vault."""

    vault_path: str | None = None
    password_stdin: bool = False
    accept_rollback: bool = False  # --accept-rollback: unlock an older copy, make it the baseline
    _vault: Vault | None = field(default=None, repr=False)
    _stdin_password: str | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        from companion.paths import vault_path

        return vault_path(self.vault_path)

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

    def vault(self, *, unlock: bool = True) -> Vault:
        """Open the vault (and unlock it: keyring slot first, then the password)."""
        if self._vault is None:
            from companion.hardening import forbid_core_dumps
            from companion.vault import Vault

            forbid_core_dumps()  # before any key or password is in this process (issue 9 #7)

            path = self.path
            if not Vault.exists(path):
                raise UserError(f"no vault at {path}: run 'otpc init' first")
            self._vault = Vault.open(path, accept_rollback=self.accept_rollback)
        if unlock and self._vault.is_locked:
            if not self._vault.unlock_with_keyring():
                self._vault.unlock(self.read_password())
            if self._vault.rollback_accepted:
                click.echo(f"otpc: accepted: {self._vault.rollback_accepted}", err=True)
        return self._vault

    def close(self) -> None:
        if self._vault is not None:
            self._vault.close()
            self._vault = None


pass_state = click.make_pass_decorator(State)


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
    try:
        from companion.cli.control import ask
    except ImportError:
        return None
    try:
        reply = ask(path, request)
    except (OSError, ValueError):
        return None
    if not isinstance(reply, dict):
        return None
    if reply.get("ok"):
        return reply
    error = from_reply(reply)
    if isinstance(error, Locked):
        return None
    raise error
