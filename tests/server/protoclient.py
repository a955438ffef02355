"""Alias of tests/harness/protoclient.py (the one test harness); kept so existing imports work."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.alias import alias  # noqa: E402

alias(__name__, "harness.protoclient")
