"""Writing files that hold secrets, safely in any directory (issue 9 #4, #5). Stdlib only.

Every file the tool writes (vault side files, config, exports, unit files) goes through `write_private`:
a random temp name created O_EXCL|O_NOFOLLOW 0600 in the target's directory (mkstemp), so another
user cannot pre-create or symlink it; fchmod 0600, fsync, rename over the target, fsync the
directory. Directories: the tool creates its own 0700 and never changes the mode of one it did
not create (a shared 2775 folder or a 1777 /tmp keeps its mode and sticky bit).
"""

from __future__ import annotations

import os
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


def write_private(path: Path, data: bytes, *, overwrite: bool, mode: int = 0o600) -> None:
    """Put `data` at `path` atomically; the file is `mode` (0600) from its first byte.

    The temp file has a random name in the target's directory, created O_EXCL|O_NOFOLLOW
    (mkstemp), so another user can neither pre-create it nor plant a symlink there; fchmod,
    fsync, then rename over `path` (`overwrite`) or hard-link to it, which refuses an existing
    `path` even a dangling symlink (exports without --force). Missing parent directories are
    created 0700. Every OS failure becomes one UserError line."""
    path = Path(path)
    try:
        make_private_dirs(path.parent)
        if not overwrite and os.path.lexists(path):
            raise FileExistsError
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                if hasattr(os, "fchmod"):
                    os.fchmod(f.fileno(), mode)
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
        fsync_dir(path.parent)
    except FileExistsError:
        raise UserError(f"{path} already exists: use --force to replace it") from None
    except IsADirectoryError:
        raise UserError(f"cannot write {path}: it is a directory") from None
    except PermissionError:
        raise UserError(f"cannot write {path}: permission denied") from None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
