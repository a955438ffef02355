"""Writing files that hold secrets, safely in any directory (issue 9 #4, #5). Stdlib only.

Every file the tool writes (vault side files, config, exports) goes through `atomic_write`:
a random temp name created O_EXCL|O_NOFOLLOW 0600 in the target's directory (mkstemp), so another
user cannot pre-create or symlink it; fchmod 0600, fsync, rename over the target, fsync the
directory. Directories: the tool creates its own 0700 and never changes the mode of one it did
not create (a shared 2775 folder or a 1777 /tmp keeps its mode and sticky bit).
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
import tempfile
from pathlib import Path

from companion.errors import UserError


def make_private_dirs(path: Path) -> None:
    """Create `path` and any missing parents with mode 0700; existing ones are left alone."""
    missing = []
    p = Path(path)
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            continue
        os.chmod(d, 0o700)  # ours, just made: the umask must not widen it


def shared_dir_warning(path: Path) -> str | None:
    """One line if `path` (a directory holding the vault) can be read or entered by others."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or not st.st_mode & 0o077:
        return None
    return (f"warning: {path} can be read by other users (mode {stat.S_IMODE(st.st_mode):04o}); "
            f"the vault files are 0600, but to hide even their names run: chmod 700 '{path}'")


def warn_if_shared(path: Path) -> None:
    message = shared_dir_warning(path)
    if message:
        print(f"otpc: {message}", file=sys.stderr)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # not possible on every platform (Windows): the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data` atomically; the file is `mode` (0600) from its first byte."""
    path = Path(path)
    make_private_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


# Exports: like atomic_write, but never over an existing file unless asked (export -o without --force).
def write_private(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Put `data` at `path` atomically with mode 0600. Without `overwrite`, an existing `path`
    (even a dangling symlink) is refused. Every OS failure becomes one UserError line."""
    path = Path(path)
    folder = path.parent
    tmp = folder / f".{path.name}.{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        if not overwrite and os.path.lexists(path):
            raise UserError(f"{path} already exists: use --force to replace it")
        fd = os.open(tmp, flags, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if overwrite:
                os.replace(tmp, path)
            else:
                os.link(tmp, path)  # fails if the name appeared meanwhile
                os.unlink(tmp)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        fsync_dir(folder)
    except FileExistsError:
        raise UserError(f"{path} already exists: use --force to replace it") from None
    except IsADirectoryError:
        raise UserError(f"cannot write {path}: it is a directory") from None
    except PermissionError:
        raise UserError(f"cannot write {path}: permission denied") from None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
