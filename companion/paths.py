"""Where the vault, the paired-clients file, the config and the control socket live.

Stdlib only (plus a lazy platformdirs import), because `otpc code`'s fast path needs the socket path
without paying for click or rich.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

APP = "otpc"
DEFAULT_PORT = 17655


def vault_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--vault PATH` wins, then `OTPC_VAULT`, then the platform's user data dir."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("OTPC_VAULT")
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP)).resolve() / "vault.sqlite"


def state_dir() -> Path:
    """Where the companion remembers things about a vault that must not live inside it (the last
    vault generation seen, for rollback detection): `OTPC_STATE_DIR`, else the platform's user
    state dir (~/.local/state/otpc on Linux)."""
    env = os.environ.get("OTPC_STATE_DIR")
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_state_dir(APP)).resolve()


def clients_path(vault: Path) -> Path:
    """Paired clients' keys sit beside the vault, outside its encryption, so that requests can be
    authenticated while the vault is locked (docs/protocol.md)."""
    return vault.with_name(vault.stem + ".clients.json")


def config_path(vault: Path) -> Path:
    """Per-vault settings (port, idle lock, dev extension ids) sit beside the vault."""
    return vault.with_name(vault.stem + ".config.json")


def runtime_dir() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        return Path(base) / APP
    return Path(tempfile.gettempdir()) / f"{APP}-{os.getuid()}"


def control_socket_path(vault: Path) -> Path:
    """One control socket per vault file, so two companions (e.g. in tests) never share one.

    `OTPC_SOCKET` overrides it. The name is a hash of the vault path: no customer data in it.
    """
    env = os.environ.get("OTPC_SOCKET")
    if env:
        return Path(env)
    digest = hashlib.sha256(str(vault).encode()).hexdigest()[:16]
    return runtime_dir() / f"control-{digest}.sock"


def ensure_private_dir(path: Path) -> None:
    """Create a directory (and parents) with mode 0700; one that exists keeps its mode (fsutil)."""
    from companion.fsutil import make_private_dirs

    make_private_dirs(path)


def is_private_dir(path: Path) -> bool:
    """True when `path` is a real directory owned by us that no one else can enter or write.

    The control socket lives in it and `otpc unlock` sends the master password through the socket:
    in a shared /tmp another user could otherwise create the directory first and listen there."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    import stat

    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`, mode 0600 from the first byte (fsutil.write_private)."""
    from companion.fsutil import write_private

    write_private(path, data, overwrite=True)


def shipped_dir(name: str) -> Path:
    """`extension` or `docs` as shipped: inside the installed package (the wheel puts them under
    companion/_data/), else beside the package in a checkout (an editable install, `make run`)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_data" / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    from companion.errors import UserError

    raise UserError(f"the {name} folder is missing from this installation ({package}); reinstall otpc")


def extension_dir() -> Path:
    """The folder to load as an unpacked extension (it holds manifest.json)."""
    return shipped_dir("extension")


def docs_dir() -> Path:
    return shipped_dir("docs")
