"""Process hardening shared by the companion and the CLI (issue 9 #7). Stdlib only.

A process that holds the unlocked vault's keys (or the master password) must not leave them in a
core file, and on Linux other processes of the same user must not ptrace it or read its memory
through /proc. `otpc code`'s fast path (cli/fast.py) never holds a key and does not call this.
"""

from __future__ import annotations

import sys

PR_SET_DUMPABLE = 4  # <linux/prctl.h>

_done = False


def forbid_core_dumps() -> None:
    """RLIMIT_CORE 0 (no core file), and on Linux PR_SET_DUMPABLE 0: no core dump, no ptrace
    attach and no /proc/PID/mem by same-user processes; /proc/PID files become root's. Idempotent."""
    global _done
    if _done:
        return
    _done = True
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass
