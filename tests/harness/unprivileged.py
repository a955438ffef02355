"""Running otpc as a user without privileges. CI runs as root, and root ignores file modes, so a test
about an unwritable folder drops to `nobody` with setpriv (util-linux); run as an ordinary user it
is already unprivileged and runs as itself. Either way the permission check really happens."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

DROP = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def unprivileged(argv: list[str]) -> list[str]:
    """`argv` run as nobody when we are root, else as ourselves."""
    if os.geteuid() != 0:
        return list(argv)
    assert shutil.which("setpriv"), "setpriv (util-linux) is needed to drop root for this test"
    return [*DROP, *argv]


def the_unprivileged_uid() -> int:
    return int(subprocess.check_output(unprivileged(["id", "-u"]), text=True))


def open_dir(prefix: str) -> Path:
    """A fresh directory that the unprivileged user can enter (pytest's tmp_path is 0700 root's).
    Its subfolders decide what that user may write."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def writable_by_them(path: Path) -> Path:
    """A folder the unprivileged user owns (for the vault it then makes)."""
    path.mkdir(mode=0o700, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(path, the_unprivileged_uid(), -1)
    return path


def read_only_for_them(path: Path) -> Path:
    """A folder the unprivileged user can read and enter but not write (owned by root when we are
    root; mode 0555 when we are that user ourselves)."""
    path.mkdir(exist_ok=True)
    path.chmod(0o555)
    return path
