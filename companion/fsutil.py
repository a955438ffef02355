"""Writing files that hold secrets: never half-written, never readable by others, never through a
planted symlink, never over an existing file unless asked.

Random temp name in the target folder, opened O_CREAT|O_EXCL|O_NOFOLLOW with mode 0600, written and
fsynced, then renamed into place (or hard-linked, which fails if the target exists) and the folder
fsynced so the new name survives a crash.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from companion.errors import UserError


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
        _fsync_dir(folder)
    except FileExistsError:
        raise UserError(f"{path} already exists: use --force to replace it") from None
    except IsADirectoryError:
        raise UserError(f"cannot write {path}: it is a directory") from None
    except PermissionError:
        raise UserError(f"cannot write {path}: permission denied") from None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
