"""Old module names of the harness stay importable: each shim replaces itself in sys.modules by the
harness module, so `import companion_harness` and `from harness import companion_process` are one
module object (monkeypatching either patches both)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def alias(old_name: str, new_name: str) -> None:
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    sys.modules[old_name] = importlib.import_module(new_name)
