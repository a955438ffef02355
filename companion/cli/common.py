"""What every CLI command shares: finding and unlocking the vault, printing, one-line errors."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from companion.errors import UserError

if TYPE_CHECKING:
    from rich.console import Console

    from companion.vault import Vault


def console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def emit_json(data: Any) -> None:
    """Machine-readable output: one JSON document on stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@dataclass
class State:
    """Per-invocation state: global options and the (lazily opened) vault."""

    vault_path: str | None = None
    password_stdin: bool = False
    _vault: Vault | None = field(default=None, repr=False)
    _stdin_password: str | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        from companion.paths import vault_path

        return vault_path(self.vault_path)

    def read_password(self, prompt: str = "Master password", *, confirm: bool = False) -> str:
        """--password-stdin, then OTPC_PASSWORD, then a hidden prompt (never an argument)."""
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

    def vault(self, *, unlock: bool = True) -> Vault:
        """Open the vault (and unlock it: keyring slot first, then the password)."""
        if self._vault is None:
            from companion.vault import Vault

            path = self.path
            if not Vault.exists(path):
                raise UserError(f"no vault at {path}: run 'otpc init' first")
            self._vault = Vault.open(path)
        if unlock and self._vault.is_locked and not self._vault.unlock_with_keyring():
            self._vault.unlock(self.read_password())
        return self._vault

    def close(self) -> None:
        if self._vault is not None:
            self._vault.close()
            self._vault = None


pass_state = click.make_pass_decorator(State)
