"""Every test folder: the shared harness (tests/harness/) gets pytest's assertion messages, no test
writes into the user's own folders, and the many `otpc` subprocesses start from compiled bytecode."""

import shutil
import tempfile
from pathlib import Path

import pytest

pytest.register_assert_rewrite("harness")

# What the companion keeps per user, and where it goes by default on Linux (companion/paths.py,
# companion/cli/autostart.py): the last vault generation seen, the default vault, autostart files.
USER_DIRS = (
    ("OTPC_STATE_DIR", "state"),  # else $XDG_STATE_HOME/otpc, ~/.local/state/otpc
    ("XDG_STATE_HOME", "xdg-state"),  # for subprocesses given an environment without OTPC_*
    ("XDG_DATA_HOME", "xdg-data"),  # ~/.local/share/otpc/vault.sqlite when no --vault is given
    ("XDG_CONFIG_HOME", "xdg-config"),  # ~/.config/systemd/user/otpc.service (otpc service)
)


@pytest.fixture(scope="session", autouse=True)
def private_user_dirs(tmp_path_factory):
    """One set of these folders per session (per xdist worker), set before any fixture starts a
    companion, so in-process code and every subprocess that inherits the environment (the harness
    passes OTPC_STATE_DIR on) write there. Tests that need their own set theirs (tests/vault/
    conftest.py; the `XDG_*`-free environments of some tests in tests/cli)."""
    base = tmp_path_factory.mktemp("user")
    with pytest.MonkeyPatch.context() as mp:
        for var, name in USER_DIRS:
            mp.setenv(var, str(base / name))
        # With PYTHONDONTWRITEBYTECODE set (as on the machines we run on) every subprocess compiled
        # companion/ from source again (a quarter of a short `otpc` run's CPU). Bytecode goes to a
        # folder of this session instead, never into the checkout. A prefix replaces every
        # __pycache__ (the standard library's too), so the folder is readable by the unprivileged
        # user some tests run otpc as (tests/harness/unprivileged.py); only we write it.
        pycache = Path(tempfile.mkdtemp(prefix="otpc-test-pycache-"))
        pycache.chmod(0o755)
        mp.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
        mp.setenv("PYTHONPYCACHEPREFIX", str(pycache))
        try:
            yield base
        finally:
            shutil.rmtree(pycache, ignore_errors=True)


def _shares_a_module_fixture(item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    defs = getattr(info, "name2fixturedefs", {}) if info else {}
    return any(d.scope == "module" for seq in defs.values() for d in seq)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks (loadgroup)
def pytest_collection_modifyitems(config, items):
    """For `pytest -n 2 --dist loadgroup` (make test): the browser tests share one Chromium, one
    companion and one pairing per worker, so they all run on one worker (one browser start, and
    their order kept); the tests of a module that share a module-wide fixture (a team, a built
    wheel, a running companion) run on one worker, which builds it once. Everything else is
    spread test by test. Without xdist the marks do nothing."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        if item.get_closest_marker("e2e") or item.nodeid.startswith("tests/e2e/"):
            item.add_marker(pytest.mark.xdist_group("browser"))
        elif _shares_a_module_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
