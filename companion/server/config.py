"""The companion's per-vault settings file (paths.config_path): port, idle lock, dev extension ids."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from companion.errors import UserError
from companion.paths import DEFAULT_PORT, config_path

EXTENSION_ID = re.compile(r"[a-p]{32}")


@dataclass
class ServerConfig:
    port: int = DEFAULT_PORT
    idle_lock_minutes: int | float = 15  # 0 = never auto-lock; fractions allowed (0.5 = 30 s)
    dev_extension_ids: list[str] = field(default_factory=list)
    allow_http_unlock: bool = True

    def check(self) -> ServerConfig:
        if not isinstance(self.port, int) or not 1 <= self.port <= 65535:
            raise UserError(f"config: port must be 1..65535, not {self.port!r}")
        minutes = self.idle_lock_minutes
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 0 <= minutes < 1e6:
            raise UserError("config: idle_lock_minutes must be a number of minutes >= 0")
        if not isinstance(self.allow_http_unlock, bool):
            raise UserError("config: allow_http_unlock must be true or false")
        for ext_id in self.dev_extension_ids:
            if not isinstance(ext_id, str) or not EXTENSION_ID.fullmatch(ext_id):
                raise UserError("config: dev_extension_ids must be Chrome extension ids (32 a-p)")
        return self


def load_config(vault: Path) -> ServerConfig:
    path = config_path(vault)
    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return ServerConfig()
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read config {path}: {exc.__class__.__name__}") from None
    if not isinstance(raw, dict):
        raise UserError(f"config {path} must hold a JSON object")
    known = {k: raw[k] for k in asdict(ServerConfig()) if k in raw}
    return ServerConfig(**known).check()


def save_config(vault: Path, config: ServerConfig) -> None:
    from companion.fsutil import write_private

    data = json.dumps(asdict(config.check()), indent=2) + "\n"
    write_private(config_path(vault), data.encode(), overwrite=True)
