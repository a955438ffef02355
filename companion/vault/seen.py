"""What this machine remembers about a vault outside the vault file: the highest generation it has
seen, and the next HOTP counter of each HOTP entry (issue 9.8).

A copy of the vault file put back (a restored backup, a synced folder, someone with write access to
the file) carries its own, older, sealed generation; only a memory kept somewhere else can tell that
it is older. That memory is a 0600 JSON file in the companion's state directory
(`paths.state_dir()`, `vault-<vault id>.seen.json`), and, when the vault has an OS-keyring slot, the
same JSON in the keyring too (service `otp-companion`, account `vault-<vault id>-seen`); reading
takes the larger of the two. Nothing in it is secret: ids, a generation number, HOTP counters.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

log = logging.getLogger("otpc.vault")

KEYRING_SERVICE = "otp-companion"


@dataclass
class Seen:
    generation: int = 0
    hotp: dict[str, int] = field(default_factory=dict)  # entry id -> next counter to use

    @classmethod
    def parse(cls, text: str | None, vault_id: str) -> Seen:
        """A damaged or foreign memory counts as none (deleting it has the same effect)."""
        try:
            data = json.loads(text or "")
            if data.get("vault_id") != vault_id:
                return cls()
            hotp = {
                str(k): int(v) for k, v in data.get("hotp", {}).items() if int(v) >= 0
            }
            return cls(max(0, int(data.get("generation", 0))), hotp)
        except (ValueError, TypeError, AttributeError):
            return cls()

    def merged(self, other: Seen) -> Seen:
        hotp = dict(self.hotp)
        for eid, counter in other.hotp.items():
            hotp[eid] = max(counter, hotp.get(eid, 0))
        return Seen(max(self.generation, other.generation), hotp)

    def dump(self, vault_id: str) -> str:
        return json.dumps(
            {"vault_id": vault_id, "generation": self.generation, "hotp": self.hotp},
            sort_keys=True,
        )


class SeenStore:
    def __init__(self, vault_id: str):
        self.vault_id = vault_id
        self.use_keyring = False  # set while the vault has a keyring slot

    @cached_property
    def path(self) -> Path:
        from companion.paths import state_dir

        return state_dir() / f"vault-{self.vault_id}.seen.json"

    @property
    def _keyring_account(self) -> str:
        return f"vault-{self.vault_id}-seen"

    def load(self) -> Seen:
        seen = self._read_file()
        if self.use_keyring:
            seen = seen.merged(Seen.parse(self._read_keyring(), self.vault_id))
        return seen

    def update(
        self, generation: int, raise_to: dict[str, int], set_to: dict[str, int | None]
    ) -> None:
        """Raise the remembered generation to `generation`; raise HOTP counters to `raise_to`
        (codes handed out: they only go up) and set those in `set_to` (an OTP set anew), or
        forget them (None: removed). Failing to write is logged, not raised: the vault change it
        follows is already committed."""
        try:
            from companion.fsutil import make_private_dirs, write_private

            make_private_dirs(self.path.parent)
            with self._locked():
                seen = self._read_file()
                if self.use_keyring:
                    seen = seen.merged(Seen.parse(self._read_keyring(), self.vault_id))
                seen.generation = max(seen.generation, generation)
                for eid, counter in set_to.items():
                    if counter is None:
                        seen.hotp.pop(eid, None)
                    else:
                        seen.hotp[eid] = counter
                for eid, counter in raise_to.items():
                    seen.hotp[eid] = max(counter, seen.hotp.get(eid, 0))
                text = seen.dump(self.vault_id)
                write_private(self.path, text.encode(), overwrite=True)
                if self.use_keyring:
                    self._write_keyring(text)
        except Exception as exc:  # noqa: BLE001 - OSError, fsutil's UserError: never fail a commit
            log.warning("could not remember the vault generation in %s (%s)", self.path, exc)

    def _read_file(self) -> Seen:
        try:
            return Seen.parse(self.path.read_text(), self.vault_id)
        except (OSError, UnicodeDecodeError):
            return Seen()

    @contextmanager
    def _locked(self):
        """Writers (the CLI and the companion) take turns: read, merge, write."""
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; the merge still keeps the maximum
            yield
            return
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _read_keyring(self) -> str | None:
        try:
            import keyring

            return keyring.get_password(KEYRING_SERVICE, self._keyring_account)
        except Exception:  # noqa: BLE001 - no backend, locked keyring: the file still counts
            return None

    def _write_keyring(self, text: str) -> None:
        try:
            import keyring

            keyring.set_password(KEYRING_SERVICE, self._keyring_account, text)
        except Exception:  # noqa: BLE001 - as above
            log.warning("could not remember the vault generation in the OS keyring")

    def forget_keyring(self) -> None:
        try:
            import keyring

            keyring.delete_password(KEYRING_SERVICE, self._keyring_account)
        except Exception:  # noqa: BLE001 - already gone, or no backend
            pass
