"""Every test folder: the shared harness (tests/harness/) gets pytest's assertion messages."""

import pytest

pytest.register_assert_rewrite("harness")
