"""Where the vault, the paired-clients file, the config and the control socket live.

Stdlib only, and cheap to import: `otpc code`'s fast path needs the socket path without paying for
click or rich, nor for pathlib, tempfile or OpenSSL's hashlib (together about a third of its
start-up). So the fast path's functions work on strings (`vault_file`, `socket_file`), and the Path
API the rest of the code uses is built on them, importing pathlib only when called.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs the fast path ~2 ms

if TYPE_CHECKING:
    from pathlib import Path

APP = "otpc"
DEFAULT_PORT = 17655


def vault_file(explicit: str | os.PathLike | None = None) -> str:
    """`--vault PATH` wins, then `OTPC_VAULT`, then the platform's user data dir (absolute, with
    symlinks resolved, so one vault has one control socket however it is named)."""
    chosen = os.fspath(explicit) if explicit else os.environ.get("OTPC_VAULT")
    if chosen:
        return os.path.realpath(os.path.expanduser(chosen))
    return os.path.join(os.path.realpath(user_data_dir()), "vault.sqlite")


def user_data_dir() -> str:
    """platformdirs.user_data_dir("otpc"), written out for Linux and macOS: importing platformdirs
    costs `otpc code` ~25 ms, more than all the rest of its start-up. Other systems ask platformdirs.
    tests/unit/test_paths.py checks both give the same folder."""
    import sys

    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~/Library/Application Support"), APP)
    if sys.platform.startswith("linux"):
        xdg = os.environ.get("XDG_DATA_HOME", "").strip()
        base = xdg if os.path.isabs(xdg) else os.path.expanduser("~/.local/share")
        return os.path.join(base, APP)
    import platformdirs

    return platformdirs.user_data_dir(APP)


def vault_path(explicit: str | os.PathLike | None = None) -> Path:
    from pathlib import Path

    return Path(vault_file(explicit))


def state_dir() -> Path:
    """Where the companion remembers things about a vault that must not live inside it (the last
    vault generation seen, for rollback detection): `OTPC_STATE_DIR`, else the platform's user
    state dir (~/.local/state/otpc on Linux)."""
    from pathlib import Path

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


def _temp_base() -> str:
    """tempfile.gettempdir()'s answer in the usual cases, without importing tempfile."""
    for var in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(var)
        if value and os.path.isdir(value):
            return os.path.abspath(value)
    if os.path.isdir("/tmp"):  # noqa: S108 (tempfile's own first candidate; the dir below it is checked private)
        return "/tmp"  # noqa: S108
    import tempfile

    return tempfile.gettempdir()


def runtime_base() -> str:
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        return os.path.join(base, APP)
    return os.path.join(_temp_base(), f"{APP}-{os.getuid()}")


def runtime_dir() -> Path:
    from pathlib import Path

    return Path(runtime_base())


def _sha256_hex(data: bytes) -> str:
    """SHA-256 from the interpreter's built-in module when it has one (hashlib loads OpenSSL first,
    ~3 ms of `otpc code`); the same digest either way."""
    try:
        from _sha2 import sha256  # Python 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # Python 3.11
        except ImportError:
            from hashlib import sha256
    return sha256(data).hexdigest()


def socket_file(vault: str) -> str:
    """One control socket per vault file, so two companions (e.g. in tests) never share one.

    `OTPC_SOCKET` overrides it. The name is a hash of the vault path: no customer data in it.
    """
    env = os.environ.get("OTPC_SOCKET")
    if env:
        return env
    digest = _sha256_hex(str(vault).encode())[:16]
    return os.path.join(runtime_base(), f"control-{digest}.sock")


def control_socket_path(vault: Path) -> Path:
    from pathlib import Path

    return Path(socket_file(str(vault)))


def ensure_private_dir(path: Path) -> None:
    """Create a directory (and parents) with mode 0700; one that exists keeps its mode (fsutil)."""
    from companion.fsutil import make_private_dirs

    make_private_dirs(path)


def is_private_dir(path: str | Path) -> bool:
    """True when `path` is a real directory owned by us that no one else can enter or write.

    The control socket lives in it and `otpc unlock` sends the master password through the socket:
    in a shared /tmp another user could otherwise create the directory first and listen there."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    import stat

    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def shipped_dir(name: str) -> Path:
    """`extension` or `docs` as shipped: inside the installed package (the wheel puts them under
    companion/_data/), else beside the package in a checkout (an editable install, `make run`)."""
    from pathlib import Path

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
