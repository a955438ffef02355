"""The encrypted vault: the only code that touches the database and the keys."""

from companion.vault.vault import Vault

__all__ = ["Vault"]
