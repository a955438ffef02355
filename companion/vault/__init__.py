"""The encrypted vault: the only code that touches the database and the keys.

`Vault` loads on first use, so that its plain records (companion.vault.model) can be imported without
the cryptography stack: the CLI decodes a running companion's answers into them (cli/remote.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from companion.vault.vault import Vault

__all__ = ["Vault"]


def __getattr__(name: str):
    if name == "Vault":
        from companion.vault.vault import Vault

        return Vault
    raise AttributeError(f"module 'companion.vault' has no attribute {name!r}")
